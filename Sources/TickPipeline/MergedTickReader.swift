import TickCore
import TickCSV
import TickIO

/// What merging an input's files did to its rows (beyond what each file's own rules did).
public struct MergeCounts: Sendable, Codable, Equatable {
    /// Rows that repeat a row of another file (same id, time, price, quantity and side), such
    /// as a trade in both a daily and a monthly file: read once.
    public var duplicates: Int64 = 0
    /// Rows whose id equals or goes below an earlier file's row with other values.
    public var rejected: Int64 = 0
    /// Trades whose unknown side was inferred by the tick rule.
    public var inferredSides: Int64 = 0
    public init() {}
}

/// A row that merging found bad: located in its file later (the partitions hold values, not
/// line numbers).
struct MergeConflict: Sendable {
    /// Index of the source in the reader's `files`, and its file.
    var file: Int
    var path: String
    var id: Int64
    /// Its values (`TickBatch.values`): another row of the file may have the same id.
    var values: [Int64]
    var reason: String

    /// What `RowLocator` looks for.
    var row: RowLocator.Wanted { RowLocator.Wanted(id: id, values: values) }
}

/// Time-ordered tick partitions for the merge: an input file's, or (sort mode) one sorted run
/// of a file.
struct MergeSource {
    var path: String
    var partitions: [TickPartitionEntry]
    /// The times of the first and last rows (µs).
    var firstTime: Int64
    var lastTime: Int64
    /// The order among rows equal in time and sequence key: the file's place (files by their
    /// first row's time, then path), then the run's place in its file.
    var rank: Int
}

/// Files that follow one another without overlapping in time, read as one sequence of
/// partitions: their merge is their concatenation, and one reader decodes ahead across the
/// files' ends (a month of daily files is one chain).
struct MergeChain {
    /// Index (in the merge's file order) of the file each partition belongs to.
    var files: [Int] = []
    var partitions: [TickPartitionEntry] = []
    var firstTime: Int64
    var lastTime: Int64
}

/// Reads the tick partitions of an input's files as one stream, as contract version 2 says:
/// merged by time, then the sequence key (`TickBatch.sequenceKeys`), then
/// file (files ordered by their first row's time, ties by their paths' bytes). Files that do
/// not overlap are concatenated batch by batch without copying; where they overlap, the rows
/// interleave. The id rules then apply to the merged stream, so a row present in two files is
/// read once and a conflicting one is rejected; and, with the tick rule, unknown sides are
/// inferred from the merged stream.
final class MergedTickReader {
    let files: [MergeSource]
    /// The files grouped into chains, ordered by their first time.
    private let chains: [MergeChain]
    private let directory: RunDirectory
    private let pool: WorkPool
    private let kind: RecordKind
    private let compareIds: Bool
    private let checkEveryRow: Bool
    private let inferSides: Bool
    private let badRows: BadRowPolicy
    /// Locates a conflicting row for the error of error mode.
    private let locate: (MergeConflict) throws -> Never

    private(set) var counts = MergeCounts()
    /// Conflicting rows, in quarantine mode.
    private(set) var conflicts: [MergeConflict] = []

    /// The next chain to open.
    private var nextChain = 0
    private var active: [Cursor] = []
    /// The last kept row with an integer id: its id, file and values.
    private var lastId: Int64?
    private var lastFile = 0
    private var lastValues: [Int64] = []
    /// The tick rule's state: the previous kept trade's price and side.
    private var previousPrice: Int64?
    private var previousSide: UInt8 = AggressorSide.buyer.rawValue

