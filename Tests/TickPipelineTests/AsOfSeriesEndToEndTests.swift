import Foundation
import Testing

/// The Bands and Derivatives groups (`--bands`, `--metrics`, `--funding`, `--ticker`) end to end:
/// every value against the independent reference (`Scripts/reference_aux.py`) on fixtures in the
/// published layouts with the real files' quirks, the same bytes however the run is cut, and
/// clear refusals of what cannot be right.
@Suite(.serialized)
struct AsOfSeriesEndToEndTests {
    static let fixtures = TestPaths.repository.appendingPathComponent("Fixtures/aux").path
    static func fixture(_ name: String) -> String { fixtures + "/" + name }
    static let reference = TestPaths.repository.appendingPathComponent("Scripts/reference_aux.py").path
    static let compare = TestPaths.repository.appendingPathComponent("Scripts/compare_columns.py").path

    /// Inputs of one run: the derivative sources differ (metrics and ticker exclude each other).
    struct Case: Sendable, CustomTestStringConvertible {
        var inputs: [String]
        var interval: String
        var testDescription: String { "\(inputs.filter { $0.hasPrefix("--") }.joined(separator: " ")) at \(interval)" }
    }

    static let metricsRun = ["--bands", fixture("bands"), "--metrics", fixture("metrics"), "--funding", fixture("funding")]
    static let tickerRun = ["--bands", fixture("bands"), "--band-levels", "3,1,0.5,2", "--ticker", fixture("ticker"), "--funding", fixture("funding")]

    static let cases: [Case] = [
        Case(inputs: metricsRun, interval: "1s"), Case(inputs: tickerRun, interval: "1s"),
        Case(inputs: metricsRun, interval: "1m"), Case(inputs: tickerRun, interval: "1m"),
        Case(inputs: ["--funding", fixture("funding")], interval: "7s"),
        Case(inputs: ["--ticker", fixture("ticker")], interval: "250ms"),
    ]

    @Test(arguments: cases)
    func everyValueMatchesTheReference(_ run: Case) throws {
        let dir = try TemporaryDirectory("tf-asof-ref")
        defer { dir.remove() }
        let flags = ["--interval", run.interval, "--windows", "10,60", "--horizons", "1"]
        let result = try runTickforge(["features", "--trades", Self.fixture("trades"), "--out", dir.path("run")] + run.inputs + flags)
        #expect(result.status == 0, "\(result.stderrText)")
        let expected = dir.path("reference.csv")
        let reference = try runProcess("/usr/bin/env", ["python3", Self.reference, "--quiet", "--trades", Self.fixture("trades"), "--out", expected,
                                                        "--interval", run.interval, "--windows", "10,60"] + run.inputs)
        #expect(reference.status == 0, "\(reference.stderrText)")
        let compared = try runProcess("/usr/bin/env", ["python3", Self.compare, expected, dir.path("run/features.csv")])
        #expect(compared.status == 0, "\(compared.stdoutText)\(compared.stderrText)")
        // The comparison covered values, not only empty cells.
        #expect(compared.stdoutText.contains("OK:") && !compared.stdoutText.contains(" 0 defined cells"), "\(compared.stdoutText)")
    }

    /// The same bytes whatever the partition size, worker count, chunk size or memory limit, and
    /// after a kill at any durable step.
    @Test func outputsDoNotDependOnHowTheRunIsCut() throws {
        let dir = try TemporaryDirectory("tf-asof-cut")
        defer { dir.remove() }
        let base = ["features", "--trades", Self.fixture("trades")] + Self.tickerRun + ["--windows", "10,60"]
        let whole = dir.path("whole")
        #expect(try runTickforge(base + ["--out", whole]).status == 0)
        let expected = FeatureRun.outputs(whole)
        let variants: [[String]] = [["--partition-bars", "7"], ["--partition-bars", "1000", "--workers", "1"],
                                    ["--chunk-size", "4KiB", "--tick-partition-rows", "333"], ["--memory-limit", "64MiB"]]
        for (n, flags) in variants.enumerated() {
            let out = dir.path("v\(n)")
            let result = try runTickforge(base + ["--out", out] + flags)
            #expect(result.status == 0, "\(flags): \(result.stderrText)")
            #expect(FeatureRun.outputs(out) == expected, "\(flags)")
        }
        var step = 1
        var killed = 0
        while step < 400 {
            let out = dir.path("kill-\(step)")
            let first = try runTickforge(base + ["--out", out, "--partition-bars", "500"], environment: ["TICKFORGE_KILL_AT": String(step)])
            if first.exited { break }
            killed += 1
            let resumed = try runTickforge(base + ["--out", out, "--partition-bars", "500"])
            #expect(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(FeatureRun.outputs(out) == expected, "killed at step \(step)")
            step += step < 12 ? 1 : step / 3
        }
        #expect(killed >= 10)
    }

