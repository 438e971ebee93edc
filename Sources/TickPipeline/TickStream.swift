import TickCore
import TickCSV
import TickIO

/// What to do with a bad row.
public enum BadRowPolicy: String, Sendable, Codable, CaseIterable {
    /// Stop with an error naming the file, line, byte offset and column.
    case error
    /// Write the row to `rejects.csv`, count it, and go on.
    case quarantine
}

/// Whether an input's rows must come in time order.
public enum InputOrder: String, Sendable, Codable, CaseIterable {
    /// Rows in time order in each file: a row that goes back is out of order (a bad row).
    case strict
    /// Any order: each file is cut into runs that are sorted and merged (contract, Sort mode);
    /// the order and duplicate rules then apply to the sorted stream.
    case sort
}

/// Settings for reading one tick file.
public struct ReadOptions: Sendable {
    public var chunkSize: Int = 2 << 20
    public var maxRecordSize: Int = 1 << 20
    public var workers: Int = WorkPool.coreCount
    public var badRows: BadRowPolicy = .error
    public var timeUnit: TimeUnit?
    public var mapping: ColumnMapping?
    /// Check a `NAME.CHECKSUM` sidecar's SHA-256 while reading `NAME`.
    public var verifyChecksums = true
    /// `--order`: in sort mode the file's reader applies no order rule (the merge of the
    /// sorted runs does).
    public var order = InputOrder.strict
    /// The symbol to read in layouts with a symbol column (compared case-sensitively with the
    /// cell): rows of other symbols are skipped and counted as filtered. nil: every row must
    /// have the symbol of the file's first data row, and another one is an error.
    public var symbol: String?
    /// What a trade of side `unknown` (Tardis) is: a bad row, or kept with side 2 for a
    /// reader that infers it.
    public var unknownSides: UnknownSidePolicy = .reject
    /// Read the layout's id column as any other ignored column: no duplicate or id-order rule
    /// (liquidations, whose ids the contract does not use).
    public var ignoresIds = false
    public init() {}
}

/// Counts of what happened to the rows of one input: `read` = `used` + `rejected` +
/// `duplicates` + `filtered` (+ the rows an error stopped at).
public struct RowCounts: Sendable, Codable, Equatable {
    /// Data rows seen (every non-blank line but the header).
    public var read: Int64 = 0
    /// Rows kept.
    public var used: Int64 = 0
    /// Malformed or out-of-order rows (quarantine mode).
    public var rejected: Int64 = 0
    /// Rows whose id repeats the previous id.
    public var duplicates: Int64 = 0
    /// Rows of another symbol than the selected one, skipped.
    public var filtered: Int64 = 0
    /// Rows read whose price or quantity had more than 8 decimals and was rounded to 8, half to
    /// even (mapped layouts only; whatever then became of the row, so not a part of `read`'s
    /// sum).
    public var rounded: Int64 = 0
    public init() {}

    enum CodingKeys: String, CodingKey { case read, used, rejected, duplicates, filtered, rounded }

    /// Counts recorded before `filtered` and `rounded` existed decode with those at 0 (which
    /// they were: such rows were rejected then).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        read = try c.decode(Int64.self, forKey: .read)
        used = try c.decode(Int64.self, forKey: .used)
        rejected = try c.decode(Int64.self, forKey: .rejected)
        duplicates = try c.decode(Int64.self, forKey: .duplicates)
        filtered = try c.decodeIfPresent(Int64.self, forKey: .filtered) ?? 0
        rounded = try c.decodeIfPresent(Int64.self, forKey: .rounded) ?? 0
    }
}

/// A validated batch of ticks, in file order.
public enum TickBatch: Sendable {
    case trades(TradeColumns)
    case quotes(QuoteColumns)

    public var count: Int {
        switch self {
        case .trades(let t): t.count
        case .quotes(let q): q.count
        }
    }

    public var times: [Int64] {
        switch self {
        case .trades(let t): t.time
        case .quotes(let q): q.time
        }
    }
}

/// Where reading can pick up again after the last row of a finished tick partition: the
/// input position after the last row read and the validation state at that moment.
public struct ResumePoint: Sendable, Codable, Equatable {
    /// Decompressed byte offset of the first unread line.
    public var byteOffset: Int64
    /// Lines before `byteOffset` (the header included).
    public var line: Int64
    public var state: ValidationState

