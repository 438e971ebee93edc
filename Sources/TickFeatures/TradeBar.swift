import TickCore

/// One bar of trades, summed exactly: prices and quantities in `FixedPoint` raw units, sums in
/// 128 bits so no grouping of trades changes a bit.
public struct TradeBar: Sendable, Equatable {
    /// Bar start, epoch µs.
    public var start: Int64
    public var open: Int64
    public var high: Int64
    public var low: Int64
    public var close: Int64
    public var volume: Int128
    public var buyVolume: Int128
    /// Σ price·qty in units of 10⁻¹⁶.
    public var notional: Int128
    public var tradeCount: Int64

    /// An empty bar: all prices equal the previous close.
    public static func empty(start: Int64, previousClose: Int64) -> TradeBar {
        TradeBar(start: start, open: previousClose, high: previousClose, low: previousClose, close: previousClose,
                 volume: 0, buyVolume: 0, notional: 0, tradeCount: 0)
    }
}

/// Turns a time-ordered trade stream into the dense bar raster: every bar from the bar of the
/// first trade to the bar of the last, empty ones included.
public struct BarBuilder {
    public let interval: BarInterval
    private var current: TradeBar?
    /// Start of bar 0, known after the first trade.
    public private(set) var origin: Int64?

    public init(interval: BarInterval) { self.interval = interval }

    /// Adds trades (already validated, in time order) and calls `emit` for every bar that is
    /// complete, in order.
    ///
    /// The trades of one bar are summed in a tight loop over the columns with the bar's fields
    /// in locals, and a trade's bar is found by comparing with the current bar's end: the
    /// division that maps a time to its bar runs once per bar, not once per trade. (This loop
    /// runs on one thread over every trade of the input.)
    public mutating func add(_ trades: TradeColumns, emit: (TradeBar) throws -> Void) rethrows {
        let step = interval.micros
        let n = trades.count
        try trades.time.withUnsafeBufferPointer { times in
            try trades.price.withUnsafeBufferPointer { prices in
                try trades.quantity.withUnsafeBufferPointer { quantities in
                    try trades.buyerAggressor.withUnsafeBufferPointer { sides in
                        var r = 0
                        while r < n {
                            if var bar = current, times[r] >= bar.start, times[r] - bar.start < step {
                                let end = bar.start + step
                                var high = bar.high, low = bar.low, close = bar.close
                                var volume = bar.volume, buyVolume = bar.buyVolume, notional = bar.notional
                                var count = bar.tradeCount
                                while r < n, times[r] < end, times[r] >= bar.start {
                                    let price = prices[r]
                                    let quantity = Int128(quantities[r])
                                    if price > high { high = price }
                                    if price < low { low = price }
                                    close = price
                                    volume += quantity
                                    // Sides are as random as coin flips: a branch on them
                                    // mispredicted on every other trade. Masked instead.
                                    buyVolume += quantity & (0 &- Int128(sides[r] != 0 ? 1 : 0))
                                    notional += Int128(price) * quantity
                                    count += 1
                                    r += 1
                                }
                                bar.high = high; bar.low = low; bar.close = close
                                bar.volume = volume; bar.buyVolume = buyVolume; bar.notional = notional
                                bar.tradeCount = count
                                current = bar
                                continue
                            }
                            let price = prices[r]
                            let quantity = Int128(quantities[r])
                            let start = interval.barStart(times[r])
                            if let done = current {
                                try emit(done)
                                // Empty bars between the last bar and this trade's bar.
                                var gapStart = done.start + step
                                while gapStart < start {
                                    try emit(.empty(start: gapStart, previousClose: done.close))
                                    gapStart += step
                                }
                            } else {
                                origin = start
                            }
                            current = TradeBar(start: start, open: price, high: price, low: price, close: price,
                                               volume: quantity,
                                               buyVolume: sides[r] != 0 ? quantity : 0,
                                               notional: Int128(price) * quantity, tradeCount: 1)
                            r += 1
                        }
                    }
                }
            }
        }
    }

    /// Emits the last bar.
    public mutating func finish(emit: (TradeBar) throws -> Void) rethrows {
        if let bar = current { try emit(bar) }
        current = nil
    }
}
