import Foundation
import Testing

/// `--regimes K` end to end: the fit and the filtered probabilities equal what the independent
/// reference (Scripts/reference_regimes.py, numpy, written from the contract's words) computes
/// from `features.csv` and `splits.json`; nothing after the fit rows changes the fit or any
/// earlier row; outputs do not depend on workers, partitions, memory limit or resumes.
@Suite("Regimes end to end")
struct RegimesEndToEndTests {
    static let reference = TestPaths.repository.appendingPathComponent("Scripts/reference_regimes.py").path

    struct Case: CustomTestStringConvertible, Sendable {
        var symbol: String
        var interval: String
        var states: Int
        var splits: String
        var extra: [String] = []
        var testDescription: String { "\(symbol) \(interval) K=\(states) \(splits) \(extra.joined(separator: " "))" }
        var trades: String { symbol == "BTC" ? FeatureRun.btcTrades : FeatureRun.ethTrades }
        var quotes: String { symbol == "BTC" ? FeatureRun.btcQuotes : FeatureRun.ethQuotes }
    }

    /// Both samples, both bar sizes, K = 2 and 3, both split methods, partitions small enough
    /// that the filter crosses many partition boundaries.
    static let cases = [
        Case(symbol: "BTC", interval: "1s", states: 2, splits: "holdout:0.6,0.2,0.2"),
        Case(symbol: "BTC", interval: "1s", states: 3, splits: "walk-forward:3", extra: ["--partition-bars", "37"]),
        Case(symbol: "BTC", interval: "100ms", states: 2, splits: "walk-forward:4", extra: ["--partition-bars", "500"]),
        Case(symbol: "BTC", interval: "100ms", states: 3, splits: "holdout:0.5,0.25,0.25"),
        Case(symbol: "ETH", interval: "1s", states: 2, splits: "walk-forward:2"),
        Case(symbol: "ETH", interval: "1s", states: 3, splits: "holdout:0.5,0.3,0.2", extra: ["--partition-bars", "50"]),
        Case(symbol: "ETH", interval: "100ms", states: 2, splits: "holdout:0.6,0.2,0.2", extra: ["--partition-bars", "333"]),
        Case(symbol: "ETH", interval: "100ms", states: 3, splits: "walk-forward:3"),
        // Rows dropped inside the series, and a --from that leaves r_t defined on row 0.
        Case(symbol: "BTC", interval: "100ms", states: 2, splits: "holdout:0.6,0.2,0.2",
             extra: ["--complete-rows-only", "--windows", "3,10", "--horizons", "2,5", "--partition-bars", "97"]),
        Case(symbol: "ETH", interval: "1s", states: 2, splits: "walk-forward:3", extra: ["--from", "2024-08-08T23:55:00Z"]),
    ]

    @Test(arguments: cases)
    func regimesMatchTheReference(_ c: Case) throws {
        let dir = try TemporaryDirectory("tf-regimes")
        defer { dir.remove() }
        let out = dir.path("out")
        let run = try runTickforge(["features", "--trades", c.trades, "--quotes", c.quotes, "--out", out, "--interval", c.interval,
                                    "--splits", c.splits, "--regimes", String(c.states)] + c.extra)
        try #require(run.status == 0, "\(run.stderrText)")
        let check = try runProcess("/usr/bin/env", ["python3", Self.reference, "--out", out])
        // The differences, for the record of what the comparison found.
        print("regimes reference \(c.testDescription): \(check.stdoutText)")
        #expect(check.status == 0, "\(check.stdoutText)\(check.stderrText)")
        // The columns sit between the last feature before calendar and hour_sin.
        let header = try String(contentsOfFile: out + "/features.csv", encoding: .utf8).prefix { $0 != "\n" }.split(separator: ",").map(String.init)
        let names = ["regime"] + (0..<c.states).map { "regime_p\($0)" }
        let at = try #require(header.firstIndex(of: "regime"))
        #expect(Array(header[at..<(at + names.count)]) == names && header[at + names.count] == "hour_sin")
    }

    static func regimeSection(_ out: String) throws -> NSDictionary {
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/features.json"))) as! [String: Any]
        return metadata["regimes"] as! NSDictionary
    }

    /// Rows of features.csv as (timestamp, the regime cells).
    static func regimeCells(_ out: String, states: Int) throws -> [(Int64, [Substring])] {
        let lines = try String(contentsOfFile: out + "/features.csv", encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let at = header.firstIndex(of: "regime")!
        return lines.dropFirst().map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return (Int64(cells[0])!, Array(cells[at...(at + states)]))
        }
    }

