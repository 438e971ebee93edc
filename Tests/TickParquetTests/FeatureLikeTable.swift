import Foundation
import TickCore
import TickParquet

/// A features.parquet-like table: one-second bars of a simulated market with the product's
/// feature columns (the names of features.csv), computed the way they are computed for real
/// (rolling sums over 10/60/300 bars, log returns, ratios, EWM), with the product's nulls:
/// windows still filling, and seconds without trades. What the DOUBLE encoding and zstd level
/// were chosen on; uses the public API only.
struct FeatureLikeTable {
    var columns: [ParquetColumn] = []
    var values: [ParquetValues] = []

    mutating func add(_ name: String, _ v: [Double]) {
        columns.append(ParquetColumn(name: name, kind: .double))
        values.append(.double(v))
    }

    mutating func add(_ name: String, _ v: [Int64], timestamp: Bool = false) {
        columns.append(ParquetColumn(name: name, kind: timestamp ? .timestampMillis : .int64))
        values.append(.int64(v))
    }

    var rowCount: Int { values.first?.count ?? 0 }
    var doubleColumnCount: Int { columns.filter { $0.kind == .double }.count }
    /// 8 bytes per cell, nulls included: what the writer is handed.
    var rawBytes: Int { rowCount * columns.count * 8 }

    static func generate(rows n: Int, seed: UInt64) -> FeatureLikeTable {
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) * 0x1p-53 }
        func gaussian() -> Double { (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * .pi * uniform()) }
        func round(_ x: Double, _ step: Double) -> Double { (x / step).rounded() * step }
        let nan = Double.nan

        var t = FeatureLikeTable()
        let start: Int64 = 1_723_161_256_000
        t.add("timestamp", (0..<n).map { start + Int64($0) * 1_000 }, timestamp: true)

        // Bars: a tick-size random walk with bursts of activity; 4% of seconds without trades.
        var open = [Double](), high = [Double](), low = [Double](), close = [Double]()
        var volume = [Double](), buy = [Double](), sell = [Double](), count = [Int64](), vwap = [Double](), tfi = [Double]()
        var price = 61_800.0
        var activity = 1.0
        for _ in 0..<n {
            activity = max(0.2, min(5, activity * exp(0.05 * gaussian())))
            if uniform() < 0.04 {
                open.append(nan); high.append(nan); low.append(nan); close.append(nan)
                volume.append(nan); buy.append(nan); sell.append(nan); count.append(Int64.min); vwap.append(nan); tfi.append(nan)
                continue
            }
            let o = price
            var h = o, l = o, notional = 0.0, b = 0.0, s = 0.0
            let trades = 1 + Int(activity * 20 * uniform())
            for _ in 0..<trades {
                price = round(price + round(gaussian() * activity * 0.3, 0.1), 0.1)
                h = max(h, price); l = min(l, price)
                let q = round(max(0.001, exp(gaussian() - 3)), 0.001)
                if uniform() < 0.5 { b += q } else { s += q }
                notional += q * price
            }
            let v = round(b + s, 0.001)
            open.append(o); high.append(h); low.append(l); close.append(price)
            volume.append(v); buy.append(round(b, 0.001)); sell.append(round(s, 0.001)); count.append(Int64(trades))
            vwap.append(notional / (b + s)); tfi.append((b - s) / (b + s))
        }
        t.add("open", open); t.add("high", high); t.add("low", low); t.add("close", close)
        t.add("volume", volume); t.add("buy_volume", buy); t.add("sell_volume", sell); t.add("trade_count", count)
        t.add("vwap", vwap); t.add("tfi", tfi)

        // Returns and rolling windows (null until the window is full or when a bar is empty).
        var lastClose = [Double](repeating: nan, count: n)
        var last = nan
        for i in 0..<n { if !close[i].isNaN { last = close[i] }; lastClose[i] = last }
        let logReturn = (0..<n).map { i in i == 0 || close[i].isNaN ? nan : log(lastClose[i] / lastClose[i - 1]) }
        t.add("log_return", logReturn)
        func rolling(_ x: [Double], _ w: Int, _ f: (Double) -> Double = { $0 }, mean: Bool = false) -> [Double] {
            var out = [Double](repeating: nan, count: n)
            var sum = 0.0, defined = 0
            for i in 0..<n {
                if !x[i].isNaN { sum += f(x[i]); defined += 1 }
                if i >= w, !x[i - w].isNaN { sum -= f(x[i - w]); defined -= 1 }
                if i >= w - 1 && defined > 0 { out[i] = mean ? sum / Double(defined) : sum }
            }
            return out
        }
        let windows = [10, 60, 300]
        for w in windows { t.add("ret_\(w)", (0..<n).map { i in i < w ? nan : log(lastClose[i] / lastClose[i - w]) }) }
        var rv: [Int: [Double]] = [:]
        for w in windows {
            rv[w] = rolling(logReturn, w, { $0 * $0 }).map { $0.squareRoot() }
            t.add("rv_\(w)", rv[w]!)
        }
        let hl = (0..<n).map { i in high[i].isNaN ? nan : log(high[i] / low[i]) }
        for w in windows { t.add("parkinson_\(w)", rolling(hl, w, { $0 * $0 }, mean: true).map { ($0 / (4 * log(2.0))).squareRoot() }) }
        for w in windows { t.add("tfi_\(w)", rolling(tfi, w, mean: true)) }
        for w in windows { t.add("volume_\(w)", rolling(volume, w)) }
        let countD = count.map { $0 == Int64.min ? nan : Double($0) }
        for w in windows { t.add("trades_\(w)", rolling(countD, w).map { $0.isNaN ? Int64.min : Int64($0) }) }
        var ewm = nan
        t.add("ewm_vol", logReturn.map { r in
            if !r.isNaN { ewm = ewm.isNaN ? r * r : 0.94 * ewm + 0.06 * r * r }
            return ewm.isNaN ? nan : ewm.squareRoot()
        })
        t.add("vol_ratio", zip(rv[10]!, rv[60]!).map { $1 > 0 ? $0 / $1 : nan })
        t.add("absret_autocorr", rolling(logReturn, 60).map { $0.isNaN ? nan : tanh($0 * 1_000) })

        // Quotes: always present once the first arrives.
        var bid = [Double](), ask = [Double](), bidQty = [Double](), askQty = [Double](), quotes = [Int64](), ofi = [Double](), age = [Double]()
        for i in 0..<n {
            let b = round(lastClose[i] - 0.1 * Double(Int(uniform() * 2)), 0.1)
            bid.append(b); ask.append(round(b + 0.1, 0.1))
            bidQty.append(round(exp(gaussian() + 1), 0.001)); askQty.append(round(exp(gaussian() + 1), 0.001))
            quotes.append(Int64(20 + Int(uniform() * 200)))
            ofi.append(round(gaussian() * 5, 0.001))
            age.append(round(uniform() * 0.2, 0.001))
        }
        let mid = zip(bid, ask).map { ($0 + $1) / 2 }
        t.add("bid", bid); t.add("ask", ask); t.add("bid_qty", bidQty); t.add("ask_qty", askQty); t.add("mid", mid)
        t.add("spread_bps", (0..<n).map { (ask[$0] - bid[$0]) / mid[$0] * 10_000 })
        let obi = (0..<n).map { (bidQty[$0] - askQty[$0]) / (bidQty[$0] + askQty[$0]) }
        t.add("obi", obi)
        t.add("obi_twa", rolling(obi, 5, mean: true))
        t.add("microprice_bps", (0..<n).map { i in
            let micro = (bid[i] * askQty[i] + ask[i] * bidQty[i]) / (bidQty[i] + askQty[i])
            return (micro - mid[i]) / mid[i] * 10_000
        })
        t.add("quote_count", quotes)
        t.add("ofi", ofi)
        for w in windows { t.add("ofi_\(w)", rolling(ofi, w)) }
        for w in windows { t.add("obi_\(w)", rolling(obi, w, mean: true)) }
        t.add("quote_age_s", age)
        let day = 86_400_000.0, week = 7 * day
        t.add("hour_sin", (0..<n).map { sin(2 * .pi * Double((start + Int64($0) * 1_000) % Int64(day)) / day) })
        t.add("hour_cos", (0..<n).map { cos(2 * .pi * Double((start + Int64($0) * 1_000) % Int64(day)) / day) })
        t.add("dow_sin", (0..<n).map { sin(2 * .pi * Double((start + Int64($0) * 1_000) % Int64(week)) / week) })
        t.add("dow_cos", (0..<n).map { cos(2 * .pi * Double((start + Int64($0) * 1_000) % Int64(week)) / week) })
        return t
    }
}
