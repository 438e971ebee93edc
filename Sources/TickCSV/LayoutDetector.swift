import TickCore

/// An explicit column mapping for CSVs of no known layout, e.g.
/// `time=timestamp,price=price,qty=amount,side=side,id=id` (names from the header, or 0-based
/// indices for headerless files). Quotes use `time,bid,bid_qty,ask,ask_qty[,id]`; either may add
/// `symbol=COL`.
public struct ColumnMapping: Sendable, Equatable {
    public var assignments: [(role: ColumnRole, column: String)]

    public static func == (a: ColumnMapping, b: ColumnMapping) -> Bool {
        a.assignments.elementsEqual(b.assignments) { $0.role == $1.role && $0.column == $1.column }
    }

    /// Parses `role=column` pairs separated by commas.
    public init(parsing text: String) throws {
        var assignments: [(ColumnRole, String)] = []
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces }
            guard parts.count == 2, !parts[1].isEmpty else {
                throw TickError.invalidArgument("column mapping '\(pair)' is not of the form role=column")
            }
            let role: ColumnRole
            switch parts[0].lowercased() {
            case "time", "timestamp": role = .time
            case "price": role = .price
            case "qty", "quantity", "amount", "size": role = .quantity
            case "side": role = .side
            case "id": role = .id
            case "bid", "bid_price": role = .bidPrice
            case "bid_qty", "bid_quantity", "bid_size": role = .bidQuantity
            case "ask", "ask_price": role = .askPrice
            case "ask_qty", "ask_quantity", "ask_size": role = .askQuantity
            case "symbol": role = .symbol
            default:
                throw TickError.invalidArgument("unknown role '\(parts[0])' in column mapping (use time, price, qty, side, id, bid, bid_qty, ask, ask_qty, symbol)")
            }
            assignments.append((role, parts[1]))
        }
        self.assignments = assignments
        let roles = Set(assignments.map(\.0.rawValue))
        let tradeRoles: Set<UInt8> = [ColumnRole.time.rawValue, ColumnRole.price.rawValue, ColumnRole.quantity.rawValue, ColumnRole.side.rawValue]
        let quoteRoles: Set<UInt8> = [ColumnRole.time.rawValue, ColumnRole.bidPrice.rawValue, ColumnRole.bidQuantity.rawValue, ColumnRole.askPrice.rawValue, ColumnRole.askQuantity.rawValue]
        guard roles.isSuperset(of: tradeRoles) || roles.isSuperset(of: quoteRoles) else {
            throw TickError.invalidArgument("column mapping needs time, price, qty and side (trades) or time, bid, bid_qty, ask and ask_qty (quotes)")
        }
    }

    /// The kind of input it maps: trades when it maps a price, quotes otherwise.
    public var kind: RecordKind { assignments.contains { $0.role == .price } ? .trades : .quotes }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}

/// Recognises a file's layout from its first line (and the first data line for the time unit
/// and the expected symbol).
public enum LayoutDetector {
    /// The layout of a file whose first lines are `firstLine` and `secondLine` (without line ends
    /// and BOM).
    ///
    /// - Parameters:
    ///   - mapping: an explicit column mapping, used instead of detection.
    ///   - timeUnit: overrides the unit detected from the first time value (unless, in a mapped
    ///     layout, that value is ISO 8601 text, which carries its own).
    public static func detect(path: String, firstLine: [UInt8], secondLine: [UInt8]?,
                              mapping: ColumnMapping? = nil, timeUnit: TimeUnit? = nil) throws -> Layout {
        let firstFields = split(firstLine)
        let isHeader = firstFields.contains { field in field.contains { isLetterOrUnderscore($0) } && !isBoolean(field) && !isSideWord(field) }
        let header = isHeader ? firstFields.map { String(decoding: $0, as: UTF8.self).trimmingSpaces.lowercased() } : nil
        let dataLine = isHeader ? secondLine : firstLine
        let dataFields = dataLine.map(split) ?? []

        var layout: Layout
        if let mapping {
            layout = try mapped(path: path, mapping: mapping, header: header, columnCount: firstFields.count)
        } else if let header, let book = bookSnapshot(header: header) {
            layout = book
        } else if let header {
            guard let known = KnownLayout.all.lazy.compactMap({ k in k.roles(for: header).map { (k, $0) } }).first else {
                throw TickError.unreadable(path: path, reason: "unknown CSV layout with header '\(printableText(firstLine))'; give a column mapping with --columns (e.g. time=timestamp,price=price,qty=amount,side=side)")
            }
            layout = Layout(name: known.0.name, kind: known.0.kind, roles: known.1, header: header,
                            timeUnit: .milliseconds, sideEncoding: known.0.sideEncoding)
        } else {
            layout = try headerless(path: path, fields: firstFields)
        }

        guard let timeColumn = layout.column(of: .time) else {
            throw TickError.unreadable(path: path, reason: "the layout has no time column")
        }
        guard timeColumn < dataFields.count else {
            // A header-only file: nothing to read the unit from, and nothing that needs it.
            if let timeUnit { layout.timeUnit = timeUnit }
            return layout
        }
        if let symbolColumn = layout.column(of: .symbol), symbolColumn < dataFields.count {
            layout.expectedSymbol = Array(dataFields[symbolColumn])
        }
        if layout.roles.contains(.side), let sideColumn = layout.column(of: .side), sideColumn < dataFields.count, mapping != nil {
            layout.sideEncoding = isBoolean(dataFields[sideColumn]) ? .buyerIsMaker : .aggressor
        }
        if layout.isMapped, isISO8601(dataFields[timeColumn]) {
            // Text times name their own instant: no unit to detect, none to override.
            layout.timeUnit = .iso8601
        } else if let timeUnit {
            layout.timeUnit = timeUnit
        } else {
            let timeText = dataFields[timeColumn].prefix { $0 != UInt8(ascii: ".") }
            guard !timeText.isEmpty, timeText.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let value = Int64(String(decoding: timeText, as: UTF8.self)) else {
                throw TickError.unreadable(path: path, reason: "cannot read the time unit from the first time value '\(printableText(dataFields[timeColumn]))'; give it with --time-unit")
            }
            layout.timeUnit = TimeUnit.detect(fromMagnitude: value)
        }
        return layout
    }

