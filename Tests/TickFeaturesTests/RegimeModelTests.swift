import Foundation
import Testing
import TickCore
@testable import TickFeatures

/// The pieces of the regime fit: the start (selection without sorting equals sorting), the
/// checkpointed forward–backward pass (equal to a plain one that keeps every row), scaling on
/// long series, renumbering, the filter across partition boundaries, and the errors.
@Suite("Regime model")
struct RegimeModelTests {
    /// Returns drawn from two volatility levels that switch now and then, with ties and zeros.
    static func series(_ m: Int, seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        var calm = true
        return (0..<m).map { _ in
            if random.next() % 50 == 0 { calm.toggle() }
            let u = Double(random.next() >> 11) / Double(1 << 53) - 0.5
            if random.next() % 7 == 0 { return 0 }
            // Rounded so that values repeat (ties in |x|).
            return ((calm ? 1e-4 : 1e-3) * u * 1e6).rounded() / 1e6
        }
    }

    /// The plain pass: every scaled forward vector kept, then one backward sweep, with the same
    /// formulas and summation order as the checkpointed one.
    static func plainForwardBackward(_ x: [Double], _ p: RegimeParameters) -> RegimeModel.PassStatistics {
        let m = x.count, k = p.states
        let densities = StateDensities(variances: p.variances)
        var relative = [[Double]](repeating: [Double](repeating: 0, count: k), count: m)
        var alpha = relative
        var scale = [Double](repeating: 0, count: m)
        var ll = 0.0
        for t in 0..<m {
            let top = densities.evaluate(x[t], into: &relative[t])
            var c = 0.0
            for j in 0..<k {
                var prior = 0.0
                if t == 0 { prior = p.initial[j] } else { for i in 0..<k { prior += alpha[t - 1][i] * p.transition[i][j] } }
                alpha[t][j] = prior * relative[t][j]
                c += alpha[t][j]
            }
            for j in 0..<k { alpha[t][j] /= c }
            scale[t] = c
            ll += log(c) + top
        }
        var s = RegimeModel.PassStatistics(logLikelihood: ll, firstPosterior: Array(repeating: 0, count: k),
                                           transitions: Array(repeating: Array(repeating: 0, count: k), count: k),
                                           occupancyBeforeLast: Array(repeating: 0, count: k), occupancy: Array(repeating: 0, count: k),
                                           weightedSquares: Array(repeating: 0, count: k))
        var next = [Double](repeating: 1, count: k)
        for t in stride(from: m - 1, through: 0, by: -1) {
            var beta = [Double](repeating: 1, count: k)
            if t < m - 1 {
                let w = (0..<k).map { relative[t + 1][$0] * next[$0] / scale[t + 1] }
                for j in 0..<k {
                    var sum = 0.0
                    for kk in 0..<k {
                        let term = p.transition[j][kk] * w[kk]
                        sum += term
                        s.transitions[j][kk] += alpha[t][j] * term
                    }
                    beta[j] = sum
                }
            }
            for j in 0..<k {
                let g = alpha[t][j] * beta[j]
                if t < m - 1 { s.occupancyBeforeLast[j] += g }
                s.occupancy[j] += g
                s.weightedSquares[j] += g * (x[t] * x[t])
                if t == 0 { s.firstPosterior[j] = g }
            }
            next = beta
        }
        return s
    }

