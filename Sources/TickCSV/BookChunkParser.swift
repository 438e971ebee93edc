import TickCore

/// Parses chunks of Tardis book lines into book rows in the trade columns (`BookRowFlags`):
/// - `incremental_book_L2`: one row per line (time, `local_timestamp`, side, price, amount,
///   `is_snapshot`);
/// - `book_snapshot_N`: per line a `wholeState` row, then one row per level present (empty
///   cells and zero amounts are absent levels), each at the line's start, so a bad row of any
///   of them is located at its line.
struct BookChunkParser {
    let layout: Layout
    let maxRecordSize: Int
    let symbol: [UInt8]?
    let filtersSymbols: Bool

    /// Parses `buffer` (whole lines) into `out`.
    func parse(_ buffer: UnsafeBufferPointer<UInt8>, skipFirstLine: Bool, into out: inout ParsedChunk) {
        let fields = FieldParsers(buffer)
        let count = buffer.count
        var lineStart = 0
        var lineIndex = 0
        var t = TradeColumns()
        let hasSequence = layout.hasSequence
        let isIncremental = layout.roles.contains(.bookSide)
        // Incremental lines are about 80 bytes.
        let expected = count / 64 + 16
        t.reserve(expected, withIds: false)
        if hasSequence { t.sequence.reserveCapacity(expected) }
        out.rowStart.reserveCapacity(expected)
        while lineStart < count {
            let lineEnd = memchrIndex(buffer, UInt8(ascii: "\n"), from: lineStart) ?? count
            var contentEnd = lineEnd
            if contentEnd > lineStart && buffer[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            defer { lineStart = lineEnd + 1; lineIndex += 1 }
            if lineIndex == 0 && skipFirstLine { continue }
            if contentEnd == lineStart { continue }
            func problem(_ column: Int?, _ reason: String, other: [UInt8]? = nil) {
                out.problems.append(RowProblem(lineInChunk: lineIndex, lineStart: lineStart, textEnd: contentEnd - lineStart > maxRecordSize ? lineStart + 200 : contentEnd,
                                               column: column, reason: reason, otherSymbol: other))
            }
            if contentEnd - lineStart > maxRecordSize {
                problem(nil, "line of \(contentEnd - lineStart) bytes is longer than the maximum record size of \(maxRecordSize) bytes")
                continue
            }
            if isIncremental {
                // One row per line, appended as it is read: the bulk of book data.
                if let bad = parseIncremental(fields, start: lineStart, end: contentEnd, into: &t) {
                    if bad.otherSymbol != nil && filtersSymbols {
                        out.filtered.append(UInt32(truncatingIfNeeded: lineStart))
                    } else {
                        problem(bad.column, bad.reason, other: bad.otherSymbol)
                    }
                } else {
                    out.rowStart.append(UInt32(truncatingIfNeeded: lineStart))
                }
                continue
            }
            switch parseLine(fields, start: lineStart, end: contentEnd) {
            case .failure(let bad):
                if bad.otherSymbol != nil && filtersSymbols {
                    out.filtered.append(UInt32(truncatingIfNeeded: lineStart))
                } else {
                    problem(bad.column, bad.reason, other: bad.otherSymbol)
                }
            case .success(let line):
                for row in line.rows {
                    t.time.append(line.time); t.price.append(row.price); t.quantity.append(row.amount)
                    t.buyerAggressor.append(row.flags.rawValue)
                    if hasSequence { t.sequence.append(line.sequence) }
                    out.rowStart.append(UInt32(truncatingIfNeeded: lineStart))
                }
            }
        }
        out.lineCount = lineIndex
        out.trades = t
    }

    /// Reads one `incremental_book_L2` line into `t` (all columns or none); nil when it is good.
    private func parseIncremental(_ fields: FieldParsers, start: Int, end: Int, into t: inout TradeColumns) -> Bad? {
        var i = start
        var time: Int64 = 0, sequence: Int64 = 0, price: Int64 = 0, amount: Int64 = 0
        var flags: BookRowFlags = []
        var sawSide = false
        let roles = layout.roles
        for c in 0..<roles.count {
            if c > 0 {
                guard i < end && fields.bytes[i] == UInt8(ascii: ",") else {
                    return Bad(column: c + 1, reason: "expected \(roles.count) columns, found \(c)")
                }
                i += 1
            }
            switch roles[c] {
            case .time, .sequence:
                let r = fields.time(from: i, end: end, unit: layout.timeUnit)
                if let p = r.problem { return Bad(column: c + 1, reason: (roles[c] == .time ? "time: " : "local_timestamp: ") + p.rawValue) }
                if roles[c] == .time { time = r.value } else { sequence = r.value }
                i = r.next
            case .bookPrice, .bookAmount:
                let r = fields.fixed(from: i, end: end)
                if let p = r.problem { return Bad(column: c + 1, reason: (roles[c] == .bookPrice ? "price: " : "amount: ") + p.rawValue) }
                if roles[c] == .bookPrice { price = r.value } else {
                    if r.value < 0 { return Bad(column: c + 1, reason: "amount: negative") }
                    amount = r.value
                }
                i = r.next
            case .bookSide:
                let e = fields.skipField(from: i, end: end)
                if fields.matchesWord("ask", i, e) { flags.insert(.ask) } else if !fields.matchesWord("bid", i, e) {
                    return Bad(column: c + 1, reason: "side is not bid or ask")
                }
                sawSide = true
                i = e
            case .bookSnapshotFlag:
                let e = fields.skipField(from: i, end: end)
                if fields.matchesWord("true", i, e) { flags.insert(.snapshot) } else if !fields.matchesWord("false", i, e) {
                    return Bad(column: c + 1, reason: "is_snapshot is not true or false")
                }
                i = e
            case .symbol:
                let e = fields.skipField(from: i, end: end)
                if let symbol, !fields.bytes[i..<e].elementsEqual(symbol) {
                    return Bad(column: c + 1, reason: "another symbol", otherSymbol: Array(fields.bytes[i..<e]))
                }
                i = e
            default:
                i = fields.skipField(from: i, end: end)
            }
        }
        if i != end {
            var found = roles.count
            for k in i..<end where fields.bytes[k] == UInt8(ascii: ",") { found += 1 }
            return Bad(column: roles.count + 1, reason: "expected \(roles.count) columns, found \(found)")
        }
        guard sawSide else { return Bad(column: nil, reason: "incomplete book row") }
        t.time.append(time); t.price.append(price); t.quantity.append(amount); t.buyerAggressor.append(flags.rawValue)
        if layout.hasSequence { t.sequence.append(sequence) }
        return nil
    }

    struct Level { var price: Int64; var amount: Int64; var flags: BookRowFlags }
    struct Line { var time: Int64; var sequence: Int64; var rows: [Level] }
    struct Bad: Error { var column: Int?; var reason: String; var otherSymbol: [UInt8]? = nil }

    private func parseLine(_ fields: FieldParsers, start: Int, end: Int) -> Result<Line, Bad> {
        var starts: [Int] = [start]
        for k in start..<end where fields.bytes[k] == UInt8(ascii: ",") { starts.append(k + 1) }
        guard starts.count == layout.roles.count else {
            return .failure(Bad(column: min(starts.count, layout.roles.count + 1), reason: "expected \(layout.roles.count) columns, found \(starts.count)"))
        }
        func cellEnd(_ c: Int) -> Int { c + 1 < starts.count ? starts[c + 1] - 1 : end }
        var line = Line(time: 0, sequence: 0, rows: [])
        var side: BookRowFlags?
        var snapshot = false
        var price: Int64?
        var amount: Int64?
        var levelPrice: Int64?
        var levels: [Level] = []
        for (c, role) in layout.roles.enumerated() {
            let s = starts[c], e = cellEnd(c)
            switch role {
            case .time:
                let r = fields.time(from: s, end: e, unit: layout.timeUnit)
                if let p = r.problem { return .failure(Bad(column: c + 1, reason: "time: " + p.rawValue)) }
                line.time = r.value
            case .sequence:
                let r = fields.time(from: s, end: e, unit: layout.timeUnit)
                if let p = r.problem { return .failure(Bad(column: c + 1, reason: "local_timestamp: " + p.rawValue)) }
                line.sequence = r.value
            case .symbol:
                if let symbol, !fields.bytes[s..<e].elementsEqual(symbol) {
                    return .failure(Bad(column: c + 1, reason: "another symbol", otherSymbol: Array(fields.bytes[s..<e])))
                }
            case .bookSnapshotFlag:
                if fields.matchesWord("true", s, e) { snapshot = true } else if !fields.matchesWord("false", s, e) {
                    return .failure(Bad(column: c + 1, reason: "is_snapshot is not true or false"))
                }
            case .bookSide:
                if fields.matchesWord("bid", s, e) { side = [] } else if fields.matchesWord("ask", s, e) { side = .ask } else {
                    return .failure(Bad(column: c + 1, reason: "side is not bid or ask"))
                }
            case .bookPrice, .bookAmount:
                let r = fields.fixed(from: s, end: e)
                if let p = r.problem { return .failure(Bad(column: c + 1, reason: (role == .bookPrice ? "price: " : "amount: ") + p.rawValue)) }
                if role == .bookAmount && r.value < 0 { return .failure(Bad(column: c + 1, reason: "amount: negative")) }
                if role == .bookPrice { price = r.value } else { amount = r.value }
            case .askLevelPrice, .bidLevelPrice:
                levelPrice = nil
                guard s < e else { continue }
                let r = fields.fixed(from: s, end: e)
                if let p = r.problem { return .failure(Bad(column: c + 1, reason: "price: " + p.rawValue)) }
                levelPrice = r.value
            case .askLevelAmount, .bidLevelAmount:
                if s == e {
                    if levelPrice != nil { return .failure(Bad(column: c + 1, reason: "amount: empty where the level has a price")) }
                    continue
                }
                let r = fields.fixed(from: s, end: e)
                if let p = r.problem { return .failure(Bad(column: c + 1, reason: "amount: " + p.rawValue)) }
                guard let p = levelPrice else { return .failure(Bad(column: c, reason: "price: empty where the level has an amount")) }
                if r.value < 0 { return .failure(Bad(column: c + 1, reason: "amount: negative")) }
                // A zero amount is an absent level (contract, Book); a price twice on a side is
                // no complete state.
                let isAsk = role == .askLevelAmount
                if levels.contains(where: { $0.price == p && $0.flags.contains(.ask) == isAsk }) {
                    return .failure(Bad(column: c, reason: "price: given twice on the \(isAsk ? "ask" : "bid") side"))
                }
                if r.value > 0 { levels.append(Level(price: p, amount: r.value, flags: role == .askLevelAmount ? [.ask, .ofWholeState] : [.ofWholeState])) }
            default:
                continue
            }
        }
        if layout.roles.contains(.bookSide) {
            guard let side, let price, let amount else { return .failure(Bad(column: nil, reason: "incomplete book row")) }
            line.rows = [Level(price: price, amount: amount, flags: snapshot ? side.union(.snapshot) : side)]
        } else {
            line.rows = [Level(price: 0, amount: 0, flags: .wholeState)] + levels
        }
        return .success(line)
    }
}

extension FieldParsers {
    /// Whether the cell `s..<e` is `word` (ASCII, any case).
    func matchesWord(_ word: StaticString, _ s: Int, _ e: Int) -> Bool {
        e - s == word.utf8CodeUnitCount && matches(word, at: s)
    }
}
