import DequeModule
import Foundation
import TickCore
import TickCSV
import TickIO
import TickStore

/// Stage 1: one input file → validated tick partitions on disk, recorded in the manifest as
/// they finish. A rerun keeps the intact prefix of partitions of an unchanged file and reads
/// on from the resume point of the last one.
final class IngestStage {
    let role: String
    let file: ProbedFile
    /// The number in this file's partition names.
    let fileNumber: Int
    let options: ReadOptions
    let partitionRows: Int
    let pool: WorkPool
    /// The folder the partitions go to (`RunDirectory.ticks`).
    let ticks: String
    /// What that folder held when the run began (for the stale files of this input file).
    let listing: TickFolderListing
    let progress: (Int64) -> Void
    var path: String { file.path }

    private(set) var reused = 0
    private(set) var written = 0
    /// The file's ingest state: complete (with `end`) once the write queue has written every
    /// partition `run` submitted.
    private(set) var state: InputState?
    /// Quarantine sidecars of partitions being encoded, by partition index, committed just
    /// before their partition is written.
    private var pendingRejects: [Int: AtomicFileWriter] = [:]
    private(set) var bytesParsed: Int64 = 0

    init(role: String, file: ProbedFile, fileNumber: Int, options: ReadOptions,
         partitionRows: Int, pool: WorkPool, ticks: String, listing: TickFolderListing, progress: @escaping (Int64) -> Void) {
        self.role = role; self.file = file; self.fileNumber = fileNumber; self.options = options
        self.partitionRows = partitionRows; self.pool = pool; self.ticks = ticks; self.listing = listing; self.progress = progress
    }

    /// What decides whether old partitions of this input can be reused. The parser version
    /// says what partitions hold: since 2, ids that are not integers, symbols and (in mapped
    /// layouts) pandas forms; since 3, Tardis `local_timestamp` as the sequence key. Partitions
    /// of earlier versions are made again.
    var readKey: String {
        (options.ignoresIds ? "ids=ignored;" : "") + "bad_rows=\(options.badRows.rawValue);time_unit=\(options.timeUnit?.rawValue ?? "auto");columns=\(options.mapping.map { $0.assignments.map { "\($0.role.rawValue)=\($0.column)" }.joined(separator: "|") } ?? "");symbol=\(options.symbol ?? "");unknown_sides=\(options.unknownSides.rawValue);order=\(options.order.rawValue);parser=3"
    }

    func partitionPath(_ name: String) -> String { ticks + "/" + name }

