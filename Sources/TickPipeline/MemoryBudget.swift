import TickCore

/// How a `--memory-limit` is shared between the stages. Every size that decides how much is in
/// memory at once derives from it, so peak memory follows the limit, not the input size.
///
/// The costs it is based on, from peak RSS measured from outside (Scripts/stress-memory.sh,
/// Scripts/peak-rss.py): a chunk in flight holds its bytes plus about as much in parsed columns;
/// tick partitions about 300 bytes a row at the peak (filling one, encoding up to two); a feature
/// partition about 1.2 KB a bar with its columns and text; about 32 MiB for the runtime.
public struct MemoryBudget: Sendable, Equatable {
    public let limit: Int
    public let chunkSize: Int
    public let maxRecordSize: Int
    public let tickPartitionRows: Int
    public let featurePartitionBars: Int
    /// Feature partitions computed at once: fewer than `workers + 1` when long windows or
    /// horizons make each one large.
    public let featureTasksInFlight: Int

    /// Below this nothing useful fits beside the runtime itself.
    public static let minimum = 64 << 20
    /// Resident memory of the process before any data: code, Swift runtime, Foundation, thread
    /// stacks, allocator slack (measured about 25 MiB; rounded up).
    public static let runtimeOverhead = 32 << 20
    public static let defaultLimit = 1 << 30

    /// The feature stage's sizes for a configuration.
    public struct FeatureShape: Sendable, Equatable {
        /// Bars of past and future halo each feature partition carries: the longest window
        /// and the longest horizon.
        public var haloBars: Int
        /// Columns of both output files.
        public var columns: Int
        /// Tick partition readers while bars are built: one per input, two for an input of
        /// several files (`FeaturesJob.readersPlanned`).
        public var inputs: Int
        /// The columns of `features.parquet` and `targets.parquet` (besides `timestamp`), when
        /// the run writes them.
        public var parquetColumns: (features: Int, targets: Int)?

        public init(haloBars: Int, columns: Int, inputs: Int, parquetColumns: (features: Int, targets: Int)? = nil) {
            self.haloBars = haloBars; self.columns = columns; self.inputs = inputs; self.parquetColumns = parquetColumns
        }

        public static func == (a: FeatureShape, b: FeatureShape) -> Bool {
            a.haloBars == b.haloBars && a.columns == b.columns && a.inputs == b.inputs
                && a.parquetColumns?.features == b.parquetColumns?.features && a.parquetColumns?.targets == b.parquetColumns?.targets
        }
    }

    /// Compressed bytes of a Parquet row group each Parquet file holds before it spills column
    /// chunks to disk (the bytes written do not depend on it).
    public let parquetChunkBudget: Int

    static func parquetChunkBudget(usable: Int) -> Int { usable / 128 }

    /// What the Parquet writers hold besides the rows in flight: their pending pages, the
    /// chunks their budgets bound (three times: arrays grow by doubling, and freed ones are not
    /// all handed back at once), and per file a zstd context and a write buffer.
    static func parquetWriterBytes(usable: Int, shape: FeatureShape) -> Int {
        guard let columns = shape.parquetColumns else { return 0 }
        return ParquetTableWriter.fixedBytes(featureColumns: columns.features, targetColumns: columns.targets)
            + 2 * (3 * parquetChunkBudget(usable: usable) + (2 << 20))
    }
    /// A Parquet cell of a row in flight: its value laid out for the writer.
    static let parquetBytesPerCell = 16

    /// Costs of the feature stage, from peak RSS measured from outside with long halos
    /// (Scripts/memory_grid.py): a task holds its bars with halos (a `BarRecord` is 240 bytes)
    /// and the per-bar series derived from them with their temporaries, about 520 bytes a bar
    /// in all; the bar window the partitioner keeps holds 240 bytes a bar; a written row costs
    /// about 64 bytes a column at the peak of a task (computed columns, CSV text and scratch,
    /// encoded partition).
    static let taskBytesPerHaloBar = 520
    static let windowBytesPerBar = 240
    static let rowBytesPerColumn = 64
    /// Each column's description, held whole while the JSON metadata is encoded.
    static let bytesPerColumn = 4_096
    /// Fewer bars a partition only adds work: every partition recomputes its halo.
    static let minimumPartitionBars = 256

