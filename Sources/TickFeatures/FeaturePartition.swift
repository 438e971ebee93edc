#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TickCore

/// The bars a feature partition needs: its own rows plus the halo of past and future bars.
public struct PartitionInput: Sendable {
    /// Consecutive bars; `bars[0]` has absolute index `base`.
    public var bars: [BarRecord]
    public var base: Int
    /// Absolute indices of the rows this partition writes.
    public var rows: Range<Int>
    /// Whether `bars` ends at the last bar of the whole series (N = base + bars.count). When
    /// false, the bars reach at least `futureHalo` past the last row.
    public var reachesEnd: Bool

    public init(bars: [BarRecord], base: Int, rows: Range<Int>, reachesEnd: Bool) {
        self.bars = bars; self.base = base; self.rows = rows; self.reachesEnd = reachesEnd
    }
}

/// Computes the feature and target rows of one partition. Every value of row t depends only on
/// bars by absolute index and is summed in a fixed order, so partitions of any size give the
/// same bytes.
public struct FeatureCalculator: Sendable {
    public let config: FeatureConfig
    public let catalog: ColumnCatalog

    public init(config: FeatureConfig) {
        self.config = config
        catalog = ColumnCatalog(config: config)
    }

    /// Computes every feature and target value of the partition's rows.
    public func columns(_ input: PartitionInput) -> FeatureColumns {
        let table = PartitionTable(input: input, config: config)
        return FeatureColumns(timestamps: (0..<input.rows.count).map { Time.floorDiv(table.start($0), 1000) },
                              features: catalog.features.map { table.column($0.key) },
                              targets: catalog.targets.map { table.column($0.key) })
    }

    /// The rows of computed columns this run writes: those `--from`/`--to` select and, with
    /// `completeRowsOnly`, only rows where every cell of both files is defined. The columns
    /// themselves, not copied, when every row is written.
    public func writtenRows(_ columns: FeatureColumns) -> FeatureColumns {
        var kept: [Int]?
        if config.from != nil || config.to != nil {
            kept = columns.timestamps.indices.filter { config.writes(timestamp: columns.timestamps[$0]) }
        }
        if config.completeRowsOnly {
            var complete = [Bool](repeating: true, count: columns.rowCount)
            for column in columns.features + columns.targets { column.markUndefined(in: &complete) }
            kept = (kept ?? Array(columns.timestamps.indices)).filter { complete[$0] }
        }
        guard let kept, kept.count != columns.rowCount else { return columns }
        return columns.picking(kept)
    }
}

/// The computed values of one partition's rows: what a feature partition file stores, and
/// what every output writer (CSV, Parquet) takes.
public struct FeatureColumns: Sendable {
    /// Bar starts, epoch milliseconds.
    public var timestamps: [Int64]
    /// In `ColumnCatalog.features` order.
    public var features: [ColumnValues]
    /// In `ColumnCatalog.targets` order.
    public var targets: [ColumnValues]

    public init(timestamps: [Int64], features: [ColumnValues], targets: [ColumnValues]) {
        self.timestamps = timestamps; self.features = features; self.targets = targets
    }

    public var rowCount: Int { timestamps.count }

    /// The rows `rows` (increasing indices) of every column.
    public func picking(_ rows: [Int]) -> FeatureColumns {
        FeatureColumns(timestamps: rows.map { timestamps[$0] }, features: features.map { $0.picking(rows) },
                       targets: targets.map { $0.picking(rows) })
    }
}

/// The per-bar series of one partition and the column computations over them. Row r is the
/// absolute bar `rows.lowerBound + r`; `j` indexes `bars`.
struct PartitionTable {
    let input: PartitionInput
    let config: FeatureConfig
    let firstRow: Int
    let rowCount: Int
    /// Offset of row 0 in `bars`.
    let offset: Int
    /// Closes as the doubles `features.csv` publishes (`FixedPoint.double`), so every return is
    /// the one a reader computes from the close column (see `BarSequencer.record`).
    let close: [Double]
    let logReturn: [Double]
    let absReturn: [Double]
    let squaredReturn: [Double]
    let parkinsonTerm: [Double]
    /// Window sums of r² and of the Parkinson term, by absolute bar index.
    let squaredReturnSums: BlockedSums
    let parkinsonSums: BlockedSums
    let volumePrefix: [Int128]
    let netBuyPrefix: [Int128]
    let tradePrefix: [Int64]
    let ofiPrefix: [Int128]
    let liquidationPrefix: [Int128]

