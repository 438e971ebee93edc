import Foundation
import TickCore
import TickCSV
import TickFeatures
import TickIO
import TickStore

/// Everything `tickforge features` needs.
public struct FeaturesOptions: Sendable {
    public var tradesPath: String
    public var quotesPath: String?
    public var outputDirectory: String
    public var config: FeatureConfig
    public var read = ReadOptions()
    /// Peak memory the run is planned for; chunk and partition sizes derive from it.
    public var memoryLimit = MemoryBudget.defaultLimit
    /// Explicit sizes (flags); nil means derived from `memoryLimit`.
    public var chunkSize: Int?
    public var maxRecordSize: Int?
    /// Bars per feature partition; output does not depend on it.
    public var partitionBars: Int?
    /// Rows per tick partition (tests use small ones to get many partitions).
    public var tickPartitionRows: Int?
    /// Discard the state of earlier runs in the output directory.
    public var fresh = false
    /// How inputs are recognised as unchanged when a rerun decides what to reuse.
    public var fingerprint = FingerprintMode.quick
    /// The most bars the run may write; nil means the larger of 50 million and 100 × the trades
    /// used (`RasterGuard`).
    public var maxBars: Int?
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
        /// Tick partitions taken from an earlier run, and written by this one.
        public var partitionsReused: Int
        public var partitionsWritten: Int
        /// Bytes of all this input's tick partitions.
        public var partitionBytes: Int
    }
    public var trades: Input
    public var quotes: Input?
    public var bars: Int
    public var rowsWritten: Int
    public var featurePartitionsReused: Int
    public var featurePartitionsComputed: Int
    public var stageSeconds: [String: Double]
    public var stageCpuSeconds: [String: Double]
    public var wallSeconds: Double
    public var cpuSeconds: Double
    public var inputMegabytesPerSecond: Double
    public var tradesPerSecond: Double
    public var peakResidentBytes: Int64
    public var memoryLimit: Int
    public var workers: Int
    public var chunkSize: Int
    public var tickPartitionRows: Int
    public var partitionBars: Int
    /// How well the quotes cover the bars (nil without quotes).
    public var quoteCoverage: QuoteCoverage?
    /// What the user should know about the result (also printed by the command line).
    public var warnings: [String]
}

/// Runs the whole pipeline, resumably: ticks → tick partitions → bars → feature partitions →
/// `features.csv`, `targets.csv`, their JSON metadata and `summary.json`. Each stage records
/// what it finished in `manifest.json`; a rerun skips every intact finished partition.
public final class FeaturesJob {
    public let options: FeaturesOptions
    public let budget: MemoryBudget
    private let pool: WorkPool
    private let calculator: FeatureCalculator
    private var read: ReadOptions

    public init(options: FeaturesOptions) throws {
        try options.config.validate()
        if let bars = options.partitionBars, bars < 1 { throw TickError.invalidArgument("--partition-bars must be at least 1") }
        if let rows = options.tickPartitionRows, rows < 1 { throw TickError.invalidArgument("--tick-partition-rows must be at least 1") }
        self.options = options
        let catalog = ColumnCatalog(config: options.config)
        budget = try MemoryBudget(limit: options.memoryLimit, workers: options.read.workers, chunkSize: options.chunkSize,
                                  maxRecordSize: options.maxRecordSize, partitionBars: options.partitionBars,
                                  tickPartitionRows: options.tickPartitionRows,
                                  shape: .init(haloBars: options.config.pastHalo + options.config.futureHalo,
                                               columns: catalog.features.count + catalog.targets.count,
                                               inputs: options.quotesPath == nil ? 1 : 2),
                                  quarantine: options.read.badRows == .quarantine)
        read = options.read
        read.chunkSize = budget.chunkSize
        read.maxRecordSize = budget.maxRecordSize
        pool = WorkPool(workers: options.read.workers)
        calculator = FeatureCalculator(config: options.config)
    }

