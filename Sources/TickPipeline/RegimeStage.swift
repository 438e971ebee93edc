import TickCore
import TickFeatures
import TickIO
import TickStore
#if canImport(Glibc)
import Glibc
#endif

/// The second pass of a `--regimes K` run, over the stored feature partitions (never the
/// ticks): the regime columns depend on the fit rows, which depend on N and the splits, so no
/// row can be written before every partition exists.
///
/// 1. The partitions are decoded in order (on the pool) and the written rows' log returns and
///    bar starts go to scratch files in the generation.
/// 2. The splits give the fit rows (holdout train, or walk-forward fold 1 train); their defined
///    returns are copied to a third scratch file, from which the HMM is fitted
///    (`RegimeModel.fit`, checkpointed, in memory independent of M).
/// 3. The causal filter runs once over all written rows, keeping its state at each
///    partition's first row.
/// 4. The partitions are decoded again; each one's regime columns are filtered from its
///    starting state, inserted before the calendar columns, and the rows go to the outputs.
///
/// Everything derives from the stored partitions in a fixed order, so the outputs do not
/// depend on workers, partition size, memory limit or resumes; a killed run redoes this pass
/// from the partitions, which the manifest already lists.
struct RegimeStage {
    let calculator: FeatureCalculator
    let states: Int
    let plan: SplitPlan
    let directory: RunDirectory
    let pool: WorkPool
    let options: OutputOptions

    /// Runs the pass, handing every written row (with its regime columns) to `output`.
    func run(_ state: FeatureState, generation: OutputGeneration, into output: FeatureOutputs) throws -> RegimeSummary {
        let paths = try OutputStage.storedPartitionPaths(state, directory: directory)
        let calculator = self.calculator
        guard let returnColumn = calculator.catalog.features.firstIndex(where: { $0.key == .logReturn }) else {
            preconditionFailure("the catalog always has log_return")
        }
        let returnsPath = generation.filePath(RunFileName.regimeReturnsScratch)
        let observationsPath = generation.filePath(RunFileName.regimeObservationsScratch)
        defer {
            Syscall.unlinkIfPresent(returnsPath)
            Syscall.unlinkIfPresent(observationsPath)
        }

        // 1. The written rows' returns and bar starts.
        let timeline = WrittenRowTimeline(intervalMs: plan.intervalMs, scratchPath: generation.filePath(RunFileName.regimeTimelineScratch))
        defer { timeline.discard() }
        let returnsWriter = try DoubleScratchWriter(path: returnsPath)
        var partitionRows: [Int] = []
        try forEachInOrder(paths) { path in
            let written = calculator.writtenRows(try Self.decode(path, calculator: calculator))
            return (written.timestamps, Self.returns(written, column: returnColumn))
        } consume: { (times: [Int64], returns: [Double]) in
            try returnsWriter.append(returns)
            try timeline.append(times)
            partitionRows.append(returns.count)
        }
        try returnsWriter.finish()
        let returns = try DoubleScratchFile(path: returnsPath, count: timeline.rowCount)

        // 2. The fit rows and the fit.
        let (fitRows, fitSet) = try fitRows(timeline)
        let observationsWriter = try DoubleScratchWriter(path: observationsPath)
        var block: [Double] = []
        for range in fitRows.ranges {
            var start = range.lowerBound
            while start < range.upperBound {
                let rows = min(1 << 16, range.upperBound - start)
                block = Array(repeating: 0, count: rows)
                try returns.read(from: start, into: &block)
                try observationsWriter.append(block.filter { !$0.isNaN })
                start += rows
            }
        }
        try observationsWriter.finish()
        let observations = try DoubleScratchFile(path: observationsPath, count: observationsWriter.count)
        let fit: RegimeFit
        do {
            fit = try RegimeModel.fit(observations, states: states)
        } catch let error as RegimeError {
            throw TickError.invalidArgument("--regimes \(states): \(error.description) (fit rows: the \(fitSet), rows \(fitRows.ranges.map { "[\($0.lowerBound), \($0.upperBound))" }.joined(separator: ", ")))")
        }

        // 3. The filter's state before each partition's first written row.
        let filter = RegimeFilter(fit.parameters)
        var starts: [[Double]?] = []
        var filtered: [Double]?
        var row = 0
        for count in partitionRows {
            starts.append(filtered)
            block = Array(repeating: 0, count: count)
            try returns.read(from: row, into: &block)
            filtered = filter.advance(returns: block, from: filtered)
            row += count
        }

        // 4. The rows with their regime columns, to the outputs.
        let options = self.options
        let insertAt = calculator.catalog.regimeInsertionIndex
        try forEachInOrder(Array(zip(paths, starts))) { path, start in
            var written = calculator.writtenRows(try Self.decode(path, calculator: calculator))
            let regimes = filter.columns(returns: Self.returns(written, column: returnColumn), from: start)
            written.features.insert(contentsOf: [ColumnValues.integer(regimes.regime)] + regimes.probabilities.map { ColumnValues.real($0) },
                                    at: insertAt)
            return PreparedRows(written: written, options: options)
        } consume: { rows in
            try output.append(rows)
        }
        let fitTimes = try timeline.timestamps(ofRows: fitRows.ranges.flatMap { [$0.lowerBound, $0.upperBound - 1] })
        return RegimeSummary(states: states, fit: fit, fitRows: fitRows, fitSet: fitSet,
                             fitTimestamps: fitRows.ranges.indices.map { [fitTimes[2 * $0], fitTimes[2 * $0 + 1] + plan.intervalMs] })
    }

