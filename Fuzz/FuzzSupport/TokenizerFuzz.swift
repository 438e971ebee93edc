import TickCore
@_spi(Testing) import TickCSV

/// The checks of the `FuzzTokenizer` target: arbitrary bytes through `ChunkParser` (several fixed
/// layouts and the detected one), `LayoutDetector` and `LineChunker`, with invariants, a
/// differential comparison against `ReferenceCSV`, and the parser's fast path against its general
/// path alone.
///
/// `violations(_:)` returns what went wrong instead of trapping, so the regression tests can
/// report it; the fuzz entry point traps on a non-empty result. A crash inside the code under
/// test is a crash either way.
public enum TokenizerFuzz {
    // MARK: Layouts

    public static let binanceTradesHeader = ["id", "price", "qty", "quote_qty", "time", "is_buyer_maker"]

    /// Binance trades (`id,price,qty,quote_qty,time,is_buyer_maker`) with times in `unit`.
    public static func binanceTrades(_ unit: TimeUnit) -> Layout {
        Layout(name: "binance-trades-\(unit.rawValue)", kind: .trades, roles: [.id, .price, .quantity, .ignore, .time, .side],
               header: binanceTradesHeader, timeUnit: unit, sideEncoding: .buyerIsMaker)
    }

    public static let binanceBookTicker = Layout(
        name: "binance-bookticker", kind: .quotes,
        roles: [.id, .bidPrice, .bidQuantity, .askPrice, .askQuantity, .time, .ignore],
        header: ["update_id", "best_bid_price", "best_bid_qty", "best_ask_price", "best_ask_qty", "transaction_time", "event_time"],
        timeUnit: .milliseconds)

    public static let tardisTrades = Layout(
        name: "tardis-trades", kind: .trades,
        roles: [.ignore, .ignore, .time, .ignore, .id, .side, .price, .quantity],
        header: ["exchange", "symbol", "timestamp", "local_timestamp", "id", "side", "price", "amount"],
        timeUnit: .microseconds, sideEncoding: .aggressor)

    public static let tardisQuotes = Layout(
        name: "tardis-quotes", kind: .quotes,
        roles: [.ignore, .ignore, .time, .ignore, .askQuantity, .askPrice, .bidPrice, .bidQuantity],
        header: ["exchange", "symbol", "timestamp", "local_timestamp", "ask_amount", "ask_price", "bid_price", "bid_amount"],
        timeUnit: .microseconds, sideEncoding: .aggressor)

    /// Every fixed layout the target parses with: Binance trades in each time unit (the fractional
    /// seconds/milliseconds path included), bookTicker, Tardis trades and quotes.
    public static let fixedLayouts: [Layout] =
        TimeUnit.allCases.map(binanceTrades) + [binanceBookTicker, tardisTrades, tardisQuotes]

    /// A mapping for headerless files, so detection also runs its mapped path.
    static let headerlessMapping = try? ColumnMapping(parsing: "time=0,price=1,qty=2,side=3")

    // MARK: Entry

    /// Every violated invariant for `data`; empty when all hold.
    public static func violations(_ data: [UInt8]) -> [String] {
        var found: [String] = []
        let lines = Lines(data)
        // A few input-derived knobs; the whole input is always the CSV text.
        let smallLimit = data.isEmpty ? 0 : Int(data[data.count / 2] % 97)
        for layout in fixedLayouts {
            if KnownIssues.stepAround && KnownIssues.crashesParser(data, layout: layout) { continue }
            checkParse(data, lines: lines, layout: layout, skipFirstLine: true, maxRecordSize: .max, into: &found)
        }
        // The header line as data, and a small record limit.
        checkParse(data, lines: lines, layout: binanceTrades(.milliseconds), skipFirstLine: false,
                   maxRecordSize: smallLimit, into: &found)
        checkDetection(data, into: &found)
        checkChunker(data, into: &found)
        return found
    }

    // MARK: Lines (reference)

    /// The lines of a chunk, found independently of the parser.
    struct Lines {
        struct Line {
            var start: Int
            /// End of the content: before `\n` and one `\r`.
            var contentEnd: Int
            var isBlank: Bool { contentEnd == start }
        }
        var lines: [Line] = []