    @discardableResult
    public func run() throws -> RunSummary {
        MemoryBudget.configureAllocator(limit: budget.limit)
        let clock = StageClock()
        // What the run directory would refuse is refused first, before the inputs are read.
        try RunDirectory.claim(directory: options.outputDirectory, outputs: outputNames, inputs: inputRoles)
        try checkInputsBeforeWork()
        let detected = try detectInputs()
        let directory = try RunDirectory(path: options.outputDirectory, fresh: options.fresh, outputs: outputNames, inputs: inputRoles)
        var manifest = directory.loadManifest()
        let totalBytes = try Syscall.stat(options.tradesPath).size + (try options.quotesPath.map { try Syscall.stat($0).size } ?? 0)
        let progress = ProgressLine(label: "features", totalBytes: totalBytes, enabled: options.showProgress)
        defer { progress.finish() }

        clock.start("ingest")
        let tradeIngest = IngestStage(role: "trades", path: options.tradesPath, detected: detected.trades, options: read, fingerprint: options.fingerprint,
                                      partitionRows: budget.tickPartitionRows, pool: pool, directory: directory) { progress.update(doneBytes: $0) }
        let trades = try tradeIngest.run(previous: manifest.trades) { state, force in
            manifest.trades = state
            try directory.save(manifest, force: force)
        }
        manifest.trades = trades
        try directory.save(manifest, force: true)
        var quoteIngest: IngestStage?
        var quotes: InputState?
        if let quotesPath = options.quotesPath {
            let tradeBytes = try Syscall.stat(options.tradesPath).size
            let stage = IngestStage(role: "quotes", path: quotesPath, detected: detected.quotes!, options: read, fingerprint: options.fingerprint,
                                    partitionRows: budget.tickPartitionRows,
                                    pool: pool, directory: directory) { progress.update(doneBytes: tradeBytes + $0) }
            quotes = try stage.run(previous: manifest.quotes) { state, force in
                manifest.quotes = state
                try directory.save(manifest, force: force)
            }
            manifest.quotes = quotes
            try directory.save(manifest, force: true)
            quoteIngest = stage
        } else if manifest.quotes != nil {
            manifest.quotes = nil
            try directory.save(manifest, force: true)
        }
        let tradeRows = trades.end?.counts ?? RowCounts()
        guard tradeRows.used > 0, let end = trades.end, let first = end.state.firstReleased, let last = end.state.lastReleased else {
            throw TickError.unreadable(path: options.tradesPath, reason: "no valid trades (rows read: \(tradeRows.read), rejected: \(tradeRows.rejected), duplicates: \(tradeRows.duplicates)\(tradeRows.filtered > 0 ? ", filtered (other symbols): \(tradeRows.filtered)" : ""))")
        }
        try RasterGuard(interval: options.config.interval, maxBars: options.maxBars, rowsUsed: tradeRows.used)
            .check(first: first, last: last, path: options.tradesPath, timeUnit: trades.timeUnit)

        clock.start("features")
        let featureStage = FeatureStage(calculator: calculator, directory: directory, pool: pool,
                                        partitionBars: budget.featurePartitionBars, tasksInFlight: budget.featureTasksInFlight,
                                        key: featureKey(trades: trades, quotes: quotes))
        let generation = try directory.beginGeneration()
        let output = try FeatureOutputFiles(generation: generation, catalog: calculator.catalog)
        let features = try featureStage.run(trades: trades, quotes: quotes, previous: manifest.features, output: output) { state, force in
            manifest.features = state
            try directory.save(manifest, force: force)
        }
        manifest.features = features
        try directory.save(manifest, force: true)
        let barCount = features.bars ?? 0
        if options.config.maxHorizon > barCount - 1 {
            throw TickError.invalidArgument("horizon \(options.config.maxHorizon) bars is longer than the data (\(barCount) bars of \(options.config.interval)); every target would be undefined")
        }

        let coverage = quotes.flatMap { quotes in
            features.quoteCoveredBars.map {
                QuoteCoverage(coveredBars: $0, bars: barCount, coverageAge: options.config.coverageAge, explicitAge: options.config.maxQuoteAge != nil,
                              trades: (first.time, last.time), quotes: quotes.end?.state.timeRange)
            }
        }

        clock.start("merge")
        let merge = MergeStage(calculator: calculator, directory: directory, pool: pool)
        if !featureStage.wroteOutput { try merge.run(features, into: output) }
        let merged = try output.commit()
        if options.read.badRows == .quarantine { try merge.mergeRejects([trades] + (quotes.map { [$0] } ?? []), into: generation) }
        let inputs = MetadataInputs(trades: describe(trades, path: options.tradesPath, stage: tradeIngest),
                                    quotes: quotes.map { describe($0, path: options.quotesPath!, stage: quoteIngest!) })
        let metadata = OutputMetadata(config: options.config, catalog: calculator.catalog, rowCount: merged.rows, barCount: barCount,
                                      firstBarStart: features.firstBarStart, lastBarStart: features.lastBarStart,
                                      inputs: inputs, badRows: options.read.badRows)
        try generation.write(metadata.json(columns: calculator.catalog.features, firstDefined: merged.firstDefinedFeature, file: "features.csv"),
                             as: "features.json")
        try generation.write(metadata.json(columns: calculator.catalog.targets, firstDefined: merged.firstDefinedTarget, file: "targets.csv"),
                             as: "targets.json")
        clock.stop()

        let wall = clock.wallSeconds
        let parsed = tradeIngest.bytesParsed + (quoteIngest?.bytesParsed ?? 0)
        let summary = RunSummary(
            trades: inputs.trades, quotes: inputs.quotes, bars: barCount, rowsWritten: merged.rows,
            featurePartitionsReused: featureStage.reused, featurePartitionsComputed: featureStage.computed,
            stageSeconds: clock.stages, stageCpuSeconds: clock.stageCPU, wallSeconds: wall, cpuSeconds: StageClock.processCPUSeconds(),
            inputMegabytesPerSecond: Double(parsed) / 1e6 / max(wall, 1e-9),
            tradesPerSecond: Double(tradeRows.read) / max(wall, 1e-9),
            peakResidentBytes: Syscall.peakResidentBytes(), memoryLimit: budget.limit, workers: pool.workers,
            chunkSize: budget.chunkSize, tickPartitionRows: budget.tickPartitionRows, partitionBars: budget.featurePartitionBars,
            quoteCoverage: coverage, warnings: rejectionWarnings(inputs) + (coverage?.warnings ?? []))
        try generation.write(Array(try JSON.encode(summary).utf8) + [10], as: "summary.json")
        try directory.publish(generation, manifest: &manifest)
        return summary
    }

