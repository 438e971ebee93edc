import Foundation
import TickCore
import TickCSV
import TickFeatures
import TickIO
import TickStore

/// Everything `tickforge features` needs.
public struct FeaturesOptions: Sendable {
    /// What `--trades` was given: files, folders, glob patterns, or `-` for standard input.
    public var tradesPaths: [String]
    /// What `--quotes` was given (empty: no quotes).
    public var quotesPaths: [String]
    public var outputDirectory: String
    public var config: FeatureConfig
    public var read = ReadOptions()
    /// The formats of the features and targets files.
    public var format = OutputFormat.csv
    /// `--splits`: write `splits.json` with folds of this method.
    public var splits: SplitMethod?
    /// `--embargo` in bars; nil: the largest window.
    public var embargoBars: Int?
    /// `--regimes K`: the K-state volatility regime columns, fitted on the split's train rows.
    public var regimes: Int?
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
    /// A time unit for one input's files only (`--time-unit trades=us`), over `read.timeUnit`.
    public var timeUnits: [String: TimeUnit] = [:]
    /// Infer unknown trade sides by the tick rule instead of rejecting them.
    public var inferUnknownSides = false
    /// `--columns` mappings by the kind of input they read (over `read.mapping`).
    public var mappings: [RecordKind: ColumnMapping] = [:]
    /// The as-of series inputs (`--bands`, `--metrics`, `--funding`, `--ticker`), given like
    /// `--trades` (files, folders, patterns); absent kinds are not given.
    public var seriesPaths: [SeriesKind: [String]] = [:]
    /// What `--liquidations` was given (empty: none): Tardis liquidations, read like trades
    /// without their ids.
    public var liquidationsPaths: [String] = []
    /// What `--book` was given (empty: none): Tardis `incremental_book_L2` or `book_snapshot_N`.
    public var bookPaths: [String] = []
    /// `tickforge finish`: take the tick partitions the plan's shards made before reading
    /// what is missing (`FeaturesJob.adoptShards`).
    public var shardPlan: ShardPlan?

    public init(tradesPaths: [String], quotesPaths: [String], outputDirectory: String, config: FeatureConfig) {
        self.tradesPaths = tradesPaths; self.quotesPaths = quotesPaths
        self.outputDirectory = outputDirectory; self.config = config
    }

    public init(tradesPath: String, quotesPath: String?, outputDirectory: String, config: FeatureConfig) {
        self.init(tradesPaths: [tradesPath], quotesPaths: quotesPath.map { [$0] } ?? [], outputDirectory: outputDirectory, config: config)
    }

    var hasQuotes: Bool { !quotesPaths.isEmpty }
    var hasLiquidations: Bool { !liquidationsPaths.isEmpty }
    var hasBook: Bool { !bookPaths.isEmpty }
}

/// What a features run did (written to `summary.json`).
public struct RunSummary: Sendable, Codable {
    /// One input: all the files of one option, merged into one stream.
    public struct Input: Sendable, Codable {
        /// The file, or the option's arguments joined by commas when there are several files.
        public var path: String
        /// The files' layout, time unit and compression (`mixed` where the files differ).
        public var layout: String
        public var timeUnit: String
        public var compression: String
        public var bytes: Int64
        /// The rows of every file, after the merge: duplicates and rejects across files count.
        public var rows: RowCounts
        /// Tick partitions taken from an earlier run, and written by this one.
        public var partitionsReused: Int
        public var partitionsWritten: Int
        /// Bytes of all this input's tick partitions.
        public var partitionBytes: Int
        /// What the merge of the files did.
        public var merge: MergeCounts
        /// Each file, in the order given.
        public var files: [File]
        /// Files left out because their names say another symbol than `--symbol`.
        public var otherSymbolFiles: [String]
        /// False when a file came from standard input: an interrupted run reads it again.
        public var resumable: Bool
        /// The instrument, where the files' names or symbol columns say (or `--symbol`).
        public var symbol: String?
        public var market: String?
        /// Liquidations only: rows before the first bar and after the last, not used.
        public var outsideRaster: OutsideRaster?
        /// Book only: updates after which the book was crossed (best bid ≥ best ask), kept.
        public var crossedUpdates: Int64?
    }

    /// Liquidations outside the bar raster (contract: not used, counted).
    public struct OutsideRaster: Sendable, Codable, Equatable {
        public var beforeFirstBar: Int64
        public var afterLastBar: Int64
    }

    /// One file of an input.
    public struct File: Sendable, Codable {
        public var path: String
        public var layout: String
        public var timeUnit: String
        public var compression: String
        public var bytes: Int64
        public var rows: RowCounts
        public var firstTime: String?
        public var lastTime: String?
        /// `verified`, `none` (no `.CHECKSUM` sidecar) or `skipped` (`--no-verify-checksums`).
        public var checksum: String?
    }
    /// One as-of series input (`--bands`, `--metrics`, `--funding`, `--ticker`): its files read
    /// whole, verbatim repeats dropped.
    public struct SeriesInput: Sendable, Codable {
        /// `bands`, `metrics`, `funding` or `ticker`.
        public var role: String
        public var path: String
        public var layout: String
        public var bytes: Int64
        public var rowsRead: Int
        /// Rows whose raw text equals an earlier row's (dropped).
        public var rowsDeduplicated: Int
        /// Rows of other symbols than `--symbol` (skipped).
        public var rowsFiltered: Int
        /// Bad rows, in quarantine mode (listed in `rejects.csv`).
        public var rowsRejected: Int
        public var rowsUsed: Int
        public var symbol: String?
        public var otherSymbolFiles: [String]
        public var files: [SeriesFile]
    }

    /// One file of a series input.
    public struct SeriesFile: Sendable, Codable {
        public var path: String
        public var layout: String
        public var bytes: Int64
        public var rowsRead: Int
        /// When its first and last rows are known (a text stamp is known 1 s after it).
        public var firstTime: String?
        public var lastTime: String?
    }

