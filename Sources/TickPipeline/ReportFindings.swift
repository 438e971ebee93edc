import Dispatch
import Synchronization

/// The report's tables, computed from a finished scan: each column's coverage and distribution,
/// each feature's rank correlation with the future on the train rows, and which pixel columns
/// count as high volatility.
struct ReportFindings {
    /// Bins of a distribution sparkline.
    static let histogramBins = 28
    /// The sparklines span these quantiles of the sample, so that one outlier does not squash
    /// the rest into a single bin; values outside fall into the end bins.
    static let histogramQuantiles = (low: 0.005, high: 0.995)
    /// "High volatility": a pixel column where at least half the bars have an `ewm_vol` above
    /// this quantile of `ewm_vol` over the whole run. A majority rather than the column's mean:
    /// one spike does not shade a column of thousands of bars, a sustained stretch does.
    static let highVolatilityQuantile = 0.9
    static let highVolatilityShare = 0.5
    static let volatilitySeries = "ewm_vol"

    struct ColumnSummary {
        var column: ReportTableMetadata.Column
        /// `features` or `targets`.
        var table: String
        var defined: Int
        var share: Double
        /// Features only: the distribution over the sample.
        var distribution: Distribution?
    }

    struct Distribution {
        /// Defined values in the sample.
        var sampled: Int
        var low: Double
        var median: Double
        var high: Double
        var minimum: Double
        var maximum: Double
        var counts: [Int]
    }

    struct Correlation {
        var column: ReportTableMetadata.Column
        /// One per horizon of the scan, in its order.
        var cells: [Cell]
    }

    struct Cell {
        var spearman: Double?
        var auc: Double?
        /// Sampled train rows where the feature and the target are both defined.
        var pairs: Int
    }

    var columns: [ColumnSummary] = []
    var correlations: [Correlation] = []
    /// The `ewm_vol` value above which a pixel column is shaded; nil without `ewm_vol`.
    var volatilityThreshold: Double?
    /// Per pixel column: whether its mean `ewm_vol` is above the threshold.
    var highVolatility: [Bool] = []

    init(scan: ReportScan, run: ReportRun) {
        for (table, metadata, defined) in [("features", run.features, scan.featureDefined), ("targets", run.targets, scan.targetDefined)] {
            for column in metadata.columns.dropFirst() {
                let distribution = table == "features" ? Self.distribution(scan.distribution[column.index]) : nil
                columns.append(ColumnSummary(column: column, table: table, defined: defined[column.index],
                                             share: scan.rows == 0 ? 0 : Double(defined[column.index]) / Double(scan.rows),
                                             distribution: distribution))
            }
        }
        correlations = Self.correlations(scan: scan, features: Array(run.features.columns.dropFirst()))
        if let column = run.features.index(of: Self.volatilitySeries),
           let envelope = scan.series.first(where: { $0.name == Self.volatilitySeries })?.envelope {
            let sample = scan.distribution[column]
            volatilityThreshold = ReportStatistics.quantile(sample.filter { !$0.isNaN }.map(Double.init).sorted(), Self.highVolatilityQuantile)
            if let threshold = volatilityThreshold {
                // The share of bars above the threshold in each column, from the same sample
                // (every bar when the run has at most `distributionLimit`, else ~80 a column).
                var above = [Int](repeating: 0, count: envelope.axis.columns), defined = above
                for (k, value) in sample.enumerated() where !value.isNaN {
                    let c = Int(scan.distributionColumns[k])
                    defined[c] += 1
                    if Double(value) > threshold { above[c] += 1 }
                }
                highVolatility = envelope.spread { c in
                    defined[c] > 0 && Double(above[c]) >= Self.highVolatilityShare * Double(defined[c])
                }
            }
        }
    }

    /// The sparkline and range of one feature's sampled values (`nan` = undefined); nil when
    /// none is defined.
    static func distribution(_ sample: [Float]) -> Distribution? {
        let sorted = sample.filter { !$0.isNaN }.map(Double.init).sorted()
        guard let minimum = sorted.first, let maximum = sorted.last else { return nil }
        var low = ReportStatistics.quantile(sorted, histogramQuantiles.low)!
        var high = ReportStatistics.quantile(sorted, histogramQuantiles.high)!
        if low == high { low = minimum; high = maximum }
        return Distribution(sampled: sorted.count, low: low, median: ReportStatistics.quantile(sorted, 0.5)!, high: high,
                            minimum: minimum, maximum: maximum,
                            counts: ReportStatistics.histogram(sorted, bins: histogramBins, low: low, high: high))
    }

    /// Spearman's ρ with `fwd_ret_{h}` and the AUC for `fwd_up_{h}` of every feature, on the
    /// sampled train rows where both are defined. Features are spread over the cores: each
    /// pair sorts up to 200,000 values three times.
    static func correlations(scan: ReportScan, features: [ReportTableMetadata.Column]) -> [Correlation] {
        let results = Mutex([Correlation?](repeating: nil, count: features.count))
        let trainFeatures = scan.trainFeatures, returns = scan.trainReturns, ups = scan.trainUps
        let targets = returns.map { RankOrder($0) }
        DispatchQueue.concurrentPerform(iterations: features.count) { f in
            let values = RankOrder(trainFeatures[features[f].index])
            var cells: [Cell] = []
            for h in returns.indices {
                let both = { (row: Int) in !values.values[row].isNaN && !returns[h][row].isNaN }
                let spearman = ReportStatistics.spearman(values, targets[h], where: both)
                let auc = ReportStatistics.auc(values) { row in ups[h][row].isNaN ? nil : ups[h][row] == 1 }
                cells.append(Cell(spearman: spearman, auc: auc, pairs: (0..<values.values.count).reduce(0) { $0 + (both($1) ? 1 : 0) }))
            }
            let correlation = Correlation(column: features[f], cells: cells)
            results.withLock { $0[f] = correlation }
        }
        return results.withLock { $0.compactMap { $0 } }
    }
}
