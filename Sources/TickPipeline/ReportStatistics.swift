/// The numbers behind the report's tables: rank statistics (Spearman's ρ and the univariate
/// AUC, both with average ranks for ties), sample quantiles and fixed-bin histograms.
///
/// Undefined cells are `Double.nan` throughout the report (the CSVs never hold a NaN, so it
/// cannot be confused with a value); every function here takes only defined values.
public enum ReportStatistics {
    /// The 1-based ranks of `values`, tied values sharing the mean of the ranks they span
    /// (values 5, 7, 7, 9 rank 1, 2.5, 2.5, 4). Average ranks keep Spearman's ρ symmetric under
    /// ties and make the rank-sum AUC count a tied positive/negative pair as half.
    public static func averageRanks(_ values: [Double]) -> [Double] {
        RankOrder(values).ranks { _ in true }
    }

    /// Spearman's rank correlation: the Pearson correlation of the average ranks of `x` and `y`
    /// (paired, same length, all defined). nil with fewer than 3 pairs or when either side is
    /// constant, where no correlation is defined.
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count, "spearman needs pairs")
        return spearman(RankOrder(x), RankOrder(y)) { _ in true }
    }

    /// Spearman's ρ over the rows where `include` holds, from orders sorted once: the report
    /// pairs each feature with several targets, each pair on its own rows (both defined).
    static func spearman(_ x: RankOrder, _ y: RankOrder, where include: (Int) -> Bool) -> Double? {
        let rx = x.ranks(where: include), ry = y.ranks(where: include)
        var px: [Double] = [], py: [Double] = []
        px.reserveCapacity(rx.count); py.reserveCapacity(ry.count)
        for row in rx.indices where !rx[row].isNaN && !ry[row].isNaN { px.append(rx[row]); py.append(ry[row]) }
        guard px.count >= 3 else { return nil }
        return pearson(px, py)
    }

    /// Pearson's correlation of paired values; nil when either side has no spread.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count, "pearson needs pairs")
        guard !x.isEmpty else { return nil }
        let n = Double(x.count)
        let meanX = x.reduce(0, +) / n, meanY = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for k in x.indices {
            let dx = x[k] - meanX, dy = y[k] - meanY
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// The AUC of `scores` as a classifier of `labels` (true = positive): the share of
    /// (positive, negative) pairs in which the positive scores higher, a tie counting half.
    /// Computed from the rank sum of the positives (Mann–Whitney U / (n₊·n₋)), so O(n log n).
    /// nil when either class is absent. 0.5 is no information; below 0.5 the feature ranks
    /// the other way.
    public static func auc(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "auc needs one label per score")
        return auc(RankOrder(scores)) { labels[$0] ? true : false }
    }

    /// The AUC over the rows where `label` is not nil, scores ranked from an order sorted once.
    static func auc(_ scores: RankOrder, label: (Int) -> Bool?) -> Double? {
        let ranks = scores.ranks { label($0) != nil }
        var positives = 0, negatives = 0
        var rankSum = 0.0
        for row in ranks.indices where !ranks[row].isNaN {
            if label(row)! { positives += 1; rankSum += ranks[row] } else { negatives += 1 }
        }
        guard positives > 0, negatives > 0 else { return nil }
        let p = Double(positives)
        return (rankSum - p * (p + 1) / 2) / (p * Double(negatives))
    }

    /// The `q` quantile (0 … 1) of ascending `sorted` values, interpolated linearly between
    /// neighbours (numpy's default). nil when empty.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double? {
        guard let first = sorted.first else { return nil }
        guard sorted.count > 1 else { return first }
        let position = max(0, min(1, q)) * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        return sorted[below] + (sorted[above] - sorted[below]) * (position - Double(below))
    }

    /// Counts of `values` in `bins` equal bins over `[low, high]`; values outside are counted in
    /// the first or last bin (the sparklines show the bulk of a feature, its range printed
    /// beside them). All values fall in the middle bin when `low == high`.
    public static func histogram(_ values: [Double], bins: Int, low: Double, high: Double) -> [Int] {
        precondition(bins > 0)
        var counts = [Int](repeating: 0, count: bins)
        let width = high - low
        for value in values {
            guard width > 0 else { counts[bins / 2] += 1; continue }
            let position = ((value - low) / width * Double(bins)).rounded(.down)
            counts[Int(max(0, min(Double(bins - 1), position)))] += 1
        }
        return counts
    }
}

/// The defined values of a column in ascending order, sorted once, from which the average
/// ranks within any subset of its rows are read off in one linear walk. Sorting is the cost of
/// a rank statistic; the report needs ranks of one feature on several row subsets (one per
/// target), so it sorts each column once instead of once per pair.
struct RankOrder {
    let values: [Double]
    /// Rows whose value is defined (not `nan`), by increasing value.
    let order: [Int32]

    init(_ values: [Double]) {
        self.values = values
        var order: [Int32] = []
        order.reserveCapacity(values.count)
        for row in values.indices where !values[row].isNaN { order.append(Int32(row)) }
        // Rows as 32-bit indices: half the memory traffic of Int in the sort's moves.
        order.withUnsafeMutableBufferPointer { rows in
            values.withUnsafeBufferPointer { v in rows.sort { v[Int($0)] < v[Int($1)] } }
        }
        self.order = order
    }

    /// Per row, its 1-based average rank among the rows where `include` holds and the value is
    /// defined; `nan` for the other rows.
    func ranks(where include: (Int) -> Bool) -> [Double] {
        var ranks = [Double](repeating: .nan, count: values.count)
        var kept: [Int32] = []
        kept.reserveCapacity(order.count)
        for row in order where include(Int(row)) { kept.append(row) }
        var start = 0
        while start < kept.count {
            var end = start + 1
            while end < kept.count, values[Int(kept[end])] == values[Int(kept[start])] { end += 1 }
            // Positions start ..< end hold one value: ranks start+1 … end, mean (start+1+end)/2.
            let rank = Double(start + 1 + end) / 2
            for k in start..<end { ranks[Int(kept[k])] = rank }
            start = end
        }
        return ranks
    }
}