    /// Prices moved after the fit rows (timestamps kept, so the bars are the same): the fit and
    /// every row before the first altered bar are unchanged, bit for bit; later rows change.
    @Test(arguments: ["holdout:0.6,0.2,0.2", "walk-forward:3"])
    func noLookAhead(_ splits: String) throws {
        let dir = try TemporaryDirectory("tf-regimes-lookahead")
        defer { dir.remove() }
        let flags = ["--interval", "1s", "--splits", splits, "--regimes", "3", "--partition-bars", "40"]
        let original = dir.path("original")
        let first = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", original] + flags)
        try #require(first.status == 0, "\(first.stderrText)")
        let section = try Self.regimeSection(original)
        let fitEnd = ((section["fit_rows"] as! NSDictionary)["timestamps"] as! [[Int64]]).last![1]

        // Every trade from the end of the fit rows' last bar on: price moved by up to ±2 %, more
        // on every third trade, so the volatility of the test period changes.
        let lines = try String(contentsOfFile: FeatureRun.btcTrades, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var altered: [String] = [String(lines[0])]
        var firstAltered: Int64?
        for (n, line) in lines.dropFirst().enumerated() where !line.isEmpty {
            var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let time = Int64(cells[4])!
            if time >= fitEnd {
                firstAltered = firstAltered ?? time
                let price = Double(cells[1])!
                let factor = n % 3 == 0 ? 1.02 : (n % 3 == 1 ? 0.99 : 1.0)
                cells[1] = String(format: "%.2f", price * factor)
            }
            altered.append(cells.joined(separator: ","))
        }
        let alteredPath = dir.path("altered-trades.csv")
        try (altered.joined(separator: "\n") + "\n").write(toFile: alteredPath, atomically: true, encoding: .utf8)
        let changed = dir.path("changed")
        let second = try runTickforge(["features", "--trades", alteredPath, "--out", changed] + flags)
        try #require(second.status == 0, "\(second.stderrText)")

        // The fitted parameters: the same.
        #expect(try Self.regimeSection(changed) == section)
        let before = try Self.regimeCells(original, states: 3), after = try Self.regimeCells(changed, states: 3)
        try #require(before.count == after.count)
        let firstBar = firstAltered! / 1000 * 1000
        var earlier = 0, laterDiffering = 0
        for (a, b) in zip(before, after) {
            #expect(a.0 == b.0)
            if a.0 < firstBar {
                earlier += 1
                #expect(a.1 == b.1, "row at \(a.0), before the first altered bar \(firstBar)")
            } else if a.1 != b.1 {
                laterDiffering += 1
            }
        }
        // At least the fit rows lie before the first altered bar.
        #expect(earlier >= (section["fit_rows"] as! NSDictionary)["count"] as! Int)
        // The alteration is real: rows from the first altered bar on do change.
        #expect(laterDiffering > 0)
    }

    /// The same bytes (CSV and Parquet) whatever the workers, partition size and memory limit,
    /// and after a kill at steps of both passes followed by a resume.
    @Test func outputsDoNotDependOnWorkersPartitionsLimitsOrResumes() throws {
        let dir = try TemporaryDirectory("tf-regimes-invariant")
        defer { dir.remove() }
        let base = ["features", "--trades", FeatureRun.ethTrades, "--quotes", FeatureRun.ethQuotes, "--interval", "100ms",
                    "--splits", "walk-forward:3", "--regimes", "3", "--format", "both"]
        let names = ["features.csv", "targets.csv", "features.parquet", "targets.parquet", "features.json", "targets.json", "splits.json"]
        func files(_ out: String) -> [Data?] { names.map { try? Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)) } }
        let reference = dir.path("reference")
        let log = dir.path("steps.log")
        let first = try runTickforge(base + ["--out", reference, "--partition-bars", "400"], environment: ["TICKFORGE_STEP_LOG": log])
        try #require(first.status == 0, "\(first.stderrText)")
        let expected = files(reference)
        #expect(expected.allSatisfy { $0 != nil })
        for (k, extra) in [["--workers", "1", "--partition-bars", "37"], ["--workers", "2", "--partition-bars", "4000"],
                           ["--memory-limit", "64MiB", "--partition-bars", "400"], ["--partition-bars", "400", "--workers", "3"]].enumerated() {
            let out = dir.path("out\(k)")
            let run = try runTickforge(base + ["--out", out] + extra)
            try #require(run.status == 0, "\(run.stderrText)")
            #expect(files(out) == expected, "\(extra)")
        }
        // Kill steps: early in the first pass, at the regime stage's scratch writes, and while
        // the outputs are written after the fit.
        let steps = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap { line -> (Int, String)? in
            let parts = line.split(separator: " ", maxSplits: 2)
            return parts.count == 3 ? (Int(parts[0])!, String(parts[2])) : nil
        }
        let regimeSteps = steps.filter { $0.1.contains("regime-") }.map(\.0)
        let outputSteps = steps.filter { $0.1.contains("features.parquet") || $0.1.contains("features.csv") }.map(\.0)
        try #require(!regimeSteps.isEmpty && !outputSteps.isEmpty)
        let chosen = [5, regimeSteps.first!, regimeSteps[regimeSteps.count / 2], regimeSteps.last!, outputSteps.first!, outputSteps.last!]
        var killed = 0
        for step in chosen {
            let out = dir.path("killed-\(step)")
            let run = try runTickforge(base + ["--out", out, "--partition-bars", "400"], environment: ["TICKFORGE_KILL_AT": String(step)])
            guard !run.exited else { continue }
            killed += 1
            let resumed = try runTickforge(base + ["--out", out, "--partition-bars", "400"])
            try #require(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(files(out) == expected, "step \(step)")
        }
        #expect(killed >= 5)
    }

    /// A run without regimes and one with them share the feature partitions (the regime
    /// columns are not stored in them): the second reuses every partition of the first, and
    /// every column but the regime ones is the same.
    @Test func regimeRunsReuseTheFeaturePartitions() throws {
        let dir = try TemporaryDirectory("tf-regimes-reuse")
        defer { dir.remove() }
        let out = dir.path("out")
        let base = ["features", "--trades", FeatureRun.btcTrades, "--out", out, "--splits", "holdout:0.6,0.2,0.2", "--partition-bars", "50"]
        try #require(try runTickforge(base).status == 0)
        let plain = try String(contentsOfFile: out + "/features.csv", encoding: .utf8)
        let run = try runTickforge(base + ["--regimes", "2"])
        try #require(run.status == 0, "\(run.stderrText)")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        #expect(summary["feature_partitions_computed"] as? Int == 0)
        let withRegimes = try String(contentsOfFile: out + "/features.csv", encoding: .utf8)
        let strip: (String) -> [String] = { text in
            let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
            let keep = lines[0].indices.filter { !lines[0][$0].hasPrefix("regime") }
            return lines.map { line in keep.map { String(line[$0]) }.joined(separator: ",") }
        }
        #expect(strip(withRegimes) == strip(plain))
        #expect(withRegimes != plain)
    }

    @Test func refusedWithoutATrainSetBeforeEveryTestRow() throws {
        let dir = try TemporaryDirectory("tf-regimes-refused")
        defer { dir.remove() }
        for (flags, words) in [([String](), "needs --splits holdout"), (["--splits", "kfold:5"], "k-fold"), (["--splits", "holdout:0.6,0.2,0.2", "--regimes", "1"], "at least 2")] {
            let extra = flags.contains("--regimes") ? flags : flags + ["--regimes", "2"]
            let run = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", dir.path("out")] + extra)
            #expect(run.status != 0)
            #expect(run.stderrText.contains(words), "\(run.stderrText)")
        }
    }
}