    /// What happened to the rows so far.
    public var counts: RowCounts { state.counts }
}

/// What the stream yields: rows, and a boundary after every `partitionRows` kept rows.
public enum TickEvent: Sendable {
    case rows(TickBatch)
    /// `partitionRows` more rows were kept since the previous boundary; reading can resume here.
    case boundary(ResumePoint)
    /// A chunk gave only bad rows: take them with `drainRejects()` (so that a long run of bad
    /// rows never piles up in memory waiting for a good one).
    case rejected
}

/// Reads a tick file as a stream of validated column batches: chunks are cut on this thread,
/// parsed in parallel on the pool, and validated here in file order by a `StreamValidator`
/// (time order, ids, duplicates, spikes), so the result does not depend on the chunk size or
/// the worker count.
public final class TickStream {
    public let path: String
    /// nil for an empty file.
    public let layout: Layout?
    /// (No validator: an empty file, which nothing was read from.)
    public var counts: RowCounts { validator?.state.counts ?? RowCounts() }
    public var compression: ByteSource.Compression { input.source.compression }
    public var fileSize: Int64 { input.source.fileSize }
    /// Compressed bytes consumed (for progress).
    public var fileBytesRead: Int64 { input.source.fileBytesRead }
    /// Where the check of a `.CHECKSUM` sidecar stands (verified once the data has ended).
    public var checksum: ByteSource.ChecksumCheck { input.source.checksum }
    /// Decompressed bytes cut into chunks so far (from the resume point on).
    public private(set) var bytesChunked: Int64 = 0

    private let input: ChunkedInput
    private let options: ReadOptions
    private let tasks: OrderedTasks<ParsedChunk>
    private let validator: StreamValidator?
    private var inputDone = false
    private var finished = false
    private let maxInFlight: Int
    /// Lines before the chunk being validated.
    private var linesBefore: Int64 = 0
    /// Decompressed offset just past the last chunk validated.
    private var validatedEnd: Int64 = 0
    /// Events validated and not yet taken, each with the count of rejects found before it.
    private var pending: [StreamValidator.Emission] = []
    /// How many of the validator's rejects may be taken: those found before the events taken.
    private var rejectsReady = 0

    /// Reads a probed file with the layout its probe found (nothing is detected again).
    ///
    /// - Parameters:
    ///   - partitionRows: emit a `.boundary` after every this many kept rows (counted from the
    ///     start of the file, so boundaries do not move when a run resumes).
    ///   - resume: continue after a boundary of an earlier run instead of from the start.
    public init(file: ProbedFile, options: ReadOptions, pool: WorkPool,
                partitionRows: Int = .max, resume: ResumePoint? = nil) throws {
        path = file.path
        layout = file.layout
        self.options = options
        tasks = OrderedTasks(pool: pool)
        maxInFlight = pool.workers + 2
        if file.isStandardInput {
            guard resume == nil, let opened = file.handoff?.take() else {
                throw TickError.unreadable(path: "standard input", reason: "standard input cannot be read twice: the ingest of a pipe cannot be resumed, rerun with the data piped in again")
            }
            input = opened
        } else {
            input = try ChunkedInput(path: path, chunkSize: options.chunkSize, maxRecordSize: options.maxRecordSize,
                                     verifyChecksum: options.verifyChecksums, offset: resume?.byteOffset ?? 0)
        }
        linesBefore = resume?.line ?? 0
        validatedEnd = resume?.byteOffset ?? 0
        validator = layout.map {
            StreamValidator(path: file.path, layout: $0, badRows: options.badRows, ordersRows: options.order == .strict,
                            partitionRows: Int64(partitionRows),
                            state: resume?.state ?? ValidationState())
        }
    }

    /// Probes `path` and reads it from the start.
    public convenience init(path: String, options: ReadOptions, pool: WorkPool, partitionRows: Int = .max) throws {
        try self.init(file: try InputProbe.probe(path: path, options: options), options: options, pool: pool, partitionRows: partitionRows)
    }

