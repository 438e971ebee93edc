import Foundation
import Testing

/// The Liquidations group (`--liquidations`, Tardis liquidations): values and counts against the
/// independent reference, the trades' order rules without their id rules, and the same bytes
/// however the run is cut.
@Suite(.serialized)
struct LiquidationsEndToEndTests {
    static let trades = AsOfSeriesEndToEndTests.fixture("trades")
    static let liquidations = AsOfSeriesEndToEndTests.fixture("liquidations")
    static let header = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"

    static func run(_ out: String, _ flags: [String], liquidations: String = liquidations) throws -> ProcessResult {
        try runTickforge(["features", "--trades", trades, "--liquidations", liquidations, "--out", out, "--windows", "10,60"] + flags)
    }

    @Test(arguments: ["1s", "1m", "100ms", "7s"])
    func valuesAndCountsMatchTheReference(_ interval: String) throws {
        let dir = try TemporaryDirectory("tf-liq-ref")
        defer { dir.remove() }
        let out = dir.path("run")
        let result = try Self.run(out, ["--interval", interval])
        #expect(result.status == 0, "\(result.stderrText)")
        let reference = try runProcess("/usr/bin/env", ["python3", AsOfSeriesEndToEndTests.reference, "--quiet", "--trades", Self.trades,
                                                        "--liquidations", Self.liquidations, "--interval", interval, "--windows", "10,60",
                                                        "--out", dir.path("reference.csv"), "--summary", dir.path("reference.json")])
        #expect(reference.status == 0, "\(reference.stderrText)")
        let compared = try runProcess("/usr/bin/env", ["python3", AsOfSeriesEndToEndTests.compare, dir.path("reference.csv"), out + "/features.csv"])
        #expect(compared.status == 0, "\(compared.stdoutText)")
        let expected = ((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path("reference.json")))) as! [String: Any])["inputs"] as! [String: Any])["liquidations"] as! [String: Any]
        let input = try FeatureRun.summary(out)["liquidations"] as! [String: Any]
        let outside = input["outside_raster"] as! [String: Int]
        #expect(outside["before_first_bar"] == expected["before_first_bar"] as? Int && outside["after_last_bar"] == expected["after_last_bar"] as? Int,
                "\(outside) vs \(expected)")
        #expect((input["rows"] as! [String: Int])["used"] == expected["rows_used"] as? Int)
        // The metadata lists the input like the others.
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/features.json"))) as! [String: Any]
        #expect((metadata["inputs"] as! [[String: Any]]).map { $0["role"] as! String } == ["trades", "liquidations"])
        try FeatureRun.expectCountsAddUp(out)
    }

    /// Partitions of 5 rows, 1 worker, small feature partitions, a kill at every durable step
    /// (with partitions of 500 rows, so that the run has tens of steps): the same bytes.
    @Test func outputsDoNotDependOnHowTheRunIsCut() throws {
        let dir = try TemporaryDirectory("tf-liq-cut")
        defer { dir.remove() }
        #expect(try Self.run(dir.path("whole"), []).status == 0)
        let expected = FeatureRun.outputs(dir.path("whole"))
        let small = ["--tick-partition-rows", "5", "--partition-bars", "333", "--workers", "1"]
        #expect(try Self.run(dir.path("small"), small).status == 0)
        #expect(FeatureRun.outputs(dir.path("small")) == expected)
        var step = 1
        var killed = 0
        while step < 400 {
            let out = dir.path("kill-\(step)")
            let cut = ["--tick-partition-rows", "500", "--partition-bars", "333"]
            let first = try runTickforge(["features", "--trades", Self.trades, "--liquidations", Self.liquidations, "--out", out, "--windows", "10,60"] + cut,
                                         environment: ["TICKFORGE_KILL_AT": String(step)])
            if first.exited { break }
            killed += 1
            let resumed = try Self.run(out, cut)
            #expect(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(FeatureRun.outputs(out) == expected, "killed at step \(step)")
            step += step < 20 ? 1 : step / 3
        }
        #expect(killed >= 15)
        // A third run reads nothing again.
        #expect(try Self.run(dir.path("small"), small).status == 0)
        let again = try FeatureRun.summary(dir.path("small"))
        #expect((again["liquidations"] as! [String: Any])["partitions_written"] as? Int == 0)
        #expect(again["feature_partitions_computed"] as? Int == 0)
        // Without --liquidations the next run drops the group and its partitions.
        #expect(try runTickforge(["features", "--trades", Self.trades, "--out", dir.path("small"), "--windows", "10,60"] + small).status == 0)
        #expect(!(try String(contentsOfFile: dir.path("small/features.csv"), encoding: .utf8)).contains("liq_count"))
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path("small/.tickforge/ticks"))
        #expect(!left.contains { $0.hasPrefix("liquidations-") }, "\(left)")
    }

    /// The trades' order rules, without ids: a repeated row counts twice, a row earlier than the
    /// one before is out of order (an error naming its place, or quarantined), `--order sort`
    /// takes any order, and a side other than buy or sell is a bad row.
    @Test func orderAndSideRules() throws {
        let dir = try TemporaryDirectory("tf-liq-order")
        defer { dir.remove() }
        // 2024-08-08 23:10:00 and later, inside the raster.
        let rows = [
            "binance-futures,BTCUSDT,1723158600000000,1723158600000100,,sell,61000,0.5",
            "binance-futures,BTCUSDT,1723158600000000,1723158600000100,,sell,61000,0.5",
            "binance-futures,BTCUSDT,1723158605000000,1723158605000100,,buy,61010,1.25",
            "binance-futures,BTCUSDT,1723158601000000,1723158601000100,,buy,61005,2",
        ]
        let file = try dir.write("liq.csv", ([Self.header] + rows).joined(separator: "\n") + "\n")
        let strict = try Self.run(dir.path("strict"), [], liquidations: file)
        // The row stamped in the future is the bad one (the spike rule), not every row after it.
        let offset = ([Self.header] + rows.prefix(2)).reduce(0) { $0 + $1.utf8.count + 1 }
        #expect(strict.status != 0 && strict.stderrText.contains("\(file):4 (byte \(offset), column 3)") && strict.stderrText.contains("out of order"),
                "\(strict.stderrText)")
        let quarantined = try Self.run(dir.path("quarantine"), ["--bad-rows", "quarantine"], liquidations: file)
        #expect(quarantined.status == 0, "\(quarantined.stderrText)")
        let rejects = try String(contentsOfFile: dir.path("quarantine/rejects.csv"), encoding: .utf8)
        #expect(rejects.contains("liq.csv") && rejects.contains("out of order"), "\(rejects)")
        let counts = try FeatureRun.table(dir.path("quarantine/features.csv"))
        let index = counts[0].firstIndex(of: "liq_count")!
        // The repeated row counts twice (no id rule); the spike is not used.
        #expect(counts.dropFirst().reduce(0) { $0 + Int($1[index])! } == 3)
        let sorted = try Self.run(dir.path("sorted"), ["--order", "sort"], liquidations: file)
        #expect(sorted.status == 0, "\(sorted.stderrText)")
        #expect(try FeatureRun.table(dir.path("sorted/features.csv")).dropFirst().reduce(0) { $0 + Int($1[index])! } == 4)
        // In order, written that way: the same bytes as the sort of the shuffled file.
        let ordered = try dir.write("ordered.csv", ([Self.header] + [rows[0], rows[1], rows[3], rows[2]]).joined(separator: "\n") + "\n")
        #expect(try Self.run(dir.path("ordered"), [], liquidations: ordered).status == 0)
        #expect(try String(contentsOfFile: dir.path("ordered/features.csv"), encoding: .utf8)
                == String(contentsOfFile: dir.path("sorted/features.csv"), encoding: .utf8))
        let unknown = try dir.write("unknown.csv", Self.header + "\nbinance-futures,BTCUSDT,1723158600000000,1723158600000100,,unknown,61000,0.5\n")
        let side = try Self.run(dir.path("side"), ["--side-unknown", "tick-rule"], liquidations: unknown)
        #expect(side.status != 0 && side.stderrText.contains("\(unknown):2") && side.stderrText.contains("column 6"), "\(side.stderrText)")
        // Not the Tardis layout: refused up front.
        let binance = try runTickforge(["features", "--trades", Self.trades, "--liquidations", Self.trades, "--out", dir.path("wrong")])
        #expect(binance.status != 0 && binance.stderrText.contains("not Tardis liquidations"), "\(binance.stderrText)")
    }
}