    /// - Parameters:
    ///   - sources: the input's files with at least one kept row, in any order.
    ///   - compareIds: apply the id rules across files (layouts with an integer id).
    ///   - inferSides: replace unknown sides (2) by the tick rule's.
    ///   - checkEveryRow: apply the id rules to every row, not only where a source's rows
    ///     begin (sort mode: a sorted run's ids need not rise).
    init(directory: RunDirectory, sources: [MergeSource], kind: RecordKind, compareIds: Bool, checkEveryRow: Bool = false,
         inferSides: Bool, badRows: BadRowPolicy, pool: WorkPool, locate: @escaping (MergeConflict) throws -> Never) {
        files = sources.sorted { ($0.firstTime, $0.rank) < ($1.firstTime, $1.rank) }
        self.directory = directory; self.kind = kind; self.pool = pool; self.badRows = badRows; self.locate = locate
        // Each file joins the first chain whose last row is before its first (files in order
        // of first time), else starts one.
        var chains: [MergeChain] = []
        for (index, file) in files.enumerated() {
            let place = chains.firstIndex { $0.lastTime < file.firstTime } ?? {
                chains.append(MergeChain(firstTime: file.firstTime, lastTime: file.lastTime))
                return chains.count - 1
            }()
            chains[place].files += Array(repeating: index, count: file.partitions.count)
            chains[place].partitions += file.partitions
            chains[place].lastTime = file.lastTime
        }
        self.chains = chains
        self.compareIds = compareIds && (files.count > 1 || checkEveryRow)
        self.checkEveryRow = checkEveryRow
        self.inferSides = inferSides && kind == .trades
    }

    /// The next rows of the merged stream, or nil at its end.
    func next() throws -> TickBatch? {
        while let run = try nextRun() {
            let kept = run.checked ? run.batch : try applyIdRules(run.batch, file: run.file)
            guard kept.count > 0 else { continue }
            return inferSides ? inferUnknownSides(kept) : kept
        }
        return nil
    }

    /// Runs shorter than this (sources that interleave row by row, as the runs of a shuffled
    /// file do) are merged row by row through a heap instead.
    private static let shortRun = 64
    /// Rows of one row-by-row merge.
    private static let interleavedRows = 8_192

    // MARK: - Merging

    /// A chain's partitions being read, and the position in the current batch.
    private final class Cursor {
        let reader: TickPartitionReader
        /// The file of each of the chain's partitions, and how many batches were taken.
        let files: [Int]
        private var taken = 0
        var batch: TickBatch
        /// The file the current batch comes from.
        var file = 0
        var position = 0

        init?(chain: MergeChain, reader: TickPartitionReader) throws {
            self.reader = reader
            files = chain.files
            batch = .trades(TradeColumns())
            guard try load() else { return nil }
        }

        /// Takes the next non-empty batch; false when the chain is done.
        private func load() throws -> Bool {
            while let next = try reader.next() {
                taken += 1
                if next.count > 0 {
                    batch = next
                    file = files[taken - 1]
                    position = 0
                    return true
                }
            }
            return false
        }

        var headTime: Int64 { batch.times[position] }
        func sequence(_ row: Int) -> Int64 {
            let keys = batch.sequenceKeys
            return keys.isEmpty ? 0 : keys[row]
        }

        /// Whether the rows taken used up the current batch.
        var isUsedUp: Bool { position == batch.count }

        /// Takes the next batch once the current one is used up (not before: the caller may
        /// still hold the last rows handed out, and the memory plan counts one batch held);
        /// false when the chain is done.
        func refill() throws -> Bool {
            guard isUsedUp else { return true }
            batch = .trades(TradeColumns())
            return try load()
        }
    }

    /// The merge key of a row: time, sequence key, file.
    private typealias Key = (time: Int64, sequence: Int64, file: Int)

    private func headKey(_ c: Cursor) -> Key { (c.headTime, c.sequence(c.position), files[c.file].rank) }

