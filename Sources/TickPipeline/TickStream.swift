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

/// Settings for reading one tick file.
public struct ReadOptions: Sendable {
    public var chunkSize: Int = 2 << 20
    public var maxRecordSize: Int = 1 << 20
    public var workers: Int = WorkPool.coreCount
    public var badRows: BadRowPolicy = .error
    public var timeUnit: TimeUnit?
    public var mapping: ColumnMapping?
    public init() {}
}

/// Counts of what happened to the rows of one input.
public struct RowCounts: Sendable, Codable, Equatable {
    /// Data rows seen (every non-blank line but the header).
    public var read: Int64 = 0
    /// Rows kept.
    public var used: Int64 = 0
    /// Malformed or out-of-order rows (quarantine mode).
    public var rejected: Int64 = 0
    /// Rows whose id repeats the previous id.
    public var duplicates: Int64 = 0
    public init() {}
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
/// input position after that row and the validation state at that moment.
public struct ResumePoint: Sendable, Codable, Equatable {
    /// Decompressed byte offset of the first unread line.
    public var byteOffset: Int64
    /// Lines before `byteOffset` (the header included).
    public var line: Int64
    public var lastTime: Int64
    public var lastId: Int64
    public var counts: RowCounts
}

/// What the stream yields: rows, and a boundary after every `partitionRows` kept rows.
public enum TickEvent: Sendable {
    case rows(TickBatch)
    /// `partitionRows` more rows were kept since the previous boundary; reading can resume here.
    case boundary(ResumePoint)
}

/// Reads a tick file as a stream of validated column batches: chunks are cut on this thread,
/// parsed in parallel on the pool, and validated here in file order (time order, duplicate
/// ids), so the result does not depend on the chunk size or the worker count.
public final class TickStream {
    public let path: String
    /// nil for an empty file.
    public let layout: Layout?
    public private(set) var counts = RowCounts()
    public var compression: ByteSource.Compression { source.compression }
    public var fileSize: Int64 { source.fileSize }
    /// Compressed bytes consumed (for progress).
    public var fileBytesRead: Int64 { source.fileBytesRead }
    /// Decompressed bytes cut into chunks so far (from the resume point on).
    public private(set) var bytesChunked: Int64 = 0

    private let source: ByteSource
    private let chunker: LineChunker
    private let options: ReadOptions
    private let tasks: OrderedTasks<ParsedChunk>
    private let partitionRows: Int64
    private var firstChunk: Chunk?
    private var inputDone = false
    private let maxInFlight: Int
    /// Lines before the chunk being validated.
    private var linesBefore: Int64 = 0
    /// Decompressed offset just past the last chunk validated.
    private var validatedEnd: Int64 = 0
    private var lastTime: Int64 = .min
    private var lastId: Int64 = .min
    private var pending: [TickEvent] = []
    /// Quarantined rows not yet taken by `drainRejects()`.
    private var rejected: [RejectRecord] = []

    /// - Parameters:
    ///   - partitionRows: emit a `.boundary` after every this many kept rows (counted from the
    ///     start of the file, so boundaries do not move when a run resumes).
    ///   - resume: continue after a boundary of an earlier run instead of from the start.
    public init(path: String, options: ReadOptions, pool: WorkPool,
                partitionRows: Int = .max, resume: ResumePoint? = nil) throws {
        self.path = path
        self.options = options
        self.partitionRows = Int64(partitionRows)
        tasks = OrderedTasks(pool: pool)
        maxInFlight = pool.workers + 2

        if let resume {
            layout = try Self.detectLayout(path: path, options: options).layout
            let source = try ByteSource(path: path)
            try source.skip(to: resume.byteOffset)
            self.source = source
            chunker = LineChunker(path: path, chunkSize: options.chunkSize, maxRecordSize: options.maxRecordSize,
                                  startOffset: resume.byteOffset) { try source.read(into: $0) }
            linesBefore = resume.line
            validatedEnd = resume.byteOffset
            lastTime = resume.lastTime
            lastId = resume.lastId
            counts = resume.counts
            firstChunk = nil
        } else {
            let source = try ByteSource(path: path)
            self.source = source
            chunker = LineChunker(path: path, chunkSize: options.chunkSize, maxRecordSize: options.maxRecordSize) {
                try source.read(into: $0)
            }
            let detected = try Self.firstChunkAndLayout(path: path, chunker: chunker, options: options)
            layout = detected.layout
            firstChunk = detected.first
        }
    }

    /// The layout of a file, from its first lines.
    public static func detectLayout(path: String, options: ReadOptions) throws -> (layout: Layout?, compression: ByteSource.Compression) {
        let source = try ByteSource(path: path)
        let chunker = LineChunker(path: path, chunkSize: 64 << 10, maxRecordSize: options.maxRecordSize) { try source.read(into: $0) }
        return (try firstChunkAndLayout(path: path, chunker: chunker, options: options).layout, source.compression)
    }

