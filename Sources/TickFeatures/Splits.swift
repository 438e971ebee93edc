/// Train/test splits of the rows a run writes (contract, Files, `splits.json`): purged k-fold,
/// expanding walk-forward and a three-way holdout, with the purge (the largest horizon) and
/// the embargo counted in bars, so that no training row's label looks into a test bar.

/// An error in the split flags, or a split that leaves a set empty; the message says what to
/// change.
public struct SplitError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A non-negative decimal fraction read exactly: `numerator / 10^digits`.
public struct DecimalFraction: Sendable, Equatable, Codable, CustomStringConvertible {
    public let numerator: Int64
    public let digits: Int
    public let text: String

    /// Parses `0.6`, `.25`, `1`, `0`: digits with at most one point, at most 15 fraction digits.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0], fraction = parts.count == 2 ? parts[1] : ""
        let isDigits: (Substring) -> Bool = { $0.allSatisfy { $0.isASCII && $0.isNumber } }
        guard !(whole.isEmpty && fraction.isEmpty), isDigits(whole), isDigits(fraction), whole.count <= 3, fraction.count <= 15,
              let value = Int64(whole.isEmpty && fraction.isEmpty ? "0" : String(whole) + String(fraction)) else { return nil }
        numerator = value; digits = fraction.count; self.text = text
    }

    public var description: String { text }

    /// `⌊self · n⌋`, exactly.
    public func floor(times n: Int) -> Int {
        Int(Int128(numerator) * Int128(n) / DecimalFraction.power(digits))
    }

    static func power(_ k: Int) -> Int128 { (0..<k).reduce(Int128(1)) { r, _ in r * 10 } }

    /// Whether the fractions add up to exactly 1.
    public static func sumIsOne(_ fractions: [DecimalFraction]) -> Bool {
        let digits = fractions.map(\.digits).max() ?? 0
        let sum = fractions.reduce(Int128(0)) { $0 + Int128($1.numerator) * power(digits - $1.digits) }
        return sum == power(digits)
    }
}

/// `--splits`.
public enum SplitMethod: Sendable, Equatable {
    case kfold(folds: Int)
    case walkForward(folds: Int)
    case holdout(train: DecimalFraction, validation: DecimalFraction, test: DecimalFraction)

    /// Parses `kfold:F`, `walk-forward:F` or `holdout:a,b,c`.
    public init(parsing text: String) throws(SplitError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let usage = "--splits takes kfold:F, walk-forward:F (F folds) or holdout:a,b,c (train, validation and test fractions that sum to 1, e.g. holdout:0.6,0.2,0.2)"
        guard parts.count == 2 else { throw SplitError("\(usage); got '\(text)'") }
        switch parts[0] {
        case "kfold", "walk-forward":
            let fewest = parts[0] == "kfold" ? 2 : 1
            guard let folds = Int(parts[1]), folds >= fewest, folds <= 1_000_000 else {
                throw SplitError("--splits \(parts[0]): '\(parts[1])' is not a number of folds from \(fewest) to 1000000" + (fewest == 2 ? " (one fold would test every row and train on none)" : ""))
            }
            if parts[0] == "kfold" {
                guard folds >= 2 else { throw SplitError("--splits kfold needs at least 2 folds (one fold would test every row and train on none)") }
                self = .kfold(folds: folds)
            } else {
                self = .walkForward(folds: folds)
            }
        case "holdout":
            let texts = parts[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let fractions = texts.compactMap(DecimalFraction.init)
            guard texts.count == 3, fractions.count == 3 else {
                throw SplitError("--splits holdout takes three decimal fractions a,b,c (train, validation, test: digits and one point, at most 15 after it), e.g. holdout:0.6,0.2,0.2; got '\(parts[1])'")
            }
            guard DecimalFraction.sumIsOne(fractions) else {
                throw SplitError("--splits holdout: the fractions \(texts.joined(separator: " + ")) do not sum to exactly 1")
            }
            self = .holdout(train: fractions[0], validation: fractions[1], test: fractions[2])
        default:
            throw SplitError("\(usage); got '\(text)'")
        }
    }

    /// The flag's text (`kfold:5`, `holdout:0.6,0.2,0.2`).
    public var text: String {
        switch self {
        case .kfold(let f): "kfold:\(f)"
        case .walkForward(let f): "walk-forward:\(f)"
        case .holdout(let a, let b, let c): "holdout:\(a),\(b),\(c)"
        }
    }

    /// The `method` of `splits.json`.
    public var name: String {
        switch self {
        case .kfold: "kfold"
        case .walkForward: "walk-forward"
        case .holdout: "holdout"
        }
    }
}

/// The rows a run wrote, by index and bar start, as the splits need them. With
/// `--complete-rows-only` rows are missing from the raster, so row indices and bar counts part.
public protocol RowTimeline {
    var rowCount: Int { get }
    /// The bar start (epoch ms) of each of `rows` (each in `0..<rowCount`), in the order given.
    func timestamps(ofRows rows: [Int]) throws -> [Int64]
    /// For each time (epoch ms), the first row whose bar starts at or after it (`rowCount` if
    /// none), in the order given.
    func firstRows(atOrAfter times: [Int64]) throws -> [Int]
}

/// Rows of a dense raster: row i starts at `first + i·Δ`.
public struct DenseTimeline: RowTimeline {
    public let rowCount: Int
    public let first: Int64
    public let intervalMs: Int64

