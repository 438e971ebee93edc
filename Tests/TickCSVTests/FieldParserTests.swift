import Foundation
import Testing
import TickCSV
import TickCore

/// The field parsers, driven through `ChunkParser` on hand-written lines of the probe layout
/// `id,price,qty,time,side`.
@Suite("Field parsers")
struct FieldParserTests {
    // MARK: Fixed-point numbers

    @Test("decimal strings parse to exact fixed-point raw values", arguments: [
        ("61800.30", Int64(6_180_030_000_000)),
        ("0.00000001", 1),
        ("9682", 968_200_000_000),
        ("9681.92", 968_192_000_000),
        ("0.1", 10_000_000),
        ("12.3400", 1_234_000_000),
        ("0.12345678", 12_345_678),
        ("1.50000000000000", 150_000_000),         // zeros beyond the 8th decimal are accepted
        ("2.123456780000", 212_345_678),
        ("00001.5", 150_000_000),
        ("92233720368", 9_223_372_036_800_000_000),
        ("92233720368.54775807", Int64.max),       // the largest representable value
    ])
    func exactValues(text: String, raw: Int64) {
        let chunk = parseChunk(probeRow(price: text, qty: text), layout: probeLayout())
        #expect(chunk.problems.isEmpty)
        #expect(chunk.trades.price == [raw])
        #expect(chunk.trades.quantity == [raw])
    }

    @Test("bad prices are rejected with the field's reason", arguments: [
        ("0.000000001", "price: more than 8 decimal places"),
        ("1.123456789", "price: more than 8 decimal places"),
        ("1.000000001", "price: more than 8 decimal places"),
        ("61800.3000000005", "price: more than 8 decimal places"),
        ("abc", "price: not a number"),
        ("1e5", "price: not a number"),
        ("1.2.3", "price: not a number"),
        ("-", "price: not a number"),
        (".", "price: not a number"),
        (" 1.5", "price: not a number"),
        ("1.5 ", "price: not a number"),
        ("+1.5", "price: not a number"),
        ("NaN", "price: not a number"),
        ("", "price: empty field"),
        ("92233720368.54775808", "price: number out of range"),
        ("100000000000", "price: number out of range"),
        ("99999999999999999999999", "price: number out of range"),
        ("0", "price: must be positive"),
        ("0.00000000", "price: must be positive"),
        ("-1.5", "price: must be positive"),
        ("\"1.5\"", "price: quoted fields are not supported"),
    ])
    func badPrices(text: String, reason: String) {
        let line = probeRow(price: text)
        let chunk = parseChunk(line, layout: probeLayout())
        #expect(chunk.rowCount == 0)
        #expect(chunk.trades.count == 0 && chunk.trades.id.isEmpty && chunk.trades.price.isEmpty)
        #expect(chunk.problems == [RowProblem(lineInChunk: 0, lineStart: 0, textEnd: line.utf8.count - 1, column: 2, reason: reason)])
        #expect(chunk.problems.first.map { Array(chunk.text(of: $0)) } == Array(line.utf8.dropLast()))
    }

    @Test("quantities may be zero but not negative")
    func quantitySign() {
        let chunk = parseChunk(probeRow(qty: "0") + probeRow(qty: "0.000") + probeRow(qty: "-0.001"), layout: probeLayout())
        #expect(chunk.trades.quantity == [0, 0])
        #expect(chunk.problems.map(\.reason) == ["quantity: must not be negative"])
        #expect(chunk.problems.map(\.column) == [3])
        #expect(chunk.problems.map(\.lineInChunk) == [2])
    }

    @Test("a quantity with a 9th non-zero decimal is rejected")
    func quantityDecimals() {
        let chunk = parseChunk(probeRow(qty: "0.001000001"), layout: probeLayout())
        #expect(chunk.rowCount == 0)
        #expect(chunk.problems.first?.reason == "quantity: more than 8 decimal places")
        #expect(chunk.problems.first?.column == 3)
    }

    // MARK: Ids

    @Test("ids parse as integers", arguments: [
        ("5266583935", Int64(5_266_583_935)),
        ("0", 0),
        ("42377944", 42_377_944),
        ("9223372036854775807", Int64.max),
    ])
    func ids(text: String, value: Int64) {
        let chunk = parseChunk(probeRow(id: text), layout: probeLayout())
        #expect(chunk.problems.isEmpty)
        #expect(chunk.trades.id == [value])
    }

