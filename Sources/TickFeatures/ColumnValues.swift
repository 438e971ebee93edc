import TickCore

/// One computed column of a partition. Undefined cells are `Int64.min`, `Int128.min` or NaN;
/// they are written as empty cells.
public enum ColumnValues: Sendable {
    case integer([Int64])
    case decimal([Int128])
    case real([Double])

    public static let undefinedInteger = Int64.min
    public static let undefinedDecimal = Int128.min
}

extension ColumnValues {
    public var count: Int {
        switch self {
        case .integer(let v): v.count
        case .decimal(let v): v.count
        case .real(let v): v.count
        }
    }

    /// Whether row `r` holds a value.
    @inlinable
    public func isDefined(_ r: Int) -> Bool {
        switch self {
        case .integer(let v): v[r] != ColumnValues.undefinedInteger
        case .decimal(let v): v[r] != ColumnValues.undefinedDecimal
        case .real(let v): !v[r].isNaN
        }
    }

    /// The first row that holds a value, or nil.
    public var firstDefinedRow: Int? {
        switch self {
        case .integer(let v): v.firstIndex { $0 != ColumnValues.undefinedInteger }
        case .decimal(let v): v.firstIndex { $0 != ColumnValues.undefinedDecimal }
        case .real(let v): v.firstIndex { !$0.isNaN }
        }
    }

    /// Sets `defined[r]` to false for every undefined row.
    func markUndefined(in defined: inout [Bool]) {
        switch self {
        case .integer(let v): for r in v.indices where v[r] == ColumnValues.undefinedInteger { defined[r] = false }
        case .decimal(let v): for r in v.indices where v[r] == ColumnValues.undefinedDecimal { defined[r] = false }
        case .real(let v): for r in v.indices where v[r].isNaN { defined[r] = false }
        }
    }

    /// Rows `rows` (indices into this column), in that order.
    public func picking(_ rows: [Int]) -> ColumnValues {
        switch self {
        case .integer(let v): .integer(rows.map { v[$0] })
        case .decimal(let v): .decimal(rows.map { v[$0] })
        case .real(let v): .real(rows.map { v[$0] })
        }
    }
}