    /// Tardis `book_snapshot_N`: `exchange,symbol,timestamp,local_timestamp`, then
    /// `asks[k].price,asks[k].amount,bids[k].price,bids[k].amount` for k = 0 … N−1.
    static func bookSnapshot(header: [String]) -> Layout? {
        guard header.contains("asks[0].price"), let time = header.firstIndex(of: "timestamp") else { return nil }
        var roles = [ColumnRole](repeating: .ignore, count: header.count)
        roles[time] = .time
        if let local = header.firstIndex(of: "local_timestamp") { roles[local] = .sequence }
        if let symbol = header.firstIndex(of: "symbol") { roles[symbol] = .symbol }
        var levels = 0
        while let askPrice = header.firstIndex(of: "asks[\(levels)].price"), let askAmount = header.firstIndex(of: "asks[\(levels)].amount"),
              let bidPrice = header.firstIndex(of: "bids[\(levels)].price"), let bidAmount = header.firstIndex(of: "bids[\(levels)].amount") {
            roles[askPrice] = .askLevelPrice; roles[askAmount] = .askLevelAmount
            roles[bidPrice] = .bidLevelPrice; roles[bidAmount] = .bidLevelAmount
            levels += 1
        }
        // Levels must be numbered from 0 in their column order, for k to be the column's rank.
        for (role, side) in [(ColumnRole.askLevelPrice, "asks"), (.bidLevelPrice, "bids")] {
            let columns = roles.indices.filter { roles[$0] == role }
            guard columns == (0..<levels).map({ header.firstIndex(of: "\(side)[\($0)].price")! }) else { return nil }
        }
        return Layout(name: "tardis-book-snapshot-\(levels)", kind: .book, roles: roles, header: header, timeUnit: .microseconds,
                      sideEncoding: .aggressor)
    }

    static func mapped(path: String, mapping: ColumnMapping, header: [String]?, columnCount: Int) throws -> Layout {
        var roles = [ColumnRole](repeating: .ignore, count: columnCount)
        for (role, column) in mapping.assignments {
            let index: Int
            if let header, let named = header.firstIndex(of: column.lowercased()) {
                index = named
            } else if let number = Int(column), number >= 0, number < columnCount {
                index = number
            } else {
                throw TickError.invalidArgument("column '\(column)' of the mapping is not in \(path) (columns: \(header?.joined(separator: ",") ?? "\(columnCount) unnamed"))")
            }
            if roles[index] != .ignore {
                throw TickError.invalidArgument("the column mapping puts \(roles[index]) and \(role) both on column \(index) ('\(header?[index] ?? String(index))') of \(path)")
            }
            if roles.contains(role) {
                throw TickError.invalidArgument("the column mapping gives \(role) two columns in \(path)")
            }
            roles[index] = role
        }
        return Layout(name: Layout.mappedName, kind: mapping.kind, roles: roles, header: header, timeUnit: .milliseconds)
    }

    /// Headerless Binance files: trades have 6 or 7 columns with the maker flag in column 5,
    /// aggTrades 7 or 8 with it in column 6.
    static func headerless(path: String, fields: [ArraySlice<UInt8>]) throws -> Layout {
        let count = fields.count
        if (count == 7 || count == 8) && isBoolean(fields[6]) && !isBoolean(fields[5]) {
            var roles = [ColumnRole](repeating: .ignore, count: count)
            roles[0] = .id; roles[1] = .price; roles[2] = .quantity; roles[5] = .time; roles[6] = .side
            return Layout(name: "binance-aggtrades", kind: .trades, roles: roles, header: nil, timeUnit: .milliseconds)
        }
        if (count == 6 || count == 7) && isBoolean(fields[5]) {
            var roles = [ColumnRole](repeating: .ignore, count: count)
            roles[0] = .id; roles[1] = .price; roles[2] = .quantity; roles[4] = .time; roles[5] = .side
            return Layout(name: "binance-trades", kind: .trades, roles: roles, header: nil, timeUnit: .milliseconds)
        }
        throw TickError.unreadable(path: path, reason: "no header and \(count) columns: not a Binance trades (6-7 columns) or aggTrades (7-8 columns) file; give a column mapping with --columns")
    }

    /// Whether `field` is a time `FieldParsers.isoTime` reads.
    static func isISO8601(_ field: ArraySlice<UInt8>) -> Bool {
        Array(field).withUnsafeBufferPointer { buffer in
            let r = FieldParsers(buffer).isoTime(from: 0, end: buffer.count)
            return r.problem == nil && r.next == buffer.count
        }
    }

    static func split(_ line: [UInt8]) -> [ArraySlice<UInt8>] {
        line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
    }

    static func isLetterOrUnderscore(_ b: UInt8) -> Bool {
        (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") || b == UInt8(ascii: "_")
    }

    static func isBoolean(_ field: ArraySlice<UInt8>) -> Bool {
        let s = String(decoding: field, as: UTF8.self).lowercased()
        return s == "true" || s == "false"
    }

    static func isSideWord(_ field: ArraySlice<UInt8>) -> Bool {
        let s = String(decoding: field, as: UTF8.self).lowercased()
        return s == "buy" || s == "sell" || s == "unknown"
    }
}
