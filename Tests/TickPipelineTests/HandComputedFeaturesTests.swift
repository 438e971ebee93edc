import Foundation
import Testing
import TickCore
import TickFeatures
@testable import TickPipeline

/// Every column of both files on a tiny input whose values are worked out by hand below.
///
/// Five 1-second bars ending across midnight UTC (Thursday → Friday 2024-08-09):
///
/// | bar | start (ms)    | trades (price qty side)                 | notes                        |
/// |-----|---------------|-----------------------------------------|------------------------------|
/// | 0   | 1723161597000 | 100 1 buy; 102 2 sell; 101 1 buy (t=1500 twice) | repeated timestamp    |
/// | 1   | 1723161598000 | —                                       | empty bar                    |
/// | 2   | 1723161599000 | 103 4 buy                               | one trade                    |
/// | 3   | 1723161600000 | 99 1 sell; 100 1 sell                   | midnight, day boundary       |
/// | 4   | 1723161601000 | 104 2 buy                               |                              |
///
/// Quotes: one before the first bar, one exactly on bar 0's start, one inside bar 0, and two on
/// bar 3's start (same time: the last wins).
struct HandComputedFeaturesTests {
    static let t0: Int64 = 1_723_161_597_000

    static let tradesCSV = """
        id,price,qty,quote_qty,time,is_buyer_maker
        1,100.0,1,100,\(t0),false
        2,102.0,2,204,\(t0 + 500),true
        3,101.0,1,101,\(t0 + 500),false
        4,103.0,4,412,\(t0 + 2999),false
        5,99.0,1,99,\(t0 + 3000),true
        6,100.0,1,100,\(t0 + 3999),true
        7,104.0,2,208,\(t0 + 4000),false

        """

    static let quotesCSV = """
        update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time
        10,100,1,101,3,\(t0 - 500),\(t0 - 500)
        11,100.5,2,101,2,\(t0),\(t0)
        12,100.5,4,101.5,1,\(t0 + 500),\(t0 + 500)
        13,99,1,100,1,\(t0 + 3000),\(t0 + 3000)
        14,99.5,3,100,1,\(t0 + 3000),\(t0 + 3000)

        """

    /// Runs the pipeline (partitions of 2 bars, so halos are crossed) and returns the cells.
    static func run(partitionBars: Int = 2, completeRowsOnly: Bool = false) throws -> (features: [[String: String]], targets: [[String: String]], dir: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tf-hand-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try tradesCSV.write(to: dir.appendingPathComponent("trades.csv"), atomically: true, encoding: .utf8)
        try quotesCSV.write(to: dir.appendingPathComponent("quotes.csv"), atomically: true, encoding: .utf8)
        let config = FeatureConfig(interval: BarInterval("1s")!, windows: [2, 3], horizons: [1, 2], thresholdBps: 5,
                                   ewmLambda: 0.94, hasQuotes: true, completeRowsOnly: completeRowsOnly)
        var options = FeaturesOptions(tradesPath: dir.appendingPathComponent("trades.csv").path,
                                      quotesPath: dir.appendingPathComponent("quotes.csv").path,
                                      outputDirectory: dir.appendingPathComponent("out").path, config: config)
        options.partitionBars = partitionBars
        options.read.chunkSize = 64
        options.read.workers = 2
        options.showProgress = false
        let summary = try FeaturesJob(options: options).run()
        // Nothing is lost: rows read = used + rejected + deduplicated, for both inputs.
        for rows in [summary.trades.rows, summary.quotes!.rows] {
            #expect(rows.read == rows.used + rows.rejected + rows.duplicates)
        }
        #expect(summary.trades.rows.used == 7 && summary.quotes!.rows.used == 5)
        func table(_ name: String) throws -> [[String: String]] {
            let lines = try String(contentsOf: dir.appendingPathComponent("out/\(name)"), encoding: .utf8).split(separator: "\n")
            let header = lines[0].split(separator: ",").map(String.init)
            return lines.dropFirst().map { line in
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                return Dictionary(uniqueKeysWithValues: zip(header, cells))
            }
        }
        return (try table("features.csv"), try table("targets.csv"), dir)
    }

    /// Asserts a real cell equals `expected` to 1e-12 relative, or is empty when nil.
    static func expectReal(_ cell: String?, _ expected: Double?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let expected else {
            #expect(cell == "", "\(what) should be undefined", sourceLocation: sourceLocation)
            return
        }
        guard let cell, let value = Double(cell) else {
            Issue.record("\(what): '\(cell ?? "nil")' is not a number", sourceLocation: sourceLocation)
            return
        }
        #expect(abs(value - expected) <= 1e-12 * max(1, abs(expected)), "\(what): \(value) vs \(expected)", sourceLocation: sourceLocation)
    }

