#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The observations of a regime fit (the fit rows' defined log returns), read in order in
/// blocks, so that a pipeline can keep them in a file and a test in an array. The fit reads
/// them many times (a few passes per Baum–Welch iteration) and never holds them all.
public protocol RegimeObservations {
    /// M, the number of observations.
    var count: Int { get }
    /// Fills `buffer` with observations `start ..< start + buffer.count`.
    func read(from start: Int, into buffer: inout [Double]) throws
}

/// Observations held in memory (tests, small inputs).
public struct ObservationArray: RegimeObservations {
    public let values: [Double]
    public init(_ values: [Double]) { self.values = values }
    public var count: Int { values.count }
    public func read(from start: Int, into buffer: inout [Double]) {
        for i in buffer.indices { buffer[i] = values[start + i] }
    }
}

/// Why a regime fit cannot be made.
public struct RegimeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The parameters of a zero-mean K-state Gaussian hidden Markov model (contract, Regimes).
public struct RegimeParameters: Sendable, Equatable {
    /// σ²_j of each state.
    public var variances: [Double]
    /// A[j][k] = P(state k at t + 1 | state j at t).
    public var transition: [[Double]]
    /// π_j = P(state j at the first observation).
    public var initial: [Double]

    public init(variances: [Double], transition: [[Double]], initial: [Double]) {
        self.variances = variances; self.transition = transition; self.initial = initial
    }

    public var states: Int { variances.count }

    /// The same model with states renumbered by increasing σ² (a stable order: tied states keep
    /// theirs), so that state 0 is the calmest.
    public func renumberedByVariance() -> RegimeParameters {
        let order = variances.indices.sorted { variances[$0] < variances[$1] || (variances[$0] == variances[$1] && $0 < $1) }
        return RegimeParameters(variances: order.map { variances[$0] },
                                transition: order.map { j in order.map { k in transition[j][k] } },
                                initial: order.map { initial[$0] })
    }
}

/// The result of a fit: the renumbered parameters and how the fit went.
public struct RegimeFit: Sendable, Equatable {
    public var parameters: RegimeParameters
    /// Baum–Welch iterations run (at most `RegimeModel.maximumIterations`).
    public var iterations: Int
    /// The log-likelihood of the last iteration (of the parameters before its update).
    public var logLikelihood: Double
    /// M, the observations fitted.
    public var observations: Int
}

/// The Gaussian densities of a model's states at one observation, combined in log space: each
/// state's density divided by the largest, so that none underflows however far in the tails x
/// is. `logScale` is the log of the divisor.
struct StateDensities: Sendable {
    /// −½·ln(2πσ²_j) and 1/(2σ²_j) of each state.
    let logNorm: [Double]
    let halfPrecision: [Double]

    init(variances: [Double]) {
        logNorm = variances.map { -0.5 * log(2 * Double.pi * $0) }
        halfPrecision = variances.map { 0.5 / $0 }
    }

    /// Writes b_j(x) / max_k b_k(x) into `relative` and returns ln max_k b_k(x).
    @inline(__always)
    func evaluate(_ x: Double, into relative: inout [Double]) -> Double {
        let x2 = x * x
        var largest = -Double.infinity
        for j in logNorm.indices {
            relative[j] = logNorm[j] - x2 * halfPrecision[j]
            largest = max(largest, relative[j])
        }
        for j in relative.indices { relative[j] = exp(relative[j] - largest) }
        return largest
    }
}

/// The fit and the causal filter of the contract's regimes, as pure functions of the
/// observations. Every sum is taken in one fixed order that depends on M only, so the same
/// observations give the same bits whatever reads them.
public enum RegimeModel {
    public static let maximumIterations = 200
    /// Stop once an iteration's log-likelihood is less than this times |LL| above the previous.
    public static let relativeTolerance = 1e-10

    /// Rows per block of the checkpointed forward–backward pass for M observations: ⌈√M⌉, so
    /// that the checkpoints and one block together hold O(√M) vectors.
    public static func blockSize(_ m: Int) -> Int {
        var b = Int(Double(m).squareRoot())
        while b * b < m { b += 1 }
        while b > 1 && (b - 1) * (b - 1) >= m { b -= 1 }
        return max(b, 1)
    }