    public init(rowCount: Int, first: Int64, intervalMs: Int64) {
        self.rowCount = rowCount; self.first = first; self.intervalMs = intervalMs
    }

    public func timestamps(ofRows rows: [Int]) -> [Int64] { rows.map { first + Int64($0) * intervalMs } }

    public func firstRows(atOrAfter times: [Int64]) -> [Int] {
        times.map { t in
            guard t > first else { return 0 }
            let bars = (t - first + intervalMs - 1) / intervalMs
            return Int(min(Int64(rowCount), bars))
        }
    }
}

/// A set of rows: half-open ranges in increasing order, none empty.
public struct RowSet: Sendable, Equatable {
    public var ranges: [Range<Int>]

    public init(_ ranges: [Range<Int>]) { self.ranges = ranges.filter { !$0.isEmpty } }

    public var count: Int { ranges.reduce(0) { $0 + $1.count } }
    public var isEmpty: Bool { ranges.isEmpty }
}

/// One fold: the rows to train on, to validate on (holdout only) and to test on.
public struct SplitFold: Sendable, Equatable {
    public var fold: Int
    public var train: RowSet
    public var validation: RowSet?
    public var test: RowSet
}

/// The splits of one run, before their timestamps are looked up.
public struct SplitPlan: Sendable, Equatable {
    public let method: SplitMethod
    /// P: the largest horizon in bars.
    public let purgeBars: Int
    /// E: `--embargo`, by default the largest window.
    public let embargoBars: Int
    public let intervalMs: Int64

    public init(method: SplitMethod, purgeBars: Int, embargoBars: Int, intervalMs: Int64) {
        self.method = method; self.purgeBars = purgeBars; self.embargoBars = embargoBars; self.intervalMs = intervalMs
    }