    /// Brings this file's partitions up to date; `save` is called with the state after every
    /// partition written (the caller persists the manifest). Returns when the file is read:
    /// its last partitions may still be encoding in `queue`, which writes them (and calls
    /// `save` with the complete state) while the next file is read.
    func run(previous: InputState?, queue: PartitionWriteQueue, save: @escaping (InputState, _ force: Bool) throws -> Void) throws {
        let fingerprint = file.fingerprint
        var state = InputState(fileNumber: fileNumber, fingerprint: fingerprint, readKey: readKey, layout: file.layout?.name ?? "empty",
                               timeUnit: file.layout?.timeUnit.rawValue ?? "", compression: file.compression.rawValue,
                               partitions: [], end: nil, fromPipe: file.isStandardInput)
        if let previous, fingerprint.allowsReuse(of: previous.fingerprint), previous.readKey == readKey {
            for entry in previous.partitions {
                guard RunDirectory.isIntact(partitionPath(entry.name), bytes: entry.bytes, checksum: entry.checksum),
                      entry.rejects.map({ Syscall.exists(partitionPath($0)) }) ?? true else { break }
                state.partitions.append(entry)
            }
            // A sorted run resumes only whole: blocks of a run whose last block is missing go.
            while state.partitions.last?.runEnd == false { state.partitions.removeLast() }
            if state.partitions.count == previous.partitions.count, let end = previous.end {
                state.end = end
                state.checksum = previous.checksum
                reused = state.partitions.count
                self.state = state
                return
            }
        }
        reused = state.partitions.count
        // The manifest stops listing what goes before it goes (or is replaced under the same
        // name), so that it never lists a file that is not the one it describes. A file it
        // listed nothing of has nothing to forget: that save may wait.
        try save(state, previous != nil)
        try removeStaleFiles(keeping: state.partitions)

        var resume = state.partitions.last?.resume ?? nil
        if let last = state.partitions.last {
            // The rows held back for the spike rule are stored in the partition, not the manifest.
            resume?.state.held = Deque(try PartitionCodec.heldRows(PartitionFormat.summarize(path: partitionPath(last.name), verify: false).metadata,
                                                             path: partitionPath(last.name)))
        }
        let stream = try TickStream(file: file, options: options, pool: pool, partitionRows: partitionRows, resume: resume)
        self.state = state
        var nextIndex = state.partitions.count
        // Rows of the partition being filled (appended in place: no copy per batch).
        var tradeRows = TradeColumns()
        var quoteRows = QuoteColumns()
        // Quarantined rows of the partition being filled go straight to its sidecar file: a
        // run of millions of bad rows must not pile up in memory. Sidecars of partitions
        // waiting to be written are committed just before their partition.
        var rejects: AtomicFileWriter?
        func quarantine(_ records: [RejectRecord]) throws {
            guard !records.isEmpty else { return }
            if rejects == nil {
                let index = nextIndex
                rejects = try AtomicFileWriter(path: partitionPath(RunFileName.tickRejects(role: role, file: fileNumber, index: index)), bufferSize: 256 << 10)
            }
            for record in records { try rejects!.write(RejectsFormat.line(record)) }
        }
        var firstRow = resume?.state.released ?? 0

        // Room for a whole partition up front: growing by doubling would copy every row again
        // on this (the only reading) thread.
        let withIds = file.layout?.hasIds ?? false
        func reserveRows() {
            if role == "quotes" { quoteRows.reserve(partitionRows, withIds: withIds) } else { tradeRows.reserve(partitionRows, withIds: withIds) }
        }
        reserveRows()
        func takeRows() -> TickBatch {
            defer { tradeRows = TradeColumns(); quoteRows = QuoteColumns(); reserveRows() }
            return role == "quotes" ? .quotes(quoteRows) : .trades(tradeRows)
        }

        // In sort mode each partition's rows are a run, sorted and written as blocks that the
        // merge reads a few at a time.
        let sorts = options.order == .sort
        let blockRows = Self.blockRows(partitionRows: partitionRows)
        func submit(_ batch: TickBatch, resume point: ResumePoint) throws {
            let index = nextIndex
            let blocks = sorts ? max(1, (batch.count + blockRows - 1) / blockRows) : 1
            nextIndex += blocks
            let names = (0..<blocks).map { RunFileName.tickPartition(role: role, file: fileNumber, index: index + $0) }
            let rejectsName = rejects == nil ? nil : RunFileName.tickRejects(role: role, file: fileNumber, index: index)
            if let rejects { pendingRejects[index] = rejects }
            let start = firstRow
            rejects = nil
            firstRow += Int64(batch.count)
            queue.submit({
                let parts = sorts ? Self.sortedBlocks(batch, blockRows: blockRows) : [batch]
                return try parts.enumerated().map { i, part in
                    let last = i == parts.count - 1
                    // The rows held back for the order rules belong after the run's last block.
                    let contents = try PartitionCodec.contents(part, heldAfter: last ? Array(point.state.held) : [])
                    let file = try PartitionFormat.encodeWithChecksum(contents, compressor: Zstd.Compressor(level: PartitionCompression.tickLevel))
                    return EncodedPartition(index: index + i, name: names[i], bytes: file.bytes, checksum: file.checksum,
                                            firstRow: start + Int64(i * blockRows), rows: contents.rowCount,
                                            firstTime: contents.minTime, lastTime: contents.maxTime, resume: last ? point : nil,
                                            rejectsName: i == 0 ? rejectsName : nil, run: sorts ? index : nil, runEnd: last)
                }
            }, then: { [self] parts in for part in parts { try write(part, save: save) } })
            // Two partitions in flight at most (of any file): each holds up to `partitionRows` rows.
            while queue.pending >= 2 { try queue.completeNext() }
        }

        while let event = try stream.nextEvent() {
            try quarantine(stream.drainRejects())
            switch event {
            case .rows(.trades(let more)): tradeRows.append(more)
            case .rows(.quotes(let more)): quoteRows.append(more)
            case .boundary(let point): try submit(takeRows(), resume: point)
            case .rejected: break
            }
            progress(stream.fileBytesRead)
        }
        try quarantine(stream.drainRejects())
        let end = stream.currentPoint
        if tradeRows.count + quoteRows.count > 0 || rejects != nil { try submit(takeRows(), resume: end) }
        bytesParsed = stream.bytesChunked
        let checksum = stream.checksum.rawValue
        let pipeBytes = file.isStandardInput ? stream.fileBytesRead : nil
        // The file is complete once its last partition is written: the queue says so in order.
        queue.submit({ [] }, then: { [self] _ in
            self.state!.end = end
            self.state!.checksum = checksum
            self.state!.pipeBytes = pipeBytes
            try save(self.state!, false)
        })
    }

    private func write(_ part: EncodedPartition, save: (InputState, _ force: Bool) throws -> Void) throws {
        if part.rejectsName != nil { try pendingRejects.removeValue(forKey: part.index)?.commit() }
        try AtomicFileWriter.write(part.bytes, to: partitionPath(part.name))
        state!.partitions.append(TickPartitionEntry(name: part.name, firstRow: part.firstRow, rows: part.rows,
                                                   bytes: part.bytes.count, checksum: part.checksum,
                                                   firstTime: part.firstTime, lastTime: part.lastTime,
                                                   resume: part.resume, rejects: part.rejectsName,
                                                   run: part.run, runEnd: part.runEnd ? nil : false))
        written += 1
        try save(state!, false)
    }