    /// The starting variances: the observations ranked by |x| (equivalently by x²) in K groups of
    /// ranks `[⌊jM/K⌋, ⌊(j+1)M/K⌋)`, each group's mean x², floored at 0.01·mean(x²). Ties in
    /// |x| have equal x², so which tied observation goes to which group does not change a
    /// group's mean: the groups are found without sorting, by selecting the x² at each group
    /// boundary rank (a radix select over the bits of the non-negative doubles, 16 bits a pass)
    /// and summing what lies below it, in memory independent of M.
    /// - Returns: the starting σ² and the floor.
    public static func startVariances(_ source: some RegimeObservations, states k: Int) throws -> (variances: [Double], floor: Double) {
        let m = source.count
        guard k >= 2 else { throw RegimeError("--regimes needs at least 2 states, got \(k)") }
        guard m >= k else {
            throw RegimeError("the regime fit has \(m) observation\(m == 1 ? "" : "s") (defined log returns in the fit rows) for \(k) states: it needs at least \(k)")
        }
        let ranks = (1..<k).map { Int(Int128($0) * Int128(m) / Int128(k)) }
        // Per boundary: the bits above the current pass fixed so far, and the rank left within them.
        var prefix = [UInt64](repeating: 0, count: ranks.count)
        var remaining = ranks
        var histograms = [[Int]](repeating: [Int](repeating: 0, count: 1 << 16), count: ranks.count)
        for pass in 0..<4 {
            let shift = UInt64(48 - 16 * pass)
            let highMask: UInt64 = pass == 0 ? 0 : ~((UInt64(1) << (shift + 16)) &- 1)
            for b in ranks.indices { for i in histograms[b].indices { histograms[b][i] = 0 } }
            try forEachObservation(source) { x in
                let bits = (x * x).bitPattern
                for b in prefix.indices where bits & highMask == prefix[b] { histograms[b][Int((bits >> shift) & 0xFFFF)] += 1 }
            }
            for b in ranks.indices {
                var below = 0
                for bucket in histograms[b].indices {
                    if below + histograms[b][bucket] > remaining[b] {
                        prefix[b] |= UInt64(bucket) << shift
                        remaining[b] -= below
                        break
                    }
                    below += histograms[b][bucket]
                }
            }
        }
        // S(R) = the sum of the R smallest x² = Σ_{x² < v} x² + (R − #{x² < v})·v, v the R-th.
        let thresholds = prefix.map { Double(bitPattern: $0) }
        var sumBelow = [Double](repeating: 0, count: ranks.count)
        var total = 0.0
        try forEachObservation(source) { x in
            let y = x * x
            total += y
            for b in thresholds.indices where y < thresholds[b] { sumBelow[b] += y }
        }
        guard total > 0 else { throw RegimeError("every log return of the regime fit rows is 0 (mean(x²) = 0): no volatility to tell regimes apart") }
        var prefixSums: [Double] = [0]
        for b in thresholds.indices {
            let ties = Double(remaining[b]) * thresholds[b]
            prefixSums.append(sumBelow[b] + ties)
        }
        prefixSums.append(total)
        let bounds: [Int] = [0] + ranks + [m]
        let floor = 0.01 * (total / Double(m))
        var variances: [Double] = []
        for j in 0..<k {
            let groupSum: Double = prefixSums[j + 1] - prefixSums[j]
            let groupSize = Double(bounds[j + 1] - bounds[j])
            variances.append(max(floor, groupSum / groupSize))
        }
        return (variances, floor)
    }

    /// The starting parameters of the contract: the start variances, π_j = 1/K, A_jj = 0.9,
    /// A_jk = 0.1/(K−1).
    public static func start(_ source: some RegimeObservations, states k: Int) throws -> (parameters: RegimeParameters, floor: Double) {
        let (variances, floor) = try startVariances(source, states: k)
        let off = 0.1 / Double(k - 1)
        let transition = (0..<k).map { j in (0..<k).map { $0 == j ? 0.9 : off } }
        return (RegimeParameters(variances: variances, transition: transition, initial: Array(repeating: 1 / Double(k), count: k)), floor)
    }

    /// Fits the model by Baum–Welch from the contract's start, stops by its rule and renumbers
    /// the states by variance.
    public static func fit(_ source: some RegimeObservations, states k: Int) throws -> RegimeFit {
        var (parameters, floor) = try start(source, states: k)
        var previous: Double?
        var iterations = 0
        var logLikelihood = 0.0
        while iterations < maximumIterations {
            iterations += 1
            let pass = try forwardBackward(source, parameters)
            parameters = pass.update(parameters, floor: floor)
            logLikelihood = pass.logLikelihood
            if let previous, logLikelihood - previous < relativeTolerance * abs(logLikelihood) { break }
            previous = logLikelihood
        }
        return RegimeFit(parameters: parameters.renumberedByVariance(), iterations: iterations,
                         logLikelihood: logLikelihood, observations: source.count)
    }

