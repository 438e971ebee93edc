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

/// Parsed trades in columns, in file order. Times are epoch microseconds; prices and quantities
/// are `FixedPoint` raw values.
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