    /// Shards ingest the ticks and liquidations; `finish` reads the series (relative paths, from the plan's
    /// directory) and gives the bytes of one `features` run.
    @Test func shardsAndFinishGiveTheSameBytes() throws {
        let dir = try TemporaryDirectory("tf-asof-shards")
        defer { dir.remove() }
        let here = URL(fileURLWithPath: Self.fixtures)
        let inputs = ["--trades", "trades", "--metrics", "metrics", "--funding", "funding", "--bands", "bands", "--band-levels", "1,0.2",
                      "--liquidations", "liquidations"]
        let plan = try runProcess(TestPaths.binary, ["plan"] + inputs + ["--out", dir.path("sharded"), "--shard-size", "60KiB"], currentDirectory: here)
        #expect(plan.status == 0, "\(plan.stderrText)")
        let shards = try ShardPlanFile.count(dir.path("sharded"))
        #expect(shards >= 3)
        for k in 0..<shards {
            let shard = try runTickforge(["shard", dir.path("sharded"), "--index", String(k)])
            #expect(shard.status == 0, "\(shard.stderrText)")
        }
        let finish = try runTickforge(["finish", dir.path("sharded")])
        #expect(finish.status == 0, "\(finish.stderrText)")
        let one = try runProcess(TestPaths.binary, ["features"] + inputs + ["--out", dir.path("one")], currentDirectory: here)
        #expect(one.status == 0, "\(one.stderrText)")
        #expect(FeatureRun.outputs(dir.path("sharded")) == FeatureRun.outputs(dir.path("one")))
        #expect(try StaleQuoteTests.column(dir.path("one/features.csv"), "oi").contains { !$0.isEmpty })
    }