    /// A warning for every input of which more than a tenth of the rows were rejected: in
    /// quarantine mode the run goes on, but its features may then rest on a small remainder
    /// (a spike longer than 16 rows, say, makes every row after it out of order).
    private func rejectionWarnings(_ inputs: MetadataInputs) -> [String] {
        let all = [("trades", inputs.trades)] + (inputs.quotes.map { [("quotes", $0)] } ?? [])
        return all.compactMap { role, input in
            let rows = input.rows
            guard rows.rejected > 0, rows.rejected * 10 > rows.read else { return nil }
            return "\(rows.rejected) of \(rows.read) \(role) rows (\(QuoteCoverage.percent(Int(rows.rejected), Int(rows.read)))) were rejected: see \(options.outputDirectory)/rejects.csv for each row and its reason"
        }
    }

    /// The outputs this run publishes.
    private var outputNames: [String] {
        RunFileName.outputs.filter { $0 != "rejects.csv" || options.read.badRows == .quarantine }
    }

    /// Each input with the name of its option, for messages.
    private var inputRoles: [(role: String, path: String)] {
        [("trades", options.tradesPath)] + (options.quotesPath.map { [("quotes", $0)] } ?? [])
    }

    /// Everything feature values depend on; a different key means old feature partitions are
    /// stale. The inputs enter through their tick partitions (names, rows and checksums), which
    /// hold exactly the rows the features are made of: a file touched or rewritten with the
    /// same rows keeps its feature partitions, whatever told its tick partitions apart.
    private func featureKey(trades: InputState, quotes: InputState?) -> String {
        let c = options.config
        func rows(_ input: InputState) -> String {
            let counts = input.end.map { "\($0.counts.read)/\($0.counts.used)/\($0.counts.rejected)/\($0.counts.duplicates)/\($0.counts.filtered)/\($0.counts.rounded)" } ?? ""
            let list = input.partitions.map { "\($0.name):\($0.rows):\($0.firstTime):\($0.lastTime):\($0.checksum)" }.joined(separator: ",")
            return ContentDigest.sha256(Array((counts + ";" + list).utf8))
        }
        var parts = ["v3", "trades:\(rows(trades)):\(trades.readKey)"]
        if let quotes {
            parts.append("quotes:\(rows(quotes)):\(quotes.readKey)")
        }
        parts.append("interval=\(c.interval.text);windows=\(c.windows);horizons=\(c.horizons);threshold_bps=\(c.thresholdBps);ewm_lambda=\(c.ewmLambda);max_quote_age=\(c.maxQuoteAge.map(String.init) ?? "none")")
        return parts.joined(separator: "|")
    }

