import TickCore

/// A band level of `--band-levels`: p % either side of the mid, read exactly (`0.2` is 0.2).
public struct BandLevel: Sendable, Equatable, Hashable, Codable {
    /// p as a `FixedPoint` raw value (p · 10⁸), positive.
    public let raw: Int64

    public init(raw: Int64) { self.raw = raw }

    /// Parses one level: a positive decimal with at most 8 fraction digits.
    public init(parsing text: String) throws(FeatureConfigError) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard digits(parts[0]), parts.count == 1 || digits(parts[1]) else {
            throw .init("--band-levels: '\(text)' is not a positive number of percent (e.g. 1, 2, 0.2)")
        }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= FixedPoint.digits else { throw .init("--band-levels: '\(text)' has more than 8 fraction digits") }
        guard parts[0].count <= 4, let whole = Int64(parts[0]),
              let part = Int64(fraction + String(repeating: "0", count: FixedPoint.digits - fraction.count)) else {
            throw .init("--band-levels: '\(text)' is too large (at most 9999 %)")
        }
        raw = whole * FixedPoint.scale + part
        guard raw > 0 else { throw .init("--band-levels: '\(text)' must be above 0") }
    }

    /// The level as the column name writes it: `1`, `0p2` (the point written as `p`).
    public var nameText: String { FixedPoint.string(Int128(raw)).replacingPoint(with: "p") }
    /// The level as a decimal, e.g. `0.2`.
    public var text: String { FixedPoint.string(Int128(raw)) }
}

extension String {
    fileprivate func replacingPoint(with replacement: Character) -> String {
        String(map { $0 == "." ? replacement : $0 })
    }
}

/// Which derivative series a run has (a column appears when one of its sources is given).
public struct DerivativeSources: Sendable, Equatable, Codable {
    public var metrics: Bool
    public var funding: Bool
    public var ticker: Bool

    public init(metrics: Bool = false, funding: Bool = false, ticker: Bool = false) {
        self.metrics = metrics; self.funding = funding; self.ticker = ticker
    }

    public var any: Bool { metrics || funding || ticker }
    /// `oi` comes from metrics or the ticker.
    public var hasOpenInterest: Bool { metrics || ticker }
}

/// The as-of fields of the derivative series a bar carries, by `rawValue` index into
/// `AsOfBar.fields`.
public enum DerivativeField: Int, CaseIterable, Sendable {
    /// metrics `sum_open_interest` or ticker `open_interest`.
    case openInterest
    case openInterestValue, topTraderAccounts, topTraderPositions, accounts, takerVolume
    /// ticker `funding_rate`, `predicted_funding_rate`, `last_price`, `index_price`, `mark_price`.
    case tickerFunding, predictedFunding, lastPrice, indexPrice, markPrice
    /// funding `last_funding_rate`.
    case settledFunding

    /// Where each field of a series row goes, in `SeriesLayout.fieldNames` order.
    public static let metricsOrder: [DerivativeField] = [.openInterest, .openInterestValue, .topTraderAccounts, .topTraderPositions, .accounts, .takerVolume]
    public static let tickerOrder: [DerivativeField] = [.tickerFunding, .predictedFunding, .openInterest, .lastPrice, .indexPrice, .markPrice]
    public static let fundingOrder: [DerivativeField] = [.settledFunding]
}

/// The samples of one series in time order, in columns: sample i is known at `time[i]` (epoch
/// µs) and its fields are `values[i·width ..< (i+1)·width]`, `FixedPoint` raw values with
/// `SeriesColumns.empty` for an empty cell. (One flat array: a month of ticker samples is
/// millions of rows.)
public struct SeriesColumns: Sendable, Equatable {
    public static let empty = Int64.min
    public let width: Int
    public var time: [Int64] = []
    public var values: [Int64] = []

    public init(width: Int) { self.width = width }

    public var count: Int { time.count }

    public mutating func append(time: Int64, values row: some Collection<Int64>) {
        precondition(row.count == width, "a sample of \(row.count) fields in a series of \(width)")
        self.time.append(time)
        values.append(contentsOf: row)
    }

    /// Field k of sample i, nil when its cell was empty.
    @inlinable
    public func value(_ i: Int, _ k: Int) -> Int64? {
        let v = values[i * width + k]
        return v == Self.empty ? nil : v
    }
}

/// A band snapshot: the depths at the run's band levels, `[D(−p₁), D(+p₁), D(−p₂), …]`
/// (nil where the snapshot has no row for that percentage).
public struct BandSnapshot: Sendable, Equatable {
    public var time: Int64
    public var depths: [Int64?]