    /// The rows quarantined before the events taken so far, in the order they were found.
    /// With `--bad-rows quarantine`, call after every event so they never pile up.
    public func drainRejects() -> [RejectRecord] {
        guard rejectsReady > 0, let validator else { return [] }
        let ready = Array(validator.rejected.prefix(rejectsReady))
        validator.rejected.removeFirst(rejectsReady)
        for i in pending.indices { pending[i].rejectsBefore -= rejectsReady }
        rejectsReady = 0
        return ready
    }

    /// Where reading stands now: at the end of the input once `next()` returned nil.
    public var currentPoint: ResumePoint {
        ResumePoint(byteOffset: validatedEnd, line: linesBefore, state: validator?.state ?? ValidationState())
    }

    /// The next validated batch, skipping other events (for readers that do not partition and
    /// do not quarantine: a reader of rejects takes them after every `nextEvent()`).
    public func next() throws -> TickBatch? {
        while let event = try nextEvent() {
            if case .rows(let batch) = event { return batch }
        }
        return nil
    }

    /// The next rows or boundary, or nil at the end.
    public func nextEvent() throws -> TickEvent? {
        guard let layout, let validator else { return nil }
        while pending.isEmpty {
            fill(layout)
            guard tasks.pending > 0 else {
                if !finished {
                    finished = true
                    pending = validator.finish(at: .init(byteOffset: validatedEnd, line: linesBefore))
                    if !pending.isEmpty { continue }
                }
                rejectsReady = validator.rejected.count
                return nil
            }
            var parsed = try tasks.takeNext()
            fill(layout)
            let lines = Int64(parsed.lineCount)
            let end = parsed.byteOffset + Int64(parsed.bytes.count)
            pending = try validator.validate(&parsed, linesBefore: linesBefore)
            if pending.isEmpty && !validator.rejected.isEmpty { pending = [(.rejected, validator.rejected.count)] }
            linesBefore += lines
            validatedEnd = end
        }
        let next = pending.removeFirst()
        rejectsReady = next.rejectsBefore
        return next.event
    }

    /// Submits chunks until `maxInFlight` are pending or the input ends.
    private func fill(_ layout: Layout) {
        let parser = ChunkParser(layout: layout, maxRecordSize: options.maxRecordSize,
                                 selectedSymbol: options.symbol.map { Array($0.utf8) }, unknownSides: options.unknownSides)
        while !inputDone && tasks.pending < maxInFlight {
            let chunk: Chunk?
            do { chunk = try input.next() } catch {
                // Deliver the error in order, after the chunks before it.
                inputDone = true
                tasks.submit { throw error }
                return
            }
            guard let chunk else { inputDone = true; return }
            bytesChunked += Int64(chunk.bytes.count)
            let skipHeader = chunk.byteOffset <= 3 && layout.hasHeader
            let offset = chunk.byteOffset
            tasks.submit {
                var parsed = parser.parse(chunk.bytes, skipFirstLine: skipHeader)
                parsed.byteOffset = offset
                return parsed
            }
        }
    }

    /// The columns of the rows `rows` (increasing indices) of `parsed`: all of them, without
    /// copying, when `rows` lists every row.
    static func gather(_ parsed: ParsedChunk, rows: [Int], kind: RecordKind) -> TickBatch {
        guard rows.count != parsed.rowCount else { return kind.hasQuoteColumns ? .quotes(parsed.quotes) : .trades(parsed.trades) }
        func pick<T>(_ a: [T]) -> [T] { a.isEmpty ? a : rows.map { a[$0] } }
        switch kind {
        case .trades, .book:
            var t = TradeColumns()
            t.time = pick(parsed.trades.time); t.price = pick(parsed.trades.price)
            t.quantity = pick(parsed.trades.quantity); t.buyerAggressor = pick(parsed.trades.buyerAggressor)
            t.id = pick(parsed.trades.id); t.sequence = pick(parsed.trades.sequence)
            return .trades(t)
        case .quotes:
            var q = QuoteColumns()
            q.time = pick(parsed.quotes.time); q.bidPrice = pick(parsed.quotes.bidPrice)
            q.bidQuantity = pick(parsed.quotes.bidQuantity); q.askPrice = pick(parsed.quotes.askPrice)
            q.askQuantity = pick(parsed.quotes.askQuantity); q.id = pick(parsed.quotes.id)
            q.sequence = pick(parsed.quotes.sequence)
            return .quotes(q)
        }
    }
}
