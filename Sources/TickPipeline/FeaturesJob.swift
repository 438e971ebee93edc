import Foundation
import TickCore
import TickCSV
import TickFeatures
import TickIO

/// Everything `tickforge features` needs.
public struct FeaturesOptions: Sendable {
    public var tradesPath: String
    public var quotesPath: String?
    public var outputDirectory: String
    public var config: FeatureConfig
    public var read = ReadOptions()
    /// Bars per feature partition; output does not depend on it.
    public var partitionBars = 65_536
    public var showProgress = Syscall.stderrIsTerminal

    public init(tradesPath: String, quotesPath: String?, outputDirectory: String, config: FeatureConfig) {
        self.tradesPath = tradesPath; self.quotesPath = quotesPath
        self.outputDirectory = outputDirectory; self.config = config
    }
}

/// What a features run did (written to `summary.json`).
public struct RunSummary: Sendable, Codable {
    public struct Input: Sendable, Codable {
        public var path: String
        public var layout: String
        public var timeUnit: String
        public var compression: String
        public var bytes: Int64
        public var rows: RowCounts
    }
    public var trades: Input
    public var quotes: Input?
    public var bars: Int
    public var rowsWritten: Int
    public var stageSeconds: [String: Double]
    public var wallSeconds: Double
    public var cpuSeconds: Double
    public var inputMegabytesPerSecond: Double
    public var tradesPerSecond: Double
    public var peakResidentBytes: Int64
    public var workers: Int
    public var chunkSize: Int
    public var partitionBars: Int
}

/// Runs the whole features pipeline: ticks → bars → partitions of features (in parallel, with
/// halos) → `features.csv`, `targets.csv`, their JSON metadata and `summary.json`.
public final class FeaturesJob {
    public let options: FeaturesOptions
    private let pool: WorkPool
    private let calculator: FeatureCalculator

    public init(options: FeaturesOptions) throws {
        try options.config.validate()
        guard options.partitionBars >= 1 else { throw TickError.invalidArgument("--partition-bars must be at least 1") }
        self.options = options
        pool = WorkPool(workers: options.read.workers)
        calculator = FeatureCalculator(config: options.config)
    }