    /// What one forward–backward pass gives the Baum–Welch update.
    public struct PassStatistics: Sendable, Equatable {
        public var logLikelihood: Double
        /// γ_0.
        public var firstPosterior: [Double]
        /// Σ_{t<M−1} ξ_t(j,k).
        public var transitions: [[Double]]
        /// Σ_{t<M−1} γ_t(j).
        public var occupancyBeforeLast: [Double]
        /// Σ_t γ_t(j) and Σ_t γ_t(j)·x_t².
        public var occupancy: [Double]
        public var weightedSquares: [Double]

        /// The contract's update. A state that no observation weighs (a zero denominator, which
        /// the contract's formulas leave undefined) keeps its row of A and its variance.
        public func update(_ old: RegimeParameters, floor: Double) -> RegimeParameters {
            var new = old
            new.initial = firstPosterior
            for j in 0..<old.states {
                if occupancyBeforeLast[j] > 0 { new.transition[j] = transitions[j].map { $0 / occupancyBeforeLast[j] } }
                if occupancy[j] > 0 { new.variances[j] = max(floor, weightedSquares[j] / occupancy[j]) }
            }
            return new
        }
    }

    /// The scaled forward–backward pass with checkpoints: a first forward sweep keeps the scaled
    /// forward vector at the end of every block of ⌈√M⌉ rows (and sums the log-likelihood);
    /// then blocks are taken from last to first, each recomputed forward from its checkpoint
    /// (the same operations, so the same bits) and walked backward. Memory: O(K·√M).
    /// Sums run from t = M−1 down to 0.
    public static func forwardBackward(_ source: some RegimeObservations, _ p: RegimeParameters) throws -> PassStatistics {
        let m = source.count, k = p.states
        let blockRows = blockSize(m)
        let blocks = (m + blockRows - 1) / blockRows
        let densities = StateDensities(variances: p.variances)
        let a = p.transition
        var e = [Double](repeating: 0, count: k)
        var observations = [Double](repeating: 0, count: blockRows)

        /// Advances the scaled forward vector: `alpha` from `previous` (π when `first`) and the
        /// relative densities; returns the scale c_t.
        func step(_ alpha: inout [Double], previous: [Double], first: Bool, relative: [Double]) -> Double {
            var c = 0.0
            for j in 0..<k {
                var prior = 0.0
                if first { prior = p.initial[j] } else { for i in 0..<k { prior += previous[i] * a[i][j] } }
                alpha[j] = prior * relative[j]
                c += alpha[j]
            }
            for j in 0..<k { alpha[j] /= c }
            return c
        }

        // Forward sweep: checkpoints[b] is α̂ at the last row before block b (empty for b = 0).
        var checkpoints: [[Double]] = []
        checkpoints.reserveCapacity(blocks)
        var logLikelihood = 0.0
        var alpha = [Double](repeating: 0, count: k)
        var previous = [Double](repeating: 0, count: k)
        for b in 0..<blocks {
            let start = b * blockRows, rows = min(blockRows, m - start)
            checkpoints.append(b == 0 ? [] : previous)
            observations.removeAll(keepingCapacity: true)
            observations.append(contentsOf: repeatElement(0, count: rows))
            try source.read(from: start, into: &observations)
            for t in 0..<rows {
                let logScale = densities.evaluate(observations[t], into: &e)
                let c = step(&alpha, previous: previous, first: start + t == 0, relative: e)
                logLikelihood += log(c) + logScale
                swap(&alpha, &previous)
            }
        }

        var stats = PassStatistics(logLikelihood: logLikelihood, firstPosterior: Array(repeating: 0, count: k),
                                   transitions: Array(repeating: Array(repeating: 0, count: k), count: k),
                                   occupancyBeforeLast: Array(repeating: 0, count: k),
                                   occupancy: Array(repeating: 0, count: k), weightedSquares: Array(repeating: 0, count: k))
        // Of row t + 1 while row t is visited: b(x_{t+1}) relative, c_{t+1} and β̂_{t+1}.
        var nextRelative = [Double](repeating: 0, count: k)
        var nextScale = 1.0
        var nextBeta = [Double](repeating: 1, count: k)
        var blockAlpha = [Double](repeating: 0, count: blockRows * k)
        var blockRelative = [Double](repeating: 0, count: blockRows * k)
        var blockScale = [Double](repeating: 0, count: blockRows)
        var beta = [Double](repeating: 1, count: k)
        var weighted = [Double](repeating: 0, count: k)
        for b in stride(from: blocks - 1, through: 0, by: -1) {
            let start = b * blockRows, rows = min(blockRows, m - start)
            observations.removeAll(keepingCapacity: true)
            observations.append(contentsOf: repeatElement(0, count: rows))
            try source.read(from: start, into: &observations)
            if b > 0 { previous = checkpoints[b] }
            for t in 0..<rows {
                _ = densities.evaluate(observations[t], into: &e)
                blockScale[t] = step(&alpha, previous: previous, first: start + t == 0, relative: e)
                for j in 0..<k { blockAlpha[t * k + j] = alpha[j]; blockRelative[t * k + j] = e[j] }
                swap(&alpha, &previous)
            }
            for t in stride(from: rows - 1, through: 0, by: -1) {
                let x2 = observations[t] * observations[t]
                let isLast = start + t == m - 1
                if !isLast {
                    // β̂_t(j) = Σ_k A_jk b_k(x_{t+1}) β̂_{t+1}(k) / c_{t+1}; ξ_t(j,k) = α̂_t(j)·that term.
                    for kk in 0..<k { weighted[kk] = nextRelative[kk] * nextBeta[kk] / nextScale }
                    for j in 0..<k {
                        let at = blockAlpha[t * k + j]
                        var sum = 0.0
                        for kk in 0..<k {
                            let term = a[j][kk] * weighted[kk]
                            sum += term
                            stats.transitions[j][kk] += at * term
                        }
                        beta[j] = sum
                    }
                } else {
                    for j in 0..<k { beta[j] = 1 }
                }
                for j in 0..<k {
                    let gamma = blockAlpha[t * k + j] * beta[j]
                    if !isLast { stats.occupancyBeforeLast[j] += gamma }
                    stats.occupancy[j] += gamma
                    stats.weightedSquares[j] += gamma * x2
                    if start + t == 0 { stats.firstPosterior[j] = gamma }
                }
                for j in 0..<k { nextRelative[j] = blockRelative[t * k + j]; nextBeta[j] = beta[j] }
                nextScale = blockScale[t]
            }
        }
        return stats
    }
}