    /// The next run of rows that come from one file in merged order.
    private func nextRun() throws -> (batch: TickBatch, file: Int, checked: Bool)? {
        for (i, cursor) in active.enumerated().reversed() where try !cursor.refill() {
            active.remove(at: i)
            shareLookahead()
        }
        while true {
            let lowest = active.map { $0.headTime }.min()
            if nextChain < chains.count, lowest.map({ chains[nextChain].firstTime <= $0 }) ?? true {
                let chain = chains[nextChain]
                if let cursor = try Cursor(chain: chain, reader: TickPartitionReader(directory: directory, entries: chain.partitions, pool: pool)) {
                    active.append(cursor)
                    shareLookahead()
                }
                nextChain += 1
                continue
            }
            guard !active.isEmpty else { return nil }
            break
        }
        var best = 0
        for i in active.indices.dropFirst() where headKey(active[i]) < headKey(active[best]) { best = i }
        let cursor = active[best]
        // The run ends before the lowest key of any other file, open or not yet opened.
        var bound: Key?
        for (i, other) in active.enumerated() where i != best {
            let key = headKey(other)
            if bound.map({ key < $0 }) ?? true { bound = key }
        }
        if nextChain < chains.count {
            let key: Key = (chains[nextChain].firstTime, .min, .min)
            if bound.map({ key < $0 }) ?? true { bound = key }
        }
        let start = cursor.position
        let times = cursor.batch.times
        var end = times.count
        if let bound {
            // Rows before the bound's time, found by bisection; rows at its time one by one.
            var low = start, high = times.count
            while low < high {
                let mid = (low + high) / 2
                if times[mid] < bound.time { low = mid + 1 } else { high = mid }
            }
            end = low
            let rank = files[cursor.file].rank
            while end < times.count && times[end] == bound.time && (times[end], cursor.sequence(end), rank) < bound { end += 1 }
            // The lowest head is always below every other key, so at least one row is taken.
            end = max(end, start + 1)
        }
        if end - start < Self.shortRun && active.count > 1 {
            let opening: Key? = nextChain < chains.count ? (chains[nextChain].firstTime, .min, .min) : nil
            return (try interleave(before: opening), cursor.file, true)
        }
        let run = start == 0 && end == times.count ? cursor.batch : cursor.batch.slice(start..<end)
        cursor.position = end
        return (run, cursor.file, false)
    }