    public var trades: Input
    public var quotes: Input?
    public var series: [SeriesInput]?
    public var liquidations: Input?
    public var book: Input?
    public var bars: Int
    public var rowsWritten: Int
    public var featurePartitionsReused: Int
    public var featurePartitionsComputed: Int
    public var stageSeconds: [String: Double]
    public var stageCpuSeconds: [String: Double]
    /// Wall seconds of the ingest of each input (`trades`, `quotes`, `liquidations`, `book`):
    /// from its first file opened to its last row parsed (its last partitions may still be
    /// written while the next input is read).
    public var ingestSecondsByInput: [String: Double]
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
    let pool: WorkPool
    private let calculator: FeatureCalculator
    /// The columns of the outputs: the calculator's (those the feature partitions store), plus
    /// the regime columns with `--regimes`.
    private let outputCatalog: ColumnCatalog
    private var read: ReadOptions
    /// The files the input options name, listed once (the memory plan counts them).
    let tradeFiles: [String]
    let quoteFiles: [String]
    /// The files of each as-of series input given, listed once.
    let seriesFiles: [SeriesKind: [String]]
    let liquidationFiles: [String]
    let bookFiles: [String]
    /// What `finish` found while taking the shards' partitions (`adoptShards`), for the summary.
    var adoptionWarnings: [String] = []