    @Test("ids that are not integers are no ids, not bad rows (contract: only integer ids are compared)", arguments: [
        "9223372036854775808", "12345678901234567890", "-1", "1.0", "0x1F", "abc", "",
    ])
    func nonIntegerIds(text: String) {
        let chunk = parseChunk(probeRow(id: text), layout: probeLayout())
        #expect(chunk.problems.isEmpty)
        #expect(chunk.trades.id == [RowID.none])
    }

    // MARK: Times

    @Test("times in s, ms, µs and ns become microseconds", arguments: [
        ("1723161256", TimeUnit.seconds, Int64(1_723_161_256_000_000)),
        ("1723161256.313", .seconds, 1_723_161_256_313_000),
        ("1723161256.3135679", .seconds, 1_723_161_256_313_567),    // truncated below the µs
        ("1723161256322", .milliseconds, 1_723_161_256_322_000),
        ("1723161256322.5", .milliseconds, 1_723_161_256_322_500),
        ("1723161256322.0019", .milliseconds, 1_723_161_256_322_001),
        ("1582329602111000", .microseconds, 1_582_329_602_111_000),
        ("1723161256322123456", .nanoseconds, 1_723_161_256_322_123),
        ("1723161256322123999", .nanoseconds, 1_723_161_256_322_123), // floored, not rounded
        ("999", .nanoseconds, 0),
        ("0", .milliseconds, 0),
    ])
    func times(text: String, unit: TimeUnit, micros: Int64) {
        let chunk = parseChunk(probeRow(time: text), layout: probeLayout(timeUnit: unit))
        #expect(chunk.problems.isEmpty)
        #expect(chunk.trades.time == [micros])
    }

    @Test("bad times are rejected", arguments: [
        ("1723161256322.5", TimeUnit.microseconds, "time: not a number"),
        ("1723161256322123456.5", .nanoseconds, "time: not a number"),
        ("1723161256.", .seconds, "time: not a number"),
        (".5", .seconds, "time: not a number"),
        ("-1723161256", .seconds, "time: not a number"),
        ("2024-08-08T23:54:16Z", .milliseconds, "time: not a number"),
        ("abc", .milliseconds, "time: not a number"),
        ("", .milliseconds, "time: empty field"),
        ("9223372036854775", .seconds, "time: number out of range"),
        ("9223372036854776", .milliseconds, "time: number out of range"),
        ("92233720368547758070", .microseconds, "time: number out of range"),
    ])
    func badTimes(text: String, unit: TimeUnit, reason: String) {
        let chunk = parseChunk(probeRow(time: text), layout: probeLayout(timeUnit: unit))
        #expect(chunk.rowCount == 0)
        #expect(chunk.problems.map(\.reason) == [reason])
        #expect(chunk.problems.map(\.column) == [4])
    }

    // MARK: Sides

    @Test("is_buyer_maker booleans: true means the seller aggressed", arguments: [
        ("true", UInt8(0)), ("false", 1), ("True", 0), ("False", 1), ("TRUE", 0), ("FALSE", 1),
    ])
    func makerSides(text: String, buyerAggressor: UInt8) {
        let chunk = parseChunk(probeRow(side: text), layout: probeLayout(sides: .buyerIsMaker))
        #expect(chunk.problems.isEmpty)
        #expect(chunk.trades.buyerAggressor == [buyerAggressor])
    }

    @Test("aggressor words: buy means the buyer aggressed", arguments: [
        ("buy", UInt8(1)), ("sell", 0), ("Buy", 1), ("Sell", 0), ("BUY", 1), ("SELL", 0), ("b", 1), ("s", 0),
    ])
    func aggressorSides(text: String, buyerAggressor: UInt8) {
        let chunk = parseChunk(probeRow(side: text), layout: probeLayout(sides: .aggressor))
        #expect(chunk.problems.isEmpty)
        #expect(chunk.trades.buyerAggressor == [buyerAggressor])
    }