    /// Reads until the first two lines are in hand, strips a UTF-8 byte-order mark, detects.
    private static func firstChunkAndLayout(path: String, chunker: LineChunker, options: ReadOptions) throws -> (first: Chunk?, layout: Layout?) {
        var first = try chunker.next()
        while var chunk = first, lineCount(chunk.bytes, atMost: 2) < 2, let more = try chunker.next() {
            chunk.bytes += more.bytes
            first = chunk
        }
        if var chunk = first, chunk.bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            chunk.bytes.removeFirst(3)
            chunk.byteOffset = 3
            first = chunk
        }
        guard let chunk = first else { return (nil, nil) }
        let lines = firstLines(chunk.bytes, count: 2)
        guard let firstLine = lines.first else { return (nil, nil) }
        let layout = try LayoutDetector.detect(path: path, firstLine: firstLine, secondLine: lines.count > 1 ? lines[1] : nil,
                                               mapping: options.mapping, timeUnit: options.timeUnit)
        return (chunk, layout)
    }

    /// The rows quarantined since the last call, in file order. With `--bad-rows quarantine`,
    /// call after every event so they never pile up.
    public func drainRejects() -> [RejectRecord] {
        defer { rejected.removeAll() }
        return rejected
    }

    /// Where reading stands now: at the end of the input once `next()` returned nil.
    public var currentPoint: ResumePoint {
        ResumePoint(byteOffset: validatedEnd, line: linesBefore, lastTime: lastTime, lastId: lastId, counts: counts)
    }

    /// The next validated batch, skipping boundaries (for readers that do not partition).
    public func next() throws -> TickBatch? {
        while let event = try nextEvent() {
            if case .rows(let batch) = event { return batch }
        }
        return nil
    }

    /// The next rows or boundary, or nil at the end.
    public func nextEvent() throws -> TickEvent? {
        guard let layout else { return nil }
        while pending.isEmpty {
            fill(layout)
            guard tasks.pending > 0 else { return nil }
            let parsed = try tasks.takeNext()
            fill(layout)
            try validate(parsed, layout: layout)
            linesBefore += Int64(parsed.lineCount)
            validatedEnd = parsed.byteOffset + Int64(parsed.bytes.count)
        }
        return pending.removeFirst()
    }

