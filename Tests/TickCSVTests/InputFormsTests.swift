import Foundation
import Testing
@_spi(Testing) import TickCSV
import TickCore

/// The inputs of contract version 2 on the read side: ids that are not integers, unknown
/// sides, the symbol column, and what mapped layouts accept from pandas (ISO 8601 times,
/// scientific notation, more than 8 decimals).
@Suite("Input forms")
struct InputFormsTests {
    /// `time,price,qty,side` read through a column mapping (the `mapped` layout).
    static func mappedLayout(timeUnit: TimeUnit = .milliseconds) -> Layout {
        Layout(name: Layout.mappedName, kind: .trades, roles: [.time, .price, .quantity, .side], header: nil,
               timeUnit: timeUnit, sideEncoding: .aggressor)
    }

    static let tardisHeader = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"

    static func tardisLayout(_ text: String) throws -> Layout {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
        return try LayoutDetector.detect(path: "t.csv", firstLine: lines[0], secondLine: lines.count > 1 ? lines[1] : nil)
    }

    // MARK: ISO 8601 times

    @Test("ISO 8601 times in every accepted form, floored to the microsecond", arguments: [
        ("2024-08-08T23:54:16.322Z", Int64(1_723_161_256_322_000)),
        ("2024-08-08 23:54:16.322", 1_723_161_256_322_000),
        ("2023-02-02 09:20:00.138000+00:00", 1_675_329_600_138_000),
        ("2024-08-08T23:54:16Z", 1_723_161_256_000_000),                 // 0 fraction digits
        ("2024-08-08T23:54:16.3Z", 1_723_161_256_300_000),               // 1
        ("2024-08-08T23:54:16.32Z", 1_723_161_256_320_000),              // 2
        ("2024-08-08T23:54:16.3221Z", 1_723_161_256_322_100),            // 4
        ("2024-08-08T23:54:16.32212Z", 1_723_161_256_322_120),           // 5
        ("2024-08-08T23:54:16.322123Z", 1_723_161_256_322_123),          // 6
        ("2024-08-08T23:54:16.3221239Z", 1_723_161_256_322_123),         // 7: floored
        ("2024-08-08T23:54:16.32212399Z", 1_723_161_256_322_123),        // 8
        ("2024-08-08T23:54:16.322123999Z", 1_723_161_256_322_123),       // 9
        ("2024-08-09T01:54:16.322+02:00", 1_723_161_256_322_000),
        ("2024-08-08T20:24:16.322-03:30", 1_723_161_256_322_000),
        ("2024-08-09T01:54:16.322+0200", 1_723_161_256_322_000),
        ("2024-02-29T00:00:00", 1_709_164_800_000_000),
        ("1969-12-31T23:59:59.5Z", -500_000),
    ])
    func isoTimes(text: String, micros: Int64) {
        let chunk = parseChunk("\(text),1,1,buy\n", layout: Self.mappedLayout(timeUnit: .iso8601))
        #expect(chunk.problems.map(\.reason) == [])
        #expect(chunk.trades.time == [micros])
    }

    @Test("text that is not an ISO 8601 time is a bad row", arguments: [
        "2024-08-08T23:54:16.Z", "2024-08-08T23:54:16.3221234567Z", "2024-13-08T23:54:16Z", "2023-02-29T00:00:00Z",
        "2024-08-08T24:00:00Z", "2024-08-08", "2024-08-08T23:54Z", "2024-08-08T23:54:16+2:00", "2024-08-08T23:54:16 UTC",
        "1723161256322",
    ])
    func badISOTimes(text: String) {
        let chunk = parseChunk("\(text),1,1,buy\n", layout: Self.mappedLayout(timeUnit: .iso8601))
        #expect(chunk.rowCount == 0)
        #expect(chunk.problems.map(\.reason) == ["time: " + FieldProblem.notATime.rawValue])
    }

