import DequeModule
import TickCore
import TickCSV

/// A row's values besides its time and id. Trades: price, quantity, 1 if the buyer aggressed,
/// 0. Quotes: bid, bid quantity, ask, ask quantity. (Inline, not an array: one is made for
/// every row a chunk checks row by row.)
public struct RowValues: Sendable, Equatable, Codable {
    public var a: Int64, b: Int64, c: Int64, d: Int64

    subscript(i: Int) -> Int64 {
        switch i {
        case 0: a
        case 1: b
        case 2: c
        default: d
        }
    }

    public init(_ a: Int64, _ b: Int64, _ c: Int64, _ d: Int64) { self.a = a; self.b = b; self.c = c; self.d = d }

    public init(from decoder: any Decoder) throws {
        var list = try decoder.unkeyedContainer()
        self.init(try list.decode(Int64.self), try list.decode(Int64.self), try list.decode(Int64.self), try list.decode(Int64.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var list = encoder.unkeyedContainer()
        try list.encode(a); try list.encode(b); try list.encode(c); try list.encode(d)
    }
}

/// A kept row that is not final yet: a later row may still show it to be a spike (contract,
/// Inputs, Spikes). It carries what is needed to compare it, to emit it, and to report it.
public struct HeldRow: Sendable, Codable, Equatable {
    public var time: Int64
    /// The trade or update id; 0 when the layout has none, `RowID.none` when the row's id is
    /// not an integer.
    public var id: Int64
    /// The sequence key of a layout that has one besides the id (Tardis `local_timestamp`);
    /// 0 otherwise.
    public var sequence: Int64 = 0
    public var values: RowValues
    public var line: Int64
    /// Decompressed offset of the line's first byte.
    public var byteOffset: Int64
    /// The raw line (filled in before the row outlives its chunk).
    public var text: String
    /// The row's index in the chunk being validated, while it is there.
    var chunkRow: Int?

    enum CodingKeys: String, CodingKey { case time, id, sequence, values, line, byteOffset, text }

    init(time: Int64, id: Int64, sequence: Int64, values: RowValues, line: Int64, byteOffset: Int64, text: String, chunkRow: Int?) {
        self.time = time; self.id = id; self.sequence = sequence; self.values = values; self.line = line
        self.byteOffset = byteOffset; self.text = text; self.chunkRow = chunkRow
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        time = try c.decode(Int64.self, forKey: .time)
        id = try c.decode(Int64.self, forKey: .id)
        sequence = try c.decodeIfPresent(Int64.self, forKey: .sequence) ?? 0
        values = try c.decode(RowValues.self, forKey: .values)
        line = try c.decode(Int64.self, forKey: .line)
        byteOffset = try c.decode(Int64.self, forKey: .byteOffset)
        text = try c.decode(String.self, forKey: .text)
    }

    /// Layouts without a sequence key of their own store none, so their held rows read as before.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(time, forKey: .time)
        try c.encode(id, forKey: .id)
        if sequence != 0 { try c.encode(sequence, forKey: .sequence) }
        try c.encode(values, forKey: .values)
        try c.encode(line, forKey: .line)
        try c.encode(byteOffset, forKey: .byteOffset)
        try c.encode(text, forKey: .text)
    }
}

/// Everything validation carries from one row to the next, so that reading can stop after any
/// tick partition and resume with exactly the same decisions. The held rows are not encoded
/// with the rest (the manifest would grow by kilobytes a partition): each tick partition file
/// stores those held after its last row (`PartitionCodec.heldRowsKey`).
public struct ValidationState: Sendable, Codable, Equatable {
    public var counts = RowCounts()
    /// Kept rows not yet final, oldest first; at most `StreamValidator.heldRows`.
    public var held: Deque<HeldRow> = []
    /// Rows handed on (final); the kept rows are `released + held.count`.
    public var released: Int64 = 0
    /// The first and the last row handed on: the stream's time range and where it comes from.
    public var firstReleased: HeldRow?
    public var lastReleased: HeldRow?
    /// The last row handed on that has an integer id: rows with an integer id are compared with
    /// the newest such row kept, whatever rows without one came between.
    public var lastReleasedWithId: HeldRow?

    public init() {}

    enum CodingKeys: String, CodingKey { case counts, released, firstReleased, lastReleased, lastReleasedWithId }

