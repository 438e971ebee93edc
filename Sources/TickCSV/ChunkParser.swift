import TickCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bad row found while parsing a chunk, located relative to the chunk. Its text is not
/// copied (a chunk of bad rows would hold every line twice): `ParsedChunk.text(of:)` cuts it
/// from the chunk's bytes.
public struct RowProblem: Sendable, Equatable {
    /// 0-based line index within the chunk.
    public var lineInChunk: Int
    /// Byte offset of the line start within the chunk.
    public var lineStart: Int
    /// Byte offset within the chunk just past the text to quote: the line without its line end,
    /// or its first 200 bytes when it is longer than the maximum record size.
    public var textEnd: Int
    /// 1-based column, when one column is at fault.
    public var column: Int?
    public var reason: String
    /// The row's symbol, when it differs from the file's expected one and no symbol is
    /// selected: the file holds two instruments, an error in every bad-rows mode (not a bad row
    /// to quarantine).
    public var otherSymbol: [UInt8]?

    public init(lineInChunk: Int, lineStart: Int, textEnd: Int, column: Int?, reason: String, otherSymbol: [UInt8]? = nil) {
        self.lineInChunk = lineInChunk; self.lineStart = lineStart; self.textEnd = textEnd
        self.column = column; self.reason = reason; self.otherSymbol = otherSymbol
    }
}

/// The rows of one chunk in columns, with what is needed to locate any of them later.
public struct ParsedChunk: Sendable {
    public var trades = TradeColumns()
    public var quotes = QuoteColumns()
    /// Byte offset within the chunk of the start of each parsed row (for error messages).
    public var rowStart: [UInt32] = []
    /// Rows the parser rejected, in file order.
    public var problems: [RowProblem] = []
    /// Byte offsets within the chunk of the lines skipped as rows of a symbol other than the
    /// selected one, in file order (neither rows nor problems: counted as filtered).
    public var filtered: [UInt32] = []
    /// Indices (in the columns) of the rows with a price or quantity rounded to 8 decimals
    /// (mapped layouts only), increasing.
    public var rounded: [Int] = []
    /// Number of lines in the chunk (every line ends with `\n` except perhaps the file's last).
    public var lineCount = 0
    /// The chunk's bytes, kept until the ordered consumer is done so that a row found bad later
    /// (out of order, duplicate) can be quoted exactly.
    public var bytes: [UInt8] = []
    /// Byte offset of the chunk in the input, set by the reader.
    public var byteOffset: Int64 = 0

    public var rowCount: Int { rowStart.count }

    /// The raw text of a bad row.
    public func text(of problem: RowProblem) -> ArraySlice<UInt8> { bytes[problem.lineStart..<problem.textEnd] }

    /// The raw text of the line starting at `start`.
    public func line(at start: Int) -> ArraySlice<UInt8> {
        var end = start
        while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
        if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return bytes[start..<end]
    }

    /// 0-based line index within the chunk of the line starting at `start`.
    public func lineIndex(at start: Int) -> Int {
        var count = 0
        for i in 0..<start where bytes[i] == UInt8(ascii: "\n") { count += 1 }
        return count
    }
}

/// Parses chunks of whole lines into columns. Pure and thread-safe: each worker of the pool
/// calls `parse` on its own chunk.
public struct ChunkParser: Sendable {
    public let layout: Layout
    /// Longer lines are bad rows, whatever the chunk size.
    public let maxRecordSize: Int

    /// The symbol rows must have, when the layout has a symbol column: the selected one, else
    /// the layout's expected one (nil: rows are not compared).
    public let symbol: [UInt8]?
    /// Whether rows of another symbol are skipped (a symbol was selected) rather than errors.
    public let filtersSymbols: Bool
    public let unknownSides: UnknownSidePolicy

    /// Whether well-formed rows take `FastRowParser` (tests turn it off to compare the two).
    let usesFastPath: Bool

