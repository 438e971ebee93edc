import Foundation
import Testing

/// Inputs that break naive tools: one giant timestamp, one giant line, a day-long gap, a flat
/// market, extreme decimals, quotes and trades that do not overlap.
@Suite(.serialized)
struct StressInputTests {
    static let header = "id,price,qty,quote_qty,time,is_buyer_maker\n"
    static let quoteHeader = "update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n"
    static let t0: Int64 = 1_723_161_000_000

    /// Trades one per second for `seconds` seconds from `start`, price from `price(i)`.
    static func trades(from start: Int64 = t0, seconds: Int, firstId: Int = 1, price: (Int) -> String = { _ in "100.5" }) -> String {
        (0..<seconds).map { i in "\(firstId + i),\(price(i)),0.5,50,\(start + Int64(i) * 1000),\(i % 3 == 0)\n" }.joined()
    }

    static func peakRSS(_ arguments: [String]) throws -> (result: ProcessResult, peak: Int) {
        let result = try runProcess("/usr/bin/env", ["python3", TestPaths.repository.appendingPathComponent("Scripts/peak-rss.py").path,
                                                     TestPaths.binary] + arguments)
        let line = result.stderrText.split(separator: "\n").last { $0.hasPrefix("peak_rss_bytes=") }
        return (result, Int(line?.dropFirst("peak_rss_bytes=".count) ?? "") ?? Int.max)
    }

    func column(_ table: [[String]], _ name: String) -> [String] {
        let index = table[0].firstIndex(of: name)!
        return table.dropFirst().map { $0[index] }
    }

