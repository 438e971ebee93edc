import TickCore

/// One computed column of a partition. Undefined cells are `Int64.min`, `Int128.min` or NaN;
/// they are written as empty cells.
public enum ColumnValues: Sendable {
    case integer([Int64])
    case decimal([Int128])
    case real([Double])

    public static let undefinedInteger = Int64.min
    public static let undefinedDecimal = Int128.min

    @inlinable
    public func isDefined(_ row: Int) -> Bool {
        switch self {
        case .integer(let v): v[row] != Self.undefinedInteger
        case .decimal(let v): v[row] != Self.undefinedDecimal
        case .real(let v): !v[row].isNaN
        }
    }

    /// Appends the text of one cell (nothing for an undefined one).
    @inlinable
    public func appendCell(_ row: Int, to out: inout [UInt8]) {
        switch self {
        case .integer(let v):
            if v[row] != Self.undefinedInteger { FixedPoint.appendInteger(v[row], to: &out) }
        case .decimal(let v):
            if v[row] != Self.undefinedDecimal { FixedPoint.appendDecimal(v[row], to: &out) }
        case .real(let v):
            if !v[row].isNaN { CellFormat.appendReal(v[row], to: &out) }
        }
    }
}

/// Number formatting for CSV cells.
public enum CellFormat {
    /// The shortest decimal text that reads back to the same double (Swift's `description`,
    /// which is exactly that), e.g. `0.1`, `-2.5e-05`.
    @inlinable
    public static func appendReal(_ value: Double, to out: inout [UInt8]) {
        out.append(contentsOf: value.description.utf8)
    }
}
