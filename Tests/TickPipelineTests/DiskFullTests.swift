import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real full disk: the output directory on a small tmpfs. The run must stop with a clear
/// error naming the path, leave no partial final file, and resume to the clean outputs once
/// space is freed. Mounting needs root; where the test cannot mount it says so and does not
/// run (the fault-injection tests cover ENOSPC everywhere else).
@Suite(.serialized)
struct DiskFullTests {
    static let canMount: Bool = {
        guard geteuid() == 0, let dir = try? TemporaryDirectory("tf-mount-probe") else { return false }
        defer { dir.remove() }
        guard mount("tmpfs", dir.url.path, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount(dir.url.path)
        return true
    }()

    @Test(.enabled(if: canMount, "mounting a tmpfs needs root (CAP_SYS_ADMIN)"), arguments: ["160k", "400k", "700k"])
    func fullDiskFailsCleanlyAndResumesAfterSpaceIsFreed(size: String) throws {
        let dir = try TemporaryDirectory("tf-diskfull")
        defer { dir.remove() }
        let mountPoint = dir.url.path
        #expect(mount("tmpfs", mountPoint, "tmpfs", 0, "size=\(size)") == 0)
        defer { umount(mountPoint) }
        let out = mountPoint + "/out"
        let full = try FeatureRun.run(trades: ResumeTests.input.trades, quotes: ResumeTests.input.quotes, out: out,
                                      ResumeTests.Input.flags)
        #expect(full.exited && full.status == 1, "a \(size) disk cannot hold the run: \(full.stderrText)")
        #expect(full.stderrText.contains("No space left on device"), "\(full.stderrText)")
        #expect(full.stderrText.hasPrefix("error: \(mountPoint)/out/"), "the message names the path: \(full.stderrText)")
        for name in FeatureRun.outputFiles {
            if let bytes = FileManager.default.contents(atPath: out + "/" + name) {
                #expect(bytes == ResumeTests.clean[name], "\(name) is there but not whole")
            }
        }
        // Free space, run again: the same bytes as a clean run.
        #expect(mount("tmpfs", mountPoint, "tmpfs", UInt(MS_REMOUNT), "size=16m") == 0)
        let resumed = try FeatureRun.run(trades: ResumeTests.input.trades, quotes: ResumeTests.input.quotes, out: out,
                                         ResumeTests.Input.flags)
        #expect(resumed.status == 0, "\(resumed.stderrText)")
        for name in FeatureRun.outputFiles {
            #expect(FileManager.default.contents(atPath: out + "/" + name) == ResumeTests.clean[name], "\(name)")
        }
    }
}
