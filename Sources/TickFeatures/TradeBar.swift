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
    public mutating func add(_ trades: TradeColumns, emit: (TradeBar) throws -> Void) rethrows {
        let step = interval.micros
        for r in 0..<trades.count {
            let time = trades.time[r]
            let price = trades.price[r]
            let quantity = Int128(trades.quantity[r])
            let start = interval.barStart(time)
            if var bar = current, bar.start == start {
                if price > bar.high { bar.high = price }
                if price < bar.low { bar.low = price }
                bar.close = price
                bar.volume += quantity
                if trades.buyerAggressor[r] != 0 { bar.buyVolume += quantity }
                bar.notional += Int128(price) * quantity
                bar.tradeCount += 1
                current = bar
                continue
            }
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
                               buyVolume: trades.buyerAggressor[r] != 0 ? quantity : 0,
                               notional: Int128(price) * quantity, tradeCount: 1)
        }
    }

    /// Emits the last bar.
    public mutating func finish(emit: (TradeBar) throws -> Void) rethrows {
        if let bar = current { try emit(bar) }
        current = nil
    }
}