    /// The rows the HMM is fitted on: the train set of the holdout split, or of walk-forward
    /// fold 1, both before every test row.
    private func fitRows(_ timeline: WrittenRowTimeline) throws -> (RowSet, String) {
        let folds: [SplitFold]
        do {
            folds = try plan.folds(timeline)
            try plan.checkNoneEmpty(folds, rows: timeline.rowCount)
        } catch let error as SplitError {
            throw TickError.invalidArgument(error.description)
        }
        switch plan.method {
        case .holdout: return (folds[0].train, "holdout train set")
        case .walkForward: return (folds.first { $0.fold == 1 }!.train, "walk-forward fold 1 train set")
        case .kfold: throw TickError.invalidArgument(RegimeOptions.kfoldRefusal)
        }
    }

    private static func decode(_ path: String, calculator: FeatureCalculator) throws -> FeatureColumns {
        try PartitionCodec.featureColumns(try PartitionFormat.read(path: path), catalog: calculator.catalog, path: path)
    }

    private static func returns(_ columns: FeatureColumns, column: Int) -> [Double] {
        guard case .real(let values) = columns.features[column] else { preconditionFailure("log_return is a real column") }
        return values
    }

    /// Runs `work` on the pool for each item, a few ahead, and hands the results to `consume`
    /// in the items' order.
    private func forEachInOrder<Item: Sendable, Output: Sendable>(_ items: [Item], work: @escaping @Sendable (Item) throws -> Output,
                                                                  consume: (Output) throws -> Void) throws {
        let tasks = OrderedTasks<Output>(pool: pool)
        var next = 0
        while next < items.count || tasks.pending > 0 {
            while next < items.count && tasks.pending <= pool.workers {
                let item = items[next]
                next += 1
                tasks.submit { try work(item) }
            }
            try consume(try tasks.takeNext())
        }
    }
}

/// How `--regimes` is checked (shared by the command line and the job).
public enum RegimeOptions {
    public static let kfoldRefusal = "--regimes needs --splits holdout:… or --splits walk-forward:…: the HMM is fitted on the train rows, which must come before every test row, and a k-fold split tests rows before its train rows"

    /// Refuses `--regimes K` without a split method whose train rows precede every test row.
    public static func check(states: Int, splits: SplitMethod?) throws(TickError) {
        guard states >= 2 else { throw TickError.invalidArgument("--regimes needs at least 2 states, got \(states)") }
        guard states <= 64 else { throw TickError.invalidArgument("--regimes allows at most 64 states, got \(states)") }
        switch splits {
        case nil: throw TickError.invalidArgument("--regimes needs --splits holdout:… or --splits walk-forward:…: the HMM is fitted on the train rows only, so that no test row informs it")
        case .kfold?: throw TickError.invalidArgument(kfoldRefusal)
        case .holdout?, .walkForward?: return
        }
    }
}