    @Test("bad sides are rejected", arguments: [
        ("buy", SideEncoding.buyerIsMaker, "side: not a trade side (expected true/false or buy/sell)"),
        ("yes", .buyerIsMaker, "side: not a trade side (expected true/false or buy/sell)"),
        ("truex", .buyerIsMaker, "side: not a trade side (expected true/false or buy/sell)"),
        ("fals", .buyerIsMaker, "side: not a trade side (expected true/false or buy/sell)"),
        ("true", .aggressor, "side: not a trade side (expected true/false or buy/sell)"),
        ("buyer", .aggressor, "side: not a trade side (expected true/false or buy/sell)"),
        ("\"buy\"", .aggressor, "side: quoted fields are not supported"),
    ])
    func badSides(text: String, encoding: SideEncoding, reason: String) {
        let chunk = parseChunk(probeRow(side: text), layout: probeLayout(sides: encoding))
        #expect(chunk.rowCount == 0)
        #expect(chunk.problems.map(\.reason) == [reason])
        #expect(chunk.problems.map(\.column) == [5])
    }

    @Test("an empty last field is an empty field of that column", arguments: [SideEncoding.aggressor, .buyerIsMaker])
    func emptyLastField(encoding: SideEncoding) {
        let chunk = parseChunk(probeRow(side: ""), layout: probeLayout(sides: encoding))
        #expect(chunk.rowCount == 0)
        #expect(chunk.problems.map(\.column) == [5])
        #expect(chunk.problems.first?.reason.hasSuffix("empty field") == true)
    }

    // MARK: Lines

    @Test("one row: every column in place")
    func wholeRow() {
        let chunk = parseChunk("5266583935,61800.30,0.006,1723161256322,false\n", layout: probeLayout())
        #expect(chunk.trades.id == [5_266_583_935])
        #expect(chunk.trades.price == [6_180_030_000_000])
        #expect(chunk.trades.quantity == [600_000])
        #expect(chunk.trades.time == [1_723_161_256_322_000])
        #expect(chunk.trades.buyerAggressor == [AggressorSide.buyer.rawValue])
        #expect(chunk.rowStart == [0])
        #expect(chunk.lineCount == 1)
    }

    @Test("wrong column counts name the first missing or extra column", arguments: [
        ("7,1.5,2,1723161256322", 5, "expected 5 columns, found 4"),
        ("7,1.5", 3, "expected 5 columns, found 2"),
        ("7,1.5,2,1723161256322,true,extra", 6, "expected 5 columns, found 6"),
        ("7,1.5,2,1723161256322,true,x,y", 6, "expected 5 columns, found 7"),
        ("7,1.5,2,1723161256322,true,", 6, "expected 5 columns, found 6"),  // trailing comma
    ])
    func columnCounts(line: String, column: Int, reason: String) {
        let chunk = parseChunk(line + "\n", layout: probeLayout())
        #expect(chunk.rowCount == 0)
        #expect(chunk.problems == [RowProblem(lineInChunk: 0, lineStart: 0, textEnd: line.utf8.count, column: column, reason: reason)])
        #expect(chunk.problems.first.map { Array(chunk.text(of: $0)) } == Array(line.utf8))
    }

    @Test("a bad row leaves no partial columns behind")
    func badRowIsUndone() {
        // The third field fails after id and price were appended.
        let text = probeRow(id: "1", price: "10") + probeRow(id: "2", price: "20", qty: "x") + probeRow(id: "3", price: "30", side: "false")
        let chunk = parseChunk(text, layout: probeLayout())
        #expect(chunk.trades.id == [1, 3])
        #expect(chunk.trades.price == [10 * FixedPoint.scale, 30 * FixedPoint.scale])
        #expect(chunk.trades.quantity.count == 2)
        #expect(chunk.trades.time.count == 2)
        #expect(chunk.trades.buyerAggressor == [0, 1])
        let secondLineStart = probeRow(id: "1", price: "10").utf8.count
        #expect(chunk.problems.map(\.lineStart) == [secondLineStart])
        #expect(chunk.problems.map(\.lineInChunk) == [1])
        #expect(chunk.rowStart == [0, UInt32(secondLineStart + probeRow(id: "2", price: "20", qty: "x").utf8.count)])
    }