    init(input: PartitionInput, config: FeatureConfig) {
        self.input = input
        self.config = config
        firstRow = input.rows.lowerBound
        rowCount = input.rows.count
        offset = input.rows.lowerBound - input.base
        let bars = input.bars
        close = bars.map { FixedPoint.double($0.trade.close) }
        logReturn = bars.map(\.logReturn)
        squaredReturn = logReturn.map { $0 * $0 }
        absReturn = logReturn.map { abs($0) }
        parkinsonTerm = bars.map {
            let ratio = log(FixedPoint.double($0.trade.high) / FixedPoint.double($0.trade.low))
            return ratio * ratio
        }
        // r is undefined (NaN) at t = 0, which no window includes; the sums see 0 there.
        squaredReturnSums = BlockedSums(squaredReturn.map { $0.isNaN ? 0 : $0 }, base: input.base)
        parkinsonSums = BlockedSums(parkinsonTerm, base: input.base)
        func prefix<T: AdditiveArithmetic>(_ values: [T]) -> [T] {
            var sums = [T](repeating: .zero, count: values.count + 1)
            for i in 0..<values.count { sums[i + 1] = sums[i] + values[i] }
            return sums
        }
        volumePrefix = prefix(bars.map(\.trade.volume))
        netBuyPrefix = prefix(bars.map { 2 * $0.trade.buyVolume - $0.trade.volume })
        tradePrefix = prefix(bars.map(\.trade.tradeCount))
        ofiPrefix = prefix(bars.map { $0.quotes?.orderFlow ?? 0 })
        liquidationPrefix = config.liquidations == true ? prefix(bars.map { ($0.liquidations?.buyVolume ?? 0) + ($0.liquidations?.sellVolume ?? 0) }) : []
    }

    /// Absolute index of the bar after the last one available: N when the input reaches the end.
    var availableEnd: Int { input.base + input.bars.count }

    func start(_ r: Int) -> Int64 { input.bars[offset + r].trade.start }

