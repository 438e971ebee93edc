import Testing
import TickCSV
import TickCore

/// What detection must find for each real sample.
struct ExpectedLayout: Sendable, CustomTestStringConvertible {
    var fixture: RealFixture
    var name: String
    var kind: RecordKind
    var roles: [ColumnRole]
    var timeUnit: TimeUnit
    var sides: SideEncoding
    var testDescription: String { fixture.rawValue }
}

@Suite("Layout detection")
struct LayoutDetectionTests {
    static let realLayouts: [ExpectedLayout] = [
        ExpectedLayout(fixture: .binanceTrades, name: "binance-trades", kind: .trades,
                       roles: [.id, .price, .quantity, .ignore, .time, .side], timeUnit: .milliseconds, sides: .buyerIsMaker),
        ExpectedLayout(fixture: .ethTrades, name: "binance-trades", kind: .trades,
                       roles: [.id, .price, .quantity, .ignore, .time, .side], timeUnit: .milliseconds, sides: .buyerIsMaker),
        ExpectedLayout(fixture: .binanceBookTicker, name: "binance-bookticker", kind: .quotes,
                       roles: [.id, .bidPrice, .bidQuantity, .askPrice, .askQuantity, .time, .ignore],
                       timeUnit: .milliseconds, sides: .buyerIsMaker),
        ExpectedLayout(fixture: .ethBookTicker, name: "binance-bookticker", kind: .quotes,
                       roles: [.id, .bidPrice, .bidQuantity, .askPrice, .askQuantity, .time, .ignore],
                       timeUnit: .milliseconds, sides: .buyerIsMaker),
        ExpectedLayout(fixture: .tardisTrades, name: "tardis-trades", kind: .trades,
                       roles: [.ignore, .symbol, .time, .sequence, .id, .side, .price, .quantity],
                       timeUnit: .microseconds, sides: .aggressor),
        ExpectedLayout(fixture: .tardisQuotes, name: "tardis-quotes", kind: .quotes,
                       roles: [.ignore, .symbol, .time, .sequence, .askQuantity, .askPrice, .bidPrice, .bidQuantity],
                       timeUnit: .microseconds, sides: .aggressor),
    ]

    @Test("every real sample is recognised from its header", arguments: realLayouts)
    func realFixture(expected: ExpectedLayout) throws {
        let lines = try expected.fixture.firstLines(2)
        let layout = try LayoutDetector.detect(path: expected.fixture.path, firstLine: lines[0], secondLine: lines[1])
        #expect(layout.name == expected.name)
        #expect(layout.kind == expected.kind)
        #expect(layout.roles == expected.roles)
        #expect(layout.timeUnit == expected.timeUnit)
        #expect(layout.sideEncoding == expected.sides)
        #expect(layout.hasHeader)
        #expect(layout.header?.count == expected.roles.count)
        #expect(layout.hasIds == (expected.fixture != .tardisQuotes))
    }