        init(_ data: [UInt8]) {
            var start = 0
            while start < data.count {
                var end = start
                while end < data.count && data[end] != UInt8(ascii: "\n") { end += 1 }
                var contentEnd = end
                if contentEnd > start && data[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                lines.append(Line(start: start, contentEnd: contentEnd))
                start = end + 1
            }
        }
    }

    // MARK: ChunkParser

    static func checkParse(_ data: [UInt8], lines: Lines, layout: Layout, skipFirstLine: Bool, maxRecordSize: Int,
                           into found: inout [String]) {
        let parser = ChunkParser(layout: layout, maxRecordSize: maxRecordSize)
        let chunk = parser.parse(data, skipFirstLine: skipFirstLine)
        let context = "\(layout.name) skipFirstLine=\(skipFirstLine) maxRecordSize=\(maxRecordSize)"
        func fail(_ message: String) {
            if found.count < 20 { found.append("\(context): \(message)") }
        }

        // The fast path must read exactly like the general parser alone.
        let general = ChunkParser(layout: layout, maxRecordSize: maxRecordSize, usesFastPath: false)
            .parse(data, skipFirstLine: skipFirstLine)
        if chunk.trades != general.trades || chunk.quotes != general.quotes || chunk.rowStart != general.rowStart
            || chunk.problems != general.problems || chunk.lineCount != general.lineCount {
            fail("the fast path read differently from the general parser")
        }

        if chunk.bytes != data { fail("chunk bytes differ from the input") }
        if chunk.lineCount != lines.lines.count {
            fail("lineCount \(chunk.lineCount), reference counts \(lines.lines.count) lines")
        }
        let rows = chunk.rowCount
        let dataLines = lines.lines.enumerated().filter { !($0.offset == 0 && skipFirstLine) && !$0.element.isBlank }
        if rows + chunk.problems.count > dataLines.count {
            fail("\(rows) rows + \(chunk.problems.count) problems > \(dataLines.count) non-blank lines")
        }

        // Every column has rowCount entries; the other kind's columns are empty.
        let ids = layout.hasIds ? rows : 0
        let t = chunk.trades, q = chunk.quotes
        let counts: [(String, Int, Int)]
        switch layout.kind {
        case .trades:
            counts = [("time", t.time.count, rows), ("price", t.price.count, rows), ("quantity", t.quantity.count, rows),
                      ("side", t.buyerAggressor.count, layout.roles.contains(.side) ? rows : 0), ("id", t.id.count, ids),
                      ("quotes", q.time.count + q.bidPrice.count + q.askPrice.count + q.bidQuantity.count + q.askQuantity.count + q.id.count, 0)]
        case .book:
            // Book layouts are not among the fuzzed layouts (BookChunkParser has its own tests).
            counts = []
        case .quotes:
            counts = [("time", q.time.count, rows), ("bidPrice", q.bidPrice.count, rows), ("bidQuantity", q.bidQuantity.count, rows),
                      ("askPrice", q.askPrice.count, rows), ("askQuantity", q.askQuantity.count, rows), ("id", q.id.count, ids),
                      ("trades", t.time.count + t.price.count + t.quantity.count + t.buyerAggressor.count + t.id.count, 0)]
        }
        for (name, count, expected) in counts where count != expected {
            fail("column \(name) has \(count) entries, expected \(expected) (rowCount \(rows))")
        }

        // Rows and problems are exactly the non-blank data lines, in order, each once.
        var r = 0, p = 0
        for (index, line) in dataLines {
            let content = data[line.start..<line.contentEnd]
            let reference = ReferenceCSV.parseRow(content, layout: layout, maxRecordSize: maxRecordSize)
            if r < rows && Int(chunk.rowStart[r]) == line.start {
                if let reference {
                    let parsed = values(of: chunk, row: r, layout: layout)
                    if parsed != reference {
                        fail("DIFFERENTIAL: line \(index + 1) \(quoted(content)): parser values \(parsed), reference \(reference)")
                    }
                } else {
                    fail("DIFFERENTIAL: line \(index + 1) \(quoted(content)): parser accepted \(values(of: chunk, row: r, layout: layout)), reference rejects")
                }
                r += 1
            } else if p < chunk.problems.count && chunk.problems[p].lineStart == line.start {
                let problem = chunk.problems[p]
                if let reference {
                    fail("DIFFERENTIAL: line \(index + 1) \(quoted(content)): parser rejected (\(problem.reason), column \(problem.column.map(String.init) ?? "-")), reference accepts \(reference)")
                }
                if problem.lineInChunk != index { fail("problem lineInChunk \(problem.lineInChunk), expected \(index)") }
                let expectedText = content.count > maxRecordSize ? Array(content.prefix(200)) : Array(content)
                if Array(chunk.text(of: problem)) != expectedText { fail("problem text of line \(index + 1) is not the line") }
                if let column = problem.column, !(1...layout.roles.count + 1).contains(column) {
                    fail("problem column \(column) outside 1...\(layout.roles.count + 1)")
                }
                p += 1
            } else {
                fail("line \(index + 1) (byte \(line.start)) \(quoted(content)) is neither a row nor a problem")
            }
        }
        if r != rows || p != chunk.problems.count {
            fail("rows/problems at line starts that are not non-blank data lines: \(rows - r) rows, \(chunk.problems.count - p) problems left over")
        }
    }