    @Test("a mapped file whose first time is ISO 8601 is detected as such, whatever --time-unit says")
    func isoDetection() throws {
        let mapping = try ColumnMapping(parsing: "time=ts,price=p,qty=q,side=s")
        for unit in [nil, TimeUnit.milliseconds] {
            let layout = try LayoutDetector.detect(path: "m.csv", firstLine: Array("ts,p,q,s".utf8),
                                                   secondLine: Array("2024-08-08 23:54:16.322,1,1,buy".utf8),
                                                   mapping: mapping, timeUnit: unit)
            #expect(layout.timeUnit == .iso8601)
        }
        // Exchange layouts keep numeric times only.
        #expect(throws: TickError.self) {
            try LayoutDetector.detect(path: "b.csv", firstLine: Array("id,price,qty,quote_qty,time,is_buyer_maker".utf8),
                                      secondLine: Array("1,1,1,1,2024-08-08T23:54:16Z,true".utf8))
        }
    }

    // MARK: Decimals in mapped layouts

    @Test("scientific notation and long fractions in mapped layouts, rounded half to even", arguments: [
        ("1.5e-05", Int64(1_500), false),
        ("2E+3", 200_000_000_000, false),
        ("2e3", 200_000_000_000, false),
        ("1666.7900000000002", 166_679_000_000, true),
        ("0.000000005", 0, true),            // a tie rounds to the even 0
        ("0.000000015", 2, true),            // a tie rounds to the even 2
        ("0.000000025", 2, true),
        ("0.0000000250001", 3, true),        // above the tie
        ("1e-9", 0, true),
        ("1.5e-8", 2, true),
        ("1.234567891e2", 12_345_678_910, false),
        ("1.50000000000000", 150_000_000, false),
        ("+3", 300_000_000, false),
        ("0000000000001.5", 150_000_000, false),
        ("0e99999999", 0, false),
        ("92233720368.547758074", Int64.max, true),
    ])
    func lenientDecimals(text: String, raw: Int64, rounded: Bool) {
        let chunk = parseChunk("1723161256322,1,\(text),buy\n", layout: Self.mappedLayout())
        #expect(chunk.problems.map(\.reason) == [])
        #expect(chunk.trades.quantity == [raw])
        #expect(chunk.rounded == (rounded ? [0] : []))
    }

    @Test("mapped decimals out of range or malformed stay bad rows", arguments: [
        ("1e30", "quantity: number out of range"),
        ("92233720368.547758075", "quantity: number out of range"),
        ("1e", "quantity: not a number"),
        ("e5", "quantity: not a number"),
        ("1.5e-0x", "quantity: not a number"),
        ("nan", "quantity: not a number"),
    ])
    func lenientDecimalProblems(text: String, reason: String) {
        let chunk = parseChunk("1723161256322,1,\(text),buy\n", layout: Self.mappedLayout())
        #expect(chunk.problems.map(\.reason) == [reason])
    }

    @Test("a price rounded to 0 is not positive")
    func priceRoundedToZero() {
        let chunk = parseChunk("1723161256322,1e-9,1,buy\n", layout: Self.mappedLayout())
        #expect(chunk.problems.map(\.reason) == ["price: must be positive"])
        #expect(chunk.rounded.isEmpty)
    }

    @Test("exchange layouts keep the strict forms")
    func exchangeLayoutsStayStrict() {
        let chunk = parseChunk(probeRow(price: "1666.7900000000002") + probeRow(qty: "1.5e-05"), layout: probeLayout())
        #expect(chunk.problems.map(\.reason) == ["price: more than 8 decimal places", "quantity: not a number"])
    }

    // MARK: Sides

    @Test("an unknown side is a bad row by default and side 2 when kept, in any case")
    func unknownSides() {
        let layout = probeLayout(sides: .aggressor)
        let text = probeRow(side: "unknown") + probeRow(side: "UNKNOWN") + probeRow(side: "Unknown")
        let rejected = parseChunk(text, layout: layout)
        #expect(rejected.rowCount == 0)
        #expect(rejected.problems.map(\.reason) == Array(repeating: "side: " + FieldProblem.unknownSide.rawValue, count: 3))
        let kept = ChunkParser(layout: layout, unknownSides: .keep).parse(Array(text.utf8), skipFirstLine: false)
        #expect(kept.problems.isEmpty)
        #expect(kept.trades.buyerAggressor == [2, 2, 2])
        // An empty side is still an empty field, and Binance's booleans know no `unknown`.
        let empty = ChunkParser(layout: layout, unknownSides: .keep).parse(Array(probeRow(side: "").utf8), skipFirstLine: false)
        #expect(empty.problems.map(\.reason) == ["empty field"])
        let binance = ChunkParser(layout: probeLayout(), unknownSides: .keep).parse(Array(probeRow(side: "unknown").utf8), skipFirstLine: false)
        #expect(binance.problems.count == 1)
    }

    // MARK: Ids

    @Test("an id that is not an integer is RowID.none, on both paths", arguments: [
        "a1b2c3d4-0000-4000-8000-00000000abcd", "", "abc", "-5", "+5", "12345678901234567890", "9223372036854775808", "1.5",
    ])
    func nonIntegerIds(id: String) {
        for fast in [true, false] {
            let parser = ChunkParser(layout: probeLayout(), maxRecordSize: .max, usesFastPath: fast)
            let chunk = parser.parse(Array((probeRow(id: id) + probeRow(id: "9223372036854775807")).utf8), skipFirstLine: false)
            #expect(chunk.problems.map(\.reason) == [])
            #expect(chunk.trades.id == [RowID.none, Int64.max])
        }
    }

    @Test("an id cell is still checked as text: quoted or invalid UTF-8 is a bad row")
    func idTextProblems() {
        let chunk = parseChunk(bytes: Array(probeRow(id: "\"7\"").utf8) + [0xFF] + Array(",1.5,2,1723161256322,true\n".utf8),
                               layout: probeLayout())
        #expect(chunk.problems.map(\.reason) == ["id: quoted fields are not supported", "id: invalid UTF-8"])
    }

    @Test("a trailing empty id is no id")
    func trailingEmptyId() {
        let layout = Layout(name: Layout.mappedName, kind: .trades, roles: [.time, .price, .quantity, .side, .id], header: nil,
                            timeUnit: .milliseconds, sideEncoding: .aggressor)
        let chunk = parseChunk("1723161256322,1,1,buy,\n", layout: layout)
        #expect(chunk.problems.isEmpty)
        #expect(chunk.trades.id == [RowID.none])
    }

    // MARK: Symbols

    @Test("Tardis layouts have a symbol column; the first data row's symbol is the expected one")
    func tardisSymbol() throws {
        let layout = try Self.tardisLayout(Self.tardisHeader + "\nbinance-futures,BTCUSDT,1582329602111000,1582329602418379,42377944,buy,9682,0.132")
        #expect(layout.roles[1] == .symbol)
        #expect(layout.expectedSymbol == Array("BTCUSDT".utf8))
        let mapped = try LayoutDetector.detect(path: "m.csv", firstLine: Array("t,p,q,s,sym".utf8), secondLine: Array("1,1,1,buy,ETHUSDT".utf8),
                                               mapping: try ColumnMapping(parsing: "time=t,price=p,qty=q,side=s,symbol=sym"))
        #expect(mapped.roles[4] == .symbol)
        #expect(mapped.expectedSymbol == Array("ETHUSDT".utf8))
    }

    static let twoSymbols = """
        \(tardisHeader)
        binance-futures,BTCUSDT,1582329602111000,1582329602418379,1,buy,9682,0.132
        binance-futures,ETHUSDT,1582329602112000,1582329602418379,2,sell,250,1
        binance-futures,BTCUSDT,1582329602113000,1582329602418379,3,sell,9683,0.5
        binance-futures,btcusdt,1582329602114000,1582329602418379,4,sell,9683,0.5

        """

    @Test("without a selected symbol, a row of another symbol is a problem naming it; selected, others are filtered")
    func symbolRules() throws {
        let layout = try Self.tardisLayout(Self.twoSymbols)
        for fast in [true, false] {
            let plain = ChunkParser(layout: layout, maxRecordSize: .max, usesFastPath: fast)
                .parse(Array(Self.twoSymbols.utf8), skipFirstLine: true)
            #expect(plain.trades.id == [1, 3])
            #expect(plain.problems.map(\.otherSymbol) == [Array("ETHUSDT".utf8), Array("btcusdt".utf8)])
            #expect(plain.problems.map(\.column) == [2, 2])
            let selected = ChunkParser(layout: layout, maxRecordSize: .max, usesFastPath: fast, selectedSymbol: Array("ETHUSDT".utf8))
                .parse(Array(Self.twoSymbols.utf8), skipFirstLine: true)
            #expect(selected.trades.id == [2])
            #expect(selected.problems.isEmpty)
            #expect(selected.filtered.count == 3)
        }
    }

    // MARK: Chunk boundaries

    @Test("columns, problems, filtered and rounded rows do not depend on where chunks end")
    func chunkBoundaryIndependence() throws {
        let mapped = """
            time,price,qty,side,id,symbol
            2024-08-08T23:54:16.322Z,1666.7900000000002,1.5e-05,buy,7,BTC
            2024-08-08 23:54:16.323,61800.3,2E+3,unknown,,BTC
            2024-08-08 23:54:16.324+00:00,61800.3,0.000000015,sell,a1b2-c3,ETH
            2024-08-08T23:54:16.325,bad,1,sell,9,BTC
            2024-08-08T23:54:16.326Z,61800.30000000049,1,buy,10,BTC

            """
        let bytes = Array(mapped.utf8)
        let lines = mapped.split(separator: "\n").map { Array($0.utf8) }
        let layout = try LayoutDetector.detect(path: "m.csv", firstLine: lines[0], secondLine: lines[1],
                                               mapping: try ColumnMapping(parsing: "time=time,price=price,qty=qty,side=side,id=id,symbol=symbol"))
        #expect(layout.timeUnit == .iso8601)
        for selected in [nil, Array("BTC".utf8)] {
            let parser = ChunkParser(layout: layout, selectedSymbol: selected, unknownSides: .keep)
            let whole = parser.parse(bytes, skipFirstLine: true)
            #expect(whole.trades.id == [7, RowID.none, 10])
            #expect(whole.trades.buyerAggressor == [1, 2, 1])
            #expect(whole.rounded == [0, 2])
            for size in [1, 7, lines[1].count + 1] {
                var trades = TradeColumns()
                var problems: [String] = []
                var filtered = 0
                var rounded = 0
                var start = 0
                var first = true
                // Whole lines, about `size` bytes a chunk.
                while start < bytes.count {
                    var end = min(start + size, bytes.count)
                    while end < bytes.count && bytes[end - 1] != UInt8(ascii: "\n") { end += 1 }
                    let chunk = parser.parse(Array(bytes[start..<end]), skipFirstLine: first)
                    trades.append(chunk.trades)
                    problems += chunk.problems.map(\.reason)
                    filtered += chunk.filtered.count
                    rounded += chunk.rounded.count
                    first = false
                    start = end
                }
                #expect(trades == whole.trades, "chunk size \(size)")
                #expect(problems == whole.problems.map(\.reason))
                #expect(filtered == whole.filtered.count && rounded == whole.rounded.count)
            }
        }
    }
}