    @Test("the first data line of every real sample parses with the detected layout", arguments: realLayouts)
    func firstRowParses(expected: ExpectedLayout) throws {
        let lines = try expected.fixture.firstLines(3)
        let layout = try LayoutDetector.detect(path: expected.fixture.path, firstLine: lines[0], secondLine: lines[1])
        let text = lines.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") + "\n"
        let chunk = parseChunk(text, layout: layout, skipHeader: true)
        #expect(chunk.problems.isEmpty)
        #expect(chunk.rowCount == 2)
        // Tardis rows carry local_timestamp (µs, like `timestamp`) as their sequence key.
        if let column = layout.column(of: .sequence) {
            let expected = lines[1...2].map { line in
                Int64(String(decoding: line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)[column], as: UTF8.self))!
            }
            #expect((layout.kind == .trades ? chunk.trades.sequence : chunk.quotes.sequence) == expected)
        } else {
            #expect(chunk.trades.sequence.isEmpty && chunk.quotes.sequence.isEmpty)
        }
    }

    @Test("the freqtrade/ccxt dump is unknown without a mapping")
    func unknownHeader() throws {
        let lines = try RealFixture.freqtrade.firstLines(2)
        #expect(throws: TickError.self) {
            try LayoutDetector.detect(path: RealFixture.freqtrade.path, firstLine: lines[0], secondLine: lines[1])
        }
        do {
            _ = try LayoutDetector.detect(path: "x.csv", firstLine: lines[0], secondLine: lines[1])
        } catch let error as TickError {
            guard case let .unreadable(path, reason) = error else { Issue.record("expected .unreadable, got \(error)"); return }
            #expect(path == "x.csv")
            #expect(reason.contains("unknown CSV layout"))
            #expect(reason.contains("--columns"))
        }
    }

    @Test("a column mapping reads the freqtrade/ccxt dump")
    func mappedFreqtrade() throws {
        let lines = try RealFixture.freqtrade.firstLines(3)
        let mapping = try ColumnMapping(parsing: "time=timestamp,id=id,side=side,price=price,qty=amount")
        let layout = try LayoutDetector.detect(path: RealFixture.freqtrade.path, firstLine: lines[0], secondLine: lines[1],
                                               mapping: mapping)
        #expect(layout.name == "mapped")
        #expect(layout.kind == .trades)
        // ,timestamp,id,type,side,price,amount,cost,date
        #expect(layout.roles == [.ignore, .time, .id, .ignore, .side, .price, .quantity, .ignore, .ignore])
        #expect(layout.timeUnit == .milliseconds)
        #expect(layout.sideEncoding == .aggressor)

        let text = lines.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n") + "\n"
        let chunk = parseChunk(text, layout: layout, skipHeader: true)
        #expect(chunk.problems.isEmpty)
        // 0,1675329600138,1206419187,,buy,1666.8,26.062,…  and  1,1675329600214,1206419188,,sell,1666.79,0.152,…
        #expect(chunk.trades.time == [1_675_329_600_138_000, 1_675_329_600_214_000])
        #expect(chunk.trades.id == [1_206_419_187, 1_206_419_188])
        #expect(chunk.trades.buyerAggressor == [1, 0])
        #expect(chunk.trades.price == [166_680_000_000, 166_679_000_000])
        #expect(chunk.trades.quantity == [2_606_200_000, 15_200_000])
    }

    @Test("a mapping by 0-based index reads a headerless file; booleans mean is_buyer_maker")
    func mappedByIndex() throws {
        let line = Array("1723161256322,61800.30,0.006,true".utf8)
        let mapping = try ColumnMapping(parsing: "time=0,price=1,qty=2,side=3")
        let layout = try LayoutDetector.detect(path: "m.csv", firstLine: line, secondLine: nil, mapping: mapping)
        #expect(!layout.hasHeader)
        #expect(layout.roles == [.time, .price, .quantity, .side])
        #expect(layout.sideEncoding == .buyerIsMaker)
        let chunk = parseChunk(String(decoding: line, as: UTF8.self), layout: layout)
        #expect(chunk.trades.buyerAggressor == [0])
        #expect(chunk.trades.price == [6_180_030_000_000])
    }

    @Test("a quotes mapping gives a quotes layout")
    func mappedQuotes() throws {
        let header = Array("ts,b,bq,a,aq".utf8)
        let mapping = try ColumnMapping(parsing: "time=ts,bid=b,bid_qty=bq,ask=a,ask_qty=aq")
        let layout = try LayoutDetector.detect(path: "q.csv", firstLine: header, secondLine: Array("1723161256,1.5,2,1.6,3".utf8),
                                               mapping: mapping)
        #expect(layout.kind == .quotes)
        #expect(layout.roles == [.time, .bidPrice, .bidQuantity, .askPrice, .askQuantity])
        #expect(layout.timeUnit == .seconds)
    }

    @Test("bad mappings are refused", arguments: [
        "time=timestamp,price=price",            // no qty or side
        "foo=bar,time=t,price=p,qty=q,side=s",  // unknown role
        "time",                                  // no '='
        "time=,price=p,qty=q,side=s",            // no column
    ])
    func badMappings(text: String) {
        #expect(throws: TickError.self) { try ColumnMapping(parsing: text) }
    }

    @Test("a mapping naming a missing column is refused")
    func mappingMissingColumn() throws {
        let lines = try RealFixture.freqtrade.firstLines(2)
        let mapping = try ColumnMapping(parsing: "time=timestamp,id=id,side=side,price=price,qty=volume")
        #expect(throws: TickError.self) {
            try LayoutDetector.detect(path: "f.csv", firstLine: lines[0], secondLine: lines[1], mapping: mapping)
        }
    }

    @Test("headers are matched case-insensitively and with spaces trimmed")
    func headerCase() throws {
        let layout = try LayoutDetector.detect(path: "h.csv", firstLine: Array("ID, Price ,QTY,Quote_Qty,Time,Is_Buyer_Maker".utf8),
                                               secondLine: Array("1,2.5,1,2.5,1723161256322,true".utf8))
        #expect(layout.name == "binance-trades")
        #expect(layout.roles == [.id, .price, .quantity, .ignore, .time, .side])
    }

    @Test("headered aggTrades")
    func headeredAggTrades() throws {
        let layout = try LayoutDetector.detect(
            path: "a.csv",
            firstLine: Array("agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker".utf8),
            secondLine: Array("26129,0.01633102,4.70443515,27781,27781,1498793709153,true".utf8))
        #expect(layout.name == "binance-aggtrades")
        #expect(layout.roles == [.id, .price, .quantity, .ignore, .ignore, .time, .side])
    }

    static let headerless: [(String, String, [ColumnRole])] = [
        ("5266583935,61800.30,0.006,370.8018,1723161256322,false", "binance-trades",
         [.id, .price, .quantity, .ignore, .time, .side]),
        ("5266583935,61800.30,0.006,370.8018,1723161256322,false,true", "binance-trades",
         [.id, .price, .quantity, .ignore, .time, .side, .ignore]),
        ("26129,0.01633102,4.70443515,27781,27781,1498793709153,true", "binance-aggtrades",
         [.id, .price, .quantity, .ignore, .ignore, .time, .side]),
        ("26129,0.01633102,4.70443515,27781,27781,1498793709153,true,true", "binance-aggtrades",
         [.id, .price, .quantity, .ignore, .ignore, .time, .side, .ignore]),
    ]

    @Test("headerless Binance trades and aggTrades are told apart by their columns", arguments: headerless)
    func headerlessBinance(line: String, name: String, roles: [ColumnRole]) throws {
        let layout = try LayoutDetector.detect(path: "h.csv", firstLine: Array(line.utf8), secondLine: nil)
        #expect(layout.name == name)
        #expect(layout.roles == roles)
        #expect(!layout.hasHeader)
        #expect(layout.timeUnit == .milliseconds)
        #expect(layout.sideEncoding == .buyerIsMaker)
        let chunk = parseChunk(line + "\n", layout: layout, skipHeader: false)
        #expect(chunk.problems.isEmpty)
        #expect(chunk.rowCount == 1)
    }

    @Test("a headerless file of another shape is refused", arguments: [
        "1,2,3,4,5", "1723161256322,61800.30,0.006,true", "a1,2,3,4,5,true",
    ])
    func headerlessUnknown(line: String) {
        #expect(throws: TickError.self) {
            try LayoutDetector.detect(path: "u.csv", firstLine: Array(line.utf8), secondLine: nil)
        }
    }

    @Test("the time unit follows the magnitude of the first time", arguments: [
        ("1723161256", TimeUnit.seconds),
        ("1723161256.313", .seconds),
        ("99999999999", .seconds),
        ("100000000000", .milliseconds),
        ("1723161256322", .milliseconds),
        ("1723161256322.5", .milliseconds),
        ("1723161256322123", .microseconds),
        ("1723161256322123456", .nanoseconds),
    ])
    func timeUnitDetection(time: String, unit: TimeUnit) throws {
        let line = Array("5266583935,61800.30,0.006,370.8018,\(time),false".utf8)
        let layout = try LayoutDetector.detect(path: "t.csv", firstLine: line, secondLine: nil)
        #expect(layout.timeUnit == unit)
        let header = Array("id,price,qty,quote_qty,time,is_buyer_maker".utf8)
        let headered = try LayoutDetector.detect(path: "t.csv", firstLine: header, secondLine: line)
        #expect(headered.timeUnit == unit)
    }

    @Test("the time unit flag overrides detection", arguments: TimeUnit.allCases)
    func timeUnitOverride(unit: TimeUnit) throws {
        let lines = try RealFixture.binanceTrades.firstLines(2)
        let layout = try LayoutDetector.detect(path: "t.csv", firstLine: lines[0], secondLine: lines[1], timeUnit: unit)
        #expect(layout.timeUnit == unit)
        let chunk = parseChunk(String(decoding: lines[1], as: UTF8.self), layout: layout)
        #expect(chunk.trades.time == [unit.microseconds(1_723_161_256_322)!])
    }

    @Test("an unreadable first time asks for --time-unit")
    func unreadableTime() {
        do {
            _ = try LayoutDetector.detect(path: "t.csv", firstLine: Array("id,price,qty,quote_qty,time,is_buyer_maker".utf8),
                                          secondLine: Array("1,2.5,1,2.5,2024-08-08,true".utf8))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("--time-unit"))
            #expect("\(error)".contains("2024-08-08"))
        }
    }

    @Test("a header-only file has a layout (and the override unit, if any)")
    func headerOnly() throws {
        let header = Array("exchange,symbol,timestamp,local_timestamp,id,side,price,amount".utf8)
        let layout = try LayoutDetector.detect(path: "h.csv", firstLine: header, secondLine: nil)
        #expect(layout.name == "tardis-trades")
        let withUnit = try LayoutDetector.detect(path: "h.csv", firstLine: header, secondLine: nil, timeUnit: .nanoseconds)
        #expect(withUnit.timeUnit == .nanoseconds)
    }
}
