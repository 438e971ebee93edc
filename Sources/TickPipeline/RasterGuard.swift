import TickCore
import TickFeatures

/// Refuses a raster too large to be meant: the bar count N follows from the first and last
/// trade times, and one absurd timestamp (a row stamped in another century, a file in µs read
/// as ms) would otherwise fill the disk with empty bars. Checked after ingest, before any bar
/// is written.
public struct RasterGuard: Sendable {
    public static let defaultFloor = 50_000_000
    /// Bars allowed per trade used, above the floor.
    public static let barsPerRow = 100

    public let interval: BarInterval
    /// The most bars allowed.
    public let limit: Int
    /// Whether `limit` came from the flag.
    public let explicit: Bool

    /// - Parameter maxBars: the flag; nil for the default, the larger of 50 million and 100 ×
    ///   the rows used.
    public init(interval: BarInterval, maxBars: Int?, rowsUsed: Int64) {
        self.interval = interval
        explicit = maxBars != nil
        let (scaled, overflow) = Int(clamping: rowsUsed).multipliedReportingOverflow(by: Self.barsPerRow)
        limit = maxBars ?? max(Self.defaultFloor, overflow ? Int.max : scaled)
    }

    /// The bars from the bar of `first` to the bar of `last`, both included.
    public func bars(first: Int64, last: Int64) -> Int64 {
        (interval.barStart(last) - interval.barStart(first)) / interval.micros + 1
    }

    /// Where a row is, for the message.
    static func source(_ row: HeldRow, path: String) -> String {
        "\(path):\(row.line) (byte \(row.byteOffset)): \"\(printableText(Array(row.text.utf8)))\""
    }

    /// Throws, naming the rows that set the time range, when it needs more than `limit` bars.
    /// - Parameters:
    ///   - first, last: the earliest and latest kept trades' times, each with where it is
    ///     (`path:line (byte n): "text"`).
    ///   - timeUnit: how the times were read, and whether `--time-unit` said so.
    func check(first: (time: Int64, source: String), last: (time: Int64, source: String), timeUnit: String, given: Bool) throws {
        let count = bars(first: first.time, last: last.time)
        guard count > Int64(limit) else { return }
        let rule = explicit ? "--max-bars \(limit)" : "the default --max-bars \(limit) (the larger of 50 million and 100 × the trades used)"
        throw TickError.limitExceeded("""
            the trades span \(count) bars of \(interval), more than \(rule) allows:
              first trade: \(Time.iso8601(micros: first.time)), set by \(first.source)
              last trade:  \(Time.iso8601(micros: last.time)), set by \(last.source)
            The times were read as \(timeUnit) (\(given ? "given by --time-unit" : "detected from each file's first value; --time-unit overrides")).
            Likely causes: a row with a wrong time at the start or end of the file, or files in different time units (milliseconds next to microseconds). Check those rows; if the span is real, rerun with --max-bars \(count).
            """)
    }
}