    /// Submits chunks until `maxInFlight` are pending or the input ends.
    private func fill(_ layout: Layout) {
        let parser = ChunkParser(layout: layout, maxRecordSize: options.maxRecordSize)
        while !inputDone && tasks.pending < maxInFlight {
            let chunk: Chunk?
            if let first = firstChunk {
                chunk = first
                firstChunk = nil
            } else {
                do { chunk = try chunker.next() } catch {
                    // Deliver the error in order, after the chunks before it.
                    inputDone = true
                    tasks.submit { throw error }
                    return
                }
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

    /// Checks time order and ids in file order; reports or quarantines bad rows; queues the
    /// kept rows and the partition boundaries that fall in this chunk.
    private func validate(_ parsed: ParsedChunk, layout: Layout) throws {
        let rows = parsed.rowCount
        var problemIndex = 0
        var kept: [Int] = []
        kept.reserveCapacity(rows)
        let times: [Int64]
        let ids: [Int64]
        switch layout.kind {
        case .trades: times = parsed.trades.time; ids = parsed.trades.id
        case .quotes: times = parsed.quotes.time; ids = parsed.quotes.id
        }
        let hasIds = !ids.isEmpty

        if passesWhole(parsed, times: times, ids: ids) {
            counts.read += Int64(rows)
            counts.used += Int64(rows)
            lastTime = times[rows - 1]
            if hasIds { lastId = ids[rows - 1] }
            pending.append(.rows(Self.gather(parsed, rows: nil, kind: layout.kind)))
            return
        }

        func report(_ problem: RowProblem) throws {
            counts.read += 1
            let location = InputLocation(file: path, line: linesBefore + Int64(problem.lineInChunk) + 1,
                                         byteOffset: parsed.byteOffset + Int64(problem.lineStart), column: problem.column)
            guard options.badRows == .quarantine else {
                throw TickError.badRow(location: location, reason: problem.reason, text: printableText(problem.text))
            }
            counts.rejected += 1
            rejected.append(RejectRecord(location: location, reason: problem.reason, text: problem.text))
        }

        func flush() {
            guard !kept.isEmpty else { return }
            pending.append(.rows(Self.gather(parsed, rows: kept, kind: layout.kind)))
            kept.removeAll(keepingCapacity: true)
        }

        for r in 0..<rows {
            let start = Int(parsed.rowStart[r])
            // Parser problems on lines before this row come first, in file order.
            while problemIndex < parsed.problems.count && parsed.problems[problemIndex].lineStart < start {
                try report(parsed.problems[problemIndex]); problemIndex += 1
            }
            counts.read += 1
            let time = times[r]
            var reason: String?
            var column: Int?
            if hasIds {
                let id = ids[r]
                if id == lastId {
                    counts.duplicates += 1
                    continue
                }
                if id < lastId {
                    reason = "out of order: id \(id) after id \(lastId)"
                    column = layout.column(of: .id).map { $0 + 1 }
                }
            }
            if reason == nil && time < lastTime {
                reason = "out of order: time \(time) µs is before the previous row's \(lastTime) µs"
                column = layout.column(of: .time).map { $0 + 1 }
            }
            if let reason {
                counts.read -= 1  // report() counts it
                try report(RowProblem(lineInChunk: parsed.lineIndex(at: start), lineStart: start, column: column,
                                      reason: reason, text: Array(parsed.line(at: start))))
                continue
            }
            lastTime = time
            if hasIds { lastId = ids[r] }
            kept.append(r)
            counts.used += 1
            if counts.used % partitionRows == 0 {
                flush()
                pending.append(.boundary(resumePoint(after: start, in: parsed)))
            }
        }
        while problemIndex < parsed.problems.count {
            try report(parsed.problems[problemIndex]); problemIndex += 1
        }
        flush()
    }

    /// The resume point just after the row whose line starts at `start`.
    private func resumePoint(after start: Int, in parsed: ParsedChunk) -> ResumePoint {
        var end = start
        while end < parsed.bytes.count && parsed.bytes[end] != UInt8(ascii: "\n") { end += 1 }
        let next = min(end + 1, parsed.bytes.count)
        return ResumePoint(byteOffset: parsed.byteOffset + Int64(next),
                           line: linesBefore + Int64(parsed.lineIndex(at: start)) + 1,
                           lastTime: lastTime, lastId: lastId, counts: counts)
    }

    /// Whether every row of a chunk is kept as it is, as the row-by-row check below would
    /// find: the parser found no bad line, ids (if any) rise strictly and times never fall,
    /// from the last row kept on, and no tick partition ends inside the chunk. Nearly every
    /// chunk of a real file passes, and this runs on the one reading thread, so it is one
    /// branch-free pass instead of the per-row bookkeeping.
    private func passesWhole(_ parsed: ParsedChunk, times: [Int64], ids: [Int64]) -> Bool {
        let rows = parsed.rowCount
        guard rows > 0, parsed.problems.isEmpty,
              counts.used % partitionRows + Int64(rows) < partitionRows else { return false }
        var falls = false
        var previous = lastTime
        for time in times {
            falls = falls || time < previous
            previous = time
        }
        if !ids.isEmpty {
            var previous = lastId
            for id in ids {
                falls = falls || id <= previous
                previous = id
            }
        }
        return !falls
    }

    /// The columns of the rows `rows` of `parsed`: all of them, without copying, when `rows`
    /// is nil or lists every row.
    static func gather(_ parsed: ParsedChunk, rows: [Int]?, kind: RecordKind) -> TickBatch {
        guard let rows, rows.count != parsed.rowCount else { return kind == .trades ? .trades(parsed.trades) : .quotes(parsed.quotes) }
        func pick<T>(_ a: [T]) -> [T] { a.isEmpty ? a : rows.map { a[$0] } }
        switch kind {
        case .trades:
            var t = TradeColumns()
            t.time = pick(parsed.trades.time); t.price = pick(parsed.trades.price)
            t.quantity = pick(parsed.trades.quantity); t.buyerAggressor = pick(parsed.trades.buyerAggressor)
            t.id = pick(parsed.trades.id)
            return .trades(t)
        case .quotes:
            var q = QuoteColumns()
            q.time = pick(parsed.quotes.time); q.bidPrice = pick(parsed.quotes.bidPrice)
            q.bidQuantity = pick(parsed.quotes.bidQuantity); q.askPrice = pick(parsed.quotes.askPrice)
            q.askQuantity = pick(parsed.quotes.askQuantity); q.id = pick(parsed.quotes.id)
            return .quotes(q)
        }
    }

    static func lineCount(_ bytes: [UInt8], atMost limit: Int) -> Int {
        var n = 0
        for b in bytes where b == UInt8(ascii: "\n") {
            n += 1
            if n >= limit { break }
        }
        return n
    }

    /// The first `count` non-empty lines, without line ends.
    static func firstLines(_ bytes: [UInt8], count: Int) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        while lines.count < count && start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            if contentEnd > start { lines.append(Array(bytes[start..<contentEnd])) }
            start = end + 1
        }
        return lines
    }
}
