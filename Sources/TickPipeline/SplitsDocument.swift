import TickCore
import TickFeatures

/// `splits.json` (contract, Files): the folds over the rows written, each set as row ranges and
/// the matching time ranges. Written by a run, read back by `tickforge report`.
struct SplitsDocument: Codable {
    static let formatVersion = 1

    var formatVersion = SplitsDocument.formatVersion
    var method: String
    var rows: Int
    var purgeBars: Int
    var embargoBars: Int
    var intervalMs: Int64
    var folds: [Fold]

    struct Fold: Codable {
        var fold: Int
        var train: RowSetDocument
        var validation: RowSetDocument?
        var test: RowSetDocument
    }

    /// Ranges are half-open pairs `[first, end)`; the time range of a row range runs from the
    /// first row's bar start to the end of the last row's bar.
    struct RowSetDocument: Codable {
        /// `[first, end)` row pairs, increasing.
        var rows: [[Int]]
        /// `[start of the first bar, end of the last bar)` in epoch ms, one pair per row range.
        var timestamps: [[Int64]]
        var count: Int

        /// The row ranges as `Range`s; nil when a pair is not `[first, end)` inside `0 ..< rows`.
        func ranges(within rows: Int) -> [Range<Int>]? {
            var result: [Range<Int>] = []
            for pair in self.rows {
                guard pair.count == 2, 0 <= pair[0], pair[0] < pair[1], pair[1] <= rows,
                      result.last.map({ $0.upperBound <= pair[0] }) ?? true else { return nil }
                result.append(pair[0]..<pair[1])
            }
            return result
        }
    }

    /// The document of `plan` over the rows of `timeline`; throws when a set is empty.
    init(plan: SplitPlan, timeline: some RowTimeline) throws {
        let folds = try plan.folds(timeline)
        try plan.checkNoneEmpty(folds, rows: timeline.rowCount)
        let sets = folds.flatMap { [$0.train, $0.test] + ($0.validation.map { [$0] } ?? []) }
        let ranges = sets.flatMap(\.ranges)
        let times = try timeline.timestamps(ofRows: ranges.map(\.lowerBound) + ranges.map { $0.upperBound - 1 })
        var bounds: [Range<Int>: [Int64]] = [:]
        for (k, range) in ranges.enumerated() { bounds[range] = [times[k], times[ranges.count + k] + plan.intervalMs] }
        func document(_ set: RowSet) -> RowSetDocument {
            RowSetDocument(rows: set.ranges.map { [$0.lowerBound, $0.upperBound] }, timestamps: set.ranges.map { bounds[$0]! },
                           count: set.count)
        }
        method = plan.method.name
        rows = timeline.rowCount
        purgeBars = plan.purgeBars
        embargoBars = plan.embargoBars
        intervalMs = plan.intervalMs
        self.folds = folds.map { Fold(fold: $0.fold, train: document($0.train), validation: $0.validation.map(document), test: document($0.test)) }
    }
}