    public init(time: Int64, depths: [Int64?]) { self.time = time; self.depths = depths }
}

/// The as-of series of a run, each in time order (stably sorted, repeated rows dropped).
public struct AsOfInputs: Sendable {
    public var bands: [BandSnapshot]?
    public var metrics: SeriesColumns?
    public var funding: SeriesColumns?
    public var ticker: SeriesColumns?

    public init(bands: [BandSnapshot]? = nil, metrics: SeriesColumns? = nil, funding: SeriesColumns? = nil, ticker: SeriesColumns? = nil) {
        self.bands = bands; self.metrics = metrics; self.funding = funding; self.ticker = ticker
    }

    public var isEmpty: Bool { bands == nil && metrics == nil && funding == nil && ticker == nil }

    /// Groups band rows (percentage, depth), in time order, into snapshots of the rows
    /// sharing a time, keeping the depths at ±p for each level (the last row of a percentage
    /// when a snapshot repeats one).
    public static func bandSnapshots(_ rows: SeriesColumns, levels: [BandLevel]) -> [BandSnapshot] {
        var slot: [Int64: Int] = [:]
        for (k, level) in levels.enumerated() {
            slot[-level.raw] = 2 * k
            slot[level.raw] = 2 * k + 1
        }
        var snapshots: [BandSnapshot] = []
        for i in 0..<rows.count {
            if snapshots.last?.time != rows.time[i] {
                snapshots.append(BandSnapshot(time: rows.time[i], depths: [Int64?](repeating: nil, count: 2 * levels.count)))
            }
            if let percentage = rows.value(i, 0), let index = slot[percentage] { snapshots[snapshots.count - 1].depths[index] = rows.value(i, 1) }
        }
        return snapshots
    }
}

/// What the as-of series say at one bar's end (start + Δ).
public struct AsOfBar: Sendable, Equatable {
    /// The last band snapshot with time < end: its depths and when it was known.
    public var bandDepths: [Int64?]?
    public var bandTime: Int64?
    /// As-of values by `DerivativeField.rawValue`: the last non-empty cell with time < end.
    public var fields: [Int64?]
    /// Time of the last sample with time < end, per series.
    public var metricsTime: Int64?
    public var fundingTime: Int64?
    public var tickerTime: Int64?

    public init(bandDepths: [Int64?]? = nil, bandTime: Int64? = nil, fields: [Int64?], metricsTime: Int64? = nil,
                fundingTime: Int64? = nil, tickerTime: Int64? = nil) {
        self.bandDepths = bandDepths; self.bandTime = bandTime; self.fields = fields
        self.metricsTime = metricsTime; self.fundingTime = fundingTime; self.tickerTime = tickerTime
    }
}

/// Walks the as-of series along the bars: `values(before:)` is asked bar by bar with rising
/// ends and never looks at a sample with time ≥ end (no look-ahead).
public struct AsOfCursor: Sendable {
    private let inputs: AsOfInputs
    private var bandIndex = 0
    private var positions = [0, 0, 0]
    private var current: AsOfBar

    public init(_ inputs: AsOfInputs) {
        self.inputs = inputs
        current = AsOfBar(fields: [Int64?](repeating: nil, count: DerivativeField.allCases.count))
    }

    /// The as-of values at a bar end (epoch µs); ends must not decrease.
    public mutating func values(before end: Int64) -> AsOfBar {
        if let bands = inputs.bands {
            while bandIndex < bands.count && bands[bandIndex].time < end {
                current.bandDepths = bands[bandIndex].depths
                current.bandTime = bands[bandIndex].time
                bandIndex += 1
            }
        }
        advance(inputs.metrics, slot: 0, order: DerivativeField.metricsOrder, end: end) { $0.metricsTime = $1 }
        advance(inputs.funding, slot: 1, order: DerivativeField.fundingOrder, end: end) { $0.fundingTime = $1 }
        advance(inputs.ticker, slot: 2, order: DerivativeField.tickerOrder, end: end) { $0.tickerTime = $1 }
        return current
    }

    private mutating func advance(_ samples: SeriesColumns?, slot: Int, order: [DerivativeField], end: Int64,
                                  stamp: (inout AsOfBar, Int64) -> Void) {
        guard let samples else { return }
        var i = positions[slot]
        while i < samples.count && samples.time[i] < end {
            for (k, field) in order.enumerated() {
                if let v = samples.value(i, k) { current.fields[field.rawValue] = v }
            }
            stamp(&current, samples.time[i])
            i += 1
        }
        positions[slot] = i
    }
}