    @discardableResult
    public func run() throws -> RunSummary {
        let clock = StageClock()
        let out = options.outputDirectory
        try Syscall.makeDirectories(out)
        try checkHorizonFitsBeforeWork()

        let rejects = options.read.badRows == .quarantine ? try RejectsWriter(path: out + "/rejects.csv") : nil
        let trades = try TickStream(path: options.tradesPath, options: options.read, pool: pool, rejects: rejects)
        guard let tradeLayout = trades.layout else {
            throw TickError.unreadable(path: options.tradesPath, reason: "the file is empty: no trades to make bars from")
        }
        guard tradeLayout.kind == .trades else {
            throw TickError.invalidArgument("\(options.tradesPath) holds quotes (\(tradeLayout.name)), not trades; pass it with --quotes")
        }
        let quotes = try options.quotesPath.map { try TickStream(path: $0, options: options.read, pool: pool, rejects: rejects) }
        if let quotes, let layout = quotes.layout, layout.kind != .quotes {
            throw TickError.invalidArgument("\(quotes.path) holds trades (\(layout.name)), not quotes")
        }

        let featuresFile = try AtomicFileWriter(path: out + "/features.csv")
        let targetsFile = try AtomicFileWriter(path: out + "/targets.csv")
        let catalog = calculator.catalog
        try featuresFile.write((["timestamp"] + catalog.features.map(\.name)).joined(separator: ",") + "\n")
        try targetsFile.write((["timestamp"] + catalog.targets.map(\.name)).joined(separator: ",") + "\n")

        let partitioner = Partitioner(calculator: calculator, pool: pool, partitionBars: options.partitionBars,
                                      maxInFlight: pool.workers + 1)
        var firstDefinedFeature = [Int?](repeating: nil, count: catalog.features.count)
        var firstDefinedTarget = [Int?](repeating: nil, count: catalog.targets.count)
        var rowsWritten = 0
        var firstBarStart: Int64?
        var lastBarStart: Int64?
        let writeOutput: (PartitionOutput) throws -> Void = { part in
            try featuresFile.write(part.features)
            try targetsFile.write(part.targets)
            for (c, first) in part.firstDefinedFeature.enumerated() where firstDefinedFeature[c] == nil {
                firstDefinedFeature[c] = first.map { $0 + rowsWritten }
            }
            for (c, first) in part.firstDefinedTarget.enumerated() where firstDefinedTarget[c] == nil {
                firstDefinedTarget[c] = first.map { $0 + rowsWritten }
            }
            rowsWritten += part.rowCount
        }

        var builder = BarBuilder(interval: options.config.interval)
        var quoteBars = QuoteBarBuilder()
        var sequencer = BarSequencer(lambda: options.config.ewmLambda)
        let step = options.config.interval.micros
        let progress = ProgressLine(label: "features", totalBytes: trades.fileSize + (quotes?.fileSize ?? 0),
                                    enabled: options.showProgress)
        let onBar: (TradeBar) throws -> Void = { bar in
            if firstBarStart == nil { firstBarStart = bar.start }
            lastBarStart = bar.start
            var stats: QuoteBarStats?
            if let quotes {
                let end = bar.start + step
                while quoteBars.needsQuotes(before: end) {
                    if case .quotes(let batch)? = try quotes.next() { quoteBars.append(batch) } else { quoteBars.endOfQuotes() }
                }
                stats = quoteBars.finishBar(start: bar.start, end: end)
            }
            let record = sequencer.record(bar, quotes: stats)
            try partitioner.append(record, write: writeOutput)
        }

        clock.start("bars_and_features")
        while let batch = try trades.next() {
            guard case .trades(let columns) = batch else { continue }
            try builder.add(columns, emit: onBar)
            progress.update(doneBytes: trades.fileBytesRead + (quotes?.fileBytesRead ?? 0))
        }
        try builder.finish(emit: onBar)
        progress.finish()
        let barCount = partitioner.barCount
        guard barCount > 0 else {
            throw TickError.unreadable(path: options.tradesPath, reason: "no valid trades (rows read: \(trades.counts.read), rejected: \(trades.counts.rejected))")
        }
        if options.config.maxHorizon > barCount - 1 {
            throw TickError.invalidArgument("horizon \(options.config.maxHorizon) bars is longer than the data (\(barCount) bars of \(options.config.interval)); every target would be undefined")
        }
        try partitioner.finish(write: writeOutput)
        // Drain the quotes so their counts cover the whole file.
        if let quotes { while try quotes.next() != nil {} }
        clock.stop()

        clock.start("write")
        try targetsFile.commit()
        try featuresFile.commit()
        try rejects?.commit()
        let inputs = MetadataInputs(trades: describe(trades), quotes: quotes.map(describe))
        let metadata = OutputMetadata(config: options.config, catalog: catalog, rowCount: rowsWritten, barCount: barCount,
                                      firstBarStart: firstBarStart, lastBarStart: lastBarStart, inputs: inputs,
                                      badRows: options.read.badRows)
        try AtomicFileWriter.write(metadata.json(columns: catalog.features, firstDefined: firstDefinedFeature, file: "features.csv"),
                                   to: out + "/features.json")
        try AtomicFileWriter.write(metadata.json(columns: catalog.targets, firstDefined: firstDefinedTarget, file: "targets.csv"),
                                   to: out + "/targets.json")
        clock.stop()

        let wall = clock.wallSeconds
        let inputBytes = trades.bytesChunked + (quotes?.bytesChunked ?? 0)
        let summary = RunSummary(
            trades: inputs.trades, quotes: inputs.quotes, bars: barCount, rowsWritten: rowsWritten,
            stageSeconds: clock.stages, wallSeconds: wall, cpuSeconds: StageClock.processCPUSeconds(),
            inputMegabytesPerSecond: Double(inputBytes) / 1e6 / max(wall, 1e-9),
            tradesPerSecond: Double(trades.counts.read) / max(wall, 1e-9),
            peakResidentBytes: Syscall.peakResidentBytes(), workers: pool.workers,
            chunkSize: options.read.chunkSize, partitionBars: options.partitionBars)
        try AtomicFileWriter.write(Array(try JSON.encode(summary).utf8) + [10], to: out + "/summary.json")
        return summary
    }