    @Test("CRLF line ends give the same rows as LF; the problem text has no CR")
    func crlf() {
        let lf = probeRow(id: "1") + probeRow(id: "2", price: "2.25") + probeRow(id: "3", qty: "0.5")
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        let a = parseChunk(lf, layout: probeLayout())
        let b = parseChunk(crlf, layout: probeLayout())
        #expect(a.trades == b.trades)
        #expect(b.trades.count == 3)
        #expect(b.lineCount == 3)

        let bad = parseChunk("7,abc,2,1723161256322,true\r\n", layout: probeLayout())
        #expect(bad.problems.map { String(decoding: bad.text(of: $0), as: UTF8.self) } == ["7,abc,2,1723161256322,true"])
    }

    @Test("blank lines are skipped but counted")
    func blankLines() {
        let text = "\n" + probeRow(id: "1") + "\n\r\n" + probeRow(id: "2", price: "x") + "\n"
        let chunk = parseChunk(text, layout: probeLayout())
        #expect(chunk.trades.id == [1])
        #expect(chunk.lineCount == 6)
        #expect(chunk.problems.map(\.lineInChunk) == [4])
        #expect(chunk.problems.map(\.lineStart) == [1 + probeRow(id: "1").utf8.count + 3])
    }

    @Test("the last line needs no newline")
    func noFinalNewline() {
        let text = probeRow(id: "1") + "2,3.5,1,1723161256400,false"
        let chunk = parseChunk(text, layout: probeLayout())
        #expect(chunk.trades.id == [1, 2])
        #expect(chunk.trades.price.last == 350_000_000)
        #expect(chunk.lineCount == 2)
    }

    @Test("skipFirstLine drops the header only")
    func skipHeader() {
        let text = "id,price,qty,time,side\n" + probeRow(id: "1")
        let skipped = parseChunk(text, layout: probeLayout(), skipHeader: true)
        #expect(skipped.trades.id == [1])
        #expect(skipped.problems.isEmpty)
        let notSkipped = parseChunk(text, layout: probeLayout(), skipHeader: false)
        #expect(notSkipped.trades.id == [1])
        #expect(notSkipped.problems.map(\.reason) == ["price: not a number"])
    }

    @Test("ignored text columns may hold UTF-8 but not other bytes")
    func ignoredText() {
        let layout = Layout(name: "probe-text", kind: .trades, roles: [.ignore, .time, .price, .quantity, .side],
                            header: nil, timeUnit: .microseconds, sideEncoding: .aggressor)
        let good = parseChunk("BTC€USDT,1582329602111000,9682,0.132,buy\n", layout: layout)
        #expect(good.problems.isEmpty)
        #expect(good.trades.price == [968_200_000_000])

        var bytes = Array("BTC".utf8) + [0xFF] + Array("USDT,1582329602111000,9682,0.132,buy\n".utf8)
        let bad = parseChunk(bytes: bytes, layout: layout)
        #expect(bad.rowCount == 0)
        #expect(bad.problems.map(\.reason) == ["invalid UTF-8"])
        bytes.removeLast()
        #expect(bad.problems.first.map { Array(bad.text(of: $0)) } == bytes)

        let quoted = parseChunk("\"BTCUSDT\",1582329602111000,9682,0.132,buy\n", layout: layout)
        #expect(quoted.problems.map(\.reason) == ["quoted fields are not supported"])
        #expect(quoted.problems.map(\.column) == [1])
    }

    @Test("a non-UTF-8 byte in a number is not a number")
    func nonUTF8InNumber() {
        let bytes = Array("7,61800.30".utf8) + [0xFF] + Array(",2,1723161256322,true\n".utf8)
        let chunk = parseChunk(bytes: bytes, layout: probeLayout())
        #expect(chunk.rowCount == 0)
        #expect(chunk.problems.map(\.reason) == ["price: not a number"])
        #expect(chunk.problems.map(\.column) == [2])
    }