/// What the regime stage fitted, and on which rows (for `features.json`).
struct RegimeSummary {
    var states: Int
    var fit: RegimeFit
    var fitRows: RowSet
    /// Which set the fit rows are (`holdout train set`, …).
    var fitSet: String
    /// Per fit row range, its time range: the first row's bar start to the end of the last row's bar.
    var fitTimestamps: [[Int64]]

    /// A warning when two or more states ended with the same variance (in practice all at the
    /// floor, 0.01·mean(x²), where most returns are 0): such states are interchangeable, so which
    /// of them takes a bar's probability turns on rounding, and another implementation of the
    /// same contract may split it otherwise. Fewer states describe the data as well.
    var degenerateStatesWarning: String? {
        let variances = fit.parameters.variances
        let tied = Dictionary(grouping: variances.indices, by: { variances[$0] }).values.filter { $0.count > 1 }
        guard let largest = tied.max(by: { $0.count < $1.count }) else { return nil }
        return "--regimes \(states): states \(largest.sorted().map(String.init).joined(separator: ", ")) ended with the same variance (\(variances[largest[0]])): the fit rows do not support \(states) distinct regimes, and how the probability is shared among those states depends on rounding; use fewer states (--regimes \(max(2, states - largest.count + 1)))"
    }

    /// The `regimes` section of `features.json`.
    struct Document: Encodable {
        var states: Int
        var model: String
        var fitRows: FitRows
        var observations: Int
        var sigma: [Double]
        var variance: [Double]
        var transitionMatrix: [[Double]]
        var initialDistribution: [Double]
        var iterations: Int
        var stoppedBy: String
        var logLikelihood: Double
        var probabilities: String
    }

    struct FitRows: Encodable {
        var set: String
        var rows: [[Int]]
        var timestamps: [[Int64]]
        var count: Int
    }

    var document: Document {
        let p = fit.parameters
        return Document(states: states,
                        model: "zero-mean Gaussian hidden Markov model of log_return (r_t), fitted by Baum–Welch on the fit rows only; states numbered by increasing variance (0 = calmest)",
                        fitRows: FitRows(set: fitSet, rows: fitRows.ranges.map { [$0.lowerBound, $0.upperBound] }, timestamps: fitTimestamps,
                                         count: fitRows.count),
                        observations: fit.observations, sigma: p.variances.map { $0.squareRoot() }, variance: p.variances,
                        transitionMatrix: p.transition, initialDistribution: p.initial, iterations: fit.iterations,
                        stoppedBy: fit.iterations >= RegimeModel.maximumIterations ? "iteration limit (\(RegimeModel.maximumIterations))" : "relative log-likelihood improvement below 1e-10",
                        logLikelihood: fit.logLikelihood,
                        probabilities: "causal: regime_p{j} at row t uses the log returns of rows up to t only (forward filter, no smoothing)")
    }
}

/// Doubles appended to a scratch file, a block at a time.
final class DoubleScratchWriter {
    private let file: OwnedFile
    private var buffer: [Double] = []
    private(set) var count = 0
    private static let blockValues = 1 << 16

    init(path: String) throws {
        file = try OwnedFile(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        buffer.reserveCapacity(Self.blockValues)
    }

    func append(_ values: [Double]) throws {
        for value in values {
            buffer.append(value)
            if buffer.count == Self.blockValues { try flush() }
        }
        count += values.count
    }

    func finish() throws { try flush() }

    private func flush() throws {
        try buffer.withUnsafeBytes { try Syscall.writeAll(file.fd, $0, path: file.path) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// A scratch file of doubles, read by position: the fit reads its observations from it block
/// by block, many times, instead of holding them.
final class DoubleScratchFile: RegimeObservations {
    private let file: OwnedFile
    let count: Int

    init(path: String, count: Int) throws {
        file = try OwnedFile(path: path, flags: O_RDONLY)
        self.count = count
    }

    func read(from start: Int, into buffer: inout [Double]) throws {
        let path = file.path, fd = file.fd
        try buffer.withUnsafeMutableBytes { raw in
            var done = 0
            while done < raw.count {
                let n = try Syscall.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[done...]),
                                          offset: Int64(start * 8 + done), path: path)
                guard n > 0 else { throw TickError.unreadable(path: path, reason: "scratch file ends early") }
                done += n
            }
        }
    }
}