    /// Rows per block of a sorted run: the merge holds a block or two of every run at once.
    static func blockRows(partitionRows: Int) -> Int { max(4_096, partitionRows / 8) }

    /// The batch sorted by time, then sequence key (`TickBatch.sequenceKeys`), stably, cut
    /// into blocks of `blockRows` rows.
    static func sortedBlocks(_ batch: TickBatch, blockRows: Int) -> [TickBatch] {
        let times = batch.times
        let keys = batch.sequenceKeys
        let order = (0..<times.count).sorted { a, b in
            if times[a] != times[b] { return times[a] < times[b] }
            let (x, y) = keys.isEmpty ? (0, 0) : (keys[a], keys[b])
            return x != y ? x < y : a < b
        }
        guard !order.isEmpty else { return [batch] }
        return stride(from: 0, to: order.count, by: blockRows).map { batch.pick(Array(order[$0..<min($0 + blockRows, order.count)])) }
    }

    /// Removes this file's partition files that the kept entries do not name (only names
    /// tickforge gives its partitions: anything else in the folder is not ours to remove).
    /// Files of this number appear only through this stage, so what the folder held when the
    /// run began is all there is to look at.
    private func removeStaleFiles(keeping entries: [TickPartitionEntry]) throws {
        let keep = Set(entries.flatMap { [$0.name] + ($0.rejects.map { [$0] } ?? []) })
        for name in listing.names(role: role, file: fileNumber) where !keep.contains(name) && Syscall.exists(partitionPath(name)) {
            try Syscall.remove(partitionPath(name))
        }
    }

}

/// The tick folder's names of tickforge's, by input file number, listed once: a run of
/// thousands of files would otherwise list the folder (thousands of names) once per file.
final class TickFolderListing {
    private var byFile: [Int: [String]] = [:]

    init(folder: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            if let number = RunFileName.tickFileNumber(name) { byFile[number, default: []].append(name) }
        }
    }

    /// The names of input file `file` of `role` (partitions, sidecars, temporary files).
    func names(role: String, file: Int) -> [String] {
        (byFile[file] ?? []).filter { RunFileName.isTickFile($0, role: role, file: file) }
    }
}

/// Tick partitions encoding on the pool, written in the order submitted, across the files of a
/// run: a file's last partitions encode while the next file is read, instead of the pool idling
/// at the end of every file.
final class PartitionWriteQueue {
    private let tasks: OrderedTasks<[EncodedPartition]>
    /// What to do with each task's partitions (a run's blocks; none: a marker that only
    /// completes a file).
    private var completions: [([EncodedPartition]) throws -> Void] = []

    init(pool: WorkPool) { tasks = OrderedTasks(pool: pool) }

    /// Tasks submitted and not yet completed.
    var pending: Int { tasks.pending }

    func submit(_ task: @escaping @Sendable () throws -> [EncodedPartition], then completion: @escaping ([EncodedPartition]) throws -> Void) {
        tasks.submit(task)
        completions.append(completion)
    }

    /// Waits for the oldest task and runs its completion.
    func completeNext() throws {
        let completion = completions.removeFirst()
        try completion(try tasks.takeNext())
    }

    func completeAll() throws {
        while pending > 0 { try completeNext() }
    }
}

/// A partition encoded on the pool, waiting to be written in order.
struct EncodedPartition: Sendable {
    var index: Int
    var name: String
    var bytes: [UInt8]
    /// CRC-32 of `bytes`.
    var checksum: UInt32
    var firstRow: Int64
    var rows: Int
    var firstTime: Int64
    var lastTime: Int64
    var resume: ResumePoint?
    /// The quarantine sidecar written beside it, if any.
    var rejectsName: String?
    /// Sort mode: the run it is a block of (the index of the run's first block), and whether
    /// it is the run's last block.
    var run: Int?
    var runEnd: Bool
}

/// Reads an input's tick partitions back in order, decoding ahead on the pool.
final class TickPartitionReader {
    private let paths: [String]
    private var nextIndex = 0
    private let tasks: OrderedTasks<TickBatch>
    /// Partitions decoded ahead of the one taken.
    var lookahead = 2

    init(directory: RunDirectory, entries: [TickPartitionEntry], pool: WorkPool) {
        paths = entries.map { directory.ticks + "/" + $0.name }
        tasks = OrderedTasks(pool: pool)
    }

    func next() throws -> TickBatch? {
        while nextIndex < paths.count && tasks.pending < lookahead {
            let path = paths[nextIndex]
            nextIndex += 1
            tasks.submit { try PartitionCodec.batch(try PartitionFormat.read(path: path), path: path) }
        }
        guard tasks.pending > 0 else { return nil }
        return try tasks.takeNext()
    }
}
