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

/// Number formatting for CSV cells.
public enum CellFormat {
    /// The shortest decimal text that reads back to the same double, in the form of Swift's
    /// `description`, e.g. `0.1`, `-2.5e-05` (see `ShortestDouble`).
    public static func appendReal(_ value: Double, to out: inout [UInt8]) {
        ShortestDouble.append(value, to: &out)
    }
}
