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
    public var chunkSize: Int = 8 << 20
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
    /// Decompressed bytes cut into chunks so far.
    public private(set) var bytesChunked: Int64 = 0

    private let source: ByteSource
    private var chunker: LineChunker
    private let options: ReadOptions
    private let tasks: OrderedTasks<ParsedChunk>
    private var firstChunk: Chunk?
    private var inputDone = false
    private var maxInFlight: Int
    /// Lines before the chunk being validated (1-based numbering starts after them).
    private var linesBefore: Int64 = 0
    private var lastTime: Int64 = .min
    private var lastId: Int64 = .min
    private let rejects: RejectsWriter?

    public init(path: String, options: ReadOptions, pool: WorkPool, rejects: RejectsWriter? = nil) throws {
        self.path = path
        self.options = options
        self.rejects = rejects
        let source = try ByteSource(path: path)
        self.source = source
        chunker = LineChunker(path: path, chunkSize: options.chunkSize, maxRecordSize: options.maxRecordSize) { buffer throws in
            try source.read(into: buffer)
        }
        tasks = OrderedTasks(pool: pool)
        maxInFlight = pool.workers + 2

        // Detection needs the first two lines; gather chunks until they are there.
        var first = try chunker.next()
        while var chunk = first, Self.lineCount(chunk.bytes, atMost: 2) < 2, let more = try chunker.next() {
            chunk.bytes += more.bytes
            first = chunk
        }
        if var chunk = first, chunk.bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            chunk.bytes.removeFirst(3)
            chunk.byteOffset = 3
            first = chunk
        }
        if let chunk = first {
            let lines = Self.firstLines(chunk.bytes, count: 2)
            layout = try LayoutDetector.detect(path: path, firstLine: lines[0], secondLine: lines.count > 1 ? lines[1] : nil,
                                               mapping: options.mapping, timeUnit: options.timeUnit)
        } else {
            layout = nil
        }
        firstChunk = first
    }

    /// The next validated batch, or nil at the end.
    public func next() throws -> TickBatch? {
        guard let layout else { return nil }
        while true {
            fill(layout)
            guard tasks.pending > 0 else { return nil }
            let parsed = try tasks.takeNext()
            fill(layout)
            let batch = try validate(parsed, layout: layout)
            linesBefore += Int64(parsed.lineCount)
            if let batch { return batch }
        }
    }

    /// Submits chunks until `maxInFlight` are pending or the input ends.
    private func fill(_ layout: Layout) {
        let parser = ChunkParser(layout: layout)
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
            let skipHeader = chunk.index == 0 && layout.hasHeader
            let offset = chunk.byteOffset
            tasks.submit {
                var parsed = parser.parse(chunk.bytes, skipFirstLine: skipHeader)
                parsed.byteOffset = offset
                return parsed
            }
        }
    }

    /// Checks time order and ids in file order; reports or quarantines bad rows. Returns nil when
    /// no row of the chunk survives.
    private func validate(_ parsed: ParsedChunk, layout: Layout) throws -> TickBatch? {
        let rows = parsed.rowCount
        counts.read += Int64(rows + parsed.problems.count)
        var problemIndex = 0
        var keep = [Bool](repeating: true, count: rows)
        var dropped = 0
        let times: [Int64]
        let ids: [Int64]
        switch layout.kind {
        case .trades: times = parsed.trades.time; ids = parsed.trades.id
        case .quotes: times = parsed.quotes.time; ids = parsed.quotes.id
        }
        let hasIds = !ids.isEmpty

        func report(_ problem: RowProblem) throws {
            let location = InputLocation(file: path, line: linesBefore + Int64(problem.lineInChunk) + 1,
                                         byteOffset: parsed.byteOffset + Int64(problem.lineStart), column: problem.column)
            guard options.badRows == .quarantine, let rejects else {
                throw TickError.badRow(location: location, reason: problem.reason, text: printableText(problem.text))
            }
            counts.rejected += 1
            try rejects.write(location: location, reason: problem.reason, text: problem.text)
        }

        for r in 0..<rows {
            let start = Int(parsed.rowStart[r])
            // Parser problems on lines before this row come first, in file order.
            while problemIndex < parsed.problems.count && parsed.problems[problemIndex].lineStart < start {
                try report(parsed.problems[problemIndex]); problemIndex += 1
            }
            let time = times[r]
            var reason: String?
            var column: Int?
            if hasIds {
                let id = ids[r]
                if id == lastId {
                    counts.duplicates += 1
                    keep[r] = false; dropped += 1
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
                try report(RowProblem(lineInChunk: parsed.lineIndex(at: start), lineStart: start, column: column,
                                      reason: reason, text: Array(parsed.line(at: start))))
                keep[r] = false; dropped += 1
                continue
            }
            lastTime = time
            if hasIds { lastId = ids[r] }
        }
        while problemIndex < parsed.problems.count {
            try report(parsed.problems[problemIndex]); problemIndex += 1
        }
        counts.used += Int64(rows - dropped)
        if rows - dropped == 0 { return nil }
        switch layout.kind {
        case .trades:
            var trades = parsed.trades
            if dropped > 0 { trades.filter(keep: keep) }
            return .trades(trades)
        case .quotes:
            var quotes = parsed.quotes
            if dropped > 0 { quotes.filter(keep: keep) }
            return .quotes(quotes)
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

    /// The first `count` lines, without line ends.
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