    /// - Parameters:
    ///   - chunkSize, maxRecordSize: explicit flags, checked against the limit.
    ///   - workers: chunks in flight are `workers + 2` per input.
    ///   - shape: the feature stage's halo and columns; partitions shrink, and fewer are
    ///     computed at once, until they fit; when even one of the smallest does not, the
    ///     configuration is refused, naming the smallest limit that fits.
    ///   - quarantine: bad rows are kept (`--bad-rows quarantine`): a chunk of them parses into
    ///     about twice as much again as a chunk of good rows (each a problem record, then a
    ///     reject record), so chunks are half as large.
    public init(limit: Int, workers: Int, chunkSize: Int?, maxRecordSize: Int?, partitionBars: Int?, tickPartitionRows: Int? = nil,
                shape: FeatureShape = FeatureShape(haloBars: 0, columns: 0, inputs: 1), quarantine: Bool = false) throws {
        guard limit >= Self.minimum else {
            throw TickError.invalidArgument("--memory-limit \(limit >> 20) MiB is below the minimum of \(Self.minimum >> 20) MiB")
        }
        self.limit = limit
        let usable = limit - Self.runtimeOverhead
        let inFlight = workers + 2
        // A quarter for chunks in flight (bytes + parsed columns ≈ 2× the chunk; 4× for a chunk
        // of bad rows in quarantine mode).
        let chunkShare = usable / 4
        let expansion = quarantine ? 4 : 2
        // Past 2 MiB a chunk only costs memory: parsing one already takes far longer than cutting it.
        let derivedChunk = min(2 << 20, max(64 << 10, chunkShare / (expansion * inFlight)))
        let chunk = chunkSize ?? derivedChunk
        if expansion * inFlight * chunk > chunkShare + chunkShare / 2 {
            // The smallest limit whose chunk share holds these chunks.
            let needed = Self.runtimeOverhead + (expansion * inFlight * chunk * 4 * 2 + 2) / 3
            throw TickError.invalidArgument("--chunk-size \(chunk) with \(workers) workers needs about \((expansion * inFlight * chunk) >> 20) MiB in flight, more than --memory-limit \(limit >> 20) MiB allows; use a smaller chunk size or fewer workers, or --memory-limit \((needed + (1 << 20) - 1) >> 20)MiB")
        }
        self.chunkSize = chunk
        // One record must fit in a chunk buffer beside the others.
        let recordCap = chunkShare / 4
        let record = maxRecordSize ?? min(1 << 20, recordCap)
        if record > recordCap {
            throw TickError.invalidArgument("--max-record-size \(record >> 20) MiB does not fit in --memory-limit \(limit >> 20) MiB (at most \(recordCap >> 20) MiB)")
        }
        self.maxRecordSize = record
        self.tickPartitionRows = tickPartitionRows ?? Self.derivedTickPartitionRows(usable: usable)
        guard let plan = Self.featurePlan(usable: usable, workers: workers, partitionBars: partitionBars,
                                          tickPartitionRows: self.tickPartitionRows, shape: shape) else {
            // The smallest limit whose budget fits (sizes derived from the limit grow with it).
            var smallest = limit + (1 << 20)
            while Self.featurePlan(usable: smallest - Self.runtimeOverhead, workers: workers, partitionBars: partitionBars,
                                   tickPartitionRows: tickPartitionRows ?? Self.derivedTickPartitionRows(usable: smallest - Self.runtimeOverhead),
                                   shape: shape) == nil {
                smallest += 1 << 20
            }
            // Name what drives it: the halo (bars every partition holds besides its own) or the
            // width of a row.
            let haloShare = shape.haloBars * (Self.taskBytesPerHaloBar + Self.windowBytesPerBar)
            let rowShare = Self.minimumPartitionBars * (Self.rowBytesPerColumn * shape.columns + 200)
            let cause = haloShare >= rowShare
                ? "the longest window and horizon add \(shape.haloBars) bars to every feature partition"
                : "the \(shape.columns) columns make every row of a feature partition large"
            throw TickError.limitExceeded("this run needs a --memory-limit of \(smallest >> 20) MiB, more than the \(limit >> 20) MiB given: \(cause). Rerun with --memory-limit \(smallest >> 20)MiB or more, or with fewer or shorter --windows or --horizons (or a longer --interval)")
        }
        featurePartitionBars = plan.bars
        featureTasksInFlight = plan.tasks
        parquetChunkBudget = Self.parquetChunkBudget(usable: usable)
    }

