import Foundation
import Testing

/// Make the N-th write, fsync, rename or read fail, for N = 1, 2, … until a run gets through:
/// every run either succeeds with the right output or fails cleanly naming the path, and a
/// normal run afterwards always gives the clean outputs. An fsync error is never success.
@Suite(.serialized)
struct FaultInjectionLoopTests {
    struct Fault: Sendable, CustomTestStringConvertible {
        var operation: String
        var errorName: String
        var persistent: Bool
        var testDescription: String { "\(operation) \(errorName)\(persistent ? " persistent" : "")" }
    }

    static let faults: [Fault] = [
        Fault(operation: "write", errorName: "ENOSPC", persistent: false),
        Fault(operation: "write", errorName: "ENOSPC", persistent: true),
        Fault(operation: "fsync", errorName: "EIO", persistent: false),
        Fault(operation: "rename", errorName: "EIO", persistent: false),
        Fault(operation: "read", errorName: "EIO", persistent: false),
    ]

    @Test(arguments: faults)
    func everyFailurePointIsCleanAndResumable(_ fault: Fault) throws {
        let clean = ResumeTests.clean
        let dir = try TemporaryDirectory("tf-faults")
        defer { dir.remove() }
        var n = 1
        var failures = 0
        while true {
            let out = dir.path("out-\(n)")
            let spec = "\(fault.operation):\(n):\(fault.errorName)" + (fault.persistent ? ":persistent" : "")
            let faulty = try FeatureRun.run(trades: ResumeTests.input.trades, quotes: ResumeTests.input.quotes, out: out,
                                            ResumeTests.Input.flags, environment: ["TICKFORGE_FAULT": spec])
            #expect(faulty.exited, "\(spec): crashed instead of failing cleanly")
            if faulty.status == 0 {
                // N is past the last operation of this kind: the run went through untouched.
                #expect(!faulty.stderrText.contains("injected"), "\(spec): a failure was swallowed: \(faulty.stderrText)")
                for name in FeatureRun.outputFiles { #expect(FileManager.default.contents(atPath: out + "/" + name) == clean[name]) }
                break
            }
            failures += 1
            #expect(faulty.status == 1, "\(spec): exit \(faulty.status)")
            #expect(faulty.stderrText.hasPrefix("error: /"), "\(spec): the message names the path: \(faulty.stderrText)")
            #expect(faulty.stderrText.contains("(injected)"), "\(spec): \(faulty.stderrText)")
            // A final file either is not there or is whole: a failure late in the merge can come
            // after some of them were renamed into place, never in the middle of one.
            for name in FeatureRun.outputFiles {
                if let bytes = FileManager.default.contents(atPath: out + "/" + name) {
                    #expect(bytes == clean[name], "\(spec): \(name) is there but not whole")
                }
            }
            let resumed = try FeatureRun.run(trades: ResumeTests.input.trades, quotes: ResumeTests.input.quotes, out: out,
                                             ResumeTests.Input.flags)
            #expect(resumed.status == 0, "\(spec) then resume: \(resumed.stderrText)")
            for name in FeatureRun.outputFiles {
                #expect(FileManager.default.contents(atPath: out + "/" + name) == clean[name], "\(spec) then resume: \(name) differs")
            }
            try? FileManager.default.removeItem(atPath: out)
            n += n < 30 ? 1 : n / 5
        }
        #expect(failures >= (fault.operation == "rename" ? 10 : 20), "only \(failures) failure points for \(fault.testDescription)")
    }
}