    /// - Parameters:
    ///   - selectedSymbol: read only the rows of this symbol (compared byte for byte with the
    ///     symbol cell), skipping the others as filtered; nil: every row must have the layout's
    ///     `expectedSymbol`. Ignored when the layout has no symbol column.
    ///   - unknownSides: whether a trade of side `unknown` is a bad row or kept with side 2.
    public init(layout: Layout, maxRecordSize: Int = .max, selectedSymbol: [UInt8]? = nil,
                unknownSides: UnknownSidePolicy = .reject) {
        self.init(layout: layout, maxRecordSize: maxRecordSize, usesFastPath: true, selectedSymbol: selectedSymbol,
                  unknownSides: unknownSides)
    }

    /// `usesFastPath: false` reads every line with the general parser (for tests and the fuzz
    /// target, which compare the two paths).
    @_spi(Testing)
    public init(layout: Layout, maxRecordSize: Int, usesFastPath: Bool, selectedSymbol: [UInt8]? = nil,
                unknownSides: UnknownSidePolicy = .reject) {
        self.layout = layout
        self.maxRecordSize = maxRecordSize
        self.usesFastPath = usesFastPath
        symbol = layout.hasSymbols ? selectedSymbol ?? layout.expectedSymbol : nil
        filtersSymbols = layout.hasSymbols && selectedSymbol != nil
        self.unknownSides = unknownSides
    }

    /// Parses `bytes`, a run of whole lines. `skipFirstLine` drops the header of a file's first
    /// chunk; a UTF-8 byte-order mark at the start of the first chunk is skipped by the caller.
    public func parse(_ bytes: [UInt8], skipFirstLine: Bool) -> ParsedChunk {
        var out = ParsedChunk()
        if layout.kind == .book {
            bytes.withUnsafeBufferPointer { input in
                BookChunkParser(layout: layout, maxRecordSize: maxRecordSize, symbol: symbol, filtersSymbols: filtersSymbols)
                    .parse(input, skipFirstLine: skipFirstLine, into: &out)
            }
            out.bytes = bytes
            return out
        }
        // Room for rows of 32 bytes (tick lines are 50–100), grown if the lines are shorter:
        // the sink is allocated per chunk, and its untouched end would still cost the heap.
        var sink = ColumnSink(capacity: bytes.count / 32 + 16)
        defer { sink.deallocate() }  // whatever buffers the sink has grown into by then
        let rows = bytes.withUnsafeBufferPointer { input in
            parseLines(input, skipFirstLine: skipFirstLine, into: &out, sink: &sink)
        }
        out.rowStart = Array(UnsafeBufferPointer(start: sink.rowStarts, count: rows))
        switch layout.kind {
        case .trades, .book:
            out.trades.time = sink.column(ColumnSink.tradeTime, rows: rows)
            out.trades.price = sink.column(ColumnSink.tradePrice, rows: rows)
            out.trades.quantity = sink.column(ColumnSink.tradeQuantity, rows: rows)
            out.trades.buyerAggressor = Array(UnsafeBufferPointer(start: sink.sides, count: rows))
            if layout.hasIds { out.trades.id = sink.column(ColumnSink.tradeId, rows: rows) }
            if layout.hasSequence { out.trades.sequence = sink.column(ColumnSink.tradeSequence, rows: rows) }
        case .quotes:
            out.quotes.time = sink.column(ColumnSink.quoteTime, rows: rows)
            out.quotes.bidPrice = sink.column(ColumnSink.quoteBidPrice, rows: rows)
            out.quotes.bidQuantity = sink.column(ColumnSink.quoteBidQuantity, rows: rows)
            out.quotes.askPrice = sink.column(ColumnSink.quoteAskPrice, rows: rows)
            out.quotes.askQuantity = sink.column(ColumnSink.quoteAskQuantity, rows: rows)
            if layout.hasIds { out.quotes.id = sink.column(ColumnSink.quoteId, rows: rows) }
            if layout.hasSequence { out.quotes.sequence = sink.column(ColumnSink.quoteSequence, rows: rows) }
        }
        out.bytes = bytes
        return out
    }

