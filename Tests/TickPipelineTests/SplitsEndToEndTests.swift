import Foundation
import Testing
import TickFeatures
@testable import TickPipeline

/// `--splits` end to end: `splits.json` equals what the independent reference
/// (Scripts/reference_splits.py, written from the contract's words) makes of the rows written,
/// for every method, dense or with rows dropped by `--complete-rows-only`, across partition
/// boundaries; empty sets and bad flags are errors that say what is needed.
@Suite("Splits end to end")
struct SplitsEndToEndTests {
    static let reference = TestPaths.repository.appendingPathComponent("Scripts/reference_splits.py").path

    struct Case: CustomTestStringConvertible, Sendable {
        var method: String
        var flags: [String]
        var purge: Int
        var embargo: Int
        var intervalMs: Int
        var testDescription: String { "\(method) \(flags.joined(separator: " "))" }
    }

    static let cases = [
        Case(method: "kfold:7", flags: ["--windows", "5,20", "--horizons", "3,9"], purge: 9, embargo: 20, intervalMs: 1000),
        Case(method: "kfold:5", flags: ["--windows", "5,20", "--horizons", "3,9", "--embargo", "0"], purge: 9, embargo: 0, intervalMs: 1000),
        Case(method: "walk-forward:4", flags: ["--windows", "5,20", "--horizons", "3,9"], purge: 9, embargo: 20, intervalMs: 1000),
        Case(method: "holdout:0.6,0.2,0.2", flags: ["--windows", "5,20", "--horizons", "3,9"], purge: 9, embargo: 20, intervalMs: 1000),
        // 100 ms bars: quiet stretches leave rv at 0 and vol_ratio undefined, so rows drop.
        Case(method: "kfold:6", flags: ["--interval", "100ms", "--windows", "3,10", "--horizons", "2,5", "--complete-rows-only",
                                        "--embargo", "7", "--partition-bars", "97"], purge: 5, embargo: 7, intervalMs: 100),
        Case(method: "walk-forward:3", flags: ["--interval", "100ms", "--windows", "3,10", "--horizons", "2,5", "--complete-rows-only",
                                               "--partition-bars", "50"], purge: 5, embargo: 10, intervalMs: 100),
        Case(method: "holdout:0.5,0.25,0.25", flags: ["--interval", "100ms", "--windows", "3,10", "--horizons", "2,40", "--complete-rows-only"],
             purge: 40, embargo: 10, intervalMs: 100),
    ]