    /// The times of the first and the last row handed on, once there is one.
    public var timeRange: (first: Int64, last: Int64)? {
        guard let first = firstReleased, let last = lastReleased else { return nil }
        return (first.time, last.time)
    }

    /// The newest kept row, whose time the next row is compared with.
    var lastKept: HeldRow? { held.last ?? lastReleased }

    /// The newest kept row with an integer id, whose id the next row's is compared with.
    var lastKeptWithId: HeldRow? { held.last { $0.id != RowID.none } ?? lastReleasedWithId }
}

/// Applies the contract's order rules to parsed chunks, in file order:
/// - times never fall and integer ids rise (rows whose id is not an integer are not compared,
///   and the rows after them are compared with the last integer id);
/// - a row repeating the previous row's id is a duplicate (skipped and counted) when its time,
///   values and side are the same, and a bad row (conflicting duplicate) otherwise;
/// - **spikes**: when a row's time is earlier than the row before it, the bad rows are the
///   shortest run of at most 16 rows just before it whose removal puts it back in order, if
///   there is one; else the row itself. So one row stamped in the future is rejected, not
///   every good row after it.
///
/// Kept rows are therefore held back until 32 newer rows are kept (twice the longest spike, so
/// that after a removal the look-back still reaches 16 rows) and only then handed on. What it
/// decides depends on the rows alone, never on where chunks or partitions end.
final class StreamValidator {
    static let maximumSpike = 16
    static let heldRows = 32

    let path: String
    let layout: Layout
    let badRows: BadRowPolicy
    let partitionRows: Int64
    /// False in sort mode: rows pass in file order with no order, id or duplicate rule (the
    /// merge of the sorted runs applies them); parser problems are still bad rows.
    let ordersRows: Bool
    private let hasIds: Bool
    private let hasSequence: Bool
    private let timeColumn: Int?
    private let idColumn: Int?
    private(set) var state: ValidationState
    /// Rows quarantined and not yet taken.
    var rejected: [RejectRecord] = []

    /// An event and how many of `rejected` were found before it: a partition boundary must
    /// take with it exactly the rejects before it, or a resume from it would find some again.
    typealias Emission = (event: TickEvent, rejectsBefore: Int)
    private var emitted: [Emission] = []

    init(path: String, layout: Layout, badRows: BadRowPolicy, ordersRows: Bool = true, partitionRows: Int64, state: ValidationState) {
        self.path = path; self.layout = layout; self.badRows = badRows; self.partitionRows = partitionRows
        self.ordersRows = ordersRows
        self.state = state
        hasIds = layout.hasIds
        hasSequence = layout.hasSequence
        timeColumn = layout.column(of: .time).map { $0 + 1 }
        idColumn = layout.column(of: .id).map { $0 + 1 }
    }

    /// Where the stream stands after a chunk or at the end: what a resume point records.
    struct Position {
        var byteOffset: Int64
        var line: Int64
    }

    // MARK: - Chunks