    /// Up to `interleavedRows` rows of the merged stream taken one at a time from a heap of the
    /// open sources (stopping before `opening`, the first key of a source not yet open), with
    /// the id rules applied to each as it is taken.
    private func interleave(before opening: Key?) throws -> TickBatch {
        var heap = Array(active.indices)
        func less(_ a: Int, _ b: Int) -> Bool { headKey(active[heap[a]]) < headKey(active[heap[b]]) }
        func siftDown(_ from: Int) {
            var i = from
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && less(l, m) { m = l }
                if r < heap.count && less(r, m) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        var out = TickBatchBuilder(like: active[0].batch)
        var exhausted: [Int] = []
        while out.count < Self.interleavedRows, let top = heap.first {
            let cursor = active[top]
            if let opening, !(headKey(cursor) < opening) { break }
            if try keepsRow(cursor.batch, cursor.position, file: cursor.file) { out.append(cursor.batch, row: cursor.position) }
            cursor.position += 1
            if try !cursor.refill() {
                exhausted.append(top)
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
        for index in exhausted.sorted(by: >) { active.remove(at: index) }
        if !exhausted.isEmpty { shareLookahead() }
        return out.batch
    }

    /// The id rules for one row of the merged stream: false for a duplicate or a conflicting
    /// row (counted, and recorded or thrown), true for a row to keep.
    private func keepsRow(_ batch: TickBatch, _ row: Int, file: Int) throws -> Bool {
        guard compareIds else { return true }
        let id = batch.ids[row]
        guard id != RowID.none else { return true }
        guard let last = lastId, id <= last else {
            lastId = id
            lastValues = batch.values(row)
            lastFile = file
            return true
        }
        let values = batch.values(row)
        if id == last && values == lastValues {
            counts.duplicates += 1
            return false
        }
        let reason = id == last
            ? "conflicting duplicate: id \(id) is also in \(files[lastFile].path) with other values"
            : "out of order: id \(id) after id \(last) of \(files[lastFile].path)"
        let conflict = MergeConflict(file: file, path: files[file].path, id: id, values: values, reason: reason)
        if badRows == .error { try locate(conflict) }
        conflicts.append(conflict)
        counts.rejected += 1
        return false
    }

    /// Overlapping files decode one partition ahead each instead of two: the memory plan holds
    /// four decoded partitions for an input of several files (`MemoryBudget.FeatureShape`), which
    /// two overlapping chains then use (a third at once goes over it).
    private func shareLookahead() {
        for cursor in active { cursor.reader.lookahead = active.count > 1 ? 1 : 2 }
    }

    // MARK: - Rules on the merged stream

    /// Drops rows that repeat the last kept row's id with the same values (duplicates across
    /// files) and rejects those that repeat it with other values or go below it. Within one
    /// file of a strict input ids already increase, so only the first rows of a run can break
    /// the rules; a sorted run's rows are each checked.
    private func applyIdRules(_ batch: TickBatch, file: Int) throws -> TickBatch {
        guard compareIds else { return batch }
        let ids = batch.ids
        var dropped: [Int] = []
        for row in ids.indices {
            // Within one source of a strict input ids rise: once a row passes, the rest do.
            if !checkEveryRow, ids[row] != RowID.none, lastId.map({ ids[row] > $0 }) ?? true { break }
            if try !keepsRow(batch, row, file: file) { dropped.append(row) }
        }
        let kept = dropped.isEmpty ? batch : batch.removing(rows: dropped)
        if let row = kept.ids.lastIndex(where: { $0 != RowID.none }) {
            lastId = kept.ids[row]
            lastValues = kept.values(row)
            lastFile = file
        }
        return kept
    }

    /// Lee and Ready's tick rule on the merged stream: an unknown side becomes the buyer's if
    /// the price rose from the previous kept trade, the seller's if it fell, the previous
    /// trade's (known or inferred) if it did not move, and the buyer's for a first trade.
    private func inferUnknownSides(_ batch: TickBatch) -> TickBatch {
        guard case .trades(var t) = batch else { return batch }
        for row in 0..<t.count {
            let price = t.price[row]
            if t.buyerAggressor[row] == AggressorSide.unknown.rawValue {
                let side: UInt8
                if let previous = previousPrice {
                    side = price > previous ? AggressorSide.buyer.rawValue : price < previous ? AggressorSide.seller.rawValue : previousSide
                } else {
                    side = AggressorSide.buyer.rawValue
                }
                t.buyerAggressor[row] = side
                counts.inferredSides += 1
            }
            previousPrice = price
            previousSide = t.buyerAggressor[row]
        }
        return .trades(t)
    }
}

/// Rows gathered one at a time into columns.
struct TickBatchBuilder {
    private var trades = TradeColumns()
    private var quotes = QuoteColumns()
    let kind: RecordKind
    let withIds: Bool
    let withSequence: Bool

    /// An empty builder for rows of batches shaped like `batch` (the same kind, and ids and
    /// sequence keys where it has them).
    init(like batch: TickBatch) {
        switch batch {
        case .trades(let t): (kind, withIds, withSequence) = (.trades, !t.id.isEmpty, !t.sequence.isEmpty)
        case .quotes(let q): (kind, withIds, withSequence) = (.quotes, !q.id.isEmpty, !q.sequence.isEmpty)
        }
    }

    var count: Int { kind == .trades ? trades.count : quotes.count }
    var batch: TickBatch { kind == .trades ? .trades(trades) : .quotes(quotes) }

    mutating func append(_ batch: TickBatch, row: Int) {
        switch batch {
        case .trades(let t):
            trades.time.append(t.time[row]); trades.price.append(t.price[row]); trades.quantity.append(t.quantity[row])
            trades.buyerAggressor.append(t.buyerAggressor[row])
            if withIds { trades.id.append(t.id[row]) }
            if withSequence { trades.sequence.append(t.sequence[row]) }
        case .quotes(let q):
            quotes.time.append(q.time[row]); quotes.bidPrice.append(q.bidPrice[row]); quotes.bidQuantity.append(q.bidQuantity[row])
            quotes.askPrice.append(q.askPrice[row]); quotes.askQuantity.append(q.askQuantity[row])
            if withIds { quotes.id.append(q.id[row]) }
            if withSequence { quotes.sequence.append(q.sequence[row]) }
        }
    }
}

extension TickBatch {
    /// Ids (trade ids or update ids), empty when the layout has none.
    var ids: [Int64] {
        switch self {
        case .trades(let t): t.id
        case .quotes(let q): q.id
        }
    }

    /// The order among rows of equal time (contract, Inputs, Sequence keys): the layout's own
    /// sequence column (Tardis `local_timestamp`) where it has one, else the ids (Binance);
    /// empty when there is neither.
    var sequenceKeys: [Int64] {
        switch self {
        case .trades(let t): t.sequence.isEmpty ? t.id : t.sequence
        case .quotes(let q): q.sequence.isEmpty ? q.id : q.sequence
        }
    }

    /// The values the duplicate rule compares: time, price, quantity, side (trades); time and
    /// both sides of the book (quotes).
    func values(_ row: Int) -> [Int64] {
        switch self {
        case .trades(let t): [t.time[row], t.price[row], t.quantity[row], Int64(t.buyerAggressor[row])]
        case .quotes(let q): [q.time[row], q.bidPrice[row], q.bidQuantity[row], q.askPrice[row], q.askQuantity[row]]
        }
    }

    /// Rows `range`, copied.
    func slice(_ range: Range<Int>) -> TickBatch {
        pick(Array(range))
    }

    /// Every row but `rows` (increasing indices).
    func removing(rows: [Int]) -> TickBatch {
        let drop = Set(rows)
        return pick((0..<count).filter { !drop.contains($0) })
    }

    func pick(_ rows: [Int]) -> TickBatch {
        func take<T>(_ a: [T]) -> [T] { a.isEmpty ? a : rows.map { a[$0] } }
        switch self {
        case .trades(let t):
            var out = TradeColumns()
            out.time = take(t.time); out.price = take(t.price); out.quantity = take(t.quantity)
            out.buyerAggressor = take(t.buyerAggressor); out.id = take(t.id); out.sequence = take(t.sequence)
            return .trades(out)
        case .quotes(let q):
            var out = QuoteColumns()
            out.time = take(q.time); out.bidPrice = take(q.bidPrice); out.bidQuantity = take(q.bidQuantity)
            out.askPrice = take(q.askPrice); out.askQuantity = take(q.askQuantity); out.id = take(q.id)
            out.sequence = take(q.sequence)
            return .quotes(out)
        }
    }
}

/// Finds the lines of rows that merging rejected: the partitions hold values, not line
/// numbers, so the file is read once more, only when there is something to report.
enum RowLocator {
    /// A row to find: its id, and its values, which tell it from another row of the same id.
    struct Wanted: Hashable {
        var id: Int64
        var values: [Int64]
    }

    /// For each wanted row, the first line of the file that holds it: its number, byte offset
    /// and text.
    static func locate(path: String, layout: Layout, rows: Set<Wanted>, options: ReadOptions) throws -> [Wanted: RejectRecord] {
        guard let idColumn = layout.column(of: .id), !rows.isEmpty else { return [:] }
        let ids = Set(rows.map(\.id))
        let parser = ChunkParser(layout: layout, maxRecordSize: options.maxRecordSize,
                                 selectedSymbol: options.symbol.map { Array($0.utf8) }, unknownSides: options.unknownSides)
        let input = try ChunkedInput(path: path, chunkSize: 4 << 20, maxRecordSize: options.maxRecordSize, verifyChecksum: false)
        var found: [Wanted: RejectRecord] = [:]
        var line: Int64 = 0
        while let chunk = try input.next() {
            var start = 0
            let bytes = chunk.bytes
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                line += 1
                if !(line == 1 && layout.hasHeader) {
                    var contentEnd = end
                    if contentEnd > start && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                    let text = bytes[start..<contentEnd]
                    let fields = text.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
                    if idColumn < fields.count, let id = Int64(String(decoding: fields[idColumn], as: UTF8.self)), ids.contains(id) {
                        // The candidate's values, read as the run read them.
                        let parsed = parser.parse(Array(text) + [10], skipFirstLine: false)
                        let batch = TickStream.gather(parsed, rows: Array(0..<parsed.rowCount), kind: layout.kind)
                        let wanted = Wanted(id: id, values: batch.count == 1 ? batch.values(0) : [])
                        if rows.contains(wanted), found[wanted] == nil {
                            found[wanted] = RejectRecord(location: InputLocation(file: path, line: line, byteOffset: chunk.byteOffset + Int64(start),
                                                                                 column: idColumn + 1),
                                                         reason: "", text: Array(text))
                            if found.count == rows.count { return found }
                        }
                    }
                }
                start = end + 1
            }
        }
        return found
    }
}