    func column(_ key: ColumnKey) -> ColumnValues {
        switch key {
        case .open: return decimal { Int128(bar($0).trade.open) }
        case .high: return decimal { Int128(bar($0).trade.high) }
        case .low: return decimal { Int128(bar($0).trade.low) }
        case .close: return decimal { Int128(bar($0).trade.close) }
        case .volume: return decimal { bar($0).trade.volume }
        case .buyVolume: return decimal { bar($0).trade.buyVolume }
        case .sellVolume: return decimal { bar($0).trade.volume - bar($0).trade.buyVolume }
        case .tradeCount: return integer { bar($0).trade.tradeCount }
        case .vwap:
            return real {
                let t = bar($0).trade
                // notional is in 10⁻¹⁶, volume in 10⁻⁸: the ratio is in 10⁻⁸.
                return t.volume == 0 ? FixedPoint.double(t.close) : FixedPoint.exactDouble(t.notional) / FixedPoint.exactDouble(t.volume) / FixedPoint.doubleScale
            }
        case .tfi:
            return real {
                let t = bar($0).trade
                return t.volume == 0 ? 0 : FixedPoint.exactDouble(2 * t.buyVolume - t.volume) / FixedPoint.exactDouble(t.volume)
            }
        case .logReturn: return real { logReturn[offset + $0] }
        case .ret(let w):
            return real { r in defined(r, window: w) ? log(close[offset + r] / close[offset + r - w]) : .nan }
        case .rv(let w):
            return real { r in defined(r, window: w) ? sqrt(windowSum(squaredReturnSums, r, w)) : .nan }
        case .parkinson(let w):
            let denominator = 4 * log(2.0)
            return real { r in defined(r, window: w) ? sqrt(windowSum(parkinsonSums, r, w) / denominator) : .nan }
        case .tfiWindow(let w):
            return real { r in
                guard defined(r, window: w) else { return .nan }
                let volume = prefixWindow(volumePrefix, r, w)
                return volume == 0 ? 0 : FixedPoint.exactDouble(prefixWindow(netBuyPrefix, r, w)) / FixedPoint.exactDouble(volume)
            }
        case .volumeWindow(let w):
            return decimal { r in defined(r, window: w) ? prefixWindow(volumePrefix, r, w) : ColumnValues.undefinedDecimal }
        case .tradesWindow(let w):
            return integer { r in defined(r, window: w) ? prefixWindow(tradePrefix, r, w) : ColumnValues.undefinedInteger }
        case .ewmVol: return real { sqrt(bar($0).ewmVariance) }
        case .volRatio:
            let short = config.minWindow, long = config.maxWindow
            return real { r in
                guard defined(r, window: long) else { return .nan }
                let longSum = windowSum(squaredReturnSums, r, long)
                return longSum == 0 ? .nan : sqrt(windowSum(squaredReturnSums, r, short)) / sqrt(longSum)
            }
        case .absretAutocorr: return .real(absReturnAutocorrelations())
        case .bid: return quoteDecimal { Int128($0.bidPrice) }
        case .ask: return quoteDecimal { Int128($0.askPrice) }
        case .bidQty: return quoteDecimal { Int128($0.bidQuantity) }
        case .askQty: return quoteDecimal { Int128($0.askQuantity) }
        case .mid: return quoteReal { FixedPoint.exactDouble(Int128($0.bidPrice) + Int128($0.askPrice)) / (2 * FixedPoint.doubleScale) }
        case .spreadBps:
            return quoteReal { q in
                let sum = Int128(q.bidPrice) + Int128(q.askPrice)
                guard sum != 0 else { return .nan }
                // (a − b)/mid·10⁴ = 2(a − b)/(a + b)·10⁴, from exact integers.
                return FixedPoint.exactDouble(2 * (Int128(q.askPrice) - Int128(q.bidPrice))) / FixedPoint.exactDouble(sum) * 10_000
            }
        case .obi: return quoteReal { $0.imbalance ?? .nan }
        case .obiTwa: return real { bar($0).quotes?.imbalanceTimeWeighted ?? .nan }
        case .micropriceBps:
            return quoteReal { q in
                let depth = Int128(q.bidQuantity) + Int128(q.askQuantity)
                let sum = Int128(q.bidPrice) + Int128(q.askPrice)
                guard depth != 0, sum != 0 else { return .nan }
                // microprice − mid = (a − b)(B − A) / (2(B + A)); divided by mid = (a + b)/2.
                let numerator = (Int128(q.askPrice) - Int128(q.bidPrice)) * (Int128(q.bidQuantity) - Int128(q.askQuantity))
                return FixedPoint.exactDouble(numerator) / FixedPoint.exactDouble(depth) / FixedPoint.exactDouble(sum) * 10_000
            }
        case .quoteCount: return integer { bar($0).quotes?.updateCount ?? 0 }
        case .ofi: return decimal { bar($0).quotes?.orderFlow ?? 0 }
        case .ofiWindow(let w):
            return decimal { r in defined(r, window: w) ? prefixWindow(ofiPrefix, r, w) : ColumnValues.undefinedDecimal }
        case .obiWindow(let w):
            return real { r in
                guard defined(r, window: w) else { return .nan }
                var sum = 0.0
                var count = 0
                for j in (offset + r - w + 1)...(offset + r) {
                    if let v = input.bars[j].quotes?.imbalanceTimeWeighted { sum += v; count += 1 }
                }
                return count == 0 ? .nan : sum / Double(count)
            }
        case .quoteAge:
            let step = config.interval.micros
            return real { r in
                guard let last = bar(r).quotes?.lastUpdate else { return .nan }
                return Double(start(r) + step - last) / 1_000_000
            }
        case .bandImbalance, .bandAge, .derivative, .fundingRate, .markPremium, .lastBasis, .metricsAge, .tickerAge, .fundingAge,
             .openInterestChange:
            return asOfColumn(key)
        case .bookBidDepth(let i): return decimal { bar($0).book?.bidDepth?[i] ?? ColumnValues.undefinedDecimal }
        case .bookAskDepth(let i): return decimal { bar($0).book?.askDepth?[i] ?? ColumnValues.undefinedDecimal }
        case .bookImbalance(let i):
            return real { r in
                guard let b = bar(r).book, let bid = b.bidDepth?[i], let ask = b.askDepth?[i], bid + ask != 0 else { return .nan }
                return FixedPoint.exactDouble(bid - ask) / FixedPoint.exactDouble(bid + ask)
            }
        case .bookImbalanceTimeWeighted(let i): return real { bar($0).book?.imbalanceTimeWeighted[i] ?? .nan }
        case .bookUpdates: return integer { bar($0).book?.updateCount ?? 0 }
        case .liquidationBuyVolume: return decimal { bar($0).liquidations?.buyVolume ?? 0 }
        case .liquidationSellVolume: return decimal { bar($0).liquidations?.sellVolume ?? 0 }
        case .liquidationCount: return integer { bar($0).liquidations?.count ?? 0 }
        case .liquidationVolumeWindow(let w):
            return decimal { r in defined(r, window: w) ? prefixWindow(liquidationPrefix, r, w) : ColumnValues.undefinedDecimal }
        case .hourSin, .hourCos, .dowSin, .dowCos:
            return real { r in
                let millis = Time.floorDiv(start(r), 1000)
                let days = Time.floorDiv(millis, 86_400_000)
                let hours = Double(millis - days * 86_400_000) / 3_600_000
                let weekday = Double((days + 3) % 7 + ((days + 3) % 7 < 0 ? 7 : 0))  // 1970-01-01 was a Thursday
                let d = weekday + hours / 24
                switch key {
                case .hourSin: return sin(2 * Double.pi * hours / 24)
                case .hourCos: return cos(2 * Double.pi * hours / 24)
                case .dowSin: return sin(2 * Double.pi * d / 7)
                default: return cos(2 * Double.pi * d / 7)
                }
            }
        case .regime:
            return integer { _ in ColumnValues.undefinedInteger }
        case .regimeProbability:
            return real { _ in .nan }
        case .fwdRet(let h):
            return real { r in hasFuture(r, h) ? forwardReturn(r, h) : .nan }
        case .fwdDir(let h):
            let theta = config.threshold
            return integer { r in
                guard hasFuture(r, h) else { return ColumnValues.undefinedInteger }
                let f = forwardReturn(r, h)
                return f > theta ? 1 : (f < -theta ? -1 : 0)
            }
        case .fwdUp(let h):
            return integer { r in hasFuture(r, h) ? (forwardReturn(r, h) > 0 ? 1 : 0) : ColumnValues.undefinedInteger }
        case .fwdRv(let h):
            return real { r in
                guard hasFuture(r, h) else { return .nan }
                let t = firstRow + r
                return sqrt(squaredReturnSums.sum(from: t + 1, through: t + h))
            }
        }
    }

