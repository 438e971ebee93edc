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

    /// Throws, naming the rows that set the time range, when it needs more than `limit` bars.
    /// - Parameters:
    ///   - first, last: the earliest and latest kept trades, each with the file it is in.
    ///   - timeUnit: how the times were read, and whether `--time-unit` said so.
    func check(first: (row: HeldRow, path: String), last: (row: HeldRow, path: String), timeUnit: String, given: Bool) throws {
        let (first, firstPath) = first
        let (last, lastPath) = last
        let count = bars(first: first.time, last: last.time)
        guard count > Int64(limit) else { return }
        let rule = explicit ? "--max-bars \(limit)" : "the default --max-bars \(limit) (the larger of 50 million and 100 × the trades used)"
        func row(_ held: HeldRow, _ path: String) -> String {
            "\(Time.iso8601(micros: held.time)), set by \(path):\(held.line) (byte \(held.byteOffset)): \"\(printableText(Array(held.text.utf8)))\""
        }
        throw TickError.limitExceeded("""
            the trades span \(count) bars of \(interval), more than \(rule) allows:
              first trade: \(row(first, firstPath))
              last trade:  \(row(last, lastPath))
            The times were read as \(timeUnit) (\(given ? "given by --time-unit" : "detected from each file's first value; --time-unit overrides")).
            Likely causes: a row with a wrong time at the start or end of the file, or files in different time units (milliseconds next to microseconds). Check those rows; if the span is real, rerun with --max-bars \(count).
            """)
    }
}