    public init(options: FeaturesOptions) throws {
        var options = options
        // The column groups follow the inputs given: bands with the default levels unless
        // --band-levels says otherwise, and each derivative column when one of its sources is given.
        if options.config.bandLevels != nil && options.seriesPaths[.bands] == nil {
            throw TickError.invalidArgument("--band-levels applies to --bands; give the bookDepth files too")
        }
        if options.seriesPaths[.bands] != nil && options.config.bandLevels == nil {
            options.config.bandLevels = (1...5).map { BandLevel(raw: Int64($0) * FixedPoint.scale) }
        }
        if options.seriesPaths[.metrics] != nil && options.seriesPaths[.ticker] != nil {
            throw TickError.invalidArgument("--metrics and --ticker both give the open interest (oi): give one of them")
        }
        let sources = DerivativeSources(metrics: options.seriesPaths[.metrics] != nil, funding: options.seriesPaths[.funding] != nil,
                                        ticker: options.seriesPaths[.ticker] != nil)
        options.config.derivatives = sources.any ? sources : nil
        options.config.liquidations = options.hasLiquidations ? true : nil
        if options.config.depthLevels != nil && !options.hasBook {
            throw TickError.invalidArgument("--depth-levels applies to --book; give the book files too")
        }
        if options.hasBook {
            if options.config.depthLevels == nil { options.config.depthLevels = [1, 5, 10] }
            // Without quotes, the top of book comes from the book: every quote column.
            options.config.hasQuotes = true
        }
        try options.config.validate()
        if let bars = options.partitionBars, bars < 1 { throw TickError.invalidArgument("--partition-bars must be at least 1") }
        if let rows = options.tickPartitionRows, rows < 1 { throw TickError.invalidArgument("--tick-partition-rows must be at least 1") }
        if let k = options.regimes { try RegimeOptions.check(states: k, splits: options.splits) }
        self.options = options
        tradeFiles = try InputFiles.expand(options.tradesPaths, option: "--trades")
        quoteFiles = try InputFiles.expand(options.quotesPaths, option: "--quotes")
        var series: [SeriesKind: [String]] = [:]
        for (kind, paths) in options.seriesPaths { series[kind] = try InputFiles.expand(paths, option: kind.option) }
        seriesFiles = series
        liquidationFiles = try InputFiles.expand(options.liquidationsPaths, option: "--liquidations")
        bookFiles = try InputFiles.expand(options.bookPaths, option: "--book")
        let baseCatalog = ColumnCatalog(config: options.config)
        let catalog = options.regimes.map { baseCatalog.withRegimes($0) } ?? baseCatalog
        outputCatalog = catalog
        budget = try MemoryBudget(limit: options.memoryLimit, workers: options.read.workers, chunkSize: options.chunkSize,
                                  maxRecordSize: options.maxRecordSize, partitionBars: options.partitionBars,
                                  tickPartitionRows: options.tickPartitionRows,
                                  shape: .init(haloBars: options.config.pastHalo + options.config.futureHalo,
                                               columns: catalog.features.count + catalog.targets.count,
                                               inputs: Self.readersPlanned(files: [tradeFiles, quoteFiles, liquidationFiles, bookFiles]),
                                               parquetColumns: options.format.writesParquet ? (catalog.features.count, catalog.targets.count) : nil),
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
        let opened = try openInputs()
        let (tradeGroup, quoteGroup, liquidationGroup, bookGroup) = (opened.trades, opened.quotes, opened.liquidations, opened.book)
        let series = try readSeries(tradeSymbol: tradeGroup.symbol)
        var asOfInputs = AsOfInputs()
        for input in series { input.asOfInputs(into: &asOfInputs, bandLevels: options.config.bandLevels) }
        let directory = try RunDirectory(path: options.outputDirectory, fresh: options.fresh, outputs: outputNames,
                                         inputs: claimedInputs)
        let store = ManifestStore(directory: directory)
        if let plan = options.shardPlan {
            try adoptShards(plan, inputs: opened.all, directory: directory, store: store)
        }
        let queue = PartitionWriteQueue(pool: pool)
        let groups = opened.all
        let totalBytes = groups.flatMap(\.files).reduce(Int64(0)) { $0 + $1.bytes }
        let progress = ProgressLine(label: "features", totalBytes: totalBytes, enabled: options.showProgress)
        defer { progress.finish() }

        clock.start("ingest")
        var ingests: [String: [IngestStage]] = [:]
        var bytesBefore: Int64 = 0
        var ingestSeconds: [String: Double] = [:]
        for group in groups {
            let started = DispatchTime.now()
            ingests[group.role] = try ingest(group, store: store, queue: queue, directory: directory) { progress.update(doneBytes: bytesBefore + $0) }
            ingestSeconds[group.role] = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            bytesBefore += group.files.reduce(0) { $0 + $1.bytes }
        }
        try queue.completeAll()
        for group in groups { store.manifest[group.role] = ingests[group.role]!.map { $0.state! } }
        try store.save(force: true)
        if read.order == .sort { try mergeSortedRuns(groups, store: store, directory: directory) }
        // An input no longer given: its files' states and partitions go.
        for role in ["quotes", "liquidations", "book"] where !groups.contains(where: { $0.role == role }) && !store.manifest[role].isEmpty {
            store.manifest[role] = []
            try store.save(force: true)
            try sweepTickFiles(role: role, keeping: [], directory: directory)
        }
        let trades = store.manifest.trades
        let quotes = quoteGroup == nil ? nil : store.manifest.quotes
        let liquidations = liquidationGroup == nil ? nil : store.manifest["liquidations"]
        let book = bookGroup == nil ? nil : store.manifest["book"]
        let tradeRows = Self.total(trades)
        // The earliest and latest kept trades and where they are (for the raster guard's
        // message): in time order, a file's first and last kept rows; sorted, its partitions'
        // least and greatest times (the line of such a row is not kept).
        let sorted = read.order == .sort
        let ends = zip(trades, tradeGroup.files).compactMap { state, file -> (first: (time: Int64, source: String), last: (time: Int64, source: String))? in
            guard let end = state.end?.state, let low = state.partitions.map(\.firstTime).min(), let high = state.partitions.map(\.lastTime).max() else { return nil }
            if !sorted, let first = end.firstReleased, let last = end.lastReleased {
                return ((first.time, RasterGuard.source(first, path: file.path)), (last.time, RasterGuard.source(last, path: file.path)))
            }
            return ((low, "a row of \(file.path) (read with --order sort)"), (high, "a row of \(file.path) (read with --order sort)"))
        }
        guard tradeRows.used > 0, let first = ends.map(\.first).min(by: { $0.time < $1.time }),
              let last = ends.map(\.last).max(by: { $0.time < $1.time }) else {
            throw TickError.unreadable(path: tradeGroup.files.count == 1 ? tradeGroup.files[0].path : options.tradesPaths.joined(separator: ", "),
                                       reason: "no valid trades (rows read: \(tradeRows.read), rejected: \(tradeRows.rejected), duplicates: \(tradeRows.duplicates)\(tradeRows.filtered > 0 ? ", filtered (other symbols): \(tradeRows.filtered)" : ""))")
        }
        let units = Set(trades.map(\.timeUnit).filter { !$0.isEmpty })
        try RasterGuard(interval: options.config.interval, maxBars: options.maxBars, rowsUsed: tradeRows.used)
            .check(first: first, last: last, timeUnit: units.count == 1 ? units.first! : units.sorted().joined(separator: " and "),
                   given: readOptions(role: "trades").timeUnit != nil)
        let (firstTrade, lastTrade) = (first, last)
        try checkWriteRange(first: firstTrade.time, last: lastTrade.time)

        clock.start("features")
        let featureStage = FeatureStage(calculator: calculator, directory: directory, pool: pool,
                                        partitionBars: budget.featurePartitionBars, tasksInFlight: budget.featureTasksInFlight,
                                        key: featureKey(trades: trades, quotes: quotes, liquidations: liquidations, book: book, series: series), valuesKey: valuesKey, options: outputOptions)
        let generation = try directory.beginGeneration()
        let output = try FeatureOutputs(generation: generation, catalog: outputCatalog, options: outputOptions,
                                        intervalMs: options.config.interval.micros / 1000)
        let tradeReader = mergedReader(role: "trades", files: trades, group: tradeGroup, directory: directory)
        let quoteReader = quotes.map { mergedReader(role: "quotes", files: $0, group: quoteGroup!, directory: directory) }
        let liquidationReader = liquidations.map { mergedReader(role: "liquidations", files: $0, group: liquidationGroup!, directory: directory) }
        let bookReader = book.map { mergedReader(role: "book", files: $0, group: bookGroup!, directory: directory) }
        // With regimes, no row can be written before the fit, which needs every partition.
        var features = try featureStage.run(trades: tradeReader, quotes: quoteReader, liquidations: liquidationReader, book: bookReader,
                                            asOf: asOfInputs.isEmpty ? nil : asOfInputs,
                                            previous: store.manifest.features,
                                            output: options.regimes == nil ? output : nil) { state, force in
            store.manifest.features = state
            try store.save(force: force)
        }
        if featureStage.ranMerge {
            // The merge ran: record what it did (a run that reuses every partition does not merge).
            var merged = ["trades": tradeReader.counts]
            if let quoteReader { merged["quotes"] = quoteReader.counts }
            if let liquidationReader { merged["liquidations"] = liquidationReader.counts }
            if let bookReader { merged["book"] = bookReader.counts }
            features.merged = merged
            features.mergeRejects = try writeMergeRejects([("trades", tradeReader, tradeGroup)] + (quoteReader.map { [("quotes", $0, quoteGroup!)] } ?? [])
                + (liquidationReader.map { [("liquidations", $0, liquidationGroup!)] } ?? [])
                + (bookReader.map { [("book", $0, bookGroup!)] } ?? []),
                                                          directory: directory)
        }
        store.manifest.features = features
        try store.save(force: true)
        let barCount = features.bars ?? 0
        if options.config.maxHorizon > barCount - 1 {
            throw Self.horizonTooLong(options.config, bars: Int64(barCount), span: "")
        }

        // Quotes taken from the book cover what the book covers.
        let coverage = (quotes ?? book).flatMap { quotes in
            features.quoteCoveredBars.map {
                QuoteCoverage(coveredBars: $0, bars: barCount, coverageAge: options.config.coverageAge, explicitAge: options.config.maxQuoteAge != nil,
                              trades: (firstTrade.time, lastTrade.time), quotes: Self.timeRange(quotes))
            }
        }

        clock.start("output")
        let outputStage = OutputStage(calculator: calculator, directory: directory, pool: pool, options: outputOptions)
        var regimes: RegimeSummary?
        if let k = options.regimes, let method = options.splits {
            clock.start("regimes")
            let plan = SplitPlan(method: method, purgeBars: options.config.maxHorizon, embargoBars: embargoBars,
                                 intervalMs: options.config.interval.micros / 1000)
            regimes = try RegimeStage(calculator: calculator, states: k, plan: plan, directory: directory, pool: pool, options: outputOptions)
                .run(features, generation: generation, into: output)
            clock.start("output")
        } else if !featureStage.wroteOutput {
            try outputStage.writeStoredRows(features, into: output)
        }
        let written = output.written
        if let method = options.splits, let timeline = output.timeline {
            let plan = SplitPlan(method: method, purgeBars: options.config.maxHorizon, embargoBars: embargoBars,
                                 intervalMs: options.config.interval.micros / 1000)
            let document: SplitsDocument
            do {
                document = try SplitsDocument(plan: plan, timeline: timeline)
            } catch let error as SplitError {
                throw TickError.invalidArgument(error.description)
            }
            timeline.discard()
            try generation.write(Array(try JSON.encode(document).utf8) + [10], as: "splits.json")
        }
        if options.read.badRows == .quarantine {
            var extra = features.mergeRejects.map { [$0] } ?? []
            let seriesRejects = series.flatMap(\.rejected)
            if !seriesRejects.isEmpty {
                let writer = try AtomicFileWriter(path: directory.featureParts + "/" + RunFileName.seriesRejects)
                for record in seriesRejects { try writer.write(RejectsFormat.line(record)) }
                try writer.commit()
                extra.append(RunFileName.seriesRejects)
            }
            try outputStage.joinRejects(store.manifest.inputs, extra: extra, into: generation)
        }
        let inputs = MetadataInputs(trades: describe(trades, group: tradeGroup, stages: ingests["trades"]!, merge: features.merged?["trades"]),
                                    quotes: quotes.map { describe($0, group: quoteGroup!, stages: ingests["quotes"]!, merge: features.merged?["quotes"]) },
                                    series: series.map { $0.summary(arguments: options.seriesPaths[$0.kind] ?? []) },
                                    liquidations: liquidations.map {
                                        var input = describe($0, group: liquidationGroup!, stages: ingests["liquidations"]!, merge: features.merged?["liquidations"])
                                        input.outsideRaster = features.liquidationsOutside
                                        return input
                                    },
                                    book: book.map {
                                        var input = describe($0, group: bookGroup!, stages: ingests["book"]!, merge: features.merged?["book"])
                                        input.crossedUpdates = features.bookCrossedUpdates
                                        return input
                                    })
        var metadata = OutputMetadata(config: options.config, catalog: outputCatalog, rowCount: written.rows, barCount: barCount,
                                      firstBarStart: features.firstBarStart, lastBarStart: features.lastBarStart,
                                      inputs: inputs, badRows: options.read.badRows, readFlags: readFlagsDocument, format: options.format,
                                      splits: options.splits.map { ($0.text, embargoBars) })
        metadata.regimes = regimes?.document
        let documents = OutputDocuments(
            features: try metadata.json(columns: outputCatalog.features, firstDefined: written.firstDefinedFeature, file: "features"),
            targets: try metadata.json(columns: calculator.catalog.targets, firstDefined: written.firstDefinedTarget, file: "targets"))
        try output.commit(documents: documents)
        try generation.write(documents.features, as: "features.json")
        try generation.write(documents.targets, as: "targets.json")
        clock.stop()

        let wall = clock.wallSeconds
        let parsed = ingests.values.joined().reduce(Int64(0)) { $0 + $1.bytesParsed }
        var warnings: [String] = adoptionWarnings + rejectionWarnings(inputs)
        warnings += groups.flatMap(\.warnings)
        warnings += coverage?.warnings ?? []
        warnings += regimes?.degenerateStatesWarning.map { [$0] } ?? []
        for group in groups { warnings += overlapWithoutIds(group, states: store.manifest[group.role]) }
        if let input = inputs.liquidations, let outside = input.outsideRaster, input.rows.used > 0,
           outside.beforeFirstBar + outside.afterLastBar == input.rows.used {
            warnings.append("every liquidation (\(input.rows.used)) lies outside the bars of the trades (\(outside.beforeFirstBar) before, \(outside.afterLastBar) after): liq_* is 0 in every bar; check that both inputs cover the same time (and their time units)")
        }
        if groups.flatMap(\.files).contains(where: \.isStandardInput) {
            warnings.append("standard input was read in full: the ingest of a pipe cannot be resumed, so an interrupted run must be given the data again (its other files resume)")
        }
        let summary = RunSummary(
            trades: inputs.trades, quotes: inputs.quotes, series: inputs.series.isEmpty ? nil : inputs.series,
            liquidations: inputs.liquidations, book: inputs.book, bars: barCount, rowsWritten: written.rows,
            featurePartitionsReused: featureStage.reused, featurePartitionsComputed: featureStage.computed,
            stageSeconds: clock.stages, stageCpuSeconds: clock.stageCPU, ingestSecondsByInput: ingestSeconds, wallSeconds: wall, cpuSeconds: StageClock.processCPUSeconds(),
            inputMegabytesPerSecond: Double(parsed) / 1e6 / max(wall, 1e-9),
            tradesPerSecond: Double(tradeRows.read) / max(wall, 1e-9),
            peakResidentBytes: Syscall.peakResidentBytes(), memoryLimit: budget.limit, workers: pool.workers,
            chunkSize: budget.chunkSize, tickPartitionRows: budget.tickPartitionRows, partitionBars: budget.featurePartitionBars,
            quoteCoverage: coverage, warnings: warnings)
        try generation.write(Array(try JSON.encode(summary).utf8) + [10], as: "summary.json")
        try directory.publish(generation, manifest: &store.manifest)
        return summary
    }

    /// Probes the inputs and refuses, before any work, what cannot work: both inputs piped in,
    /// what the run directory would refuse, files that are not one instrument, no trades, a
    /// horizon longer than the data.
    func openInputs() throws -> OpenedInputs {
        if [tradeFiles, quoteFiles, liquidationFiles, bookFiles].filter({ $0.contains(InputFiles.standardInput) }).count > 1 {
            throw TickError.invalidArgument("two inputs name standard input (-): only one input can be piped in")
        }
        // What the run directory would refuse is refused first, before the inputs are read.
        try RunDirectory.claim(directory: options.outputDirectory, outputs: outputNames,
                               inputs: claimedInputs)
        let tradeGroup = try InputGroup(role: "trades", paths: tradeFiles, kind: .trades, options: readOptions(role: "trades"),
                                      symbol: options.read.symbol, fingerprint: options.fingerprint)
        let quoteGroup = try options.hasQuotes
            ? InputGroup(role: "quotes", paths: quoteFiles, kind: .quotes, options: readOptions(role: "quotes"),
                         symbol: options.read.symbol, fingerprint: options.fingerprint) : nil
        if let quoteGroup { try InputGroup.checkSameInstrument(tradeGroup, quoteGroup) }
        let liquidationGroup = try options.hasLiquidations
            ? InputGroup(role: "liquidations", paths: liquidationFiles, kind: .trades, options: readOptions(role: "liquidations"),
                         symbol: options.read.symbol, fingerprint: options.fingerprint) : nil
        if let liquidationGroup {
            if let mapped = liquidationGroup.files.first(where: { $0.layout?.name != nil && $0.layout?.name != "tardis-trades" }) {
                throw TickError.invalidArgument("\(mapped.path) is \(mapped.layout!.name), not Tardis liquidations (exchange,symbol,timestamp,local_timestamp,id,side,price,amount)")
            }
            try InputGroup.checkSameInstrument(tradeGroup, liquidationGroup)
        }
        let bookGroup = try options.hasBook
            ? InputGroup(role: "book", paths: bookFiles, kind: .book, options: readOptions(role: "book"),
                         symbol: options.read.symbol, fingerprint: options.fingerprint) : nil
        if let bookGroup { try InputGroup.checkSameInstrument(tradeGroup, bookGroup) }
        guard tradeGroup.files.contains(where: { $0.layout != nil }) else {
            throw TickError.unreadable(path: tradeGroup.files.count == 1 ? tradeGroup.files[0].path : options.tradesPaths.joined(separator: ", "),
                                       reason: tradeGroup.files.count == 1 ? "the file is empty: no trades to make bars from" : "every file is empty: no trades to make bars from")
        }
        try checkInputsBeforeWork(tradeGroup)
        return OpenedInputs(trades: tradeGroup, quotes: quoteGroup, liquidations: liquidationGroup, book: bookGroup)
    }

    /// Every input file, by role, for the run directory's checks (nothing it writes may be one).
    var claimedInputs: [(role: String, path: String)] {
        tradeFiles.map { ("trades", $0) } + quoteFiles.map { ("quotes", $0) } + liquidationFiles.map { ("liquidations", $0) }
            + bookFiles.map { ("book", $0) } + SeriesKind.allCases.flatMap { kind in (seriesFiles[kind] ?? []).map { (kind.rawValue, $0) } }
    }

    /// Reads the as-of series inputs (in full: they are small) and checks that they are the
    /// trades' instrument.
    func readSeries(tradeSymbol: String?) throws -> [SeriesInput] {
        try SeriesKind.allCases.compactMap { kind in
            guard let files = seriesFiles[kind] else { return nil }
            let input = try SeriesInput.read(kind: kind, paths: files, symbol: options.read.symbol, verifyChecksums: options.read.verifyChecksums,
                                             badRows: options.read.badRows)
            if let a = tradeSymbol, let b = input.symbol, a != b {
                throw TickError.invalidArgument("the trades are \(a) and \(kind.option) is \(b) (\(input.files[0].path)): a run is one instrument; give inputs of one symbol, or select one with --symbol")
            }
            return input
        }
    }

    /// Tick partition readers the memory plan makes room for: one per input, two for an input
    /// of several files, whose overlapping files are read at once.
    static func readersPlanned(files inputs: [[String]]) -> Int {
        inputs.reduce(0) { sum, files in files.isEmpty ? sum : sum + (files.count > 1 ? 2 : 1) }
    }

    /// The flags that decide which rows are read, as the metadata lists them.
    private var readFlagsDocument: OutputMetadata.ReadFlags {
        let roles = ["trades"] + (options.hasQuotes ? ["quotes"] : []) + (options.hasLiquidations ? ["liquidations"] : [])
            + (options.hasBook ? ["book"] : [])
        var units: [String: String] = [:], columns: [String: String] = [:]
        for role in roles {
            let read = readOptions(role: role)
            if let unit = read.timeUnit { units[role] = unit.rawValue }
            if let mapping = read.mapping { columns[role] = mapping.assignments.map { "\($0.role)=\($0.column)" }.joined(separator: ",") }
        }
        return OutputMetadata.ReadFlags(symbol: options.read.symbol, sideUnknown: options.inferUnknownSides ? "tick-rule" : "reject",
                                        timeUnit: units, columns: columns, verifyChecksums: options.read.verifyChecksums)
    }

    /// The read options of one input: `--time-unit ROLE=UNIT` over `--time-unit UNIT`.
    func readOptions(role: String) -> ReadOptions {
        var options = read
        if let unit = self.options.timeUnits[role] { options.timeUnit = unit }
        // `--time-unit UNIT` is for trades and quotes (Binance ms or µs); the Tardis book and
        // liquidations are read from their magnitude unless `--time-unit ROLE=UNIT` names them.
        if role == "book" || role == "liquidations" { options.timeUnit = self.options.timeUnits[role] }
        // A mapping reads the input of its kind only: trades mapped, quotes detected (or mapped apart).
        let kind: RecordKind = role == "quotes" ? .quotes : .trades
        options.mapping = self.options.mappings[kind] ?? options.mapping.flatMap { $0.kind == kind ? $0 : nil }
        // Liquidations come in the Tardis layout only; their ids are not compared.
        if role == "liquidations" {
            options.mapping = nil
            options.ignoresIds = true
        }
        if role == "book" { options.mapping = nil }
        // Unknown sides are kept for the merged stream's tick rule, which sees every file.
        if role == "trades" && self.options.inferUnknownSides { options.unknownSides = .keep }
        return options
    }

    /// Brings the partitions of every file of `group` up to date, one file after the other
    /// (the last partitions of a file are written by `queue` while the next is read). The
    /// manifest keeps listing the earlier run's files not reached yet, so that a run killed on
    /// the way still reuses them; files no longer given are forgotten, and their partitions
    /// removed, first.
    private func ingest(_ group: InputGroup, store: ManifestStore, queue: PartitionWriteQueue, directory: RunDirectory,
                        progress: @escaping (Int64) -> Void) throws -> [IngestStage] {
        let role = group.role
        let given = Set(group.files.map { InputFingerprint.absolute($0.path) })
        let earlier = store.manifest[role].filter { !$0.fromPipe && given.contains($0.fingerprint.path) }
        store.manifest[role] = earlier
        try store.save(force: true)
        try sweepTickFiles(role: role, keeping: Set(earlier.map(\.fileNumber)), directory: directory)

        // Each file's state takes the place of its entry in the manifest as it goes (new files
        // come after the others), so that a run killed on the way still reuses the earlier
        // run's files not reached yet; the caller puts them in the group's order at the end.
        let earlierByPath = Dictionary(earlier.map { ($0.fingerprint.path, $0) }) { first, _ in first }
        let listing = TickFolderListing(folder: directory.ticks)
        var stages: [IngestStage] = []
        var bytesDone: Int64 = 0
        for file in group.files {
            let previous = file.isStandardInput ? nil : earlierByPath[InputFingerprint.absolute(file.path)]
            let number = previous?.fileNumber ?? store.manifest.nextFileNumber
            if previous == nil { store.manifest.nextFileNumber += 1 }
            let offset = bytesDone
            let stage = IngestStage(role: role, file: file, fileNumber: number, options: readOptions(role: role),
                                    partitionRows: budget.tickPartitionRows, pool: pool,
                                    ticks: directory.ticks, listing: listing) { progress(offset + $0) }
            try stage.run(previous: previous, queue: queue) { state, force in
                store.put(state, role: role)
                try store.save(force: force)
            }
            stages.append(stage)
            bytesDone += file.bytes
        }
        return stages
    }

    /// Sort mode: merges each file's sorted runs in passes until few enough overlap for the
    /// final merge to hold a block of each within the memory plan.
    private func mergeSortedRuns(_ groups: [InputGroup], store: ManifestStore, directory: RunDirectory) throws {
        let blockRows = IngestStage.blockRows(partitionRows: budget.tickPartitionRows)
        for group in groups {
            let runMerger = SortedRunMerger(role: group.role, directory: directory, pool: pool,
                                            fanIn: max(2, budget.tickPartitionRows / blockRows), blockRows: blockRows)
            for (place, file) in group.files.enumerated() {
                let state = store.manifest[group.role][place]
                let reduced = try runMerger.reduce(state, path: file.path) { state in
                    store.manifest[group.role][place] = state
                    try store.save(force: true)
                }
                store.manifest[group.role][place] = reduced
            }
        }
    }

    /// Removes the tick files of `role` whose file number is not kept (only names tickforge
    /// gives its partitions).
    private func sweepTickFiles(role: String, keeping numbers: Set<Int>, directory: RunDirectory) throws {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.ticks)) ?? []
        where RunFileName.isTickFile(name, role: role) && !(RunFileName.tickFileNumber(name).map(numbers.contains) ?? false) {
            try Syscall.remove(directory.ticks + "/" + name)
        }
    }

    /// The merged stream of an input's files.
    private func mergedReader(role: String, files: [InputState], group: InputGroup, directory: RunDirectory) -> MergedTickReader {
        // Each file's place among equal rows: files by their first row's time, then path bytes.
        let named = zip(group.files, files).compactMap { file, state -> (path: String, state: InputState, first: Int64)? in
            guard let first = state.partitions.map(\.firstTime).min() else { return nil }
            return (file.path, state, first)
        }.sorted { a, b in a.first != b.first ? a.first < b.first : Array(a.path.utf8).lexicographicallyPrecedes(Array(b.path.utf8)) }
        var sources: [MergeSource] = []
        for (place, file) in named.enumerated() {
            // A file, or in sort mode each of its sorted runs.
            let runs = Dictionary(grouping: file.state.partitions) { $0.run ?? 0 }.sorted { $0.key < $1.key }
            for (run, entries) in runs {
                guard let first = entries.map(\.firstTime).min(), let last = entries.map(\.lastTime).max() else { continue }
                sources.append(MergeSource(path: file.path, partitions: entries, firstTime: first, lastTime: last, rank: place << 32 | run))
            }
        }
        let layout = group.files.compactMap(\.layout).first
        let read = readOptions(role: role)
        let locate: (MergeConflict) throws -> Never = { [group] conflict in
            // In error mode the first conflict stops the run: find its line for the message.
            let layout = group.files.first { $0.path == conflict.path }?.layout
            if let layout, let record = try RowLocator.locate(path: conflict.path, layout: layout, rows: [conflict.row], options: read)[conflict.row] {
                throw TickError.badRow(location: record.location, reason: conflict.reason, text: printableText(record.text))
            }
            throw TickError.unreadable(path: conflict.path, reason: "row with id \(conflict.id): \(conflict.reason)")
        }
        return MergedTickReader(directory: directory, sources: sources, kind: role == "quotes" ? .quotes : .trades,
                                compareIds: layout?.hasIds ?? false, checkEveryRow: read.order == .sort,
                                inferSides: role == "trades" && options.inferUnknownSides, badRows: options.read.badRows, pool: pool, locate: locate)
    }


    /// Writes the rows that merging rejected (quarantine mode) to a sidecar of the feature
    /// state, located in their files; nil when there are none.
    private func writeMergeRejects(_ readers: [(role: String, reader: MergedTickReader, group: InputGroup)], directory: RunDirectory) throws -> String? {
        guard readers.contains(where: { !$0.reader.conflicts.isEmpty }) else { return nil }
        let name = RunFileName.mergeRejects
        let writer = try AtomicFileWriter(path: directory.featureParts + "/" + name)
        for (_, reader, group) in readers where !reader.conflicts.isEmpty {
            for path in Set(reader.conflicts.map(\.path)).sorted() {
                let conflicts = reader.conflicts.filter { $0.path == path }
                guard let layout = group.files.first(where: { $0.path == path })?.layout else { continue }
                let found = try RowLocator.locate(path: path, layout: layout, rows: Set(conflicts.map(\.row)), options: read)
                for conflict in conflicts {
                    var record = found[conflict.row] ?? RejectRecord(location: InputLocation(file: path, line: 0, byteOffset: 0), reason: "", text: [])
                    record.reason = conflict.reason
                    try writer.write(RejectsFormat.line(record))
                }
            }
        }
        try writer.commit()
        return name
    }

    /// The counts of all files of an input, before the merge.
    static func total(_ files: [InputState]) -> RowCounts {
        files.reduce(RowCounts()) { $0 + ($1.end?.counts ?? RowCounts()) }
    }

    /// The least and greatest kept times of an input's files (from their partitions, which
    /// hold them whatever the order the rows came in).
    static func timeRange(_ files: [InputState]) -> (first: Int64, last: Int64)? {
        let partitions = files.flatMap(\.partitions)
        guard let first = partitions.map(\.firstTime).min(), let last = partitions.map(\.lastTime).max() else { return nil }
        return (first, last)
    }

    /// A warning for every input of which more than a tenth of the rows were rejected: in
    /// quarantine mode the run goes on, but its features may then rest on a small remainder
    /// (a spike longer than 16 rows, say, makes every row after it out of order).
    private func rejectionWarnings(_ inputs: MetadataInputs) -> [String] {
        let all = [("trades", inputs.trades)] + (inputs.quotes.map { [("quotes", $0)] } ?? []) + (inputs.liquidations.map { [("liquidations", $0)] } ?? []) + (inputs.book.map { [("book", $0)] } ?? [])
        return all.compactMap { role, input in
            let rows = input.rows
            guard rows.rejected > 0, rows.rejected * 10 > rows.read else { return nil }
            return "\(rows.rejected) of \(rows.read) \(role) rows (\(QuoteCoverage.percent(Int(rows.rejected), Int(rows.read)))) were rejected: see \(options.outputDirectory)/rejects.csv for each row and its reason"
        }
    }

    /// A warning when files of a layout without ids overlap in time: nothing tells a row present
    /// in both from two rows, so both are kept (contract: the duplicate rule needs an id).
    private func overlapWithoutIds(_ group: InputGroup, states: [InputState]) -> [String] {
        guard group.files.count > 1, let layout = group.files.compactMap(\.layout).first, !layout.hasIds else { return [] }
        let ranges = zip(group.files, states).compactMap { file, state in Self.timeRange([state]).map { (file.path, $0) } }
            .sorted { $0.1.first < $1.1.first }
        var latest: (path: String, last: Int64)?
        for (path, range) in ranges {
            if let latest, range.first <= latest.last {
                return ["\(path) overlaps \(latest.path) in time, and \(layout.name) rows have no id to tell a row present in both files from two rows: every row of both is kept (\(group.role == "quotes" ? "quote_count counts the repeated updates twice" : "repeated trades count twice")); give files that do not overlap"]
            }
            if latest.map({ range.last > $0.last }) ?? true { latest = (path, range.last) }
        }
        return []
    }

    /// What the outputs need of each partition's rows.
    private var outputOptions: OutputOptions {
        OutputOptions(format: options.format, keepsRowTimes: options.splits != nil, parquetChunkBudget: budget.parquetChunkBudget)
    }

    /// E of the splits: `--embargo`, or the largest window.
    private var embargoBars: Int { options.embargoBars ?? options.config.maxWindow }

    /// The outputs this run publishes.
    var outputNames: [String] {
        RunFileName.outputs.filter { name in
            if name == "rejects.csv" { return options.read.badRows == .quarantine }
            if name.hasSuffix(".csv") && name != "rejects.csv" { return options.format.writesCSV }
            if name.hasSuffix(".parquet") { return options.format.writesParquet }
            if name == "splits.json" { return options.splits != nil }
            return true
        }
    }

    /// Everything feature values depend on; a different key means old feature partitions are
    /// stale. The inputs enter through their tick partitions (names, rows and checksums), which
    /// hold exactly the rows the features are made of: a file touched or rewritten with the
    /// same rows keeps its feature partitions, whatever told its tick partitions apart.
    private func featureKey(trades: [InputState], quotes: [InputState]?, liquidations: [InputState]?, book: [InputState]?,
                            series: [SeriesInput]) -> String {
        func rows(_ files: [InputState]) -> String {
            // By path: the merge does not depend on the order the files were given in.
            let text = files.sorted { $0.fingerprint.path < $1.fingerprint.path }.map { input in
                let counts = input.end.map { "\($0.counts.read)/\($0.counts.used)/\($0.counts.rejected)/\($0.counts.duplicates)/\($0.counts.filtered)/\($0.counts.rounded)" } ?? ""
                let list = input.partitions.map { "\($0.name):\($0.rows):\($0.firstTime):\($0.lastTime):\($0.checksum)" }.joined(separator: ",")
                return "\(input.fingerprint.path)|\(input.readKey)|\(counts);\(list)"
            }.joined(separator: "\n")
            return ContentDigest.sha256(Array(text.utf8))
        }
        var parts = ["v4", "trades:\(rows(trades))"]
        if let quotes { parts.append("quotes:\(rows(quotes))") }
        if let liquidations { parts.append("liquidations:\(rows(liquidations))") }
        if let book { parts.append("book:\(rows(book))") }
        for input in series { parts.append("\(input.kind.rawValue):\(input.digest)") }
        parts.append(valuesKey)
        parts.append("tick_rule=\(options.inferUnknownSides);bad_rows=\(options.read.badRows.rawValue)")
        return parts.joined(separator: "|")
    }

    /// The flags feature values depend on besides the bars: a stored partition made under the
    /// same ones is right for equal bars (`PartitionInput.words`).
    private var valuesKey: String {
        let c = options.config
        return "v5;interval=\(c.interval.text);windows=\(c.windows);horizons=\(c.horizons);threshold_bps=\(c.thresholdBps);ewm_lambda=\(c.ewmLambda);max_quote_age=\(c.maxQuoteAge.map(String.init) ?? "none");quotes=\(options.hasQuotes)" + asOfValuesKey
    }

    /// The as-of groups' flags, when there are any (runs without them keep their old key).
    private var asOfValuesKey: String {
        let c = options.config
        var key = ""
        if let levels = c.bandLevels { key += ";band_levels=\(levels.map(\.text).joined(separator: ","))" }
        if let d = c.derivatives { key += ";derivatives=\(d.metrics),\(d.funding),\(d.ticker)" }
        if c.liquidations == true { key += ";liquidations" }
        if let depth = c.depthLevels { key += ";book=\(depth.map(String.init).joined(separator: ","))" }
        return key
    }

    private func describe(_ files: [InputState], group: InputGroup, stages: [IngestStage], merge: MergeCounts?) -> RunSummary.Input {
        let merge = merge ?? MergeCounts()
        var rows = Self.total(files)
        rows.duplicates += merge.duplicates
        rows.rejected += merge.rejected
        rows.used -= merge.duplicates + merge.rejected
        func common(_ values: [String]) -> String { Set(values).count == 1 ? values[0] : "mixed" }
        let described = zip(group.files, files).map { file, state in
            let range = Self.timeRange([state])
            return RunSummary.File(path: file.path, layout: state.layout, timeUnit: state.timeUnit, compression: state.compression,
                                   bytes: state.pipeBytes ?? file.bytes, rows: state.end?.counts ?? RowCounts(),
                                   firstTime: range.map { Time.iso8601(micros: $0.first) },
                                   lastTime: range.map { Time.iso8601(micros: $0.last) }, checksum: state.checksum)
        }
        return RunSummary.Input(path: group.files.count == 1 ? group.files[0].path : (group.role == "quotes" ? options.quotesPaths : group.role == "liquidations" ? options.liquidationsPaths : group.role == "book" ? options.bookPaths : options.tradesPaths).joined(separator: ","),
                                layout: common(files.map(\.layout)), timeUnit: common(files.map(\.timeUnit)),
                                compression: common(files.map(\.compression)), bytes: described.reduce(0) { $0 + $1.bytes },
                                rows: rows, partitionsReused: stages.reduce(0) { $0 + $1.reused },
                                partitionsWritten: stages.reduce(0) { $0 + $1.written },
                                partitionBytes: files.reduce(0) { $0 + $1.partitions.reduce(0) { $0 + $1.bytes } },
                                merge: merge, files: described, otherSymbolFiles: group.otherSymbolFiles,
                                resumable: !group.files.contains(where: \.isStandardInput), symbol: group.symbol, market: group.market)
    }

    /// A horizon of h bars needs h + 1 bars: with fewer, every target is undefined.
    static func horizonTooLong(_ config: FeatureConfig, bars: Int64, span: String) -> TickError {
        let h = config.maxHorizon
        return TickError.invalidArgument("the horizon of \(h) bar\(h == 1 ? "" : "s") needs at least \(h + 1) bars, and the data has \(bars) bar\(bars == 1 ? "" : "s") of \(config.interval)\(span): every target would be undefined; use shorter --horizons or a shorter --interval")
    }

    /// Refuses a `--from`/`--to` that selects no bar of the data.
    private func checkWriteRange(first: Int64, last: Int64) throws {
        let c = options.config
        guard c.from != nil || c.to != nil else { return }
        let step = c.interval.micros / 1000
        let firstBar = Time.floorDiv(c.interval.barStart(first), 1000)
        let lastBar = Time.floorDiv(c.interval.barStart(last), 1000)
        // The first bar at or after --from (bar starts are multiples of the interval).
        let from = max(firstBar, c.from.map { -Time.floorDiv(-$0, step) * step } ?? firstBar)
        guard from > lastBar || from >= (c.to ?? .max) else { return }
        throw TickError.invalidArgument("--from/--to select no bar: the data's bars start from \(Time.iso8601(micros: firstBar * 1000)) to \(Time.iso8601(micros: lastBar * 1000))")
    }

    /// Refuses, before any work, what cannot work: a horizon longer than the data, or a
    /// `--from`/`--to` that selects no bar, read from the files' first rows and (when every file
    /// is plain) last rows; otherwise they are checked once the bars are counted.
    func checkInputsBeforeWork(_ group: InputGroup) throws {
        let files = group.files.filter { $0.layout != nil }
        guard let first = files.compactMap(\.firstTime).min(), files.allSatisfy({ $0.firstTime != nil }) else { return }
        var last = Int64.min
        for file in files {
            guard let end = try? TimeRangePeek.lastTime(of: file) else { return }
            last = max(last, end)
        }
        guard last >= first else { return }
        let interval = options.config.interval
        let bars = (interval.barStart(last) - interval.barStart(first)) / interval.micros + 1
        if Int64(options.config.maxHorizon) > bars - 1 {
            throw Self.horizonTooLong(options.config, bars: bars, span: " from \(Time.iso8601(micros: first)) to \(Time.iso8601(micros: last))")
        }
        // In time order the files' first and last rows bound the data, so a --from/--to that
        // misses them misses every bar (sorted input is checked once it is read).
        if read.order == .strict { try checkWriteRange(first: first, last: last) }
    }

}

