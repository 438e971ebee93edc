/// The report's x axis: the run's time span `[start, end)` (epoch ms: the first bar's start to
/// the last bar's end) cut into `columns` equal pixel columns. Charts, shading and split bands
/// all place time through it, so they line up.
public struct ReportTimeAxis: Sendable, Equatable {
    public let start: Int64
    public let end: Int64
    public let columns: Int

    /// The axis over `[start, end)`; an empty or reversed span is widened to 1 ms so that every
    /// timestamp still maps to a column.
    public init(start: Int64, end: Int64, columns: Int) {
        precondition(columns > 0)
        self.start = start
        self.end = max(end, start + 1)
        self.columns = columns
    }

    /// The pixel column of time `t`, clamped to the axis: ⌊(t − start) · columns / (end − start)⌋.
    /// Integer arithmetic: the same bar always lands in the same column.
    public func column(of t: Int64) -> Int {
        let offset = max(0, min(end - 1, t) - start)
        // offset < 2^63 / columns for any epoch-ms span; multiplied in 128 bits all the same.
        let product = Int128(offset) * Int128(columns)
        return Int(product / Int128(end - start))
    }

    /// The x position of time `t` in column units, unclamped (0 at `start`, `columns` at `end`):
    /// where the boundaries of split ranges are drawn.
    public func position(of t: Int64) -> Double {
        Double(t - start) / Double(end - start) * Double(columns)
    }
}

/// One series aggregated per pixel column in a single streaming pass, holding `4 · columns`
/// numbers whatever the number of rows: the first, last, smallest and largest defined value
/// of the rows in each column (M4 aggregation, Jugel et al., VLDB 2014), plus their sum and
/// count for the column mean. A line through first → min → max → last of each column draws
/// the same pixels as a line through every row, so millions of bars draw as fast as 1200.
public struct ReportEnvelope: Sendable {
    public let axis: ReportTimeAxis
    /// The bar interval: a value whose bar directly follows the previous defined value's bar
    /// continues its line; after a gap (undefined cells, or bars left out) the line breaks.
    public let barMs: Int64
    /// Per column; `nan` where the column has no defined value.
    public private(set) var first: [Double]
    public private(set) var last: [Double]
    public private(set) var minimum: [Double]
    public private(set) var maximum: [Double]
    public private(set) var sum: [Double]
    public private(set) var count: [Int]
    /// Per column: whether its first value's bar directly follows the previous defined value's
    /// bar (in an earlier column). Runs with fewer bars than pixel columns leave empty columns
    /// between bars; those are joined, real gaps are not.
    public private(set) var joined: [Bool]
    private var previousTime: Int64?

    public init(axis: ReportTimeAxis, barMs: Int64) {
        self.axis = axis
        self.barMs = barMs
        first = Array(repeating: .nan, count: axis.columns)
        last = first; minimum = first; maximum = first
        sum = Array(repeating: 0, count: axis.columns)
        count = Array(repeating: 0, count: axis.columns)
        joined = Array(repeating: false, count: axis.columns)
    }

    /// Adds the value of the bar starting at `t`. Bars must come in time order (as the CSV rows
    /// do), so that first and last are the column's first and last bar. Undefined values
    /// (`nan`) are skipped: a warm-up stretch draws nothing.
    public mutating func add(_ value: Double, at t: Int64) {
        guard !value.isNaN else { return }
        let c = axis.column(of: t)
        if count[c] == 0 {
            first[c] = value; minimum[c] = value; maximum[c] = value
            joined[c] = previousTime.map { t - $0 == barMs } ?? false
        } else {
            minimum[c] = Swift.min(minimum[c], value)
            maximum[c] = Swift.max(maximum[c], value)
        }
        last[c] = value
        sum[c] += value
        count[c] += 1
        previousTime = t
    }

    /// Per column, the value of `flag` for its bars, carried into the empty columns that the
    /// last bar before them still covers (up to the next joined column): a bar wider than a
    /// pixel column shades all of its width. Columns in real gaps are false.
    public func spread(_ flag: (Int) -> Bool) -> [Bool] {
        var result = [Bool](repeating: false, count: axis.columns)
        var previous: (column: Int, value: Bool)?
        for c in 0..<axis.columns where count[c] > 0 {
            if let previous, joined[c] {
                for k in previous.column..<c { result[k] = previous.value }
            }
            result[c] = flag(c)
            previous = (c, result[c])
        }
        // The last bar covers its own width too.
        if let previous {
            let end = min(axis.columns, axis.column(of: previousTime! + barMs - 1) + 1)
            for k in previous.column..<end { result[k] = previous.value }
        }
        return result
    }

    /// Width of one bar in pixel columns, at least 1.
    public var barWidth: Double { max(1, Double(barMs) / Double(axis.end - axis.start) * Double(axis.columns)) }

    /// The mean of column `c`, `nan` when it has no defined value.
    public func mean(_ c: Int) -> Double { count[c] == 0 ? .nan : sum[c] / Double(count[c]) }

    /// The smallest and largest value over all columns; nil when nothing is defined.
    public var range: (low: Double, high: Double)? {
        let lows = minimum.filter { !$0.isNaN }, highs = maximum.filter { !$0.isNaN }
        guard let low = lows.min(), let high = highs.max() else { return nil }
        return (low, high)
    }
}
