import TickCore

/// Whether a file holds trades, top-of-book quotes or order book updates.
public enum RecordKind: String, Sendable, Codable {
    case trades
    case quotes
    /// Tardis `incremental_book_L2` or `book_snapshot_N`, parsed into the trade columns
    /// (`BookRowFlags`).
    case book

    /// Whether its rows are parsed into `QuoteColumns` (else `TradeColumns`).
    public var hasQuoteColumns: Bool { self == .quotes }
}

/// What tickforge reads from one CSV column.
public enum ColumnRole: UInt8, Sendable, Equatable {
    case ignore
    case time
    case price
    case quantity
    case side
    case id
    case bidPrice
    case bidQuantity
    case askPrice
    case askQuantity
    /// The instrument (Tardis `symbol`): one input is one instrument, so rows of another symbol
    /// are skipped (a symbol is selected) or an error (none is).
    case symbol
    /// A time that orders rows of equal `time` (Tardis `local_timestamp`, when the row was
    /// received), read in the layout's time unit. Used only as the sequence key of merge and
    /// sort (contract, Inputs, Sequence keys); no rule checks its order.
    case sequence
    /// `incremental_book_L2`: `is_snapshot`, `side` (bid/ask), `price`, `amount`.
    case bookSnapshotFlag
    case bookSide
    case bookPrice
    case bookAmount
    /// `book_snapshot_N`: the price and amount of level k of a side, k by the order of the
    /// columns (`asks[k].price` …).
    case askLevelPrice
    case askLevelAmount
    case bidLevelPrice
    case bidLevelAmount
}

/// What the reader does with a trade whose side is `unknown` (Tardis).
public enum UnknownSidePolicy: String, Sendable, Codable {
    /// A bad row (the default: the contract's, until a side is inferred).
    case reject
    /// Kept with side `AggressorSide.unknown`, for a reader that infers it before bars are built.
    case keep
}

/// How a side column says who aggressed.
public enum SideEncoding: String, Sendable, Codable {
    /// Binance `is_buyer_maker`: `true` means the seller was the aggressor.
    case buyerIsMaker = "is_buyer_maker"
    /// `buy`/`sell`: the aggressor's side (Tardis, ccxt).
    case aggressor
}

/// A recognised CSV layout: what each column means and how to read it.
public struct Layout: Sendable, Equatable {
    /// Short name, e.g. `binance-trades`.
    public var name: String
    public var kind: RecordKind
    /// The role of every column, by 0-based index; its count is the number of fields each row has.
    public var roles: [ColumnRole]
    /// Header names, when the file has a header line.
    public var header: [String]?
    public var timeUnit: TimeUnit
    public var sideEncoding: SideEncoding
    /// The symbol of the file's first data line, when the layout has a symbol column: without a
    /// selected symbol, a row of any other symbol is an error (the file holds two instruments).
    /// Set by `LayoutDetector`; nil when the first data line has no symbol cell.
    public var expectedSymbol: [UInt8]?

    /// The name of layouts made from a column mapping (`--columns`).
    public static let mappedName = "mapped"

    public init(name: String, kind: RecordKind, roles: [ColumnRole], header: [String]?,
                timeUnit: TimeUnit, sideEncoding: SideEncoding = .buyerIsMaker, expectedSymbol: [UInt8]? = nil) {
        self.name = name; self.kind = kind; self.roles = roles; self.header = header
        self.timeUnit = timeUnit; self.sideEncoding = sideEncoding; self.expectedSymbol = expectedSymbol
    }

    public var columnCount: Int { roles.count }
    public var hasHeader: Bool { header != nil }
    public var hasIds: Bool { roles.contains(.id) }
    public var hasSymbols: Bool { roles.contains(.symbol) }
    /// Whether the layout has a sequence key column of its own (not the id).
    public var hasSequence: Bool { roles.contains(.sequence) }
    /// Whether the layout comes from a column mapping. Mapped layouts read what pandas writes
    /// (ISO 8601 times, scientific notation, more than 8 decimals, rounded); exchange layouts
    /// keep the strict forms their exchanges publish.
    public var isMapped: Bool { name == Layout.mappedName }

    /// The 0-based column index of a role.
    public func column(of role: ColumnRole) -> Int? { roles.firstIndex(of: role) }
}

/// A layout known by its header names.
struct KnownLayout {
    let name: String
    let kind: RecordKind
    /// Header name → role; a header must contain every name listed here.
    let columns: [(String, ColumnRole)]
    let sideEncoding: SideEncoding

    /// Headerless Binance layouts, told apart by column count and the position of the boolean.
    let headerlessColumnCounts: [Int]
}

extension KnownLayout {
    static let all: [KnownLayout] = [
        KnownLayout(name: "tardis-incremental-book-l2", kind: .book,
                    columns: [("timestamp", .time), ("is_snapshot", .bookSnapshotFlag), ("side", .bookSide), ("price", .bookPrice),
                              ("amount", .bookAmount), ("symbol", .symbol), ("exchange", .ignore), ("local_timestamp", .sequence)],
                    sideEncoding: .aggressor, headerlessColumnCounts: []),
        KnownLayout(name: "binance-aggtrades", kind: .trades,
                    columns: [("agg_trade_id", .id), ("price", .price), ("quantity", .quantity),
                              ("transact_time", .time), ("is_buyer_maker", .side)],
                    sideEncoding: .buyerIsMaker, headerlessColumnCounts: [7, 8]),
        KnownLayout(name: "binance-trades", kind: .trades,
                    columns: [("id", .id), ("price", .price), ("qty", .quantity), ("time", .time),
                              ("is_buyer_maker", .side)],
                    sideEncoding: .buyerIsMaker, headerlessColumnCounts: [6, 7]),
        KnownLayout(name: "binance-bookticker", kind: .quotes,
                    columns: [("update_id", .id), ("best_bid_price", .bidPrice), ("best_bid_qty", .bidQuantity),
                              ("best_ask_price", .askPrice), ("best_ask_qty", .askQuantity),
                              ("transaction_time", .time)],
                    sideEncoding: .buyerIsMaker, headerlessColumnCounts: []),
        KnownLayout(name: "tardis-trades", kind: .trades,
                    columns: [("timestamp", .time), ("id", .id), ("side", .side), ("price", .price),
                              ("amount", .quantity), ("symbol", .symbol), ("exchange", .ignore),
                              ("local_timestamp", .sequence)],
                    sideEncoding: .aggressor, headerlessColumnCounts: []),
        KnownLayout(name: "tardis-quotes", kind: .quotes,
                    columns: [("timestamp", .time), ("ask_amount", .askQuantity), ("ask_price", .askPrice),
                              ("bid_price", .bidPrice), ("bid_amount", .bidQuantity), ("symbol", .symbol),
                              ("exchange", .ignore), ("local_timestamp", .sequence)],
                    sideEncoding: .aggressor, headerlessColumnCounts: []),
    ]

    /// The roles for `header`, or nil when a required name is missing.
    func roles(for header: [String]) -> [ColumnRole]? {
        var roles = [ColumnRole](repeating: .ignore, count: header.count)
        for (name, role) in columns {
            guard let index = header.firstIndex(of: name) else { return nil }
            roles[index] = role
        }
        return roles
    }
}