/// The tick inputs of a run, probed: trades, and quotes and liquidations when given.
struct OpenedInputs {
    var trades: InputGroup
    var quotes: InputGroup?
    var liquidations: InputGroup?
    var book: InputGroup?

    /// In the order they are ingested.
    var all: [InputGroup] { [trades] + (quotes.map { [$0] } ?? []) + (liquidations.map { [$0] } ?? []) + (book.map { [$0] } ?? []) }
}

/// The run's manifest and where it is saved, shared by the stages' callbacks.
final class ManifestStore {
    var manifest: Manifest
    let directory: RunDirectory

    init(directory: RunDirectory) {
        self.directory = directory
        manifest = directory.loadManifest()
    }

    func save(force: Bool) throws { try directory.save(manifest, force: force) }

    /// Where each input file's state is in the manifest's list of its role, by file number.
    private var places: [String: [Int: Int]] = [:]

    /// Puts an input file's state in place of the manifest's entry of the same file number, or
    /// after the others, without copying the list (a run of thousands of files does this for
    /// every partition).
    func put(_ state: InputState, role: String) {
        let count = manifest[role].count
        if let index = places[role]?[state.fileNumber], index < count, manifest[role][index].fileNumber == state.fileNumber {
            modify(role) { $0[index] = state }
            return
        }
        if let index = manifest[role].firstIndex(where: { $0.fileNumber == state.fileNumber }) {
            places[role, default: [:]][state.fileNumber] = index
            modify(role) { $0[index] = state }
            return
        }
        places[role, default: [:]][state.fileNumber] = count
        modify(role) { $0.append(state) }
    }

    /// Changes the list of a role in place (trades and quotes are not copied).
    private func modify(_ role: String, _ change: (inout [InputState]) -> Void) {
        switch role {
        case "quotes": change(&manifest.quotes)
        case "liquidations":
            var list = manifest.liquidations ?? []
            change(&list)
            manifest.liquidations = list
        case "book":
            var list = manifest.book ?? []
            change(&list)
            manifest.book = list
        default: change(&manifest.trades)
        }
    }
}


extension RowCounts {
    /// The counts of two files together.
    static func + (a: RowCounts, b: RowCounts) -> RowCounts {
        var sum = a
        sum.read += b.read; sum.used += b.used; sum.rejected += b.rejected; sum.duplicates += b.duplicates
        sum.filtered += b.filtered; sum.rounded += b.rounded
        return sum
    }
}