    /// Reads every line into `sink` and `rowStarts`; returns the number of rows. Well-formed
    /// rows take the fast path; any other line is read by `parseRow`, which accepts it or says
    /// exactly what is wrong.
    private func parseLines(_ buffer: UnsafeBufferPointer<UInt8>, skipFirstLine: Bool, into out: inout ParsedChunk,
                            sink: inout ColumnSink) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        let fast = FastRowParser(layout: layout, maxRecordSize: maxRecordSize, symbol: symbol)
        let fields = FieldParsers(buffer)
        let newline = UInt8(ascii: "\n")
        let roles = layout.roles
        let count = buffer.count
        var general = ParsedChunk()
        var rows = 0
        var lineStart = 0
        var lineIndex = 0
        while lineStart < count {
            sink.reserve(row: rows)
            if usesFastPath, lineIndex > 0 || !skipFirstLine,
               let next = fast.parse(base, start: lineStart, count: count, row: rows, into: sink) {
                sink.rowStarts[rows] = UInt32(truncatingIfNeeded: lineStart)
                rows += 1
                lineStart = next
                lineIndex += 1
                continue
            }
            // memchr is vectorised; a per-byte loop here would dominate the parse.
            let lineEnd = memchrIndex(buffer, newline, from: lineStart) ?? count
            let nextLine = lineEnd + 1
            var contentEnd = lineEnd
            if contentEnd > lineStart && buffer[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            defer { lineStart = nextLine; lineIndex += 1 }
            if lineIndex == 0 && skipFirstLine { continue }
            if contentEnd == lineStart { continue }  // blank line

            if contentEnd - lineStart > maxRecordSize {
                out.problems.append(RowProblem(lineInChunk: lineIndex, lineStart: lineStart, textEnd: min(contentEnd, lineStart + 200), column: nil,
                                               reason: "line of \(contentEnd - lineStart) bytes is longer than the maximum record size of \(maxRecordSize) bytes"))
                continue
            }
            if let symbol, let column = layout.column(of: .symbol),
               let cell = field(column, of: buffer, start: lineStart, end: contentEnd),
               !buffer[cell].elementsEqual(symbol), textProblem(fields, cell) == nil {
                // (A cell that is not proper text is a bad row, reported by `parseRow`.)
                if filtersSymbols {
                    out.filtered.append(UInt32(truncatingIfNeeded: lineStart))
                } else {
                    out.problems.append(RowProblem(lineInChunk: lineIndex, lineStart: lineStart, textEnd: contentEnd,
                                                   column: column + 1, reason: "another symbol", otherSymbol: Array(buffer[cell])))
                }
                continue
            }
            var rounded = false
            if let problem = parseRow(fields, roles: roles, start: lineStart, end: contentEnd, into: &general, rounded: &rounded) {
                out.problems.append(RowProblem(lineInChunk: lineIndex, lineStart: lineStart, textEnd: contentEnd,
                                               column: problem.column, reason: problem.reason))
            } else {
                if rounded { out.rounded.append(rows) }
                store(general, row: rows, into: sink)
                sink.rowStarts[rows] = UInt32(truncatingIfNeeded: lineStart)
                rows += 1
            }
            truncate(&general, to: 0)
        }
        out.lineCount = lineIndex
        return rows
    }

