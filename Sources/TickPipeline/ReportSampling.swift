/// The train rows the report's correlation table is computed on. Only train rows: a feature's
/// rank correlation with the future, measured on the rows a model will be tested on, would be
/// the very leak the splits exist to prevent.
struct ReportTrainRows: Equatable {
    /// Increasing, disjoint, half-open row ranges.
    var ranges: [Range<Int>]
    /// Where they come from, in words for the report.
    var source: String

    /// Share of the rows taken from the start when the run has no `splits.json`: 7/10, in
    /// integers so that ⌊0.7·N⌋ is exact.
    static let unsplitShare = (numerator: 7, denominator: 10)

    var count: Int { ranges.reduce(0) { $0 + $1.count } }

    /// `[0, 26)`, `[0, 100) ∪ [160, 500)`; none: `none`.
    static func describe(_ ranges: [Range<Int>]) -> String {
        ranges.isEmpty ? "none" : ranges.map { "[\(ReportFormat.count($0.lowerBound)), \(ReportFormat.count($0.upperBound)))" }.joined(separator: " ∪ ")
    }

    /// The first fold's train set of `splits` (fold 1 for walk-forward, fold 0 otherwise: the
    /// first listed), or without splits the first 70 % of the rows, ⌊0.7·N⌋ of them.
    static func select(splits: SplitsDocument?, rowCount: Int) -> ReportTrainRows {
        if let splits, let fold = splits.folds.first, let ranges = fold.train.ranges(within: rowCount) {
            return ReportTrainRows(ranges: ranges,
                                   source: "the train set of fold \(fold.fold) of splits.json (\(splits.method); rows \(describe(ranges)); purge \(splits.purgeBars), embargo \(splits.embargoBars) bars)")
        }
        let end = rowCount * unsplitShare.numerator / unsplitShare.denominator
        let ranges = end > 0 ? [0..<end] : []
        return ReportTrainRows(ranges: ranges, source: "the first 70 % of the rows (rows \(describe(ranges)); the run has no splits.json)")
    }
}

/// Every `step`-th member of an ordered set of `population` rows, starting with the first,
/// `step` chosen so that at most `limit` are taken: a bounded, deterministic sample (the same
/// run gives the same sample) spread evenly over the whole time span.
struct ReportRowSample: Equatable {
    let population: Int
    let step: Int
    /// Members taken: ⌈population / step⌉.
    let size: Int

    init(population: Int, limit: Int) {
        precondition(limit > 0)
        self.population = population
        step = max(1, (population + limit - 1) / limit)
        size = (population + step - 1) / step
    }

    /// Whether the member with 0-based position `ordinal` in the set is taken.
    func takes(_ ordinal: Int) -> Bool { ordinal % step == 0 }

    /// "all 344 rows" or "every 3rd of 441,175 rows (147,059)".
    var description: String {
        step == 1 ? "all \(ReportFormat.count(population)) rows"
            : "every \(ReportFormat.ordinal(step)) of \(ReportFormat.count(population)) rows (\(ReportFormat.count(size)))"
    }
}

/// Follows the rows of a pass in order and tells, for each, whether it is a train row and
/// whether the train sample takes it, without a set lookup per row.
struct ReportTrainCursor {
    let rows: ReportTrainRows
    let sample: ReportRowSample
    private var range = 0
    /// Train rows passed so far.
    private var ordinal = 0

    init(rows: ReportTrainRows, sample: ReportRowSample) {
        self.rows = rows
        self.sample = sample
    }

    /// For rows given in increasing order: whether `row` is a sampled train row.
    mutating func samples(_ row: Int) -> Bool {
        while range < rows.ranges.count, rows.ranges[range].upperBound <= row { range += 1 }
        guard range < rows.ranges.count, rows.ranges[range].contains(row) else { return false }
        defer { ordinal += 1 }
        return sample.takes(ordinal)
    }
}
