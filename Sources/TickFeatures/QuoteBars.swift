import TickCore

/// The top of the book as of some instant.
public struct QuoteState: Sendable, Equatable {
    public var bidPrice: Int64
    public var bidQuantity: Int64
    public var askPrice: Int64
    public var askQuantity: Int64

    /// `(B − A)/(B + A)`; nil when both sides are empty.
    @inlinable
    public var imbalance: Double? {
        let total = bidQuantity + askQuantity
        guard total != 0 else { return nil }
        return Double(bidQuantity - askQuantity) / Double(total)
    }
}

/// What the quotes say about one bar.
public struct QuoteBarStats: Sendable, Equatable {
    /// State at the bar end (last update with time < start + Δ); nil before the first quote,
    /// and when that update is older than the maximum quote age.
    public var close: QuoteState?
    /// Time-weighted mean imbalance over the part of the bar where a state no older than the
    /// maximum quote age was in force.
    public var imbalanceTimeWeighted: Double?
    public var updateCount: Int64
    /// Order flow imbalance, exact, in `FixedPoint` quantity units.
    public var orderFlow: Int128
    /// Time (µs) of the last update with time < start + Δ, stale or not; nil before the first.
    public var lastUpdate: Int64?

    public init(close: QuoteState?, imbalanceTimeWeighted: Double?, updateCount: Int64, orderFlow: Int128, lastUpdate: Int64? = nil) {
        self.close = close; self.imbalanceTimeWeighted = imbalanceTimeWeighted
        self.updateCount = updateCount; self.orderFlow = orderFlow; self.lastUpdate = lastUpdate
    }
}

/// Replays top-of-book updates against the bar raster and produces one `QuoteBarStats` per bar.
///
/// Updates are consumed batch by batch as they are appended, also inside one bar, so memory is
/// one batch whatever the number of updates in a bar. The quote state, the previous update for
/// OFI and the bar being summed carry over from batch to batch, so the result does not depend
/// on how the quotes were chunked.
public struct QuoteBarBuilder {
    /// A state whose update is older than this (µs) counts as absent; nil: no limit.
    public let maxAge: Int64?
    private var buffer = QuoteColumns()
    private var position = 0
    private var ended = false
    private var state: QuoteState?
    /// Time of the update that set `state`.
    private var stateTime: Int64 = 0
    /// The bar being summed.
    private var bar: OpenBar?

    private struct OpenBar {
        var start: Int64
        var cursor: Int64
        var weighted = 0.0
        var covered: Int64 = 0
        var count: Int64 = 0
        var flow: Int128 = 0
    }

    public init(maxAge: Int64? = nil) { self.maxAge = maxAge }

    /// Whether every buffered update has been consumed and more may come: after `consume`,
    /// call `append` (or `endOfQuotes`) and consume again before finishing the bar.
    public var needsMoreQuotes: Bool { !ended && position >= buffer.count }

    /// Adds the next batch of time-ordered updates (when the buffered ones are consumed).
    public mutating func append(_ quotes: QuoteColumns) {
        precondition(position >= buffer.count, "append before the buffered quotes are consumed")
        buffer = quotes
        position = 0
    }

    /// No more quotes will come.
    public mutating func endOfQuotes() { ended = true }

    /// Consumes the buffered updates with time < `end` into the bar `[start, end)`. Bars must be
    /// asked for in order; updates before `start` (before the first bar) only move the state.
    public mutating func consume(start: Int64, end: Int64) {
        if bar?.start != start { bar = OpenBar(start: start, cursor: start) }
        var open = bar!
        while position < buffer.count {
            let time = buffer.time[position]
            if time >= end { break }
            let next = QuoteState(bidPrice: buffer.bidPrice[position], bidQuantity: buffer.bidQuantity[position],
                                  askPrice: buffer.askPrice[position], askQuantity: buffer.askQuantity[position])
            position += 1
            if time >= start {
                if time > open.cursor {
                    weigh(&open, until: time)
                    open.cursor = time
                }
                open.count += 1
                if let previous = state { open.flow += Self.orderFlowEvent(previous: previous, next: next) }
            }
            state = next
            stateTime = time
        }
        bar = open
    }

    /// Describes the bar `[start, end)` once every update with time < `end` is consumed.
    public mutating func finishBar(start: Int64, end: Int64) -> QuoteBarStats {
        consume(start: start, end: end)
        var open = bar!
        bar = nil
        if end > open.cursor { weigh(&open, until: end) }
        let fresh = state != nil && maxAge.map { end - stateTime <= $0 } ?? true
        return QuoteBarStats(close: fresh ? state : nil,
                             imbalanceTimeWeighted: open.covered > 0 ? open.weighted / Double(open.covered) : nil,
                             updateCount: open.count, orderFlow: open.flow, lastUpdate: state == nil ? nil : stateTime)
    }

    /// Adds the state in force from the cursor to `until` to the time-weighted imbalance: only
    /// the part in which it is at most `maxAge` old, and nothing for a state without imbalance.
    private func weigh(_ open: inout OpenBar, until: Int64) {
        guard let imbalance = state?.imbalance else { return }
        let end = maxAge.map { min(until, stateTime + $0) } ?? until
        guard end > open.cursor else { return }
        open.weighted += imbalance * Double(end - open.cursor)
        open.covered += end - open.cursor
    }

    /// `e_n` of Cont, Kukanov & Stoikov (2014), exact.
    @inlinable
    public static func orderFlowEvent(previous p: QuoteState, next n: QuoteState) -> Int128 {
        var e: Int128 = 0
        if n.bidPrice >= p.bidPrice { e += Int128(n.bidQuantity) }
        if n.bidPrice <= p.bidPrice { e -= Int128(p.bidQuantity) }
        if n.askPrice <= p.askPrice { e -= Int128(n.askQuantity) }
        if n.askPrice >= p.askPrice { e += Int128(p.askQuantity) }
        return e
    }
}