    @Test func aMillionTradesAtOneTimestamp() throws {
        let dir = try TemporaryDirectory("tf-stress-million")
        defer { dir.remove() }
        var text = Self.header + Self.trades(seconds: 200)
        var id = 1_000
        let busy = Self.t0 + 200_000
        var lines: [String] = []
        lines.reserveCapacity(1_000_000)
        for i in 0..<1_000_000 {
            id += 1
            lines.append("\(id),\(i % 2 == 0 ? "100.5" : "100.6"),0.001,0.1,\(busy),\(i % 2 == 0)\n")
        }
        text += lines.joined()
        text += Self.trades(from: busy + 1000, seconds: 200, firstId: id + 1)
        let trades = try dir.write("trades.csv", text)
        let (result, peak) = try Self.peakRSS(["features", "--trades", trades, "--out", dir.path("out"), "--memory-limit", "64MiB"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(peak < 64 << 20, "peak RSS \(peak >> 20) MiB over the 64 MiB limit")
        try FeatureRun.expectCountsAddUp(dir.path("out"))
        let table = try FeatureRun.table(dir.path("out/features.csv"))
        let counts = column(table, "trade_count")
        #expect(counts.count == 401)
        #expect(counts[200] == "1000000", "every trade sharing the timestamp counts")
        #expect(column(table, "volume")[200] == "1000")
        #expect(column(table, "buy_volume")[200] == "500")
        #expect(column(table, "high")[200] == "100.6" && column(table, "low")[200] == "100.5")
    }

    @Test func aOneGigabyteLineIsRejectedUnderTheLimit() throws {
        let dir = try TemporaryDirectory("tf-stress-line")
        defer { dir.remove() }
        let firstRow = "1,100,1,100,\(Self.t0),true\n"
        let path = try dir.write("trades.csv", Self.header + firstRow)
        // The rest of the file is one line of 1 GiB (a sparse file: no disk is used).
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 1 << 30)
        try handle.close()
        let (result, peak) = try Self.peakRSS(["features", "--trades", path, "--out", dir.path("out"), "--memory-limit", "64MiB"])
        #expect(result.exited && result.status == 1)
        #expect(result.stderrText.contains("longer than the maximum record size"), "\(result.stderrText)")
        #expect(result.stderrText.contains(path))
        #expect(peak < 64 << 20, "peak RSS \(peak >> 20) MiB")
        #expect(!FileManager.default.fileExists(atPath: dir.path("out/features.csv")))
        let scan = try runTickforge(["scan", path, "--max-record-size", "1MiB"])
        #expect(scan.status == 1 && scan.stderrText.contains("byte \(Self.header.utf8.count + firstRow.utf8.count)"), "\(scan.stderrText)")
    }

    @Test func aDayLongGapMakesADenseRasterOfEmptyBars() throws {
        let dir = try TemporaryDirectory("tf-stress-gap")
        defer { dir.remove() }
        let before = Self.trades(seconds: 100, price: { "\(100 + $0 % 7).25" })
        let after = Self.trades(from: Self.t0 + 99_000 + 86_400_000, seconds: 100, firstId: 1_000, price: { "\(90 + $0 % 5).5" })
        let trades = try dir.write("trades.csv", Self.header + before + after)
        let result = try FeatureRun.run(trades: trades, quotes: nil, out: dir.path("out"))
        #expect(result.status == 0, "\(result.stderrText)")
        let table = try FeatureRun.table(dir.path("out/features.csv"))
        #expect(table.count - 1 == 100 + 86_399 + 100)
        let counts = column(table, "trade_count")
        #expect(counts[100..<86_499].allSatisfy { $0 == "0" })
        let closes = column(table, "close")
        #expect(Set(closes[99..<86_499]).count == 1, "empty bars carry the last close")
        #expect(column(table, "tfi")[50_000] == "0.0" && column(table, "log_return")[50_000] == "0.0")
        #expect(column(table, "rv_300")[50_000] == "0.0" && column(table, "tfi_300")[50_000] == "0.0")
        #expect(column(table, "vol_ratio")[50_000] == "", "no volatility: the ratio is undefined")
        #expect(column(table, "volume_300")[50_000] == "0")
        let text = try String(contentsOfFile: dir.path("out/features.csv"), encoding: .utf8)
        #expect(!text.contains("nan") && !text.contains("inf"))
    }

    @Test func aFlatMarketHasZeroVolatilityAndNoDivisionByZero() throws {
        let dir = try TemporaryDirectory("tf-stress-flat")
        defer { dir.remove() }
        let trades = try dir.write("trades.csv", Self.header + Self.trades(seconds: 700))
        let result = try FeatureRun.run(trades: trades, quotes: nil, out: dir.path("out"))
        #expect(result.status == 0, "\(result.stderrText)")
        let features = try FeatureRun.table(dir.path("out/features.csv"))
        let targets = try FeatureRun.table(dir.path("out/targets.csv"))
        let row = 650
        for name in ["rv_10", "rv_300", "parkinson_60", "ewm_vol", "ret_300", "log_return"] {
            #expect(column(features, name)[row] == "0.0", "\(name)")
        }
        #expect(column(features, "vol_ratio")[row] == "")
        #expect(column(features, "absret_autocorr")[row] == "")
        #expect(column(targets, "fwd_ret_10")[row] == "0.0" && column(targets, "fwd_dir_10")[row] == "0" && column(targets, "fwd_up_10")[row] == "0")
        #expect(column(targets, "fwd_rv_60")[600] == "0.0")
        for path in ["features.csv", "targets.csv"] {
            let text = try String(contentsOfFile: dir.path("out/\(path)"), encoding: .utf8)
            #expect(!text.contains("nan") && !text.contains("inf"), "\(path)")
        }
    }

    @Test func eightDecimalPricesAndHugeQuantitiesSumExactly() throws {
        let dir = try TemporaryDirectory("tf-stress-decimals")
        defer { dir.remove() }
        // 2,000 trades of 92,233,720,368 units (the largest quantity) in one bar overflow 64 bits
        // many times over: the sums are 128-bit and exact.
        var text = Self.header
        for i in 0..<2_000 {
            text += "\(i + 1),0.0000012\(i % 10),92233720368.12345678,1,\(Self.t0 + Int64(i / 2)),\(i % 2 == 0)\n"
        }
        text += Self.trades(from: Self.t0 + 1000, seconds: 100, firstId: 10_000, price: { _ in "0.00000123" })
        let trades = try dir.write("trades.csv", text)
        let result = try FeatureRun.run(trades: trades, quotes: nil, out: dir.path("out"), ["--windows", "5", "--horizons", "3"])
        #expect(result.status == 0, "\(result.stderrText)")
        let table = try FeatureRun.table(dir.path("out/features.csv"))
        #expect(column(table, "volume")[0] == "184467440736246.91356")
        #expect(column(table, "buy_volume")[0] == "92233720368123.45678")
        #expect(column(table, "sell_volume")[0] == "92233720368123.45678")
        #expect(column(table, "low")[0] == "0.0000012" && column(table, "high")[0] == "0.00000129")
        #expect(column(table, "volume_5")[5] == "2.5")
        #expect(column(table, "trades_5")[5] == "5")
        let vwap = Double(column(table, "vwap")[0])!
        #expect(abs(vwap - 0.000001245) < 1e-15, "vwap \(vwap)")
    }

    @Test func quotesOutsideTheTradesAndTradesBeforeTheFirstQuote() throws {
        let dir = try TemporaryDirectory("tf-stress-quotes")
        defer { dir.remove() }
        let trades = try dir.write("trades.csv", Self.header + Self.trades(seconds: 400))
        // Quotes start 100 s after the first trade and run past the last one.
        let quotes = (0..<600).map { i in
            "\(i + 1),100.4,\(i % 5 + 1),100.6,2,\(Self.t0 + 100_000 + Int64(i) * 700),\(Self.t0 + 100_000 + Int64(i) * 700)\n"
        }.joined()
        let quotePath = try dir.write("quotes.csv", Self.quoteHeader + quotes)
        let result = try FeatureRun.run(trades: trades, quotes: quotePath, out: dir.path("out"))
        #expect(result.status == 0, "\(result.stderrText)")
        let table = try FeatureRun.table(dir.path("out/features.csv"))
        #expect(table.count - 1 == 400)
        #expect(column(table, "bid")[0..<100].allSatisfy { $0.isEmpty }, "no quote yet: undefined")
        #expect(column(table, "obi_twa")[0..<100].allSatisfy { $0.isEmpty })
        #expect(column(table, "quote_count")[0..<100].allSatisfy { $0 == "0" })
        #expect(column(table, "bid")[100] == "100.4")
        // Quotes entirely after the trades: every quote column is undefined or zero.
        let late = (0..<50).map { i in "\(i + 1),100.4,1,100.6,2,\(Self.t0 + 900_000 + Int64(i)),\(Self.t0 + 900_000 + Int64(i))\n" }.joined()
        let latePath = try dir.write("late.csv", Self.quoteHeader + late)
        let lateRun = try FeatureRun.run(trades: trades, quotes: latePath, out: dir.path("late"))
        #expect(lateRun.status == 0, "\(lateRun.stderrText)")
        let lateTable = try FeatureRun.table(dir.path("late/features.csv"))
        #expect(column(lateTable, "bid").allSatisfy { $0.isEmpty })
        #expect(column(lateTable, "ofi").allSatisfy { $0 == "0" })
        let summary = try FeatureRun.summary(dir.path("late"))
        #expect(((summary["quotes"] as! [String: Any])["rows"] as! [String: Int])["read"] == 50, "quotes after the last bar are read and counted")
    }
}