    private func describe(_ state: InputState, path: String, stage: IngestStage) -> RunSummary.Input {
        RunSummary.Input(path: path, layout: state.layout, timeUnit: state.timeUnit, compression: state.compression,
                         bytes: state.fingerprint.bytes, rows: state.end?.counts ?? RowCounts(),
                         partitionsReused: stage.reused, partitionsWritten: stage.written,
                         partitionBytes: state.partitions.reduce(0) { $0 + $1.bytes })
    }

    typealias Detection = (layout: Layout?, compression: ByteSource.Compression)

    /// Detects both inputs' layouts and refuses, before any work, an empty trades file and files
    /// passed in each other's place.
    private func detectInputs() throws -> (trades: Detection, quotes: Detection?) {
        let trades = try TickStream.detectLayout(path: options.tradesPath, options: read)
        guard let tradeLayout = trades.layout else {
            throw TickError.unreadable(path: options.tradesPath, reason: "the file is empty: no trades to make bars from")
        }
        guard tradeLayout.kind == .trades else {
            throw TickError.invalidArgument("\(options.tradesPath) holds quotes (\(tradeLayout.name)), not trades; pass it with --quotes")
        }
        let quotes = try options.quotesPath.map { try TickStream.detectLayout(path: $0, options: read) }
        if let quotesPath = options.quotesPath, let layout = quotes?.layout, layout.kind != .quotes {
            throw TickError.invalidArgument("\(quotesPath) holds trades (\(layout.name)), not quotes; pass it with --trades")
        }
        return (trades, quotes)
    }

    /// Refuses, before any work, what cannot work: a horizon longer than the data (read from
    /// the first and last rows of a plain file; compressed inputs are checked once the bars
    /// are counted).
    private func checkInputsBeforeWork() throws {
        guard let range = try? TimeRangePeek.peek(path: options.tradesPath, options: read) else { return }
        let interval = options.config.interval
        let bars = (interval.barStart(range.last) - interval.barStart(range.first)) / interval.micros + 1
        if Int64(options.config.maxHorizon) > bars - 1 {
            throw TickError.invalidArgument("horizon \(options.config.maxHorizon) bars is longer than the data (\(bars) bars of \(interval) from \(Time.iso8601(micros: range.first)) to \(Time.iso8601(micros: range.last))); every target would be undefined")
        }
    }
}