    /// Validates the chunk's rows (`linesBefore` lines precede it) and returns the rows handed
    /// on and the partition boundaries among them. `parsed` is consumed: its columns are cut
    /// in place when the whole chunk is handed on.
    func validate(_ parsed: inout ParsedChunk, linesBefore: Int64) throws -> [Emission] {
        defer { emitted.removeAll() }
        if isClean(parsed) {
            acceptClean(&parsed, linesBefore: linesBefore)
            return emitted
        }
        var output = ReleasedRows(kind: layout.kind, hasIds: hasIds, hasSequence: hasSequence)
        var lines = LineCursor(bytes: parsed.bytes, linesBefore: linesBefore)
        var problemIndex = 0
        var filteredIndex = 0
        var roundedIndex = 0
        let times = layout.kind.hasQuoteColumns ? parsed.quotes.time : parsed.trades.time

        for r in 0..<parsed.rowCount {
            let start = Int(parsed.rowStart[r])
            // Parser problems on lines before this row come first, in file order.
            while problemIndex < parsed.problems.count && parsed.problems[problemIndex].lineStart < start {
                try reportParserProblem(parsed.problems[problemIndex], parsed: parsed, linesBefore: linesBefore)
                problemIndex += 1
            }
            countFiltered(parsed, before: UInt32(truncatingIfNeeded: start), from: &filteredIndex)
            state.counts.read += 1
            if roundedIndex < parsed.rounded.count && parsed.rounded[roundedIndex] == r {
                state.counts.rounded += 1
                roundedIndex += 1
            }
            var row = HeldRow(time: times[r], id: hasIds ? id(parsed, r) : 0, sequence: sequence(parsed, r), values: values(parsed, r),
                              line: lines.line(at: start), byteOffset: parsed.byteOffset + Int64(start), text: "", chunkRow: r)
            if ordersRows && hasIds && row.id != RowID.none, let earlier = state.lastKeptWithId {
                if row.id == earlier.id {
                    if row.time == earlier.time && row.values == earlier.values {
                        state.counts.duplicates += 1
                        continue
                    }
                    fill(&row, from: parsed)
                    try reject([row], column: idColumn, reason: conflictReason(row, earlier))
                    continue
                }
                if row.id < earlier.id {
                    fill(&row, from: parsed)
                    try reject([row], column: idColumn, reason: "out of order: id \(row.id) after id \(earlier.id) (line \(earlier.line))")
                    continue
                }
            }
            if ordersRows, let last = state.lastKept {
                if row.time < last.time {
                    guard let length = spikeLength(before: row) else {
                        fill(&row, from: parsed)
                        try reject([row], column: timeColumn,
                                   reason: "out of order: time \(Time.iso8601(micros: row.time)) is before the previous row's \(Time.iso8601(micros: last.time)) (line \(last.line))")
                        continue
                    }
                    var spike = Array(state.held.suffix(length))
                    for i in spike.indices { fill(&spike[i], from: parsed) }
                    fill(&row, from: parsed)
                    try rejectSpike(spike, exposedBy: row)
                }
            }
            state.held.append(row)
            state.counts.used += 1
            while state.held.count > Self.heldRows {
                release(state.held.removeFirst(), into: &output)
                if state.released % partitionRows == 0 {
                    flush(&output, parsed)
                    let end = parsed.byteOffset + Int64(lineEnd(parsed.bytes, from: start))
                    emit(.boundary(resumePoint(at: Position(byteOffset: end, line: row.line), parsed: parsed)))
                }
            }
        }
        while problemIndex < parsed.problems.count {
            try reportParserProblem(parsed.problems[problemIndex], parsed: parsed, linesBefore: linesBefore)
            problemIndex += 1
        }
        countFiltered(parsed, before: .max, from: &filteredIndex)
        flush(&output, parsed)
        materializeChunkRows(parsed)
        return emitted
    }

    /// Hands on every row still held: the input has ended at `end`.
    func finish(at end: Position) -> [Emission] {
        defer { emitted.removeAll() }
        var output = ReleasedRows(kind: layout.kind, hasIds: hasIds, hasSequence: hasSequence)
        while !state.held.isEmpty {
            release(state.held.removeFirst(), into: &output)
            if state.released % partitionRows == 0 {
                flush(&output, nil)
                emit(.boundary(ResumePoint(byteOffset: end.byteOffset, line: end.line, state: state)))
            }
        }
        flush(&output, nil)
        return emitted
    }

    private func emit(_ event: TickEvent) { emitted.append((event, rejected.count)) }

    private func flush(_ output: inout ReleasedRows, _ parsed: ParsedChunk?) {
        for batch in output.take(parsed) { emit(.rows(batch)) }
    }

    /// The resume point after the row ending at `position` (held rows filled in from `parsed`).
    private func resumePoint(at position: Position, parsed: ParsedChunk) -> ResumePoint {
        var saved = state
        for i in saved.held.indices { detach(&saved.held[i], from: parsed) }
        if saved.firstReleased != nil { detach(&saved.firstReleased!, from: parsed) }
        if saved.lastReleased != nil { detach(&saved.lastReleased!, from: parsed) }
        if saved.lastReleasedWithId != nil { detach(&saved.lastReleasedWithId!, from: parsed) }
        return ResumePoint(byteOffset: position.byteOffset, line: position.line, state: saved)
    }

    // MARK: - The fast path