    /// The parsed values of row `row` for the non-ignored columns, in column order.
    static func values(of chunk: ParsedChunk, row: Int, layout: Layout) -> [Int64] {
        func at(_ column: [Int64]) -> Int64 { row < column.count ? column[row] : Int64.min }
        var out: [Int64] = []
        for role in layout.roles {
            switch (layout.kind, role) {
            case (_, .ignore), (_, .symbol): continue
            case (.book, _), (_, .bookSnapshotFlag), (_, .bookSide), (_, .bookPrice), (_, .bookAmount), (_, .askLevelPrice),
                 (_, .askLevelAmount), (_, .bidLevelPrice), (_, .bidLevelAmount):
                out.append(Int64.min)
            case (.trades, .time): out.append(at(chunk.trades.time))
            case (.trades, .price): out.append(at(chunk.trades.price))
            case (.trades, .quantity): out.append(at(chunk.trades.quantity))
            case (.trades, .id): out.append(at(chunk.trades.id))
            case (.trades, .sequence): out.append(at(chunk.trades.sequence))
            case (.quotes, .sequence): out.append(at(chunk.quotes.sequence))
            case (_, .side):
                out.append(row < chunk.trades.buyerAggressor.count ? Int64(chunk.trades.buyerAggressor[row]) : Int64.min)
            case (.quotes, .time): out.append(at(chunk.quotes.time))
            case (.quotes, .id): out.append(at(chunk.quotes.id))
            case (_, .bidPrice): out.append(at(chunk.quotes.bidPrice))
            case (_, .bidQuantity): out.append(at(chunk.quotes.bidQuantity))
            case (_, .askPrice): out.append(at(chunk.quotes.askPrice))
            case (_, .askQuantity): out.append(at(chunk.quotes.askQuantity))
            case (.quotes, .price), (.quotes, .quantity): out.append(Int64.min)
            }
        }
        return out
    }

    // MARK: LayoutDetector