    /// A quarter for the tick partition being filled and encoded. About 300 bytes a row at the
    /// peak: the columns being filled, plus up to two finished partitions and their encoding
    /// buffers waiting for the pool (measured on bookTicker rows).
    static func derivedTickPartitionRows(usable: Int) -> Int { min(1 << 20, max(16 << 10, (usable / 4) / 300)) }

    /// The feature partitions' size and how many are computed at once, or nil when not even one
    /// of the smallest fits.
    ///
    /// A quarter of the budget for feature partitions in flight (workers + 1 of them). About
    /// 2,600 bytes a bar at the peak of a task on the default columns; small enough that every
    /// worker has partitions to compute and format in parallel. With long windows or horizons
    /// the halo dominates: partitions shrink, then fewer are computed at once, until they fit
    /// in what the stage has (ingest is over by then: everything but the tick partitions read
    /// back, two decoded per input at about 100 bytes a row, and the writers).
    static func featurePlan(usable: Int, workers: Int, partitionBars: Int?, tickPartitionRows: Int,
                            shape: FeatureShape) -> (bars: Int, tasks: Int)? {
        var bars = partitionBars ?? min(8_192, max(1_024, (usable / 4) / (2_600 * (workers + 1))))
        var tasks = workers + 1
        let available = usable - shape.inputs * 2 * tickPartitionRows * 100 - (4 << 20) - parquetWriterBytes(usable: usable, shape: shape)
        while featureBytes(bars: bars, tasks: tasks, shape: shape) > available {
            if partitionBars == nil && bars > minimumPartitionBars {
                bars = max(minimumPartitionBars, bars / 2)
            } else if tasks > 1 {
                tasks -= 1
            } else {
                return nil
            }
        }
        return (bars, tasks)
    }

    /// Peak bytes of the feature stage: `tasks` partitions of `bars` rows with their halos,
    /// and the partitioner's window.
    static func featureBytes(bars: Int, tasks: Int, shape: FeatureShape) -> Int {
        let cell = rowBytesPerColumn + (shape.parquetColumns == nil ? 0 : parquetBytesPerCell)
        let task = (bars + shape.haloBars) * taskBytesPerHaloBar + bars * (cell * shape.columns + 200)
        return tasks * task + (bars + shape.haloBars) * windowBytesPerBar + shape.columns * bytesPerColumn
    }
}

extension MemoryBudget {
    /// Tunes glibc's allocator for a run under `limit`. Call before the pool starts.
    ///
    /// - Arenas: glibc gives each thread that allocates its own arena and keeps freed memory
    ///   there; with the pool's threads that slack alone can be tens of MiB. Two arenas keep
    ///   the peak close to what the budget plans (measured: −6 MiB at a 64 MiB limit).
    /// - Large blocks: chunks, column buffers and encoded partitions are megabytes each and are
    ///   freed and allocated again all run long. Above glibc's default thresholds they are
    ///   mapped fresh or trimmed away and every page faults in again, which was a tenth of a
    ///   1 GiB run's CPU, nearly all of it system time. Serving them from the heap, keeping up
    ///   to twice as much free at its top, halved the system time (1.0–1.4 s → 0.55–0.7 s
    ///   over five alternating runs) for 5–20 MiB more peak RSS at the default limit; the
    ///   thresholds scale with the limit (4 MiB at 64 MiB, 64 MiB from 1 GiB up) so small
    ///   limits keep their headroom.
    public static func configureAllocator(limit: Int) {
        _ = glibcMallopt(glibcArenaMax, 2)
        let threshold = min(64 << 20, max(4 << 20, limit / 16))
        _ = glibcMallopt(glibcMmapThreshold, Int32(threshold))
        _ = glibcMallopt(glibcTrimThreshold, Int32(2 * threshold))
    }
}

/// glibc's `mallopt` (not exported by the Glibc module, whose headers omit malloc.h).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
/// `M_ARENA_MAX`, `M_MMAP_THRESHOLD` and `M_TRIM_THRESHOLD` from glibc's malloc.h.
private let glibcArenaMax: Int32 = -8
private let glibcMmapThreshold: Int32 = -3
private let glibcTrimThreshold: Int32 = -1
