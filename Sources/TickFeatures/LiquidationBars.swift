import TickCore

/// What the liquidations say about one bar.
public struct LiquidationBar: Sendable, Equatable {
    /// Σ amount of liquidation orders with side buy (closing shorts) and sell (closing longs),
    /// exact, in `FixedPoint` quantity units.
    public var buyVolume: Int128 = 0
    public var sellVolume: Int128 = 0
    public var count: Int64 = 0

    public init(buyVolume: Int128 = 0, sellVolume: Int128 = 0, count: Int64 = 0) {
        self.buyVolume = buyVolume; self.sellVolume = sellVolume; self.count = count
    }
}

/// Sums liquidations (in time order, the trades layout: side 1 = buy, 0 = sell) into the bars,
/// batch by batch like `QuoteBarBuilder`, so the result does not depend on how they were
/// chunked. Liquidations before the first bar or after the last are not used: they are counted.
public struct LiquidationBarBuilder {
    private var buffer = TradeColumns()
    private var position = 0
    private var ended = false
    private var bar: (start: Int64, sums: LiquidationBar)?
    private var sawBar = false
    /// Liquidations before the first bar's start, and (after `countRest`) after the last bar.
    public private(set) var beforeFirstBar: Int64 = 0
    public private(set) var afterLastBar: Int64 = 0

    public init() {}

    public var needsMore: Bool { !ended && position >= buffer.count }

    /// Adds the next batch once the buffered one is consumed.
    public mutating func append(_ rows: TradeColumns) {
        precondition(position >= buffer.count, "append before the buffered liquidations are consumed")
        buffer = rows
        position = 0
    }

    public mutating func endOfInput() { ended = true }

    /// Consumes the buffered liquidations with time < `end` into the bar `[start, end)`; bars
    /// come in order, the first bar's start is the raster's.
    public mutating func consume(start: Int64, end: Int64) {
        if bar?.start != start { bar = (start, LiquidationBar()) }
        while position < buffer.count {
            let time = buffer.time[position]
            if time >= end { break }
            if !sawBar && time < start {
                beforeFirstBar += 1
            } else if buffer.buyerAggressor[position] == AggressorSide.buyer.rawValue {
                bar!.sums.buyVolume += Int128(buffer.quantity[position])
                bar!.sums.count += 1
            } else {
                bar!.sums.sellVolume += Int128(buffer.quantity[position])
                bar!.sums.count += 1
            }
            position += 1
        }
    }

    /// The sums of `[start, end)` once every liquidation with time < `end` is consumed.
    public mutating func finishBar(start: Int64, end: Int64) -> LiquidationBar {
        consume(start: start, end: end)
        sawBar = true
        defer { bar = nil }
        return bar!.sums
    }

    /// After the last bar: counts what is left of the buffered batch (call until `needsMore`,
    /// appending the rest, then once more after `endOfInput`).
    public mutating func countRest() {
        afterLastBar += Int64(buffer.count - position)
        position = buffer.count
    }
}