/// The causal (forward-filtered) state probabilities of a fitted model:
/// p_t ∝ (p_{t−1} · A) ∘ b(x_t), from π ∘ b(x) at the first observation. Each step depends only
/// on the previous probabilities and x_t, so a partition can be filtered from the probabilities
/// at the row before it and give the same bits as one pass over all rows.
public struct RegimeFilter: Sendable {
    public let parameters: RegimeParameters
    private let densities: StateDensities

    public init(_ parameters: RegimeParameters) {
        self.parameters = parameters
        densities = StateDensities(variances: parameters.variances)
    }

    /// p_t from p_{t−1} (nil at the first observation) and x_t.
    public func step(previous: [Double]?, observation x: Double) -> [Double] {
        let k = parameters.states
        var relative = [Double](repeating: 0, count: k)
        _ = densities.evaluate(x, into: &relative)
        var p = [Double](repeating: 0, count: k)
        var sum = 0.0
        for j in 0..<k {
            var prior = 0.0
            if let previous { for i in 0..<k { prior += previous[i] * parameters.transition[i][j] } } else { prior = parameters.initial[j] }
            p[j] = prior * relative[j]
            sum += p[j]
        }
        for j in 0..<k { p[j] /= sum }
        return p
    }

    /// The regime columns of consecutive rows with log returns `returns` (NaN: undefined, which
    /// leaves the row's cells undefined and the probabilities carried over unchanged), starting
    /// from the probabilities of the last defined row before them.
    /// - Returns: `regime` (the lowest most probable state) and `regime_p{j}`, and the
    ///   probabilities after the last row.
    public func columns(returns: [Double], from state: [Double]?) -> (regime: [Int64], probabilities: [[Double]], state: [Double]?) {
        let k = parameters.states
        var regime = [Int64](repeating: ColumnValues.undefinedInteger, count: returns.count)
        var probabilities = [[Double]](repeating: [Double](repeating: .nan, count: returns.count), count: k)
        var state = state
        for (t, x) in returns.enumerated() where !x.isNaN {
            let p = step(previous: state, observation: x)
            var best = 0
            for j in 0..<k {
                probabilities[j][t] = p[j]
                if p[j] > p[best] { best = j }
            }
            regime[t] = Int64(best)
            state = p
        }
        return (regime, probabilities, state)
    }

    /// The probabilities after a sequence of log returns (the state `columns` would end with).
    public func advance(returns: [Double], from state: [Double]?) -> [Double]? {
        var state = state
        for x in returns where !x.isNaN { state = step(previous: state, observation: x) }
        return state
    }
}

private func forEachObservation(_ source: some RegimeObservations, _ body: (Double) -> Void) throws {
    let blockRows = 1 << 16
    var buffer = [Double]()
    var start = 0
    while start < source.count {
        let rows = min(blockRows, source.count - start)
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: rows))
        try source.read(from: start, into: &buffer)
        for x in buffer { body(x) }
        start += rows
    }
}