    // MARK: Helpers

    @inline(__always) func bar(_ r: Int) -> BarRecord { input.bars[offset + r] }

    /// Whether a window of `w` bars ending at row r is defined (t ≥ w).
    @inline(__always) func defined(_ r: Int, window w: Int) -> Bool { firstRow + r >= w }

    /// Whether bar t + h exists.
    @inline(__always) func hasFuture(_ r: Int, _ h: Int) -> Bool { firstRow + r + h < availableEnd }

    @inline(__always) func forwardReturn(_ r: Int, _ h: Int) -> Double {
        log(close[offset + r + h] / close[offset + r])
    }

    /// Σ over the w bars ending at row r.
    @inline(__always) func windowSum(_ sums: BlockedSums, _ r: Int, _ w: Int) -> Double {
        let t = firstRow + r
        return sums.sum(from: t - w + 1, through: t)
    }

    /// Σ over the w bars ending at row r from exact prefix sums.
    @inline(__always) func prefixWindow<T: AdditiveArithmetic>(_ prefix: [T], _ r: Int, _ w: Int) -> T {
        prefix[offset + r + 1] - prefix[offset + r + 1 - w]
    }

    /// Pearson correlation of (|r_{i−1}|, |r_i|) for i = t−w_max+1 … t, two-pass (a one-pass
    /// formula loses the small correlations to cancellation), for every row.
    ///
    /// Each row's sums run over w_max terms in a fixed order; that order is a chain of dependent
    /// additions, so one row at a time leaves the adder waiting. Four consecutive rows are
    /// computed together in the lanes of a SIMD vector: lane k does exactly the operations of
    /// row r + k, in the same order, so every value has the same bits as the one-row code.
    func absReturnAutocorrelations() -> [Double] {
        let w = config.maxWindow
        var values = [Double](repeating: .nan, count: rowCount)
        // Rows with t ≥ w + 1 have a full window of pairs.
        let firstDefined = min(rowCount, max(0, w + 1 - firstRow))
        absReturn.withUnsafeBufferPointer { a in
            var r = firstDefined
            while r + 4 <= rowCount {
                let lanes = absReturnAutocorrelation4(a, firstRowOfLanes: r, window: w)
                for k in 0..<4 { values[r + k] = lanes[k] }
                r += 4
            }
            while r < rowCount {
                values[r] = absReturnAutocorrelation(a, r, window: w)
                r += 1
            }
        }
        return values
    }