    /// Whether every row of the chunk is kept as it is, as the row-by-row check would find:
    /// no bad line, and integer ids (if any) rise strictly and times never fall from the last
    /// kept row on. Nearly every chunk of a real file is clean, and this runs on the one reading
    /// thread, so it is one branch-free pass per column (`RowID.none` is the lowest `Int64`, so
    /// a row without an id fails it, and only then are such rows looked at).
    private func isClean(_ parsed: ParsedChunk) -> Bool {
        guard parsed.rowCount > 0, parsed.problems.isEmpty else { return false }
        guard ordersRows else { return true }
        let times = layout.kind.hasQuoteColumns ? parsed.quotes.time : parsed.trades.time
        var falls = false
        var previous = state.lastKept?.time ?? .min
        for time in times {
            falls = falls || time < previous
            previous = time
        }
        if hasIds && !falls {
            let ids = layout.kind.hasQuoteColumns ? parsed.quotes.id : parsed.trades.id
            let last = state.lastKeptWithId?.id ?? .min
            var previous = last
            for id in ids {
                falls = falls || id <= previous
                previous = id
            }
            if falls { return integerIdsRise(ids, after: last) }
        }
        return !falls
    }

    /// Whether the ids that are integers rise strictly from `last` on.
    private func integerIdsRise(_ ids: [Int64], after last: Int64) -> Bool {
        var previous = last
        for id in ids where id != RowID.none {
            if id <= previous { return false }
            previous = id
        }
        return true
    }

    /// Keeps every row of a clean chunk: every row kept hands on the oldest held one, so where
    /// the partition boundaries fall is known in advance. Segment by segment up to each
    /// boundary, the held rows and the segment's rows are handed on but the last few, which are
    /// held in their place.
    private func acceptClean(_ parsed: inout ParsedChunk, linesBefore: Int64) {
        let rows = parsed.rowCount
        var start = 0
        var filteredIndex = 0
        var roundedIndex = 0
        while start < rows {
            let releasing = state.held.count + (rows - start) - Self.heldRows
            let toBoundary = Int(partitionRows - state.released % partitionRows)
            // Up to the row whose keeping hands on the row that completes a partition, if any.
            let endsAtBoundary = releasing >= toBoundary
            let end = endsAtBoundary ? start + toBoundary + Self.heldRows - state.held.count : rows
            // Counted segment by segment: a boundary's resume point must count only the rows
            // (and the filtered lines) before it.
            state.counts.read += Int64(end - start)
            state.counts.used += Int64(end - start)
            countFiltered(parsed, before: endsAtBoundary ? parsed.rowStart[end - 1] : .max, from: &filteredIndex)
            while roundedIndex < parsed.rounded.count && parsed.rounded[roundedIndex] < end {
                state.counts.rounded += 1
                roundedIndex += 1
            }
            keep(&parsed, start..<end, linesBefore: linesBefore)
            guard endsAtBoundary else { return }
            let rowStart = Int(parsed.rowStart[end - 1])
            emit(.boundary(ResumePoint(byteOffset: parsed.byteOffset + Int64(lineEnd(parsed.bytes, from: rowStart)),
                                       line: state.held.last!.line, state: state)))
            start = end
        }
    }

    /// Keeps the rows `range` of a clean chunk: hands on the held rows and the range's rows but
    /// its last few, which are held in their place. When the range is the whole chunk (nearly
    /// always) its columns are cut in place, not copied.
    private func keep(_ parsed: inout ParsedChunk, _ range: Range<Int>, linesBefore: Int64) {
        let releasing = max(0, state.held.count + range.count - Self.heldRows)
        let fromHeld = min(releasing, state.held.count)
        let handedOn = range.lowerBound..<(range.lowerBound + releasing - fromHeld)
        var output = ReleasedRows(kind: layout.kind, hasIds: hasIds, hasSequence: hasSequence)
        for _ in 0..<fromHeld { release(state.held.removeFirst(), into: &output) }
        flush(&output, parsed)
        hold(parsed, range, from: handedOn.upperBound, linesBefore: linesBefore)
        guard !handedOn.isEmpty else { return }
        if handedOn.lowerBound == 0 && range.upperBound == parsed.rowCount {
            // Nothing else refers to the columns now: they are cut in place.
            let cut = parsed.rowCount - handedOn.count
            switch layout.kind {
            case .trades, .book: parsed.trades.removeLast(cut)
            case .quotes: parsed.quotes.removeLast(cut)
            }
            emit(.rows(layout.kind.hasQuoteColumns ? .quotes(parsed.quotes) : .trades(parsed.trades)))
        } else {
            emit(.rows(TickStream.gather(parsed, rows: Array(handedOn), kind: layout.kind)))
        }
    }