    static func checkDetection(_ data: [UInt8], into found: inout [String]) {
        var body = data[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        let text = Array(body)
        let lines = Lines(text)
        guard let first = lines.lines.first else { return }
        let firstLine = Array(text[first.start..<first.contentEnd])
        let secondLine = lines.lines.count > 1 ? Array(text[lines.lines[1].start..<lines.lines[1].contentEnd]) : nil
        let fieldCount = ReferenceCSV.splitFields(firstLine[...]).count
        for mapping in [nil, headerlessMapping] {
            guard let layout = try? LayoutDetector.detect(path: "fuzz.csv", firstLine: firstLine, secondLine: secondLine,
                                                          mapping: mapping) else { continue }
            let context = "detected \(layout.name)\(mapping == nil ? "" : " (mapped)")"
            if layout.roles.count != fieldCount {
                found.append("\(context): \(layout.roles.count) roles for a first line of \(fieldCount) fields")
            }
            if layout.column(of: .time) == nil { found.append("\(context): no time column") }
            if let header = layout.header, header.count != layout.roles.count {
                found.append("\(context): header of \(header.count) names for \(layout.roles.count) roles")
            }
            // A trades layout needs time, price, quantity and side, a quotes layout time, bid, bid
            // quantity, ask and ask quantity, each in one column: anything else gives columns of
            // different lengths.
            let required: [ColumnRole] = layout.kind == .trades ? [.time, .price, .quantity, .side]
                                                                 : [.time, .bidPrice, .bidQuantity, .askPrice, .askQuantity]
            var broken: [String] = []
            for role in required where !layout.roles.contains(role) {
                broken.append("\(context): \(layout.kind) layout without a \(role) column (roles \(layout.roles))")
            }
            let used = layout.roles.filter { $0 != .ignore }
            if Set(used.map(\.rawValue)).count != used.count {
                broken.append("\(context): a role appears twice in \(layout.roles)")
            }
            if !broken.isEmpty {
                found += broken
                continue
            }
            if KnownIssues.stepAround && KnownIssues.crashesParser(text, layout: layout) { continue }
            checkParse(text, lines: lines, layout: layout, skipFirstLine: layout.hasHeader, maxRecordSize: .max, into: &found)
        }
    }

    // MARK: LineChunker

    static func checkChunker(_ data: [UInt8], into found: inout [String]) {
        let chunkSize = data.isEmpty ? 1 : Int(data[0] % 64) + 1
        let maxRecordSize = data.count < 2 ? 1 << 20 : Int(data[1] % 128) + 1
        let readSize = data.isEmpty ? 1 : Int(data[data.count - 1] % 17) + 1
        let context = "LineChunker chunkSize=\(chunkSize) maxRecordSize=\(maxRecordSize) readSize=\(readSize)"
        var position = 0
        let chunker = LineChunker(path: "fuzz.csv", chunkSize: chunkSize, maxRecordSize: maxRecordSize) { buffer in
            let n = min(buffer.count, readSize, data.count - position)
            for k in 0..<n { buffer[k] = data[position + k] }
            position += n
            return n
        }
        var offset = 0
        var index = 0
        var previousEndedLine = true
        do {
            while let chunk = try chunker.next() {
                if !previousEndedLine { found.append("\(context): chunk \(index - 1) does not end with a newline but is not the last") }
                if chunk.index != index { found.append("\(context): chunk index \(chunk.index), expected \(index)") }
                if chunk.byteOffset != Int64(offset) { found.append("\(context): chunk \(index) at offset \(chunk.byteOffset), expected \(offset)") }
                if chunk.bytes.isEmpty { found.append("\(context): empty chunk \(index)") }
                // The buffer grows past the chunk size only for a long line, and only to the
                // record limit plus its line end.
                if chunk.bytes.count > max(chunkSize, maxRecordSize + 2) {
                    found.append("\(context): chunk \(index) of \(chunk.bytes.count) bytes exceeds max(chunkSize, maxRecordSize + 2)")
                }
                if offset + chunk.bytes.count > data.count || !chunk.bytes.elementsEqual(data[offset..<offset + chunk.bytes.count]) {
                    found.append("\(context): chunk \(index) is not the input's bytes at offset \(offset)")
                    return
                }
                previousEndedLine = chunk.bytes.last == UInt8(ascii: "\n")
                offset += chunk.bytes.count
                index += 1
                if index > data.count + 1 { found.append("\(context): more chunks than bytes"); return }
            }
            if offset != data.count { found.append("\(context): chunks cover \(offset) of \(data.count) bytes") }
            if chunker.bytesRead != Int64(data.count) { found.append("\(context): bytesRead \(chunker.bytesRead), input \(data.count)") }
        } catch {
            // Only a line longer than the limit may stop the run: the line at `offset`.
            var end = offset
            while end < data.count && data[end] != UInt8(ascii: "\n") { end += 1 }
            var contentEnd = end
            if contentEnd > offset && data[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            let length = contentEnd - offset
            if length <= maxRecordSize {
                found.append("\(context): threw '\(error)' but the line at byte \(offset) has \(length) bytes (without its line end), within the limit")
            }
        }
    }

    static func quoted(_ bytes: ArraySlice<UInt8>) -> String {
        var s = "\""
        for b in bytes.prefix(120) {
            if b >= 0x20 && b < 0x7F && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                s.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                let h = String(b, radix: 16)
                s += "\\x" + (h.count == 1 ? "0" + h : h)
            }
        }
        return s + (bytes.count > 120 ? "…\"" : "\"")
    }
}
