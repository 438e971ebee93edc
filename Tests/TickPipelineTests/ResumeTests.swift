import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Out-of-core runs that are killed, damaged, or rerun with other inputs or flags: the outputs
/// must equal an uninterrupted run's, and finished partitions must be reused, not recomputed.
@Suite(.serialized)
struct ResumeTests {
    /// A generated input small enough for many runs, cut into many partitions.
    final class Input: Sendable {
        let dir: TemporaryDirectory
        let trades: String
        let quotes: String
        /// Small partitions so a run writes many files.
        static let flags = ["--interval", "1s", "--windows", "10,60", "--horizons", "5,30",
                            "--tick-partition-rows", "4000", "--partition-bars", "150", "--workers", "2"]

        init() throws {
            dir = try TemporaryDirectory("tf-resume-input")
            trades = dir.path("trades.csv")
            quotes = dir.path("quotes.csv")
            let result = try runTickforge(["gen", trades, "--size", "1MiB", "--quotes", quotes, "--seed", "7"])
            precondition(result.status == 0, result.stderrText)
        }

        /// A clean, uninterrupted run: the bytes every other run must reproduce.
        func cleanRun() throws -> [String: Data?] {
            let out = dir.path("clean-\(UUID().uuidString)")
            let result = try FeatureRun.run(trades: trades, quotes: quotes, out: out, Self.flags)
            #expect(result.status == 0, "\(result.stderrText)")
            return FeatureRun.outputs(out)
        }
    }

    static let input = try! Input()
    static let clean = try! input.cleanRun()