    @Test func tradeBarColumns() throws {
        let f = try Self.run().features
        #expect(f.count == 5)
        #expect(f.map { $0["timestamp"] } == (0..<5).map { String(Self.t0 + Int64($0) * 1000) })
        #expect(f.map { $0["open"] } == ["100", "101", "103", "99", "104"])
        #expect(f.map { $0["high"] } == ["102", "101", "103", "100", "104"])
        #expect(f.map { $0["low"] } == ["100", "101", "103", "99", "104"])
        #expect(f.map { $0["close"] } == ["101", "101", "103", "100", "104"])
        #expect(f.map { $0["volume"] } == ["4", "0", "4", "2", "2"])
        #expect(f.map { $0["buy_volume"] } == ["2", "0", "4", "0", "2"])
        #expect(f.map { $0["sell_volume"] } == ["2", "0", "0", "2", "0"])
        #expect(f.map { $0["trade_count"] } == ["3", "0", "1", "2", "1"])
        let vwap: [Double] = [(100 + 204 + 101) / 4.0, 101, 103, 99.5, 104]
        for t in 0..<5 { Self.expectReal(f[t]["vwap"], vwap[t], "vwap[\(t)]") }
        let tfi: [Double] = [0, 0, 1, -1, 1]
        for t in 0..<5 { Self.expectReal(f[t]["tfi"], tfi[t], "tfi[\(t)]") }
        let r: [Double?] = [nil, 0, log(103.0 / 101), log(100.0 / 103), log(104.0 / 100)]
        for t in 0..<5 { Self.expectReal(f[t]["log_return"], r[t], "log_return[\(t)]") }
    }

