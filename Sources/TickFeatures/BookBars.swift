import TickCore

/// One side of an order book: its levels kept sorted best first (bids by falling price, asks by
/// rising price), so that the best k levels are the first k and an update moves one level by a
/// binary search and a shift, never a sort.
public struct BookSide: Sendable, Equatable {
    public let isAsk: Bool
    public private(set) var prices: [Int64] = []
    public private(set) var amounts: [Int64] = []

    public init(isAsk: Bool) { self.isAsk = isAsk }

    public var count: Int { prices.count }
    public var isEmpty: Bool { prices.isEmpty }

    /// Whether `a` is better than `b` on this side.
    @inline(__always) func better(_ a: Int64, _ b: Int64) -> Bool { isAsk ? a < b : a > b }

    /// The index of `price`, or where it would go.
    func place(of price: Int64) -> Int {
        var low = 0, high = prices.count
        while low < high {
            let mid = (low + high) / 2
            if better(prices[mid], price) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Sets a level's amount; 0 deletes it (deleting an absent level does nothing).
    public mutating func set(price: Int64, amount: Int64) {
        let i = place(of: price)
        let present = i < prices.count && prices[i] == price
        if amount == 0 {
            if present { prices.remove(at: i); amounts.remove(at: i) }
        } else if present {
            amounts[i] = amount
        } else {
            prices.insert(price, at: i); amounts.insert(amount, at: i)
        }
    }

    public mutating func removeAll() {
        prices.removeAll(keepingCapacity: true)
        amounts.removeAll(keepingCapacity: true)
    }

    /// Σ amount of the best `k` levels (all of them when the side has fewer).
    public func depth(_ k: Int) -> Int128 {
        var sum: Int128 = 0
        for i in 0..<min(k, amounts.count) { sum += Int128(amounts[i]) }
        return sum
    }
}

/// What the book says about one bar (contract, Book).
public struct BookBar: Sendable, Equatable {
    /// Σ of the best k bid and ask amounts at the bar end, per depth level k (flag order); nil
    /// before the first update.
    public var bidDepth: [Int128]?
    public var askDepth: [Int128]?
    /// Time-weighted `book_imb_{k}` over the bar, per k; nil where no state with a defined
    /// imbalance was in force.
    public var imbalanceTimeWeighted: [Double?]
    public var updateCount: Int64

    public init(bidDepth: [Int128]?, askDepth: [Int128]?, imbalanceTimeWeighted: [Double?], updateCount: Int64) {
        self.bidDepth = bidDepth; self.askDepth = askDepth
        self.imbalanceTimeWeighted = imbalanceTimeWeighted; self.updateCount = updateCount
    }
}

/// Replays book rows (`BookRowFlags` in the trade columns, in stream order) against the bar
/// raster: groups them into updates, applies each to the book, and produces one `BookBar` per
/// bar and, when asked, the top-of-book quote stream the book implies.
///
/// Rows are consumed batch by batch and an update may span batches: an update is committed
/// only when the next one starts or a bar ends (every row with time < the bar end is in by
/// then, and a later row has a later time), so the result does not depend on the batching.
public struct BookBarBuilder {
    public let levels: [Int]
    /// Whether to collect the top-of-book quote updates (`takeQuotes`).
    public let derivesQuotes: Bool
    private var bids = BookSide(isAsk: false)
    private var asks = BookSide(isAsk: true)
    private var buffer = TradeColumns()
    private var position = 0
    private var ended = false
    /// The update being applied: its time, and whether its last row was an incremental snapshot
    /// row (for the rule that a snapshot after a non-snapshot row empties the book).
    private var pending: Int64?
    private var lastRowWasSnapshot = false
    private var sawRow = false
    /// The committed state: whether there is one, its imbalance per k, its top of book.
    private var hasState = false
    private var imbalances: [Double?]
    private var top: QuoteState?
    private var quotes = QuoteColumns()
    /// Crossed committed states (best bid ≥ best ask), kept as the contract says, and counted.
    public private(set) var crossedUpdates: Int64 = 0
    private var bar: OpenBar?

    private struct OpenBar {
        var start: Int64
        var cursor: Int64
        var weighted: [Double]
        var covered: [Int64]
        var count: Int64 = 0
    }

    public init(levels: [Int], derivesQuotes: Bool) {
        self.levels = levels
        self.derivesQuotes = derivesQuotes
        imbalances = [Double?](repeating: nil, count: levels.count)
    }

    public var needsMore: Bool { !ended && position >= buffer.count }

    public mutating func append(_ rows: TradeColumns) {
        precondition(position >= buffer.count, "append before the buffered book rows are consumed")
        buffer = rows
        position = 0
    }

    public mutating func endOfInput() { ended = true }

    /// The quote updates the committed updates implied since the last call.
    public mutating func takeQuotes() -> QuoteColumns {
        defer { quotes = QuoteColumns() }
        return quotes
    }

    /// Consumes the buffered rows with time < `end` into the bar `[start, end)`.
    public mutating func consume(start: Int64, end: Int64) {
        if bar?.start != start {
            bar = OpenBar(start: start, cursor: start, weighted: [Double](repeating: 0, count: levels.count),
                          covered: [Int64](repeating: 0, count: levels.count))
        }
        while position < buffer.count {
            let time = buffer.time[position]
            if time >= end { break }
            let flags = BookRowFlags(rawValue: buffer.buyerAggressor[position])
            let startsUpdate = flags.contains(.wholeState) || (!flags.contains(.ofWholeState) && time != pending)
            if startsUpdate {
                if let previous = pending { commit(at: previous, barStart: start) }
                pending = time
            }
            if flags.contains(.wholeState) {
                bids.removeAll(); asks.removeAll()
            } else if flags.contains(.snapshot) && (!sawRow || !lastRowWasSnapshot) {
                bids.removeAll(); asks.removeAll()
            }
            if !flags.contains(.wholeState) {
                if flags.contains(.ask) {
                    asks.set(price: buffer.price[position], amount: buffer.quantity[position])
                } else {
                    bids.set(price: buffer.price[position], amount: buffer.quantity[position])
                }
            }
            lastRowWasSnapshot = flags.contains(.snapshot)
            sawRow = true
            position += 1
        }
    }

    /// The bar `[start, end)` once every row with time < `end` is consumed.
    public mutating func finishBar(start: Int64, end: Int64) -> BookBar {
        consume(start: start, end: end)
        if let time = pending {
            commit(at: time, barStart: start)
            pending = nil
        }
        var open = bar!
        bar = nil
        weigh(&open, until: end)
        let twa = (0..<levels.count).map { open.covered[$0] > 0 ? open.weighted[$0] / Double(open.covered[$0]) : nil }
        return BookBar(bidDepth: hasState ? levels.map { bids.depth($0) } : nil, askDepth: hasState ? levels.map { asks.depth($0) } : nil,
                       imbalanceTimeWeighted: twa, updateCount: open.count)
    }

    /// The update applied so far becomes the state in force from `time`.
    private mutating func commit(at time: Int64, barStart: Int64) {
        if time >= barStart, var open = bar {
            weigh(&open, until: time)
            open.count += 1
            bar = open
        }
        hasState = true
        for (i, k) in levels.enumerated() {
            let b = bids.depth(k), a = asks.depth(k)
            imbalances[i] = b + a == 0 ? nil : FixedPoint.exactDouble(b - a) / FixedPoint.exactDouble(b + a)
        }
        if let bestBid = bids.prices.first, let bestAsk = asks.prices.first, bestBid >= bestAsk { crossedUpdates += 1 }
        guard derivesQuotes else { return }
        // Top of book from the book: an update after which both sides are present and the top
        // differs from before (a side empty before counts as different).
        guard let bidPrice = bids.prices.first, let askPrice = asks.prices.first else {
            top = nil
            return
        }
        let next = QuoteState(bidPrice: bidPrice, bidQuantity: bids.amounts[0], askPrice: askPrice, askQuantity: asks.amounts[0])
        if next != top {
            quotes.time.append(time); quotes.bidPrice.append(next.bidPrice); quotes.bidQuantity.append(next.bidQuantity)
            quotes.askPrice.append(next.askPrice); quotes.askQuantity.append(next.askQuantity)
        }
        top = next
    }

    /// Adds the committed state from the bar's cursor to `until`, per k (a state whose
    /// imbalance is undefined carries no weight), and moves the cursor.
    private func weigh(_ open: inout OpenBar, until: Int64) {
        guard until > open.cursor else { return }
        let span = until - open.cursor
        for i in 0..<levels.count {
            guard let imbalance = imbalances[i] else { continue }
            open.weighted[i] += imbalance * Double(span)
            open.covered[i] += span
        }
        open.cursor = until
    }
}
