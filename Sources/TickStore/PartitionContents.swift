/// The values of one stored column.
public enum ColumnPayload: Sendable, Equatable {
    /// Times, ids, prices, quantities, counts (any `Int64`; undefined may be `Int64.min`).
    case int64([Int64])
    /// Exact decimal sums (undefined may be `Int128.min`).
    case int128([Int128])
    /// Feature values. Every double round-trips bit-exactly, including NaN payloads and -0.0.
    case float64([Double])
    /// Sides (0/1) and flags.
    case uint8([UInt8])

    /// Number of values.
    public var count: Int {
        switch self {
        case .int64(let v): return v.count
        case .int128(let v): return v.count
        case .float64(let v): return v.count
        case .uint8(let v): return v.count
        }
    }

    /// Equality on bit patterns: `==` on `[Double]` says NaN ≠ NaN, but a partition stores bits,
    /// so two payloads are equal when every value has the same bits (NaN payloads and -0.0 count).
    public static func == (lhs: ColumnPayload, rhs: ColumnPayload) -> Bool {
        switch (lhs, rhs) {
        case let (.int64(a), .int64(b)): return a == b
        case let (.int128(a), .int128(b)): return a == b
        case let (.uint8(a), .uint8(b)): return a == b
        case let (.float64(a), .float64(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
        default: return false
        }
    }
}

/// One named column of a partition.
public struct StoredColumn: Sendable, Equatable {
    /// Unique within a partition (UTF-8, compared byte for byte).
    public var name: String
    public var payload: ColumnPayload

    public init(name: String, payload: ColumnPayload) {
        self.name = name
        self.payload = payload
    }

    /// Number of values.
    public var count: Int { payload.count }
}

/// Everything one partition file holds.
public struct PartitionContents: Sendable, Equatable {
    /// What the rows are, e.g. `"trades"`, `"quotes"`, `"features"`.
    public var kind: String
    public var rowCount: Int
    /// Smallest time in the partition (epoch µs); any value when `rowCount == 0`.
    public var minTime: Int64
    /// Largest time in the partition (epoch µs); any value when `rowCount == 0`.
    public var maxTime: Int64
    /// Small free-form key/values, stored in the header sorted by the keys' UTF-8 bytes.
    public var metadata: [String: String]
    /// Every column has `rowCount` values; names are unique.
    public var columns: [StoredColumn]

    public init(kind: String, rowCount: Int, minTime: Int64, maxTime: Int64,
                metadata: [String: String] = [:], columns: [StoredColumn]) {
        self.kind = kind
        self.rowCount = rowCount
        self.minTime = minTime
        self.maxTime = maxTime
        self.metadata = metadata
        self.columns = columns
    }

    /// The column called `name`, if any.
    public func column(named name: String) -> StoredColumn? {
        columns.first { $0.name == name }
    }
}