    @Test func rollingColumns() throws {
        let f = try Self.run().features
        let r: [Double] = [0, 0, log(103.0 / 101), log(100.0 / 103), log(104.0 / 100)]
        let c: [Double] = [101, 101, 103, 100, 104]
        let pk3 = pow(log(100.0 / 99), 2)  // only bar 3 has high ≠ low among bars 1…4
        let fourLn2 = 4 * log(2.0)
        // w = 2, defined from t = 2; w = 3 from t = 3.
        for t in 0..<2 {
            for name in ["ret_2", "rv_2", "parkinson_2", "tfi_2", "volume_2", "trades_2"] { #expect(f[t][name] == "", "\(name)[\(t)]") }
        }
        for t in 0..<3 {
            for name in ["ret_3", "rv_3", "parkinson_3", "tfi_3", "volume_3", "trades_3"] { #expect(f[t][name] == "", "\(name)[\(t)]") }
        }
        for t in 2..<5 { Self.expectReal(f[t]["ret_2"], log(c[t] / c[t - 2]), "ret_2[\(t)]") }
        for t in 2..<5 { Self.expectReal(f[t]["rv_2"], sqrt(r[t - 1] * r[t - 1] + r[t] * r[t]), "rv_2[\(t)]") }
        Self.expectReal(f[2]["parkinson_2"], 0, "parkinson_2[2]")
        Self.expectReal(f[3]["parkinson_2"], sqrt(pk3 / fourLn2), "parkinson_2[3]")
        Self.expectReal(f[4]["parkinson_2"], sqrt(pk3 / fourLn2), "parkinson_2[4]")
        Self.expectReal(f[2]["tfi_2"], 1, "tfi_2[2]")
        Self.expectReal(f[3]["tfi_2"], 2.0 / 6, "tfi_2[3]")
        Self.expectReal(f[4]["tfi_2"], 0, "tfi_2[4]")
        #expect([f[2]["volume_2"], f[3]["volume_2"], f[4]["volume_2"]] == ["4", "6", "4"])
        #expect([f[2]["trades_2"], f[3]["trades_2"], f[4]["trades_2"]] == ["1", "3", "3"])
        Self.expectReal(f[3]["ret_3"], log(100.0 / 101), "ret_3[3]")
        Self.expectReal(f[4]["ret_3"], log(104.0 / 101), "ret_3[4]")
        Self.expectReal(f[3]["rv_3"], sqrt(r[1] * r[1] + r[2] * r[2] + r[3] * r[3]), "rv_3[3]")
        Self.expectReal(f[4]["rv_3"], sqrt(r[2] * r[2] + r[3] * r[3] + r[4] * r[4]), "rv_3[4]")
        Self.expectReal(f[3]["parkinson_3"], sqrt(pk3 / fourLn2), "parkinson_3[3]")
        Self.expectReal(f[3]["tfi_3"], 2.0 / 6, "tfi_3[3]")
        Self.expectReal(f[4]["tfi_3"], 4.0 / 8, "tfi_3[4]")
        #expect([f[3]["volume_3"], f[4]["volume_3"]] == ["6", "8"])
        #expect([f[3]["trades_3"], f[4]["trades_3"]] == ["3", "4"])
    }

    @Test func volatilityColumns() throws {
        let f = try Self.run().features
        let r: [Double] = [.nan, 0, log(103.0 / 101), log(100.0 / 103), log(104.0 / 100)]
        var v = [Double](repeating: .nan, count: 5)
        v[1] = r[1] * r[1]
        for t in 2..<5 { v[t] = 0.94 * v[t - 1] + (1 - 0.94) * r[t] * r[t] }
        Self.expectReal(f[0]["ewm_vol"], nil, "ewm_vol[0]")
        for t in 1..<5 { Self.expectReal(f[t]["ewm_vol"], sqrt(v[t]), "ewm_vol[\(t)]") }
        // vol_ratio = rv_2 / rv_3 from t = 3.
        for t in 0..<3 { #expect(f[t]["vol_ratio"] == "") }
        for t in 3..<5 {
            let rv2 = sqrt(r[t - 1] * r[t - 1] + r[t] * r[t])
            let rv3 = sqrt(r[t - 2] * r[t - 2] + r[t - 1] * r[t - 1] + r[t] * r[t])
            Self.expectReal(f[t]["vol_ratio"], rv2 / rv3, "vol_ratio[\(t)]")
        }
        // absret_autocorr from t = w_max + 1 = 4: pairs (|r1|,|r2|), (|r2|,|r3|), (|r3|,|r4|).
        for t in 0..<4 { #expect(f[t]["absret_autocorr"] == "") }
        let x = [abs(r[1]), abs(r[2]), abs(r[3])], y = [abs(r[2]), abs(r[3]), abs(r[4])]
        let mx = x.reduce(0, +) / 3, my = y.reduce(0, +) / 3
        let cov = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let vx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +), vy = y.map { ($0 - my) * ($0 - my) }.reduce(0, +)
        Self.expectReal(f[4]["absret_autocorr"], cov / sqrt(vx * vy), "absret_autocorr[4]")
    }

    @Test func quoteColumns() throws {
        let f = try Self.run().features
        // Bar-end states: bars 0–2 the update at +500 ms (100.5×4 / 101.5×1), bars 3–4 the second
        // update at +3000 ms (99.5×3 / 100×1).
        #expect(f.map { $0["bid"] } == ["100.5", "100.5", "100.5", "99.5", "99.5"])
        #expect(f.map { $0["ask"] } == ["101.5", "101.5", "101.5", "100", "100"])
        #expect(f.map { $0["bid_qty"] } == ["4", "4", "4", "3", "3"])
        #expect(f.map { $0["ask_qty"] } == ["1", "1", "1", "1", "1"])
        for t in 0..<3 {
            Self.expectReal(f[t]["mid"], 101, "mid[\(t)]")
            Self.expectReal(f[t]["spread_bps"], 1.0 / 101 * 1e4, "spread_bps[\(t)]")
            Self.expectReal(f[t]["obi"], 0.6, "obi[\(t)]")
            Self.expectReal(f[t]["microprice_bps"], ((100.5 * 1 + 101.5 * 4) / 5 - 101) / 101 * 1e4, "microprice_bps[\(t)]")
        }
        for t in 3..<5 {
            Self.expectReal(f[t]["mid"], 99.75, "mid[\(t)]")
            Self.expectReal(f[t]["spread_bps"], 0.5 / 99.75 * 1e4, "spread_bps[\(t)]")
            Self.expectReal(f[t]["obi"], 0.5, "obi[\(t)]")
            Self.expectReal(f[t]["microprice_bps"], ((99.5 * 1 + 100 * 3) / 4 - 99.75) / 99.75 * 1e4, "microprice_bps[\(t)]")
        }
        // Bar 0: the state of +0 ms (obi 0) for 500 ms, then +500 ms (obi 0.6) for 500 ms.
        let twa: [Double] = [0.3, 0.6, 0.6, 0.5, 0.5]
        for t in 0..<5 { Self.expectReal(f[t]["obi_twa"], twa[t], "obi_twa[\(t)]") }
        #expect(f.map { $0["quote_count"] } == ["2", "0", "0", "2", "0"])
        // OFI bar 0: e = (2 − 2 + 3) + (4 − 2 + 2) = 7; bar 3: (−4 − 1) + (3 − 1 + 1) = −2.
        #expect(f.map { $0["ofi"] } == ["7", "0", "0", "-2", "0"])
        #expect(f.map { $0["ofi_2"] } == ["", "", "0", "-2", "-2"])
        #expect(f.map { $0["ofi_3"] } == ["", "", "", "-2", "-2"])
        Self.expectReal(f[2]["obi_2"], 0.6, "obi_2[2]")
        Self.expectReal(f[3]["obi_2"], 0.55, "obi_2[3]")
        Self.expectReal(f[4]["obi_2"], 0.5, "obi_2[4]")
        Self.expectReal(f[3]["obi_3"], (0.6 + 0.6 + 0.5) / 3, "obi_3[3]")
        Self.expectReal(f[4]["obi_3"], (0.6 + 0.5 + 0.5) / 3, "obi_3[4]")
    }

    @Test func calendarColumnsCrossMidnight() throws {
        let f = try Self.run().features
        // Bar 2 starts at 23:59:59 on a Thursday (weekday 3), bar 3 at 00:00:00 on Friday (4).
        let h2 = 23 + 59.0 / 60 + 59.0 / 3600
        Self.expectReal(f[2]["hour_sin"], sin(2 * .pi * h2 / 24), "hour_sin[2]")
        Self.expectReal(f[2]["hour_cos"], cos(2 * .pi * h2 / 24), "hour_cos[2]")
        Self.expectReal(f[2]["dow_sin"], sin(2 * .pi * (3 + h2 / 24) / 7), "dow_sin[2]")
        Self.expectReal(f[2]["dow_cos"], cos(2 * .pi * (3 + h2 / 24) / 7), "dow_cos[2]")
        Self.expectReal(f[3]["hour_sin"], 0, "hour_sin[3]")
        Self.expectReal(f[3]["hour_cos"], 1, "hour_cos[3]")
        Self.expectReal(f[3]["dow_sin"], sin(2 * .pi * 4 / 7), "dow_sin[3]")
        Self.expectReal(f[3]["dow_cos"], cos(2 * .pi * 4 / 7), "dow_cos[3]")
    }

    @Test func targetColumns() throws {
        let (f, t, _) = try Self.run()
        #expect(t.map { $0["timestamp"] } == f.map { $0["timestamp"] })
        let c: [Double] = [101, 101, 103, 100, 104]
        let r: [Double] = [0, 0, log(103.0 / 101), log(100.0 / 103), log(104.0 / 100)]
        for row in 0..<5 {
            for h in [1, 2] {
                guard row + h <= 4 else {
                    for name in ["fwd_ret_\(h)", "fwd_dir_\(h)", "fwd_up_\(h)", "fwd_rv_\(h)"] { #expect(t[row][name] == "", "\(name)[\(row)]") }
                    continue
                }
                let ret = log(c[row + h] / c[row])
                Self.expectReal(t[row]["fwd_ret_\(h)"], ret, "fwd_ret_\(h)[\(row)]")
                #expect(t[row]["fwd_dir_\(h)"] == (ret > 5e-4 ? "1" : ret < -5e-4 ? "-1" : "0"))
                #expect(t[row]["fwd_up_\(h)"] == (ret > 0 ? "1" : "0"))
                let rv = sqrt((row + 1...row + h).map { r[$0] * r[$0] }.reduce(0, +))
                Self.expectReal(t[row]["fwd_rv_\(h)"], rv, "fwd_rv_\(h)[\(row)]")
            }
        }
        // Bar 0 → 1 is flat: a return of exactly 0 is direction 0 and not up.
        #expect(t[0]["fwd_dir_1"] == "0" && t[0]["fwd_up_1"] == "0")
    }

    @Test func completeRowsOnlyKeepsTheSameRowsInBothFiles() throws {
        // Row 4 lacks targets, rows 0–3 lack absret_autocorr: nothing is complete with w_max 3.
        let (f, t, dir) = try Self.run(completeRowsOnly: true)
        #expect(f.isEmpty && t.isEmpty)
        let header = try String(contentsOf: dir.appendingPathComponent("out/features.csv"), encoding: .utf8)
        #expect(header.hasPrefix("timestamp,open,high,low,close,"))
    }

    @Test(arguments: [1, 2, 3, 5, 100])
    func partitionSizeDoesNotChangeTheFiles(partitionBars: Int) throws {
        let reference = try Self.run(partitionBars: 100).dir
        let other = try Self.run(partitionBars: partitionBars).dir
        for name in ["features.csv", "targets.csv"] {
            let a = try Data(contentsOf: reference.appendingPathComponent("out/\(name)"))
            let b = try Data(contentsOf: other.appendingPathComponent("out/\(name)"))
            #expect(a == b, "\(name) differs with \(partitionBars)-bar partitions")
        }
    }
}
