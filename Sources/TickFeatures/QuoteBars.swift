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
    /// State at the bar end (last update with time < start + Δ); nil before the first quote.
    public var close: QuoteState?
    /// Time-weighted mean imbalance over the part of the bar where a state was in force.
    public var imbalanceTimeWeighted: Double?
    public var updateCount: Int64
    /// Order flow imbalance, exact, in `FixedPoint` quantity units.
    public var orderFlow: Int128

    public init(close: QuoteState?, imbalanceTimeWeighted: Double?, updateCount: Int64, orderFlow: Int128) {
        self.close = close; self.imbalanceTimeWeighted = imbalanceTimeWeighted
        self.updateCount = updateCount; self.orderFlow = orderFlow
    }
}

/// Replays top-of-book updates against the bar raster and produces one `QuoteBarStats` per bar.
///
/// The quote state, the previous update for OFI and the lookahead carry over from bar to bar and
/// from batch to batch, so the result does not depend on how the quotes were chunked.
public struct QuoteBarBuilder {
    private var buffer = QuoteColumns()
    private var position = 0
    private var ended = false
    private var state: QuoteState?

    public init() {}

    /// Whether bar stats up to `barEnd` need more quotes than are buffered.
    public func needsQuotes(before barEnd: Int64) -> Bool {
        !ended && (position >= buffer.count || buffer.time[buffer.count - 1] < barEnd)
    }

    /// Adds the next batch of time-ordered updates.
    public mutating func append(_ quotes: QuoteColumns) {
        if position >= buffer.count {
            buffer = quotes
        } else {
            // Keep the unread tail: at most the updates of one bar.
            var tail = QuoteColumns()
            tail.time = Array(buffer.time[position...]) + quotes.time
            tail.bidPrice = Array(buffer.bidPrice[position...]) + quotes.bidPrice
            tail.bidQuantity = Array(buffer.bidQuantity[position...]) + quotes.bidQuantity
            tail.askPrice = Array(buffer.askPrice[position...]) + quotes.askPrice
            tail.askQuantity = Array(buffer.askQuantity[position...]) + quotes.askQuantity
            buffer = tail
        }
        position = 0
    }

    /// No more quotes will come.
    public mutating func endOfQuotes() { ended = true }

    /// Consumes every update with time < `end` and describes the bar `[start, end)`. Bars must
    /// be asked for in order; updates before `start` (before the first bar) only move the state.
    public mutating func finishBar(start: Int64, end: Int64) -> QuoteBarStats {
        var cursor = start
        var weighted = 0.0
        var covered: Int64 = 0
        var count: Int64 = 0
        var flow: Int128 = 0
        while position < buffer.count {
            let time = buffer.time[position]
            if time >= end { break }
            let next = QuoteState(bidPrice: buffer.bidPrice[position], bidQuantity: buffer.bidQuantity[position],
                                  askPrice: buffer.askPrice[position], askQuantity: buffer.askQuantity[position])
            position += 1
            if time >= start {
                if time > cursor, let imbalance = state?.imbalance {
                    weighted += imbalance * Double(time - cursor)
                    covered += time - cursor
                }
                if time > cursor { cursor = time }
                count += 1
                if let previous = state { flow += Self.orderFlowEvent(previous: previous, next: next) }
            }
            state = next
        }
        if end > cursor, let imbalance = state?.imbalance {
            weighted += imbalance * Double(end - cursor)
            covered += end - cursor
        }
        return QuoteBarStats(close: state, imbalanceTimeWeighted: covered > 0 ? weighted / Double(covered) : nil,
                             updateCount: count, orderFlow: flow)
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