    /// A rerun reuses what still holds: an unchanged series reuses every feature partition; an
    /// edited one recomputes what it changes and gives what a fresh run gives.
    @Test func aChangedSeriesIsReadAgain() throws {
        let dir = try TemporaryDirectory("tf-asof-rerun")
        defer { dir.remove() }
        try FileManager.default.copyItem(atPath: Self.fixture("metrics"), toPath: dir.path("metrics"))
        let base = ["features", "--trades", Self.fixture("trades"), "--metrics", dir.path("metrics"), "--windows", "10,60", "--partition-bars", "600"]
        let out = dir.path("run")
        #expect(try runTickforge(base + ["--out", out]).status == 0)
        #expect(try runTickforge(base + ["--out", out]).status == 0)
        #expect(try FeatureRun.summary(out)["feature_partitions_computed"] as? Int == 0)
        // One open interest changes at 00:40 on the second day: bars from 00:40:01 change.
        let day2 = dir.path("metrics/BTCUSDT-metrics-2024-08-09.csv")
        let text = try String(contentsOfFile: day2, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("2024-08-09 00:40:00") })
        var cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        cells[2] = "70000.5"
        try text.replacingOccurrences(of: String(line), with: cells.joined(separator: ",")).write(toFile: day2, atomically: true, encoding: .utf8)
        let rerun = try runTickforge(base + ["--out", out])
        #expect(rerun.status == 0, "\(rerun.stderrText)")
        let summary = try FeatureRun.summary(out)
        #expect((summary["feature_partitions_computed"] as? Int ?? 0) > 0)
        #expect((summary["feature_partitions_reused"] as? Int ?? 0) > 0)
        let fresh = dir.path("fresh")
        #expect(try runTickforge(base + ["--out", fresh]).status == 0)
        #expect(FeatureRun.outputs(out) == FeatureRun.outputs(fresh))
        let oi = try StaleQuoteTests.column(fresh + "/features.csv", "oi")
        #expect(oi.contains("70000.5"))
    }

    /// The metadata names each column's source and the inputs' counts; the summary agrees.
    @Test func metadataNamesSourcesAndCounts() throws {
        let dir = try TemporaryDirectory("tf-asof-meta")
        defer { dir.remove() }
        let out = dir.path("run")
        let result = try runTickforge(["features", "--trades", Self.fixture("trades"), "--out", out, "--band-levels", "0.2,1"] + Self.metricsRun.filter { $0 != "--band-levels" })
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("metrics: 2 files, 35 read, 3 repeated rows dropped"), "\(result.stdoutText)")
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/features.json"))) as! [String: Any]
        let columns = metadata["columns"] as! [[String: Any]]
        let byName = Dictionary(uniqueKeysWithValues: columns.map { ($0["name"] as! String, $0) })
        for name in ["band_imb_0p2", "band_imb_1", "band_age_s", "oi", "oi_value", "top_ls_accounts", "metrics_age_s", "funding_rate", "funding_age_s", "oi_chg_10"] {
            let column = try #require(byName[name], "\(name)")
            #expect((column["source"] as? String)?.isEmpty == false, "\(name)")
            #expect(["bands", "derivatives"].contains(column["group"] as? String), "\(name)")
        }
        #expect((byName["oi"]!["source"] as! String).contains("sum_open_interest"))
        #expect(byName["funding_settled_rate"] == nil && byName["mark_premium_bps"] == nil)
        // The bands group comes before the derivatives, both before the calendar.
        let names = columns.map { $0["name"] as! String }
        #expect(names.firstIndex(of: "band_age_s")! < names.firstIndex(of: "oi")! && names.firstIndex(of: "oi_chg_60")! < names.firstIndex(of: "hour_sin")!)
        let series = try #require(metadata["series_inputs"] as? [[String: Any]])
        #expect(series.map { $0["role"] as! String } == ["bands", "metrics", "funding"])
        let metrics = series[1]
        #expect(metrics["rows_read"] as? Int == 35 && metrics["rows_deduplicated"] as? Int == 3 && metrics["rows_used"] as? Int == 32)
        #expect((metadata["flags"] as! [String: Any])["band_levels"] as? [String] == ["0.2", "1"])
        let summary = try FeatureRun.summary(out)
        #expect(((summary["series"] as! [[String: Any]])[1])["rows_used"] as? Int == 32)
        // No band row at ±0.2 %: the column is there, every cell undefined.
        #expect(try StaleQuoteTests.column(out + "/features.csv", "band_imb_0p2").allSatisfy(\.isEmpty))
    }

    /// What cannot be right is refused, naming what to change; a bad cell names its place.
    @Test func badSeriesInputsAreRefused() throws {
        let dir = try TemporaryDirectory("tf-asof-bad")
        defer { dir.remove() }
        let trades = Self.fixture("trades")
        func run(_ flags: [String]) throws -> ProcessResult {
            try runTickforge(["features", "--trades", trades, "--out", dir.path("out")] + flags)
        }
        let both = try run(["--metrics", Self.fixture("metrics"), "--ticker", Self.fixture("ticker")])
        #expect(both.status != 0 && both.stderrText.contains("--metrics and --ticker both give the open interest"), "\(both.stderrText)")
        let levels = try run(["--band-levels", "1,2"])
        #expect(levels.status != 0 && levels.stderrText.contains("--band-levels applies to --bands"), "\(levels.stderrText)")
        let badLevel = try run(["--bands", Self.fixture("bands"), "--band-levels", "1,-2"])
        #expect(badLevel.status != 0 && badLevel.stderrText.contains("'-2'"), "\(badLevel.stderrText)")
        // A malformed number: file, line, byte offset and column.
        let lines = [
            "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio",
            "2024-08-08 23:00:00,BTCUSDT,80000.1,4900000000.5,1.5,1.4,1.9,1.0",
            "2024-08-08 23:05:00,BTCUSDT,80000.2,4900000000.5,1.5,1.x,1.9,1.0",
        ]
        let bad = try dir.write("BTCUSDT-metrics-2024-08-08.csv", lines.joined(separator: "\n") + "\n")
        let badRow = try run(["--metrics", bad])
        let offset = lines[0].utf8.count + 1 + lines[1].utf8.count + 1
        #expect(badRow.status != 0 && badRow.stderrText.contains("\(bad):3 (byte \(offset), column 6)"), "\(badRow.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("out/features.csv")))
        // Quarantined instead: the row is in rejects.csv, counted, and the others are used.
        let quarantined = try runTickforge(["features", "--trades", trades, "--out", dir.path("quarantine"), "--metrics", bad, "--bad-rows", "quarantine"])
        #expect(quarantined.status == 0, "\(quarantined.stderrText)")
        #expect(quarantined.stdoutText.contains("metrics: 2 read, 0 repeated rows dropped, 1 rejected"), "\(quarantined.stdoutText)")
        let rejects = try String(contentsOfFile: dir.path("quarantine/rejects.csv"), encoding: .utf8)
        #expect(rejects.contains("BTCUSDT-metrics-2024-08-08.csv\",3,\(offset),6,\"not a number\""), "\(rejects)")
        let metrics = try #require((try FeatureRun.summary(dir.path("quarantine"))["series"] as? [[String: Any]])?.first)
        #expect(metrics["rows_rejected"] as? Int == 1 && metrics["rows_used"] as? Int == 1)
        // A text time that is not one.
        let badTime = try dir.write("BTCUSDT-metrics-2024-08-07.csv", lines[0] + "\n2024-08-08T23:00:00Z,BTCUSDT,1,1,1,1,1,1\n")
        let time = try run(["--metrics", badTime])
        #expect(time.status != 0 && time.stderrText.contains(":2 (byte") && time.stderrText.contains("column 1"), "\(time.status) \(time.stderrText)")
        // Not a header of the kind.
        let wrong = try run(["--funding", Self.fixture("metrics")])
        #expect(wrong.status != 0 && wrong.stderrText.contains("calc_time,funding_interval_hours,last_funding_rate"), "\(wrong.stderrText)")
        // Another instrument than the trades.
        let eth = try dir.write("ETHUSDT-fundingRate-2024-08.csv", "calc_time,funding_interval_hours,last_funding_rate\n1723161600000,8,0.0001\n")
        let other = try run(["--funding", eth])
        #expect(other.status != 0 && other.stderrText.contains("ETHUSDT"), "\(other.stderrText)")
        // Two symbols in one ticker file, unless one is selected.
        let header = "exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,open_interest,last_price,index_price,mark_price"
        let mixed = try dir.write("mixed.csv", header + "\nbinance-futures,BTCUSDT,1723158000375000,1723158000421584,1723161600000000,0.0001,,80000,61219.5,61220,61218\nbinance-futures,ETHUSDT,1723158001375000,1723158001421584,1723161600000000,0.0001,,90000,2600,2600,2600\n")
        let two = try run(["--ticker", mixed])
        #expect(two.status != 0 && two.stderrText.contains("more than one symbol"), "\(two.stderrText)")
        let selected = try run(["--ticker", mixed, "--symbol", "BTCUSDT", "--fresh"])
        #expect(selected.status == 0, "\(selected.stderrText)")
        #expect(selected.stdoutText.contains("ticker: 2 read, 0 repeated rows dropped, 1 filtered (other symbols)"), "\(selected.stdoutText)")
    }
}

/// Reads a run directory's `plan.json`.
enum ShardPlanFile {
    static func count(_ run: String) throws -> Int {
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/.tickforge/plan.json"))) as! [String: Any]
        return (plan["shards"] as! [Any]).count
    }
}