    private func describe(_ stream: TickStream) -> RunSummary.Input {
        RunSummary.Input(path: stream.path, layout: stream.layout?.name ?? "empty",
                         timeUnit: stream.layout?.timeUnit.rawValue ?? "", compression: stream.compression.rawValue,
                         bytes: stream.fileSize, rows: stream.counts)
    }

    /// For a plain file, reads its first and last rows to refuse a horizon longer than the data
    /// before any work. Compressed inputs are checked when the bars are counted.
    private func checkHorizonFitsBeforeWork() throws {
        guard let range = try? TimeRangePeek.peek(path: options.tradesPath, options: options.read) else { return }
        let interval = options.config.interval
        let bars = (interval.barStart(range.last) - interval.barStart(range.first)) / interval.micros + 1
        if Int64(options.config.maxHorizon) > bars - 1 {
            throw TickError.invalidArgument("horizon \(options.config.maxHorizon) bars is longer than the data (\(bars) bars of \(interval) from \(Time.iso8601(micros: range.first)) to \(Time.iso8601(micros: range.last))); every target would be undefined")
        }
    }
}

/// Cuts the bar stream into partitions of `partitionBars` bars at absolute bar indices, hands
/// each (with its halo) to the pool as soon as its future halo has arrived, and writes the
/// results in order. Holds at most one partition plus halos of bars, plus those in flight.
final class Partitioner {
    private let calculator: FeatureCalculator
    private let tasks: OrderedTasks<PartitionOutput>
    private let partitionBars: Int
    private let maxInFlight: Int
    private let pastHalo: Int
    private let futureHalo: Int
    /// Bars kept; `window[0]` has absolute index `windowBase`.
    private var window: [BarRecord] = []
    private var windowBase = 0
    /// First row of the next partition to submit.
    private var nextRow = 0
    private(set) var barCount = 0

    init(calculator: FeatureCalculator, pool: WorkPool, partitionBars: Int, maxInFlight: Int) {
        self.calculator = calculator
        tasks = OrderedTasks(pool: pool)
        self.partitionBars = partitionBars
        self.maxInFlight = maxInFlight
        pastHalo = calculator.config.pastHalo
        futureHalo = calculator.config.futureHalo
    }

    func append(_ bar: BarRecord, write: (PartitionOutput) throws -> Void) throws {
        window.append(bar)
        barCount += 1
        // Partition [nextRow, nextRow + P) is ready when bar nextRow + P − 1 + futureHalo exists.
        while barCount >= nextRow + partitionBars + futureHalo {
            try submit(rows: nextRow..<(nextRow + partitionBars), reachesEnd: false, write: write)
        }
    }

    /// Submits what is left (the partitions whose future halo runs past the end) and writes all.
    func finish(write: (PartitionOutput) throws -> Void) throws {
        while nextRow < barCount {
            try submit(rows: nextRow..<min(nextRow + partitionBars, barCount), reachesEnd: true, write: write)
        }
        while tasks.pending > 0 { try write(tasks.takeNext()) }
    }

    private func submit(rows: Range<Int>, reachesEnd: Bool, write: (PartitionOutput) throws -> Void) throws {
        let base = max(0, rows.lowerBound - pastHalo)
        let end = reachesEnd ? barCount : rows.upperBound + futureHalo
        let input = PartitionInput(bars: Array(window[(base - windowBase)..<(end - windowBase)]), base: base,
                                   rows: rows, reachesEnd: reachesEnd)
        let calculator = self.calculator
        tasks.submit { calculator.compute(input) }
        nextRow = rows.upperBound
        // Bars before the next partition's past halo are no longer needed.
        let keepFrom = max(0, nextRow - pastHalo)
        if keepFrom > windowBase {
            window.removeFirst(keepFrom - windowBase)
            windowBase = keepFrom
        }
        while tasks.pending >= maxInFlight { try write(tasks.takeNext()) }
    }
}