    @Test(arguments: cases)
    func splitsMatchTheReference(_ c: Case) throws {
        let dir = try TemporaryDirectory("tf-splits")
        defer { dir.remove() }
        let out = dir.path("out")
        let run = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--quotes", FeatureRun.btcQuotes, "--out", out,
                                    "--splits", c.method] + c.flags)
        try #require(run.status == 0, "\(run.stderrText)")
        let check = try runProcess("/usr/bin/env", ["python3", Self.reference, "--features", out + "/features.csv", "--splits", c.method,
                                                    "--purge", String(c.purge), "--embargo", String(c.embargo),
                                                    "--interval-ms", String(c.intervalMs), "--compare", out + "/splits.json"])
        #expect(check.status == 0, "\(check.stdoutText)\(check.stderrText)")
        if c.flags.contains("--complete-rows-only") {
            // The case is only worth its name if rows really dropped inside the series.
            let stamps = try String(contentsOfFile: out + "/features.csv", encoding: .utf8).split(separator: "\n").dropFirst()
                .map { Int64($0.prefix { $0 != "," })! }
            #expect(zip(stamps, stamps.dropFirst()).contains { $1 - $0 != Int64(c.intervalMs) })
        }
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/targets.json"))) as! [String: Any]
        let columns = metadata["columns"] as! [[String: Any]]
        for column in columns.dropFirst() {
            #expect(column["last_bar_looked_at"] as? String == "t+\(column["horizon_bars"] as! Int)")
        }
        #expect((metadata["flags"] as! [String: Any])["splits"] as? String == c.method)
    }

    @Test func splitsDoNotDependOnPartitionsOrWorkers() throws {
        let dir = try TemporaryDirectory("tf-splits-invariant")
        defer { dir.remove() }
        let base = ["features", "--trades", FeatureRun.btcTrades, "--quotes", FeatureRun.btcQuotes, "--interval", "100ms",
                    "--windows", "3,10", "--horizons", "2,5", "--complete-rows-only", "--splits", "kfold:4"]
        var files: [Data] = []
        for (k, extra) in [[], ["--partition-bars", "13", "--workers", "1"], ["--partition-bars", "200", "--memory-limit", "64MiB"]].enumerated() {
            let out = dir.path("out\(k)")
            let run = try runTickforge(base + ["--out", out] + extra)
            try #require(run.status == 0, "\(run.stderrText)")
            files.append(try Data(contentsOf: URL(fileURLWithPath: out + "/splits.json")))
        }
        #expect(files[1] == files[0] && files[2] == files[0])
    }

    @Test func aSetLeftEmptyIsAnErrorNamingTheRowsNeeded() throws {
        let dir = try TemporaryDirectory("tf-splits-empty")
        defer { dir.remove() }
        let out = dir.path("out")
        // 344 one-second bars; a purge of 100 bars is longer than a walk-forward block of 68.
        let flags = ["--windows", "5", "--horizons", "100"]
        let run = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", out, "--splits", "walk-forward:4"] + flags)
        #expect(run.status == 1)
        let needed = try #require(run.stderrText.firstMatch(of: /needs at least (\d+) rows/).map { Int($0.1)! }, "\(run.stderrText)")
        #expect(run.stderrText.contains("fold 1 has no training rows"), "\(run.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: out + "/features.csv"), "a failed run publishes nothing")
        // The reference finds the same number by trying every N.
        let written = dir.path("written")
        try #require(try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", written] + flags).status == 0)
        let check = try runProcess("/usr/bin/env", ["python3", Self.reference, "--features", written + "/features.csv",
                                                    "--splits", "walk-forward:4", "--purge", "100", "--embargo", "5", "--interval-ms", "1000"])
        #expect(check.status == 3 && check.stdoutText.contains("needs \(needed) rows"), "\(check.stdoutText)")
        // The same run with a split that fits reuses every partition of the failed one.
        let fits = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", out, "--splits", "walk-forward:1"] + flags)
        try #require(fits.status == 0, "\(fits.stderrText)")
        #expect((try FeatureRun.summary(out)["feature_partitions_reused"] as? Int ?? 0) > 0)
    }

    @Test(arguments: [["--splits", "holdout:0.6,0.2,0.3"], ["--splits", "kfold:1"], ["--splits", "shuffle:5"], ["--embargo", "5"],
                      ["--splits", "kfold:3", "--embargo", "-1"]])
    func badFlagsAreRefusedBeforeAnyWork(flags: [String]) throws {
        let dir = try TemporaryDirectory("tf-splits-flags")
        defer { dir.remove() }
        let run = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", dir.path("out")] + flags)
        #expect(run.status == 64 || run.status == 2, "\(run.status) \(run.stderrText)")
        #expect(run.stderrText.contains("--splits") || run.stderrText.contains("--embargo"), "\(run.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }
}

/// The bar starts of the rows written, spilled past its buffer, answer like a list of them.
struct WrittenRowTimelineTests {
    @Test func lookupsMatchTheRowsWhetherHeldOrSpilled() throws {
        let dir = try TemporaryDirectory("tf-timeline")
        defer { dir.remove() }
        var generator = SeededGenerator(seed: 5)
        for runs in [1, 40, 3 * WrittenRowTimeline.bufferedRuns] {
            var times: [Int64] = []
            var t: Int64 = 5_000
            while times.count < runs * 3 {
                // Runs of 1–5 bars, then a gap of 1–3 bars (a gap of 0 joins two runs).
                for _ in 0..<Int.random(in: 1...5, using: &generator) { times.append(t); t += 100 }
                t += 100 * Int64.random(in: 0...3, using: &generator)
            }
            let timeline = WrittenRowTimeline(intervalMs: 100, scratchPath: dir.path("scratch-\(runs)"))
            // Handed over in parts of any size, as partitions do.
            var start = 0
            while start < times.count {
                let end = min(times.count, start + Int.random(in: 1...500, using: &generator))
                try timeline.append(Array(times[start..<end]))
                start = end
            }
            #expect(timeline.rowCount == times.count)
            let rows = (0..<2_000).map { _ in Int.random(in: 0..<times.count, using: &generator) }
            #expect(try timeline.timestamps(ofRows: rows) == rows.map { times[$0] })
            let probes = (0..<2_000).map { _ in Int64.random(in: 4_000...(t + 500), using: &generator) } + [times[0], times.last!, times.last! + 1]
            #expect(try timeline.firstRows(atOrAfter: probes) == probes.map { p in times.firstIndex { $0 >= p } ?? times.count })
            timeline.discard()
            #expect(!FileManager.default.fileExists(atPath: dir.path("scratch-\(runs)")))
        }
    }
}
