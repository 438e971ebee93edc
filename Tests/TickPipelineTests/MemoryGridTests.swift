import Foundation
import Testing

/// The memory promise over a grid of intervals, windows, horizons, quote densities and bad
/// rows, measured from outside (Scripts/memory_grid.py reads each run's peak RSS from the
/// kernel): every run stays within 10 % above --memory-limit on inputs at least 4× the limit,
/// or is refused up front naming a limit, at which it then runs within 10 % too. The full grid
/// (larger inputs and limits) is the same script, run by hand.
@Suite(.serialized)
struct MemoryGridTests {
    @Test func everyRunKeepsTheLimitOrIsRefusedNamingOne() throws {
        let dir = try TemporaryDirectory("tf-memory-grid")
        defer { dir.remove() }
        let script = TestPaths.repository.appendingPathComponent("Scripts/memory_grid.py").path
        let result = try runProcess("/usr/bin/env", ["python3", script, "--binary", TestPaths.binary, "--limit", "64MiB",
                                                     "--size", "256MiB", "--work", dir.path("grid"), "--grid", "quick", "--json"])
        let runs = result.stdoutText.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(runs.count == 14, "\(result.stdoutText)\n\(result.stderrText)")
        for run in runs {
            let attempts = run["attempts"] as? [[String: Any]] ?? []
            let last = attempts.last ?? [:]
            let peak = last["peak"] as? Int ?? .max, limit = last["limit"] as? Int ?? 0
            #expect(run["ok"] as? Bool == true && last["exit"] as? Int == 0 && Double(peak) <= 1.1 * Double(limit),
                    "\(run["run"] ?? "?"): exit \(last["exit"] ?? "?"), peak \(peak >> 20) MiB of \(limit >> 20) MiB")
            #expect((run["input_bytes"] as? Int ?? 0) >= 4 * (64 << 20), "the input must be at least 4× the limit")
        }
        // The long-halo run cannot fit in 64 MiB: refused, then run at the limit it named.
        let refused = runs.first { $0["run"] as? String == "1s halo over the limit" }
        let attempts = refused?["attempts"] as? [[String: Any]] ?? []
        #expect(attempts.count == 2 && attempts.first?["exit"] as? Int == 1 && (attempts.last?["limit"] as? Int ?? 0) > 64 << 20)
        #expect(result.status == 0, "\(result.stderrText)")
    }
}
