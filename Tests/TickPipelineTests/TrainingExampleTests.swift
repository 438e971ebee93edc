import Foundation
import Testing

/// `Scripts/train_lightgbm.py` end to end: on a small generated run (CSV) and the real sample
/// (Parquet only) it trains on every fold of splits.json and prints per-fold and mean rows and
/// the leaky comparison, every score a number in [0, 1]; the same run prints the same numbers
/// twice; a run without splits.json and an unknown horizon are refused with what to do; and the
/// metric functions pass their brute-force self-test. The first test to run makes the script's
/// venv (.venv-train/, pinned LightGBM, numpy, pyarrow from PyPI); later runs reuse it.
@Suite("Training example", .serialized)
struct TrainingExampleTests {
    static let script = TestPaths.repository.appendingPathComponent("Scripts/train_lightgbm.py").path

    /// The script under a hard limit (coreutils timeout): 300 s covers the first venv install,
    /// which took 10–25 s here (the whole suite: 18–42 s with it, 9–12 s after); a quick run takes seconds.
    static func train(_ arguments: [String]) throws -> ProcessResult {
        try runProcess("/usr/bin/env", ["timeout", "300", "python3", script] + arguments)
    }

    /// Checks the printed tables: for each target, a `purged` and a `shuffled` row per fold and a
    /// mean row each, with scores in [0, 1] (AUC may be n/a on a one-class test set, but not
    /// every one), and the leakage table with the two means in [0, 1] and their difference.
    static func expectTables(_ output: String, targets: [String], folds: [Int], sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        func score(_ cell: String) -> Double? { cell == "n/a" ? nil : Double(cell) }
        for target in targets {
            guard let header = lines.firstIndex(where: { $0.first == target }) else {
                Issue.record("no table for \(target): \(output)", sourceLocation: sourceLocation)
                continue
            }
            // The block: the header line, the column names, then rows until a blank line.
            let block = lines[(header + 2)...].prefix { !$0.isEmpty }
            var definedAUC = 0
            for split in ["purged", "shuffled"] {
                let rows = block.filter { $0.first == split }
                #expect(rows.map { $0[1] } == folds.map(String.init) + ["mean"], "\(target) \(split): \(rows)", sourceLocation: sourceLocation)
                for row in rows {
                    let metrics = row[1] == "mean" ? Array(row[2...]) : Array(row[4...])
                    #expect(metrics.count == 6, "\(target): \(row)", sourceLocation: sourceLocation)
                    if row[1] != "mean" {
                        #expect(Int(row[2]).map { $0 > 0 } == true && Int(row[3]).map { $0 > 0 } == true, "train and test rows: \(row)",
                                sourceLocation: sourceLocation)
                    }
                    for (k, cell) in metrics.enumerated() {
                        if let value = score(cell) {
                            #expect((0...1).contains(value), "\(target): \(row)", sourceLocation: sourceLocation)
                            if k == 0 { definedAUC += 1 }
                        } else {
                            #expect(cell == "n/a" && k < 2, "only AUC may be undefined: \(target): \(row)", sourceLocation: sourceLocation)
                        }
                    }
                }
            }
            #expect(definedAUC > 0, "\(target): no AUC defined", sourceLocation: sourceLocation)
            // The leakage table: purged and shuffled means and the difference.
            for metric in ["AUC", "F1", "acc"] {
                let row = lines.last { $0.count == 5 && $0[0] == target && $0[1] == metric }
                guard let row, let purged = score(row[2]), let shuffled = score(row[3]), let diff = Double(row[4]) else {
                    Issue.record("no leakage row for \(target) \(metric): \(output)", sourceLocation: sourceLocation)
                    continue
                }
                #expect((0...1).contains(purged) && (0...1).contains(shuffled) && abs(diff - (shuffled - purged)) <= 0.0016,
                        "\(row)", sourceLocation: sourceLocation)
            }
        }
        #expect(output.contains("\nleakage: mean over folds"), sourceLocation: sourceLocation)
    }

    @Test func generatedCSVRunTrainsOnEveryFoldAndPrintsTheSameTwice() throws {
        let dir = try TemporaryDirectory("tf-train")
        defer { dir.remove() }
        let trades = dir.path("trades.csv")
        try #require(try runTickforge(["gen", trades, "--size", "16MiB", "--seed", "5"]).status == 0)
        let out = dir.path("run")
        // The generated price moves less than the default 5 bps dead band in a minute: with 0.5 bps
        // fwd_dir has all three classes.
        let run = try FeatureRun.run(trades: trades, quotes: nil, out: out,
                                     ["--interval", "1s", "--splits", "walk-forward:3", "--threshold-bps", "0.5"])
        try #require(run.status == 0, "\(run.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: out + "/features.parquet"))

        let first = try Self.train([out, "--quick"])
        try #require(first.exited && first.status == 0, "\(first.stdoutText)\n\(first.stderrText)")
        #expect(first.stdoutText.contains("(features.csv, targets.csv)"), "\(first.stdoutText)")
        Self.expectTables(first.stdoutText, targets: ["fwd_up_10", "fwd_dir_10", "fwd_up_60", "fwd_dir_60"], folds: [1, 2, 3])

        // Deterministic: the same numbers again; --max-rows keeps the tables' shape on fewer rows.
        let again = try Self.train([out, "--quick"])
        #expect(again.status == 0 && again.stdoutText == first.stdoutText, "\(again.stdoutText)\(again.stderrText)")
        let capped = try Self.train([out, "--quick", "--horizon", "60", "--max-rows", "4000"])
        #expect(capped.status == 0, "\(capped.stderrText)")
        #expect(capped.stdoutText.contains("4000 of "), "\(capped.stdoutText)")
        Self.expectTables(capped.stdoutText, targets: ["fwd_up_60", "fwd_dir_60"], folds: [1, 2, 3])
    }

    @Test func parquetOnlyRealRunIsRead() throws {
        let dir = try TemporaryDirectory("tf-train-parquet")
        defer { dir.remove() }
        let out = dir.path("run")
        let run = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, out: out,
                                     ["--horizons", "5,10", "--splits", "kfold:3", "--embargo", "10", "--format", "parquet"])
        try #require(run.status == 0, "\(run.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: out + "/features.csv"))
        let result = try Self.train([out, "--quick"])
        try #require(result.exited && result.status == 0, "\(result.stdoutText)\n\(result.stderrText)")
        #expect(result.stdoutText.contains("(features.parquet, targets.parquet)"), "\(result.stdoutText)")
        #expect(result.stdoutText.contains("344 rows"), "\(result.stdoutText)")
        Self.expectTables(result.stdoutText, targets: ["fwd_up_5", "fwd_dir_5", "fwd_up_10", "fwd_dir_10"], folds: [0, 1, 2])
    }

    @Test func aRunWithoutSplitsOrWithAnUnknownHorizonIsRefused() throws {
        let dir = try TemporaryDirectory("tf-train-nosplits")
        defer { dir.remove() }
        let out = dir.path("run")
        let run = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: nil, out: out, ["--horizons", "5"])
        try #require(run.status == 0, "\(run.stderrText)")
        let missing = try Self.train([out, "--quick"])
        #expect(missing.exited && missing.status == 2 && missing.stdoutText.isEmpty, "\(missing.stdoutText)\(missing.stderrText)")
        #expect(missing.stderrText.contains("has no splits.json: run tickforge features with --splits"), "\(missing.stderrText)")

        let split = dir.path("split")
        try #require(try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: nil, out: split, ["--horizons", "5", "--splits", "walk-forward:2"]).status == 0)
        let unknown = try Self.train([split, "--quick", "--horizon", "60"])
        #expect(unknown.status == 2 && unknown.stderrText.contains("--horizon 60: this run has no such target (its horizons: 5"),
                "\(unknown.stderrText)")
    }

    @Test func metricFunctionsAgreeWithBruteForce() throws {
        let result = try Self.train(["--self-test"])
        #expect(result.exited && result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        #expect(result.stdoutText.contains(" passed, 0 failed"), "\(result.stdoutText)")
    }
}
