/// A reason a partition cannot be read, before the path is known. `PartitionFormat` turns it
/// into `TickError.unreadable(path:reason:)` at its public boundary.
struct FormatError: Error, CustomStringConvertible {
    var reason: String

    init(_ reason: String) { self.reason = reason }

    var description: String { reason }

    /// The same error with `context` in front, e.g. `column 'price': …`.
    func inContext(_ context: String) -> FormatError {
        FormatError("\(context): \(reason)")
    }
}