    /// The folds over the rows of `timeline`. The purge before a test range is the rows whose
    /// bar lies within P bars before its first bar, the embargo after it those within E bars
    /// after its last bar: in a dense raster, `[start − P, start)` and `[end, end + E)`.
    public func folds(_ timeline: some RowTimeline) throws -> [SplitFold] {
        let n = timeline.rowCount
        let p = Int64(purgeBars) * intervalMs, e = Int64(embargoBars) * intervalMs
        /// The first row of the purge before row `start` (its own bar start `t`).
        func purgeStarts(_ starts: [Int]) throws -> [Int] {
            let inside = starts.filter { $0 < n }
            let times = try timeline.timestamps(ofRows: inside)
            let rows = try timeline.firstRows(atOrAfter: times.map { $0 - p })
            var found: [Int: Int] = [:]
            for (s, r) in zip(inside, rows) { found[s] = r }
            return starts.map { found[$0] ?? n }
        }
        var folds: [SplitFold] = []
        switch method {
        case .kfold(let f):
            let bounds = (0...f).map { Int(Int128($0) * Int128(n) / Int128(f)) }
            let tests = (0..<f).map { bounds[$0]..<bounds[$0 + 1] }
            let purge = try purgeStarts(tests.map(\.lowerBound))
            // The embargo ends at the first row after the last test bar + E bars.
            let lastRows = tests.map { max($0.upperBound - 1, 0) }
            let lastTimes = n == 0 ? lastRows.map { _ in Int64(0) } : try timeline.timestamps(ofRows: lastRows)
            let embargoEnds = n == 0 ? lastRows : try timeline.firstRows(atOrAfter: lastTimes.map { $0 + e + 1 })
            for k in 0..<f {
                let test = tests[k]
                let end = test.isEmpty ? test.upperBound : max(embargoEnds[k], test.upperBound)
                folds.append(SplitFold(fold: k, train: RowSet([0..<min(purge[k], test.lowerBound), end..<n]), validation: nil,
                                       test: RowSet([test])))
            }
        case .walkForward(let f):
            let bounds = (0...(f + 1)).map { Int(Int128($0) * Int128(n) / Int128(f + 1)) }
            let purge = try purgeStarts((1...f).map { bounds[$0] })
            for k in 1...f {
                let test = bounds[k]..<bounds[k + 1]
                folds.append(SplitFold(fold: k, train: RowSet([0..<min(purge[k - 1], test.lowerBound)]), validation: nil,
                                       test: RowSet([test])))
            }
        case .holdout(let a, let b, _):
            let n1 = a.floor(times: n)
            // ⌊(a+b)N⌋ exactly: a and b on a common denominator.
            let digits = max(a.digits, b.digits)
            let ab = Int128(a.numerator) * DecimalFraction.power(digits - a.digits) + Int128(b.numerator) * DecimalFraction.power(digits - b.digits)
            let n2 = Int(ab * Int128(n) / DecimalFraction.power(digits))
            let purge = try purgeStarts([n1, n2])
            folds.append(SplitFold(fold: 0, train: RowSet([0..<min(purge[0], n1)]),
                                   validation: RowSet([n1..<max(n1, min(purge[1], n2))]), test: RowSet([n2..<n])))
        }
        return folds
    }

    /// Checks that no fold has an empty set; otherwise the message says how many rows (of a
    /// dense raster) every set needs.
    public func checkNoneEmpty(_ folds: [SplitFold], rows n: Int) throws(SplitError) {
        guard let (fold, set) = Self.firstEmpty(folds) else { return }
        let embargo: String
        if case .kfold = method { embargo = ", embargo \(embargoBars) bars" } else { embargo = "" }
        let what = "--splits \(methodText): fold \(fold) has no \(set) rows (purge \(purgeBars) bars\(embargo), \(n) rows written)"
        if let needed = minimumRows(from: n) {
            throw SplitError("\(what); every set needs at least \(needed) rows: write more bars, use fewer folds or a shorter purge (--horizons)\(embargo.isEmpty ? "" : " or embargo (--embargo)")")
        }
        throw SplitError("\(what); no number of rows gives every set a row: check the fractions")
    }

    private static func firstEmpty(_ folds: [SplitFold]) -> (Int, String)? {
        for f in folds {
            if f.train.isEmpty { return (f.fold, "training") }
            if f.validation?.isEmpty == true { return (f.fold, "validation") }
            if f.test.isEmpty { return (f.fold, "test") }
        }
        return nil
    }

    private var methodText: String { method.text }

    /// The fewest rows of a dense raster for which every set of every fold has a row: found by
    /// doubling, then bisection (a set only grows with the rows), or nil when none does.
    func minimumRows(from n: Int) -> Int? {
        func works(_ rows: Int) -> Bool {
            let folds = (try? self.folds(DenseTimeline(rowCount: rows, first: 0, intervalMs: intervalMs))) ?? []
            return !folds.isEmpty && Self.firstEmpty(folds) == nil
        }
        var low = max(n, 0), high = max(n, 1)
        while !works(high) {
            low = high
            high *= 2
            if high > 1 << 40 { return nil }
        }
        while low + 1 < high {
            let mid = (low + high) / 2
            if works(mid) { high = mid } else { low = mid }
        }
        return high
    }
}
