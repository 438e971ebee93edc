import Foundation
import Testing

/// `summary.json`'s `peak_resident_bytes` is the run's own: a run started by a process that
/// holds a lot of memory (a notebook, a test runner) must not report that process's memory.
struct PeakMemoryReportTests {
    @Test func theReportedPeakIsTheRunsOwn() throws {
        let dir = try TemporaryDirectory("tf-peak-own")
        defer { dir.remove() }
        let out = dir.path("run")
        let trades = TestPaths.repository.appendingPathComponent("Fixtures/aux/trades").path
        // A parent that touches 400 MiB, then runs tickforge directly.
        let script = """
        import subprocess, sys
        big = bytearray(400 << 20)
        for i in range(0, len(big), 4096): big[i] = 1
        sys.exit(subprocess.call([sys.argv[1], 'features', '--trades', sys.argv[2], '--out', sys.argv[3]], stdout=subprocess.DEVNULL))
        """
        let result = try runProcess("/usr/bin/env", ["python3", "-c", script, TestPaths.binary, trades, out])
        #expect(result.status == 0, "\(result.stderrText)")
        let peak = try #require(try FeatureRun.summary(out)["peak_resident_bytes"] as? Int)
        #expect(peak < 200 << 20, "the run reports \(peak >> 20) MiB: its parent's 400 MiB, not its own")
    }
}