    func run(_ out: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> ProcessResult {
        try FeatureRun.run(trades: Self.input.trades, quotes: Self.input.quotes, out: out, Input.flags + extra,
                           environment: environment)
    }

    func expectCleanOutputs(_ out: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let got = FeatureRun.outputs(out)
        for name in FeatureRun.outputFiles {
            #expect(got[name] != nil, "\(name) missing", sourceLocation: sourceLocation)
            #expect(got[name] == Self.clean[name], "\(name) differs from the clean run", sourceLocation: sourceLocation)
        }
    }

    func tickPartitionCount(_ out: String) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: out + "/.tickforge/ticks").filter { $0.hasSuffix(".tfp") }.count
    }

    @Test func cleanRunUsesManyPartitions() throws {
        let dir = try TemporaryDirectory("tf-resume-many")
        defer { dir.remove() }
        #expect(try run(dir.path("out")).status == 0)
        #expect(try tickPartitionCount(dir.path("out")) >= 8)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("out/.tickforge/features")).count >= 4)
        expectCleanOutputs(dir.path("out"))
    }

    /// SIGKILL just before each durable step (every write, fsync and rename) in turn, then a
    /// resume: the outputs always equal the clean run's.
    @Test func killAtEveryDurableStepThenResume() throws {
        let dir = try TemporaryDirectory("tf-resume-steps")
        defer { dir.remove() }
        var step = 1
        var killedRuns = 0
        while true {
            let out = dir.path("out-\(step)")
            let killed = try run(out, environment: ["TICKFORGE_KILL_AT": String(step)])
            if killed.exited {
                // The step count passed the end of the run: it finished.
                #expect(killed.status == 0, "\(killed.stderrText)")
                break
            }
            killedRuns += 1
            let resumed = try run(out)
            #expect(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            expectCleanOutputs(out)
            // No temporary file survives a completed run.
            let names = try FileManager.default.subpathsOfDirectory(atPath: out)
            #expect(!names.contains { $0.contains(".tmp-") }, "step \(step): \(names.filter { $0.contains(".tmp-") })")
            try? FileManager.default.removeItem(atPath: out)
            // Every step early on, then sparser: the run has a few hundred durable steps.
            step += step < 30 ? 1 : step / 6
        }
        #expect(killedRuns >= 25)
    }

    /// SIGKILL at seeded random moments of a run, each in its own directory, then a resume.
    @Test(arguments: [11, 29, 47])
    func killAtRandomMomentsThenResume(seed: Int) throws {
        let dir = try TemporaryDirectory("tf-resume-random")
        defer { dir.remove() }
        // Kill moments spread over the first 80 % of a clean run, timed here as the faster of
        // two (the first one pays for cold caches; a later run that is faster than the timing
        // would otherwise finish before most kills). The step-by-step test above covers the end.
        var fastest = Double.infinity
        for timing in 0..<2 {
            let started = Date()
            #expect(try run(dir.path("timing-\(timing)")).status == 0)
            fastest = min(fastest, Date().timeIntervalSince(started))
        }
        let runMicros = UInt64(max(fastest * 0.8, 0.01) * 1e6)
        var state = UInt64(seed)
        var killed = 0
        for attempt in 0..<8 {
            let out = dir.path("out-\(attempt)")
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let delayMicros = useconds_t((state >> 33) % runMicros)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestPaths.binary)
            process.arguments = ["features", "--trades", Self.input.trades, "--quotes", Self.input.quotes, "--out", out] + Input.flags
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(delayMicros)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killed += 1 }
            let resumed = try run(out)
            #expect(resumed.status == 0, "after a kill at \(delayMicros) µs: \(resumed.stderrText)")
            expectCleanOutputs(out)
        }
        #expect(killed >= 4, "only \(killed) of 8 runs were killed before finishing")
    }

    @Test func resumeReusesFinishedPartitions() throws {
        let dir = try TemporaryDirectory("tf-resume-reuse")
        defer { dir.remove() }
        let out = dir.path("out")
        // Kill late in ingest: after a good number of durable steps.
        let killed = try run(out, environment: ["TICKFORGE_KILL_AT": "40"])
        #expect(!killed.exited)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/.tickforge/manifest.json"))) as! [String: Any]
        let finished = (((manifest["trades"] as! [Any])[0] as! [String: Any])["partitions"] as! [Any]).count
        #expect(finished > 0)
        #expect(try run(out).status == 0)
        let summary = try FeatureRun.summary(out)
        let trades = summary["trades"] as! [String: Any]
        #expect(trades["partitions_reused"] as? Int == finished)
        expectCleanOutputs(out)
        // A third run reuses everything and computes nothing.
        #expect(try run(out).status == 0)
        let again = try FeatureRun.summary(out)
        #expect((again["trades"] as! [String: Any])["partitions_written"] as? Int == 0)
        #expect((again["quotes"] as! [String: Any])["partitions_written"] as? Int == 0)
        #expect(again["feature_partitions_computed"] as? Int == 0)
        expectCleanOutputs(out)
    }

    enum Damage: String, CaseIterable, Sendable {
        case empty, midHeader, midFrame, frameBoundary, footerMissing, bitFlip, deleted
    }

    @Test(arguments: Damage.allCases)
    func damagedPartitionsAreDetectedAndRecomputed(_ damage: Damage) throws {
        let dir = try TemporaryDirectory("tf-resume-damage")
        defer { dir.remove() }
        let out = dir.path("out")
        #expect(try run(out).status == 0)
        for folder in [".tickforge/ticks", ".tickforge/features"] {
            let name = try FileManager.default.contentsOfDirectory(atPath: "\(out)/\(folder)")
                .filter { $0.hasSuffix(".tfp") && !$0.hasPrefix("quotes") }.sorted()[1]
            let path = "\(out)/\(folder)/\(name)"
            var bytes = try readBytes(path)
            switch damage {
            case .empty: bytes = []
            case .midHeader: bytes = Array(bytes.prefix(12))
            case .midFrame: bytes = Array(bytes.prefix(bytes.count / 2))
            case .frameBoundary:
                // The first column's frame starts after the header: cut exactly where zstd's magic begins.
                let magic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
                let starts = (0..<(bytes.count - 4)).filter { Array(bytes[$0..<$0 + 4]) == magic }
                bytes = Array(bytes.prefix(starts.count > 1 ? starts[1] : starts[0]))
            case .footerMissing: bytes = Array(bytes.prefix(bytes.count - 24))
            case .bitFlip: bytes[bytes.count / 3] ^= 0x10
            case .deleted: try FileManager.default.removeItem(atPath: path)
            }
            if damage != .deleted { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        }
        let verify = try runTickforge(["inspect", "--verify", out])
        #expect(verify.exited && verify.status == 1, "inspect --verify should fail: \(verify.stdoutText)")
        #expect(verify.stdoutText.contains(damage == .deleted ? "MISSING" : "DAMAGED"))
        let rerun = try run(out)
        #expect(rerun.status == 0, "\(rerun.stderrText)")
        let summary = try FeatureRun.summary(out)
        #expect(((summary["trades"] as! [String: Any])["partitions_written"] as! Int) >= 1)
        #expect((summary["feature_partitions_computed"] as! Int) >= 1)
        expectCleanOutputs(out)
        let healthy = try runTickforge(["inspect", "--verify", out])
        #expect(healthy.status == 0, "\(healthy.stdoutText)")
    }

    @Test func changedInputIsNotReused() throws {
        let dir = try TemporaryDirectory("tf-resume-changed")
        defer { dir.remove() }
        let trades = dir.path("trades.csv")
        try FileManager.default.copyItem(atPath: Self.input.trades, toPath: trades)
        let out = dir.path("out")
        #expect(try FeatureRun.run(trades: trades, quotes: nil, out: out, Input.flags).status == 0)
        let before = try String(contentsOfFile: out + "/features.csv", encoding: .utf8)
        // Drop the last 100 trades: same path, new content.
        let lines = try String(contentsOfFile: trades, encoding: .utf8).split(separator: "\n")
        try (lines.dropLast(100).joined(separator: "\n") + "\n").write(toFile: trades, atomically: false, encoding: .utf8)
        #expect(try FeatureRun.run(trades: trades, quotes: nil, out: out, Input.flags).status == 0)
        let summary = try FeatureRun.summary(out)
        #expect((summary["trades"] as! [String: Any])["partitions_reused"] as? Int == 0)
        let after = try String(contentsOfFile: out + "/features.csv", encoding: .utf8)
        #expect(after != before)
        // And it equals a fresh run on the changed file.
        #expect(try FeatureRun.run(trades: trades, quotes: nil, out: dir.path("fresh"), Input.flags).status == 0)
        #expect(after == (try String(contentsOfFile: dir.path("fresh/features.csv"), encoding: .utf8)))
    }

    @Test func newFeatureFlagsReuseTickPartitionsOnly() throws {
        let dir = try TemporaryDirectory("tf-resume-flags")
        defer { dir.remove() }
        let out = dir.path("out")
        #expect(try run(out).status == 0)
        let ticks = try tickPartitionCount(out)
        #expect(try run(out, ["--interval", "10s"]).status == 0)
        let summary = try FeatureRun.summary(out)
        #expect((summary["trades"] as! [String: Any])["partitions_reused"] as? Int ?? 0 > 0)
        #expect((summary["trades"] as! [String: Any])["partitions_written"] as? Int == 0)
        #expect((summary["feature_partitions_reused"] as! Int) == 0)
        #expect(try tickPartitionCount(out) == ticks)
        // The result equals a run from scratch with the new flags.
        #expect(try run(dir.path("scratch"), ["--interval", "10s"]).status == 0)
        for name in FeatureRun.outputFiles where name.hasSuffix(".csv") {
            #expect(FileManager.default.contents(atPath: out + "/" + name) == FileManager.default.contents(atPath: dir.path("scratch") + "/" + name))
        }
    }

    @Test func freshDiscardsOldState() throws {
        let dir = try TemporaryDirectory("tf-resume-fresh")
        defer { dir.remove() }
        let out = dir.path("out")
        #expect(try run(out).status == 0)
        #expect(try run(out, ["--fresh"]).status == 0)
        let summary = try FeatureRun.summary(out)
        #expect((summary["trades"] as! [String: Any])["partitions_reused"] as? Int == 0)
        #expect((summary["feature_partitions_reused"] as! Int) == 0)
        expectCleanOutputs(out)
    }

    @Test func secondRunOnTheSameDirectoryFailsOnTheLock() throws {
        let dir = try TemporaryDirectory("tf-resume-lock")
        defer { dir.remove() }
        let out = dir.path("out")
        try FileManager.default.createDirectory(atPath: out + "/.tickforge", withIntermediateDirectories: true)
        let fd = open(out + "/.tickforge/lock", O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let blocked = try run(out)
        #expect(blocked.exited && blocked.status == 1)
        #expect(blocked.stderrText.contains("in use by another tickforge run"), "\(blocked.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: out + "/features.csv"))
        flock(fd, LOCK_UN)
        close(fd)
        #expect(try run(out).status == 0)
        expectCleanOutputs(out)
    }

    @Test func strayTemporaryFilesAreRemoved() throws {
        let dir = try TemporaryDirectory("tf-resume-stray")
        defer { dir.remove() }
        let out = dir.path("out")
        try FileManager.default.createDirectory(atPath: out + "/.tickforge/ticks", withIntermediateDirectories: true)
        for stray in [".tickforge/ticks/trades-000000.tfp.tmp-123", ".tickforge/manifest.json.tmp-5"] {
            try "junk".write(toFile: out + "/" + stray, atomically: false, encoding: .utf8)
        }
        #expect(try run(out).status == 0)
        let names = try FileManager.default.subpathsOfDirectory(atPath: out)
        #expect(!names.contains { $0.contains(".tmp-") })
        expectCleanOutputs(out)
    }

    /// Disk full (ENOSPC) or EIO at the N-th write, fsync or rename: a clean failure naming the
    /// path, no partial final file, and a normal rerun gives the clean outputs.
    @Test(arguments: ["write:3:ENOSPC", "write:25:ENOSPC", "fsync:7:EIO", "rename:12:EIO", "write:20:ENOSPC:persistent", "fsync:1:EIO:persistent"])
    func ioFailuresFailCleanlyAndResume(fault: String) throws {
        let dir = try TemporaryDirectory("tf-resume-fault")
        defer { dir.remove() }
        let out = dir.path("out")
        let failed = try run(out, environment: ["TICKFORGE_FAULT": fault])
        #expect(failed.exited, "the process crashed instead of failing cleanly")
        #expect(failed.status == 1, "\(fault) should fail the run: \(failed.stderrText)")
        #expect(failed.stderrText.contains("error: /"), "the message names the path: \(failed.stderrText)")
        #expect(failed.stderrText.contains("injected"))
        for name in FeatureRun.outputFiles {
            if let bytes = FileManager.default.contents(atPath: out + "/" + name) {
                #expect(bytes == Self.clean[name], "\(name) is there after a failed run but not whole")
            }
        }
        #expect(try run(out).status == 0)
        expectCleanOutputs(out)
    }

    /// Peak RSS measured from outside (getrusage of the child) stays under the limit, with the
    /// same output as a large limit.
    @Test func peakMemoryStaysUnderTheLimit() throws {
        let dir = try TemporaryDirectory("tf-resume-rss")
        defer { dir.remove() }
        let trades = dir.path("trades.csv"), quotes = dir.path("quotes.csv")
        #expect(try runTickforge(["gen", trades, "--size", "40MiB", "--quotes", quotes, "--seed", "3"]).status == 0)
        let limit = 64 << 20
        let small = try runProcess("/usr/bin/env", ["python3", TestPaths.repository.appendingPathComponent("Scripts/peak-rss.py").path,
                                                    TestPaths.binary, "features", "--trades", trades, "--quotes", quotes,
                                                    "--out", dir.path("small"), "--memory-limit", "64MiB"])
        #expect(small.status == 0, "\(small.stderrText)")
        let peak = Int(small.stderrText.split(separator: "\n").last { $0.hasPrefix("peak_rss_bytes=") }!.dropFirst("peak_rss_bytes=".count))!
        #expect(peak < limit, "peak RSS \(peak >> 20) MiB over the 64 MiB limit")
        #expect(try FeatureRun.run(trades: trades, quotes: quotes, out: dir.path("large"), ["--memory-limit", "4GiB"]).status == 0)
        #expect(FeatureRun.outputs(dir.path("small")) == FeatureRun.outputs(dir.path("large")))
    }

    /// Quarantine across tick partitions and a kill: every bad row lands once in rejects.csv,
    /// the counts add up, and the features equal those of the clean input.
    @Test func quarantinedRowsSurviveAKillAndMatchTheCounts() throws {
        let dir = try TemporaryDirectory("tf-resume-quarantine")
        defer { dir.remove() }
        var lines = try String(contentsOfFile: Self.input.trades, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Bad rows every ~3,000 lines: a non-number, a missing column, a duplicate id.
        var injected = 0, duplicates = 0
        var i = 1_500
        while i < lines.count - 1 {
            switch injected % 3 {
            case 0: lines.insert("1,abc,1,1,1,true", at: i); injected += 1
            case 1: lines.insert("1,2,3", at: i); injected += 1
            default: lines.insert(lines[i - 1], at: i); duplicates += 1; injected += 1
            }
            i += 3_000
        }
        let trades = try dir.write("trades.csv", lines.joined(separator: "\n"))
        let flags = Input.flags + ["--bad-rows", "quarantine"]
        let out = dir.path("out")
        let killed = try FeatureRun.run(trades: trades, quotes: Self.input.quotes, out: out, flags,
                                        environment: ["TICKFORGE_KILL_AT": "12"])
        #expect(!killed.exited)
        let resumed = try FeatureRun.run(trades: trades, quotes: Self.input.quotes, out: out, flags)
        #expect(resumed.status == 0, "\(resumed.stderrText)")
        let rows = (try FeatureRun.summary(out)["trades"] as! [String: Any])["rows"] as! [String: Int]
        #expect(rows["rejected"] == injected - duplicates)
        #expect(rows["duplicates"] == duplicates)
        let rejects = try String(contentsOfFile: out + "/rejects.csv", encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 1 + injected - duplicates, "one line per rejected row after the header")
        #expect(rejects.dropFirst().allSatisfy { $0.hasPrefix("\"\(trades)\",") })
        // The features are those of the input without the bad rows.
        #expect(FileManager.default.contents(atPath: out + "/features.csv") == Self.clean["features.csv"])
        #expect(FileManager.default.contents(atPath: out + "/targets.csv") == Self.clean["targets.csv"])
    }
}
