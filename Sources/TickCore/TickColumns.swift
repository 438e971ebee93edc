/// Which side took liquidity in a trade.
public enum AggressorSide: UInt8, Sendable {
    case buyer = 1
    case seller = 0
    /// The input said the side is unknown (Tardis `side=unknown`). Kept only when the reader is
    /// told to keep such rows, for a stream reader that infers their side (tick rule) before
    /// bars are built: the value never reaches TickFeatures, whose buy volume counts 1s only.
    case unknown = 2
}

/// Trade and update ids as the columns hold them.
public enum RowID {
    /// The id of a row whose id cell is not an integer (a UUID, letters, an empty cell, a sign,
    /// more digits than fit in `Int64`). The contract's id rules (duplicates, ids rising) hold
    /// only for integer ids, so such a row's id is never compared. No parsed id can be
    /// negative, so the value cannot clash with a real one.
    public static let none: Int64 = .min
}

/// What a book row is (`TradeColumns.buyerAggressor` of a book input's rows).
///
/// Book updates travel through ingest, partitions, merge and sort in the trade columns: a row is
/// a time, a sequence key, a price, a quantity (the level's new amount) and one byte, exactly the
/// trade shape, and the order rules are the trades' without ids. The byte says which side and
/// how the row groups into updates (contract, Book).
public struct BookRowFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// An ask level; a bid level otherwise.
    public static let ask = BookRowFlags(rawValue: 1)
    /// `incremental_book_L2` `is_snapshot=true`: after a row without it, the book is emptied.
    public static let snapshot = BookRowFlags(rawValue: 2)
    /// The first row of a `book_snapshot_N` line: a new update that empties the book. It
    /// carries no level.
    public static let wholeState = BookRowFlags(rawValue: 4)
    /// A level of a `book_snapshot_N` line: part of the update its `wholeState` row began,
    /// whatever the time.
    public static let ofWholeState = BookRowFlags(rawValue: 8)
}

/// Parsed trades in columns, in file order. Times are epoch microseconds; prices and quantities
/// are `FixedPoint` raw values. A book input's rows use the same columns (`BookRowFlags`).
public struct TradeColumns: Sendable, Equatable {
    public var time: [Int64] = []
    public var price: [Int64] = []
    public var quantity: [Int64] = []
    /// 1 when the buyer was the aggressor, 0 when the seller was, 2 (`AggressorSide.unknown`)
    /// when the input did not say and the reader kept the row.
    public var buyerAggressor: [UInt8] = []
    /// Trade ids, empty when the layout has none; `RowID.none` for a row whose id is not an
    /// integer.
    public var id: [Int64] = []
    /// The layout's sequence key when it is not the id (Tardis `local_timestamp`, epoch
    /// microseconds): the order among rows of equal time. Empty when the layout has none.
    public var sequence: [Int64] = []

    public init() {}

    public var count: Int { time.count }

    public mutating func reserve(_ n: Int, withIds: Bool) {
        time.reserveCapacity(n); price.reserveCapacity(n); quantity.reserveCapacity(n)
        buyerAggressor.reserveCapacity(n)
        if withIds { id.reserveCapacity(n) }
    }
}

/// Parsed top-of-book updates in columns, in file order.
public struct QuoteColumns: Sendable, Equatable {
    public var time: [Int64] = []
    public var bidPrice: [Int64] = []
    public var bidQuantity: [Int64] = []
    public var askPrice: [Int64] = []
    public var askQuantity: [Int64] = []
    /// Update ids, empty when the layout has none; `RowID.none` for a row whose id is not an
    /// integer.
    public var id: [Int64] = []
    /// The layout's sequence key when it is not the id (Tardis `local_timestamp`, epoch
    /// microseconds). Empty when the layout has none.
    public var sequence: [Int64] = []

    public init() {}

    public var count: Int { time.count }

    public mutating func reserve(_ n: Int, withIds: Bool) {
        time.reserveCapacity(n); bidPrice.reserveCapacity(n); bidQuantity.reserveCapacity(n)
        askPrice.reserveCapacity(n); askQuantity.reserveCapacity(n)
        if withIds { id.reserveCapacity(n) }
    }
}

extension TradeColumns {
    /// Drops the last `k` rows (in place when the columns are not shared).
    public mutating func removeLast(_ k: Int) {
        time.removeLast(k); price.removeLast(k); quantity.removeLast(k); buyerAggressor.removeLast(k)
        if !id.isEmpty { id.removeLast(k) }
        if !sequence.isEmpty { sequence.removeLast(k) }
    }

    /// Appends the rows of `other` (both with ids and sequence keys, or both without).
    public mutating func append(_ other: TradeColumns) {
        time += other.time; price += other.price; quantity += other.quantity
        buyerAggressor += other.buyerAggressor; id += other.id; sequence += other.sequence
    }
}

extension QuoteColumns {
    /// Drops the last `k` rows (in place when the columns are not shared).
    public mutating func removeLast(_ k: Int) {
        time.removeLast(k); bidPrice.removeLast(k); bidQuantity.removeLast(k); askPrice.removeLast(k)
        askQuantity.removeLast(k)
        if !id.isEmpty { id.removeLast(k) }
        if !sequence.isEmpty { sequence.removeLast(k) }
    }

    /// Appends the rows of `other` (both with ids and sequence keys, or both without).
    public mutating func append(_ other: QuoteColumns) {
        time += other.time; bidPrice += other.bidPrice; bidQuantity += other.bidQuantity
        askPrice += other.askPrice; askQuantity += other.askQuantity; id += other.id; sequence += other.sequence
    }
}