    @Test("quotes layout fills the quote columns in role order")
    func quotesLayout() {
        let layout = Layout(name: "tq", kind: .quotes,
                            roles: [.ignore, .ignore, .time, .ignore, .askQuantity, .askPrice, .bidPrice, .bidQuantity],
                            header: nil, timeUnit: .microseconds, sideEncoding: .aggressor)
        let chunk = parseChunk("binance-futures,BTCUSDT,1582329601096000,1582329603502092,0.84,9682,9681.92,0.67\n", layout: layout)
        #expect(chunk.problems.isEmpty)
        #expect(chunk.quotes.time == [1_582_329_601_096_000])
        #expect(chunk.quotes.askQuantity == [84_000_000])
        #expect(chunk.quotes.askPrice == [968_200_000_000])
        #expect(chunk.quotes.bidPrice == [968_192_000_000])
        #expect(chunk.quotes.bidQuantity == [67_000_000])
        #expect(chunk.quotes.id.isEmpty)
        #expect(chunk.trades.count == 0)
    }
}

/// Random decimals formatted with 0–8 decimals (and sometimes extra zeros) read back exactly.
@Suite("Fixed-point round trip")
struct FixedPointRoundTripTests {
    static let powers: [UInt64] = (0...8).map { k in (0..<k).reduce(UInt64(1)) { r, _ in r * 10 } }

    /// The text of `mantissa / 10^decimals` with exactly `decimals` digits after the point.
    static func format(_ mantissa: UInt64, decimals: Int) -> String {
        guard decimals > 0 else { return String(mantissa) }
        let p = powers[decimals]
        let fraction = String(mantissa % p)
        return "\(mantissa / p)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    @Test("random values in 0–8 decimals", arguments: [UInt64(1), 7, 42, 20_240_808])
    func roundTrip(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var text = ""
        var expectedPrice: [Int64] = []
        var expectedQuantity: [Int64] = []
        var expectedTime: [Int64] = []
        for row in 0..<2_000 {
            func randomDecimal(positive: Bool) -> (String, Int64) {
                let decimals = Int(random.next() % 9)
                let scale = UInt64(FixedPoint.scale) / Self.powers[decimals]
                // Mix magnitudes: small, typical and near the top of the range.
                let limit: UInt64
                switch random.next() % 4 {
                case 0: limit = 1_000
                case 1: limit = 100_000_000
                case 2: limit = 10_000_000_000_000
                default: limit = UInt64(Int64.max) / scale
                }
                var mantissa = random.next() % (min(limit, UInt64(Int64.max) / scale) + 1)
                if positive && mantissa == 0 { mantissa = 1 }
                var s = Self.format(mantissa, decimals: decimals)
                if decimals > 0 && random.next() % 8 == 0 { s += String(repeating: "0", count: Int(random.next() % 6)) }
                return (s, Int64(mantissa * scale))
            }
            let (price, priceRaw) = randomDecimal(positive: true)
            let (qty, qtyRaw) = randomDecimal(positive: false)
            let time = 1_723_161_256_000 + Int64(row)
            text += "\(row),\(price),\(qty),\(time),\(random.next() % 2 == 0 ? "true" : "false")\n"
            expectedPrice.append(priceRaw)
            expectedQuantity.append(qtyRaw)
            expectedTime.append(time * 1_000)
        }
        let chunk = parseChunk(text, layout: probeLayout())
        #expect(chunk.problems.isEmpty)
        #expect(chunk.trades.price == expectedPrice)
        #expect(chunk.trades.quantity == expectedQuantity)
        #expect(chunk.trades.time == expectedTime)
        #expect(chunk.trades.id == (0..<2_000).map { Int64($0) })
        // The writer of the library prints the same values back.
        for (k, raw) in expectedPrice.prefix(200).enumerated() {
            let reparsed = parseChunk(probeRow(id: String(k), price: FixedPoint.string(Int128(raw))), layout: probeLayout())
            #expect(reparsed.trades.price == [raw])
        }
    }

    @Test("a 9th non-zero decimal is always rejected", arguments: [UInt64(3), 99])
    func ninthDecimal(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for _ in 0..<300 {
            let mantissa = random.next() % 1_000_000_000_000
            let ninth = 1 + random.next() % 9
            let text = Self.format(mantissa, decimals: 8) + String(ninth) + String(repeating: "0", count: Int(random.next() % 3))
            let chunk = parseChunk(probeRow(qty: text), layout: probeLayout())
            #expect(chunk.problems.map(\.reason) == ["quantity: more than 8 decimal places"], "\(text)")
        }
    }
}
