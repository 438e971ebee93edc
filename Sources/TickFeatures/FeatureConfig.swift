/// The flags that shape the feature and target columns.
public struct FeatureConfig: Sendable, Equatable, Codable {
    public var interval: BarInterval
    /// Rolling windows in bars, in the order given.
    public var windows: [Int]
    /// Target horizons in bars, in the order given.
    public var horizons: [Int]
    public var thresholdBps: Double
    public var ewmLambda: Double
    public var hasQuotes: Bool
    public var completeRowsOnly: Bool
    /// `--max-quote-age` in µs: a quote state older than this counts as absent; nil: no limit.
    public var maxQuoteAge: Int64?
    /// `--from` and `--to` (epoch ms): only bars starting in `[from, to)` are written. Every bar
    /// is still computed, so windows warm up before `from` and targets look past `to`.
    public var from: Int64?
    public var to: Int64?
    /// `--band-levels` when a bands input is given (the Bands group); nil without one.
    public var bandLevels: [BandLevel]?
    /// The derivative series given (the Derivatives group); nil without any.
    public var derivatives: DerivativeSources?
    /// `--depth-levels` when a book input is given (the Book group); nil without one.
    public var depthLevels: [Int]?
    /// Whether a liquidations input is given (the Liquidations group); nil or false without.
    public var liquidations: Bool?

    public init(interval: BarInterval, windows: [Int] = [10, 60, 300], horizons: [Int] = [10, 60],
                thresholdBps: Double = 5, ewmLambda: Double = 0.94, hasQuotes: Bool, completeRowsOnly: Bool = false,
                maxQuoteAge: Int64? = nil, from: Int64? = nil, to: Int64? = nil, bandLevels: [BandLevel]? = nil,
                derivatives: DerivativeSources? = nil) {
        self.interval = interval; self.windows = windows; self.horizons = horizons
        self.thresholdBps = thresholdBps; self.ewmLambda = ewmLambda; self.hasQuotes = hasQuotes
        self.completeRowsOnly = completeRowsOnly; self.maxQuoteAge = maxQuoteAge
        self.from = from; self.to = to
        self.bandLevels = bandLevels; self.derivatives = derivatives.flatMap { $0.any ? $0 : nil }
    }

    /// The age (µs) up to which a bar counts as covered by quotes: the maximum quote age, or
    /// 60 s without one (contract, Stale quotes).
    public var coverageAge: Int64 { maxQuoteAge ?? 60_000_000 }

    /// Parses `--max-quote-age`: a non-negative decimal number of seconds with at most six
    /// fraction digits, exactly, into µs.
    public static func quoteAge(parsing text: String) throws(FeatureConfigError) -> Int64 {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard digits(parts[0]), parts.count == 1 || digits(parts[1]) else {
            throw .init("--max-quote-age: '\(text)' is not a number of seconds (e.g. 5, 0.25, 60)")
        }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= 6 else { throw .init("--max-quote-age: '\(text)' has more than 6 fraction digits (whole microseconds)") }
        guard parts[0].count <= 12, let seconds = Int64(parts[0]), let micros = Int64(fraction + String(repeating: "0", count: 6 - fraction.count)) else {
            throw .init("--max-quote-age: '\(text)' is too large")
        }
        return seconds * 1_000_000 + micros
    }

    public var minWindow: Int { windows.min() ?? 1 }
    public var maxWindow: Int { windows.max() ?? 1 }
    public var maxHorizon: Int { horizons.max() ?? 0 }
    /// θ as a fraction.
    public var threshold: Double { thresholdBps / 10_000 }

    /// Past bars a partition needs before its first row: `w_max` (the close `c_{t−w}` and the
    /// return `r_{t−w_max}` of the autocorrelation).
    public var pastHalo: Int { maxWindow }
    /// Future bars a partition needs after its last row.
    public var futureHalo: Int { maxHorizon }

    /// The longest window or horizon accepted: longer than any raster a run may write (the
    /// raster guard's own limit is far below), and small enough that sums of them cannot
    /// overflow.
    public static let maximumBars = 1_000_000_000

    /// Whether a bar starting at `timestamp` (epoch ms) is written under `--from`/`--to`.
    @inlinable
    public func writes(timestamp: Int64) -> Bool {
        (from.map { timestamp >= $0 } ?? true) && (to.map { timestamp < $0 } ?? true)
    }

    /// Checks the flags; the message says what to change.
    public func validate() throws(FeatureConfigError) {
        if windows.isEmpty { throw .init("--windows needs at least one window") }
        if let bad = windows.first(where: { $0 < 1 }) { throw .init("window \(bad) is not a positive number of bars") }
        if Set(windows).count != windows.count { throw .init("--windows lists a window twice") }
        if horizons.isEmpty { throw .init("--horizons needs at least one horizon") }
        if let bad = horizons.first(where: { $0 < 1 }) { throw .init("horizon \(bad) is not a positive number of bars") }
        if Set(horizons).count != horizons.count { throw .init("--horizons lists a horizon twice") }
        if let long = (windows + horizons).first(where: { $0 > Self.maximumBars }) {
            throw .init("\(long) bars is longer than any raster tickforge writes (at most \(Self.maximumBars) bars); use a shorter window or horizon, or a longer --interval")
        }
        if !(thresholdBps >= 0) || !thresholdBps.isFinite { throw .init("--threshold-bps must be a non-negative number") }
        if !(ewmLambda > 0 && ewmLambda < 1) { throw .init("--ewm-lambda must be strictly between 0 and 1") }
        if let depth = depthLevels {
            if depth.isEmpty { throw .init("--depth-levels needs at least one level") }
            if let bad = depth.first(where: { $0 < 1 || $0 > 100_000 }) { throw .init("depth level \(bad) is not a number of levels from 1 to 100000") }
            if Set(depth).count != depth.count { throw .init("--depth-levels lists a level twice") }
        }
        if let levels = bandLevels {
            if levels.isEmpty { throw .init("--band-levels needs at least one level") }
            if Set(levels).count != levels.count { throw .init("--band-levels lists a level twice") }
        }
        if let from, let to, from >= to { throw .init("--from must be before --to (bars starting in [from, to) are written)") }
    }
}

public struct FeatureConfigError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