extension RegimesEndToEndTests {
    /// More states than the fit rows support (100 ms bars of generated trades: most returns are
    /// 0, so several states end at the variance floor) are reported, naming a number that fits.
    @Test func statesTiedAtTheFloorAreAWarning() throws {
        let dir = try TemporaryDirectory("tf-regimes-degenerate")
        defer { dir.remove() }
        let trades = dir.path("trades.csv")
        try #require(try runTickforge(["gen", trades, "--size", "8MiB"]).status == 0)
        let base = ["features", "--trades", trades, "--interval", "100ms", "--splits", "holdout:0.5,0.25,0.25"]
        let four = try runTickforge(base + ["--regimes", "4", "--out", dir.path("four")])
        try #require(four.status == 0, "\(four.stderrText)")
        #expect(four.stderrText.contains("warning: --regimes 4: states") && four.stderrText.contains("use fewer states"), "\(four.stderrText)")
        let summary = try FeatureRun.summary(dir.path("four"))
        #expect((summary["warnings"] as? [String] ?? []).contains { $0.hasPrefix("--regimes 4: states") })
        let two = try runTickforge(base + ["--regimes", "2", "--out", dir.path("two")])
        try #require(two.status == 0, "\(two.stderrText)")
        #expect(!two.stderrText.contains("--regimes 2: states"), "\(two.stderrText)")
    }
}