    /// The correlation of row r (t ≥ w + 1).
    func absReturnAutocorrelation(_ a: UnsafeBufferPointer<Double>, _ r: Int, window w: Int) -> Double {
        let end = offset + r
        let first = end - w + 1
        // x_i = a[i − 1], y_i = a[i]: both are runs of `a`, shifted by one.
        var sumX = 0.0, sumY = 0.0
        var constantX = true, constantY = true
        let x0 = a[first - 1], y0 = a[first]
        for i in first...end {
            let x = a[i - 1], y = a[i]
            sumX += x; sumY += y
            constantX = constantX && x == x0
            constantY = constantY && y == y0
        }
        if constantX || constantY { return .nan }
        let meanX = sumX / Double(w), meanY = sumY / Double(w)
        var covariance = 0.0, varianceX = 0.0, varianceY = 0.0
        for i in first...end {
            let dx = a[i - 1] - meanX, dy = a[i] - meanY
            covariance += dx * dy; varianceX += dx * dx; varianceY += dy * dy
        }
        return covariance / sqrt(varianceX * varianceY)
    }

    /// `absReturnAutocorrelation` of rows r … r + 3 at once, one row per lane.
    func absReturnAutocorrelation4(_ a: UnsafeBufferPointer<Double>, firstRowOfLanes r: Int, window w: Int) -> SIMD4<Double> {
        let base = UnsafeRawPointer(a.baseAddress!)
        // At step j, lane k reads x = a[first_k − 1 + j] and y = a[first_k + j], where
        // first_k = offset + r + k − w + 1: four neighbouring values, one load each.
        let start = offset + r - w
        precondition(start >= 0 && start + w + 4 <= a.count, "autocorrelation window outside the partition's bars")
        @inline(__always) func load(_ i: Int) -> SIMD4<Double> {
            base.loadUnaligned(fromByteOffset: i * MemoryLayout<Double>.stride, as: SIMD4<Double>.self)
        }
        let x0 = load(start), y0 = load(start + 1)
        var sumX = SIMD4<Double>(), sumY = SIMD4<Double>()
        var constantX = SIMDMask<SIMD4<Int64>>(repeating: true), constantY = SIMDMask<SIMD4<Int64>>(repeating: true)
        for j in 0..<w {
            let x = load(start + j), y = load(start + j + 1)
            sumX += x; sumY += y
            constantX = constantX .& (x .== x0)
            constantY = constantY .& (y .== y0)
        }
        let meanX = sumX / SIMD4(repeating: Double(w)), meanY = sumY / SIMD4(repeating: Double(w))
        var covariance = SIMD4<Double>(), varianceX = SIMD4<Double>(), varianceY = SIMD4<Double>()
        for j in 0..<w {
            let dx = load(start + j) - meanX, dy = load(start + j + 1) - meanY
            covariance += dx * dy; varianceX += dx * dx; varianceY += dy * dy
        }
        var result = covariance / (varianceX * varianceY).squareRoot()
        result.replace(with: .nan, where: constantX .| constantY)
        return result
    }

    func real(_ f: (Int) -> Double) -> ColumnValues { .real((0..<rowCount).map(f)) }
    func integer(_ f: (Int) -> Int64) -> ColumnValues { .integer((0..<rowCount).map(f)) }
    func decimal(_ f: (Int) -> Int128) -> ColumnValues { .decimal((0..<rowCount).map(f)) }

    func quoteDecimal(_ f: (QuoteState) -> Int128) -> ColumnValues {
        decimal { r in bar(r).quotes?.close.map(f) ?? ColumnValues.undefinedDecimal }
    }

    func quoteReal(_ f: (QuoteState) -> Double) -> ColumnValues {
        real { r in bar(r).quotes?.close.map(f) ?? .nan }
    }
}