    /// For `keep`: the rows of `range` from `first` on become held, and the rows of `range`
    /// before them are handed on (the first and last of the stream noted); lines are counted
    /// back from the chunk's end.
    private func hold(_ parsed: ParsedChunk, _ range: Range<Int>, from first: Int, linesBefore: Int64) {
        var lines = LineNumbers(parsed: parsed, linesBefore: linesBefore, from: max(range.lowerBound, first - 1))
        let times = layout.kind.hasQuoteColumns ? parsed.quotes.time : parsed.trades.time
        func row(_ r: Int, line: Int64) -> HeldRow {
            let start = Int(parsed.rowStart[r])
            return HeldRow(time: times[r], id: hasIds ? id(parsed, r) : 0, sequence: sequence(parsed, r), values: values(parsed, r), line: line,
                           byteOffset: parsed.byteOffset + Int64(start), text: text(parsed, start), chunkRow: nil)
        }
        if first > range.lowerBound {
            if state.firstReleased == nil {
                let start = Int(parsed.rowStart[range.lowerBound])
                state.firstReleased = row(range.lowerBound, line: linesBefore + Int64(newlines(parsed.bytes, 0..<start)) + 1)
            }
            state.lastReleased = row(first - 1, line: lines.line(ofRow: first - 1))
            if hasIds {
                // Nearly always the last row handed on; rows without ids are passed over.
                if state.lastReleased!.id != RowID.none {
                    state.lastReleasedWithId = state.lastReleased
                } else if let r = (range.lowerBound..<(first - 1)).last(where: { id(parsed, $0) != RowID.none }) {
                    var earlier = LineNumbers(parsed: parsed, linesBefore: linesBefore, from: r)
                    state.lastReleasedWithId = row(r, line: earlier.line(ofRow: r))
                }
            }
            state.released += Int64(first - range.lowerBound)
        }
        for r in first..<range.upperBound { state.held.append(row(r, line: lines.line(ofRow: r))) }
    }

    // MARK: - Rules

    /// The length of the shortest run of held rows just before `row` whose removal puts it back
    /// in order (time, and id where there are ids), if there is one of at most 16 rows.
    private func spikeLength(before row: HeldRow) -> Int? {
        let held = state.held
        guard !held.isEmpty else { return nil }
        for length in 1...min(Self.maximumSpike, held.count) {
            let before = length < held.count ? held[held.count - 1 - length] : state.lastReleased
            guard let before else { return length }
            if before.time <= row.time && idRises(to: row, keepingHeld: held.count - length) { return length }
        }
        return nil
    }

    /// Whether `row`'s id is above the newest integer id among the first `count` held rows and
    /// the rows handed on (always, when either has no integer id).
    private func idRises(to row: HeldRow, keepingHeld count: Int) -> Bool {
        guard hasIds && row.id != RowID.none else { return true }
        let earlier = state.held.prefix(count).last { $0.id != RowID.none } ?? state.lastReleasedWithId
        return earlier.map { $0.id < row.id } ?? true
    }

    private func conflictReason(_ row: HeldRow, _ last: HeldRow) -> String {
        let names = !layout.kind.hasQuoteColumns ? ["price", "quantity", "side", ""] : ["bid", "bid quantity", "ask", "ask quantity"]
        var differing = row.time != last.time ? ["time"] : []
        for (i, name) in names.enumerated() where row.values[i] != last.values[i] { differing.append(name) }
        return "conflicting duplicate: id \(row.id) repeats line \(last.line)'s id with a different \(differing.joined(separator: ", "))"
    }

    /// Rejects the held rows of a spike that `row` exposed.
    private func rejectSpike(_ spike: [HeldRow], exposedBy row: HeldRow) throws {
        let after = "after line \(row.line) that follows (\(Time.iso8601(micros: row.time)))"
        let reason: String
        if spike.count == 1 {
            reason = "out of order: a spike: stamped \(Time.iso8601(micros: spike[0].time)), \(after)"
        } else {
            let lines = spike.count <= 4 ? spike.map { String($0.line) }.joined(separator: ", ")
                                         : "\(spike[0].line) … \(spike[spike.count - 1].line)"
            reason = "out of order: a spike of \(spike.count) rows (lines \(lines)) stamped from \(Time.iso8601(micros: spike[0].time)), \(after)"
        }
        state.held.removeLast(spike.count)
        state.counts.used -= Int64(spike.count)
        try reject(spike, column: timeColumn, reason: reason)
    }