    @Test(arguments: [1, 2, 3, 7, 16, 17, 50, 101, 1000])
    func checkpointedPassEqualsThePlainOne(_ m: Int) throws {
        let x = Self.series(m, seed: UInt64(m))
        let p = RegimeParameters(variances: [1e-9, 2e-8, 3e-7], transition: [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]],
                                 initial: [0.5, 0.3, 0.2])
        let checkpointed = try RegimeModel.forwardBackward(ObservationArray(x), p)
        #expect(checkpointed == Self.plainForwardBackward(x, p))
        // γ_t sums to 1: the scaling is right.
        let total = checkpointed.occupancy.reduce(0, +)
        #expect(abs(total - Double(m)) < 1e-9 * Double(m))
    }

    @Test func blocksAreTheCeilingOfTheRoot() {
        for (m, b) in [(1, 1), (2, 2), (4, 2), (5, 3), (9, 3), (10, 4), (31_536_000, 5616)] {
            #expect(RegimeModel.blockSize(m) == b, "M = \(m)")
        }
    }

    /// The radix select gives the group means of a stable sort by |x|.
    @Test(arguments: [2, 3, 5])
    func startVariancesEqualSortedGroupMeans(_ k: Int) throws {
        for m in [k, k + 1, 97, 1000] {
            let x = Self.series(m, seed: UInt64(m * 31 + k))
            guard x.contains(where: { $0 != 0 }) else { continue }
            let sorted = x.map { $0 * $0 }.enumerated().sorted { abs(x[$0.offset]) < abs(x[$1.offset]) || (abs(x[$0.offset]) == abs(x[$1.offset]) && $0.offset < $1.offset) }.map(\.element)
            let floor = 0.01 * sorted.reduce(0, +) / Double(m)
            let expected = (0..<k).map { j -> Double in
                let group = sorted[(j * m / k)..<((j + 1) * m / k)]
                return max(floor, group.reduce(0, +) / Double(group.count))
            }
            let (got, gotFloor) = try RegimeModel.startVariances(ObservationArray(x), states: k)
            #expect(abs(gotFloor - floor) <= 1e-12 * floor)
            for j in 0..<k { #expect(abs(got[j] - expected[j]) <= 1e-12 * expected[j], "M = \(m), K = \(k), j = \(j)") }
        }
    }

    @Test func renumberingSortsByVarianceKeepingTies() {
        let p = RegimeParameters(variances: [3, 1, 3, 2], transition: (0..<4).map { j in (0..<4).map { Double(10 * j + $0) } },
                                 initial: [0.1, 0.2, 0.3, 0.4])
        let r = p.renumberedByVariance()
        #expect(r.variances == [1, 2, 3, 3])
        #expect(r.initial == [0.2, 0.4, 0.1, 0.3])
        // Old order 1, 3, 0, 2: A'[a][b] = A[old a][old b].
        #expect(r.transition[0] == [11, 13, 10, 12])
        #expect(r.transition[2] == [1, 3, 0, 2])
    }

    @Test func errorsSayWhy() {
        #expect(throws: RegimeError.self) { try RegimeModel.fit(ObservationArray([0.1]), states: 2) }
        #expect(throws: RegimeError.self) { try RegimeModel.fit(ObservationArray([0, 0, 0]), states: 2) }
        do {
            _ = try RegimeModel.fit(ObservationArray([0.1, 0.2]), states: 3)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("at least 3"))
        }
    }

    /// A long series whose calm stretches put the wild state's returns far in the calm state's
    /// tails: nothing underflows, the log-likelihood is finite and the fit finds both levels.
    @Test func longSeriesStayFinite() throws {
        var random = SplitMix64(seed: 7)
        let x = (0..<200_000).map { t -> Double in
            let u = Double(random.next() >> 11) / Double(1 << 53) - 0.5
            return (t / 5000) % 2 == 0 ? 0.01 * u : 0.05 * u
        }
        let fit = try RegimeModel.fit(ObservationArray(x), states: 2)
        #expect(fit.logLikelihood.isFinite)
        let sigma = fit.parameters.variances.map { $0.squareRoot() }
        // Uniform on [−a/2, a/2] has σ = a/√12.
        #expect(abs(sigma[0] / (0.01 / 12.0.squareRoot()) - 1) < 0.05, "\(sigma)")
        #expect(abs(sigma[1] / (0.05 / 12.0.squareRoot()) - 1) < 0.05, "\(sigma)")
        #expect(fit.iterations < RegimeModel.maximumIterations)
    }

    /// The fit stops by the contract's rule: the recorded LL is that of the last iteration, and
    /// one more iteration would have improved it by less than 1e-10·|LL|.
    @Test func stopsByTheRelativeRule() throws {
        let x = Self.series(3000, seed: 99)
        let fit = try RegimeModel.fit(ObservationArray(x), states: 2)
        #expect(fit.iterations > 1 && fit.iterations < RegimeModel.maximumIterations)
    }

    /// Filtering a series in pieces from the state at each piece's start gives the bits of one
    /// pass.
    @Test func filterInPiecesEqualsOnePass() {
        let p = RegimeParameters(variances: [1e-9, 1e-7], transition: [[0.95, 0.05], [0.1, 0.9]], initial: [0.5, 0.5])
        let filter = RegimeFilter(p)
        let x = [Double.nan] + Self.series(500, seed: 3)
        let whole = filter.columns(returns: x, from: nil)
        #expect(whole.regime[0] == ColumnValues.undefinedInteger && whole.probabilities[0][0].isNaN)
        var state: [Double]?
        var start = 0
        for size in [1, 7, 100, 33, 360] {
            let piece = Array(x[start..<min(start + size, x.count)])
            let part = filter.columns(returns: piece, from: state)
            for j in 0..<2 { #expect(part.probabilities[j].map(\.bitPattern) == whole.probabilities[j][start..<(start + piece.count)].map(\.bitPattern)) }
            #expect(part.regime == Array(whole.regime[start..<(start + piece.count)]))
            #expect(filter.advance(returns: piece, from: state) == part.state)
            state = part.state
            start += piece.count
        }
    }
}