    /// The byte range of the 0-based `column` of the line `start..<end`, or nil when the line
    /// has fewer columns.
    private func field(_ column: Int, of buffer: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Range<Int>? {
        var fieldStart = start
        for _ in 0..<column {
            guard let comma = buffer[fieldStart..<end].firstIndex(of: UInt8(ascii: ",")) else { return nil }
            fieldStart = comma + 1
        }
        let fieldEnd = buffer[fieldStart..<end].firstIndex(of: UInt8(ascii: ",")) ?? end
        return fieldStart..<fieldEnd
    }

    /// Copies the one row `parseRow` read into row `row` of the sink.
    private func store(_ row: ParsedChunk, row index: Int, into sink: ColumnSink) {
        switch layout.kind {
        case .trades, .book:
            let t = row.trades
            sink.slot(ColumnSink.tradeTime)[index] = t.time[0]
            sink.slot(ColumnSink.tradePrice)[index] = t.price[0]
            sink.slot(ColumnSink.tradeQuantity)[index] = t.quantity[0]
            sink.sides[index] = t.buyerAggressor[0]
            if !t.id.isEmpty { sink.slot(ColumnSink.tradeId)[index] = t.id[0] }
            if !t.sequence.isEmpty { sink.slot(ColumnSink.tradeSequence)[index] = t.sequence[0] }
        case .quotes:
            let q = row.quotes
            sink.slot(ColumnSink.quoteTime)[index] = q.time[0]
            sink.slot(ColumnSink.quoteBidPrice)[index] = q.bidPrice[0]
            sink.slot(ColumnSink.quoteBidQuantity)[index] = q.bidQuantity[0]
            sink.slot(ColumnSink.quoteAskPrice)[index] = q.askPrice[0]
            sink.slot(ColumnSink.quoteAskQuantity)[index] = q.askQuantity[0]
            if !q.id.isEmpty { sink.slot(ColumnSink.quoteId)[index] = q.id[0] }
            if !q.sequence.isEmpty { sink.slot(ColumnSink.quoteSequence)[index] = q.sequence[0] }
        }
    }

    /// Brings every column back to `rows` entries (after a row failed half-way, or to reuse it).
    private func truncate(_ out: inout ParsedChunk, to rows: Int) {
        func cut<T>(_ a: inout [T]) { if a.count > rows { a.removeLast(a.count - rows) } }
        cut(&out.trades.time); cut(&out.trades.price); cut(&out.trades.quantity)
        cut(&out.trades.buyerAggressor); cut(&out.trades.id); cut(&out.trades.sequence)
        cut(&out.quotes.time); cut(&out.quotes.bidPrice); cut(&out.quotes.bidQuantity)
        cut(&out.quotes.askPrice); cut(&out.quotes.askQuantity); cut(&out.quotes.id); cut(&out.quotes.sequence)
    }

    /// Parses one line's fields into the columns; returns the problem if the row is bad.
    /// `rounded` is set when a price or quantity had more than 8 decimals (mapped layouts).
    @inline(__always)
    private func parseRow(_ fields: FieldParsers, roles: [ColumnRole], start: Int, end: Int,
                          into out: inout ParsedChunk, rounded: inout Bool) -> (column: Int?, reason: String)? {
        var i = start
        var column = 0
        while true {
            if column >= roles.count {
                let found = countFields(fields.bytes, start: start, end: end)
                return (roles.count + 1, "expected \(roles.count) columns, found \(found)")
            }
            let fieldStart = i
            switch roles[column] {
            case .ignore, .symbol, .bookSnapshotFlag, .bookSide, .bookPrice, .bookAmount, .askLevelPrice, .askLevelAmount, .bidLevelPrice, .bidLevelAmount:
                i = fields.skipField(from: i, end: end)
                if let problem = textProblem(fields, fieldStart..<i) { return (column + 1, problem) }
            case .time:
                let r = fields.time(from: i, end: end, unit: layout.timeUnit)
                if let p = r.problem { return (column + 1, "time: " + p.rawValue) }
                if layout.kind == .trades { out.trades.time.append(r.value) } else { out.quotes.time.append(r.value) }
                i = r.next
            case .sequence:
                let r = fields.time(from: i, end: end, unit: layout.timeUnit)
                if let p = r.problem { return (column + 1, "local time: " + p.rawValue) }
                if layout.kind == .trades { out.trades.sequence.append(r.value) } else { out.quotes.sequence.append(r.value) }
                i = r.next
            case .price, .bidPrice, .askPrice:
                let r = decimal(fields, from: i, end: end, rounded: &rounded)
                if let p = r.problem { return (column + 1, "price: " + p.rawValue) }
                if r.value <= 0 { return (column + 1, "price: must be positive") }
                switch roles[column] {
                case .price: out.trades.price.append(r.value)
                case .bidPrice: out.quotes.bidPrice.append(r.value)
                default: out.quotes.askPrice.append(r.value)
                }
                i = r.next
            case .quantity, .bidQuantity, .askQuantity:
                let r = decimal(fields, from: i, end: end, rounded: &rounded)
                if let p = r.problem { return (column + 1, "quantity: " + p.rawValue) }
                if r.value < 0 { return (column + 1, "quantity: must not be negative") }
                switch roles[column] {
                case .quantity: out.trades.quantity.append(r.value)
                case .bidQuantity: out.quotes.bidQuantity.append(r.value)
                default: out.quotes.askQuantity.append(r.value)
                }
                i = r.next
            case .side:
                let r = fields.side(from: i, end: end, encoding: layout.sideEncoding, keepsUnknown: unknownSides == .keep)
                if let p = r.problem { return (column + 1, "side: " + p.rawValue) }
                out.trades.buyerAggressor.append(r.value)
                i = r.next
            case .id:
                // Only integer ids are compared (contract, Inputs, Order): any other cell is
                // text, checked as an ignored column's, and the row has no id.
                var r = fields.integer(from: i, end: end)
                if r.problem != nil {
                    r.next = fields.skipField(from: i, end: end)
                    if let problem = textProblem(fields, fieldStart..<r.next) { return (column + 1, "id: " + problem) }
                    r.value = RowID.none
                }
                if layout.kind == .trades { out.trades.id.append(r.value) } else { out.quotes.id.append(r.value) }
                i = r.next
            }
            column += 1
            if i >= end { break }
            i += 1  // the comma
            if i == end {
                // A trailing comma opens one more, empty field.
                if column >= roles.count { return (roles.count + 1, "expected \(roles.count) columns, found \(column + 1)") }
                switch roles[column] {
                case .ignore, .symbol: break
                case .id:  // an empty id is no id
                    if layout.kind == .trades { out.trades.id.append(RowID.none) } else { out.quotes.id.append(RowID.none) }
                default: return (column + 1, FieldProblem.empty.rawValue)
                }
                column += 1
                break
            }
        }
        if column != roles.count {
            return (column + 1, "expected \(roles.count) columns, found \(column)")
        }
        return nil
    }

    /// What is wrong with a text cell, if anything: quoted (a quoted cell may hold commas), or
    /// not UTF-8.
    private func textProblem(_ fields: FieldParsers, _ range: Range<Int>) -> String? {
        if !range.isEmpty && fields.bytes[range.lowerBound] == UInt8(ascii: "\"") { return FieldProblem.quoted.rawValue }
        // Only text columns can hold non-ASCII bytes; they must still be UTF-8.
        var highBits: UInt8 = 0
        for k in range { highBits |= fields.bytes[k] }
        if highBits >= 0x80, String(validating: UnsafeBufferPointer(rebasing: fields.bytes[range]), as: UTF8.self) == nil {
            return "invalid UTF-8"
        }
        return nil
    }

    /// A price or quantity: the strict form everywhere, and in mapped layouts also what pandas
    /// writes (scientific notation, more than 8 decimals, rounded half to even and flagged).
    @inline(__always)
    private func decimal(_ fields: FieldParsers, from i: Int, end: Int, rounded: inout Bool) -> (value: Int64, next: Int, problem: FieldProblem?) {
        let strict = fields.fixed(from: i, end: end)
        // The lenient reader has the last word on any text the strict one refuses (a 12th
        // integer digit may be a leading zero, `+1` is a number).
        guard layout.isMapped, strict.problem != nil else { return strict }
        let r = fields.lenientDecimal(from: i, end: end)
        if r.rounded { rounded = true }
        return (r.value, r.next, r.problem)
    }

    private func countFields(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Int {
        var n = 1
        for k in start..<end where bytes[k] == UInt8(ascii: ",") { n += 1 }
        return n
    }
}

/// Index of the first `byte` at or after `from`, using the C library's vectorised `memchr`.
@inline(__always)
func memchrIndex(_ buffer: UnsafeBufferPointer<UInt8>, _ byte: UInt8, from: Int) -> Int? {
    guard from < buffer.count, let base = buffer.baseAddress else { return nil }
    guard let hit = memchr(base + from, Int32(byte), buffer.count - from) else { return nil }
    return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
}