    /// Reports rows already counted as read as bad: an error naming the first, or quarantine.
    private func reject(_ rows: [HeldRow], column: Int?, reason: String) throws {
        for row in rows {
            let location = InputLocation(file: path, line: row.line, byteOffset: row.byteOffset, column: column)
            guard badRows == .quarantine else {
                throw TickError.badRow(location: location, reason: reason, text: printableText(Array(row.text.utf8)))
            }
            state.counts.rejected += 1
            rejected.append(RejectRecord(location: location, reason: reason, text: Array(row.text.utf8)))
        }
    }

    private func reportParserProblem(_ problem: RowProblem, parsed: ParsedChunk, linesBefore: Int64) throws {
        state.counts.read += 1
        let location = InputLocation(file: path, line: linesBefore + Int64(problem.lineInChunk) + 1,
                                     byteOffset: parsed.byteOffset + Int64(problem.lineStart), column: problem.column)
        if let other = problem.otherSymbol {
            // One input is one instrument: not a bad row to quarantine, whatever the mode.
            let first = printableText(layout.expectedSymbol ?? [])
            throw TickError.invalidArgument("\(path) holds more than one symbol: \(first) (line \(layout.hasHeader ? 2 : 1)) and \(printableText(other)) (line \(location.line), byte \(location.byteOffset)); select one with --symbol")
        }
        guard badRows == .quarantine else {
            throw TickError.badRow(location: location, reason: problem.reason, text: printableText(parsed.text(of: problem)))
        }
        state.counts.rejected += 1
        rejected.append(RejectRecord(location: location, reason: problem.reason, text: Array(parsed.text(of: problem))))
    }

    // MARK: - Rows

    private func release(_ row: HeldRow, into output: inout ReleasedRows) {
        output.append(row)
        state.released += 1
        if state.firstReleased == nil { state.firstReleased = row }
        state.lastReleased = row
        if hasIds && row.id != RowID.none { state.lastReleasedWithId = row }
    }

    /// Counts the lines of other symbols skipped before byte `offset` of the chunk, from
    /// `index` on, as read and filtered.
    private func countFiltered(_ parsed: ParsedChunk, before offset: UInt32, from index: inout Int) {
        while index < parsed.filtered.count && parsed.filtered[index] < offset {
            state.counts.read += 1
            state.counts.filtered += 1
            index += 1
        }
    }

    /// Fills in the text of rows still pointing into the chunk, before the chunk goes.
    private func materializeChunkRows(_ parsed: ParsedChunk) {
        for i in state.held.indices { detach(&state.held[i], from: parsed) }
        if state.firstReleased != nil { detach(&state.firstReleased!, from: parsed) }
        if state.lastReleased != nil { detach(&state.lastReleased!, from: parsed) }
        if state.lastReleasedWithId != nil { detach(&state.lastReleasedWithId!, from: parsed) }
    }

    /// Fills in the text of a row of the chunk being validated (it stays a row of the chunk,
    /// so that it is still handed on in order with the chunk's other rows).
    private func fill(_ row: inout HeldRow, from parsed: ParsedChunk) {
        guard let r = row.chunkRow, row.text.isEmpty else { return }
        row.text = text(parsed, Int(parsed.rowStart[r]))
    }

    /// Makes a row of the chunk independent of it, to outlive it.
    private func detach(_ row: inout HeldRow, from parsed: ParsedChunk) {
        fill(&row, from: parsed)
        row.chunkRow = nil
    }

    private func text(_ parsed: ParsedChunk, _ start: Int) -> String {
        String(decoding: parsed.line(at: start), as: UTF8.self)
    }

    private func id(_ parsed: ParsedChunk, _ r: Int) -> Int64 {
        layout.kind.hasQuoteColumns ? parsed.quotes.id[r] : parsed.trades.id[r]
    }

    private func sequence(_ parsed: ParsedChunk, _ r: Int) -> Int64 {
        guard hasSequence else { return 0 }
        return layout.kind.hasQuoteColumns ? parsed.quotes.sequence[r] : parsed.trades.sequence[r]
    }

