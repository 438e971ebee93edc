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