    private func values(_ parsed: ParsedChunk, _ r: Int) -> RowValues {
        switch layout.kind {
        case .trades, .book:
            let t = parsed.trades
            return RowValues(t.price[r], t.quantity[r], Int64(t.buyerAggressor[r]), 0)
        case .quotes:
            let q = parsed.quotes
            return RowValues(q.bidPrice[r], q.bidQuantity[r], q.askPrice[r], q.askQuantity[r])
        }
    }
}

/// The rows handed on while validating one chunk: held rows from earlier chunks (always first:
/// rows are handed on oldest first) and rows of the chunk, by index.
private struct ReleasedRows {
    let kind: RecordKind
    let hasIds: Bool
    let hasSequence: Bool
    private var trades = TradeColumns()
    private var quotes = QuoteColumns()
    private var chunkRows: [Int] = []

    init(kind: RecordKind, hasIds: Bool, hasSequence: Bool) { self.kind = kind; self.hasIds = hasIds; self.hasSequence = hasSequence }

    mutating func append(_ row: HeldRow) {
        if let r = row.chunkRow {
            chunkRows.append(r)
            return
        }
        switch kind {
        case .trades, .book:
            trades.time.append(row.time); trades.price.append(row.values.a); trades.quantity.append(row.values.b)
            trades.buyerAggressor.append(UInt8(row.values.c))
            if hasIds { trades.id.append(row.id) }
            if hasSequence { trades.sequence.append(row.sequence) }
        case .quotes:
            quotes.time.append(row.time); quotes.bidPrice.append(row.values.a); quotes.bidQuantity.append(row.values.b)
            quotes.askPrice.append(row.values.c); quotes.askQuantity.append(row.values.d)
            if hasIds { quotes.id.append(row.id) }
            if hasSequence { quotes.sequence.append(row.sequence) }
        }
    }

    /// What was appended, as batches in order.
    mutating func take(_ parsed: ParsedChunk?) -> [TickBatch] {
        var batches: [TickBatch] = []
        if trades.count > 0 { batches.append(.trades(trades)); trades = TradeColumns() }
        if quotes.count > 0 { batches.append(.quotes(quotes)); quotes = QuoteColumns() }
        if let parsed, !chunkRows.isEmpty {
            batches.append(TickStream.gather(parsed, rows: chunkRows, kind: kind))
            chunkRows.removeAll(keepingCapacity: true)
        }
        return batches
    }
}

/// Line numbers of rows visited in increasing order of their offsets in a chunk: one pass.
private struct LineCursor {
    let bytes: [UInt8]
    private var offset = 0
    private var line: Int64

    init(bytes: [UInt8], linesBefore: Int64) {
        self.bytes = bytes
        line = linesBefore + 1
    }

    /// The 1-based line of the line starting at `start` (never before the previous call's).
    mutating func line(at start: Int) -> Int64 {
        line += Int64(newlines(bytes, offset..<start))
        offset = start
        return line
    }
}

/// Line numbers of the rows from `first` to the end of a chunk, asked for in increasing order,
/// counted back from the chunk's end so that the cost is the bytes after `first`, not the
/// whole chunk.
private struct LineNumbers {
    private let parsed: ParsedChunk
    private var row: Int
    private var line: Int64

    init(parsed: ParsedChunk, linesBefore: Int64, from first: Int) {
        self.parsed = parsed
        row = first
        let bytes = parsed.bytes
        guard first < parsed.rowCount else { line = 0; return }
        let start = Int(parsed.rowStart[first])
        let newlinesInChunk = parsed.lineCount - (bytes.last == UInt8(ascii: "\n") ? 0 : 1)
        line = linesBefore + Int64(newlinesInChunk - newlines(bytes, start..<bytes.count)) + 1
    }

    /// The line of row `r` (at or after the previous one asked for).
    mutating func line(ofRow r: Int) -> Int64 {
        line += Int64(newlines(parsed.bytes, Int(parsed.rowStart[row])..<Int(parsed.rowStart[r])))
        row = r
        return line
    }
}

/// The number of line ends in `range` of `bytes`.
private func newlines(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
    bytes.withUnsafeBufferPointer { buffer in
        var n = 0
        for i in range where buffer[i] == UInt8(ascii: "\n") { n += 1 }
        return n
    }
}

/// The offset just past the line end of the line starting at `start`.
private func lineEnd(_ bytes: [UInt8], from start: Int) -> Int {
    var end = start
    while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
    return min(end + 1, bytes.count)
}
