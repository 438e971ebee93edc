import Testing
import TickCore
@_spi(Testing) import TickCSV

/// The parser's fast path must read every line exactly as the general parser does: the same
/// values, the same rows accepted, the same problems named. Lines here are valid rows of each
/// layout, then mutated the ways real files go wrong (signs, points, quotes, long digit runs,
/// `\r`, high bytes, missing and extra fields), in chunks whose ends fall anywhere.
struct FastPathTests {
    static let layouts: [Layout] = [
        Layout(name: "binance-trades", kind: .trades, roles: [.id, .price, .quantity, .ignore, .time, .side],
               header: nil, timeUnit: .milliseconds),
        Layout(name: "tardis-trades", kind: .trades,
               roles: [.ignore, .ignore, .time, .ignore, .id, .side, .price, .quantity], header: nil,
               timeUnit: .microseconds, sideEncoding: .aggressor),
        Layout(name: "bookticker", kind: .quotes,
               roles: [.id, .bidPrice, .bidQuantity, .askPrice, .askQuantity, .ignore, .time], header: nil,
               timeUnit: .milliseconds),
        Layout(name: "ns-no-ids", kind: .trades, roles: [.time, .price, .quantity, .side], header: nil,
               timeUnit: .nanoseconds),
        // Binance trades with `is_best_match`: the specialised reader's seven-column form.
        Layout(name: "binance-trades-7", kind: .trades, roles: [.id, .price, .quantity, .ignore, .time, .side, .ignore],
               header: nil, timeUnit: .milliseconds),
        // The same layout with microsecond times (newer Binance spot dumps).
        Layout(name: "binance-trades-us", kind: .trades, roles: [.id, .price, .quantity, .ignore, .time, .side],
               header: nil, timeUnit: .microseconds),
    ]

    static let fieldSamples: [ColumnRole: [String]] = [
        // Runs of 7, 8, 9, 15, 16 and 17 digits sit on the one-word/two-word/loop boundaries of
        // the digit readers.
        .id: ["5266583935", "1", "0", "9223372036854775807", "9223372036854775808", "12345678901234567890",
              "1234567", "12345678", "123456789", "123456789012345", "1234567890123456", "12345678901234567"],
        .time: ["1723161256322", "1582329600123456", "1723161256322000000", "1723161256.5", "99999999999999999999"],
        .price: ["61800.30", "0.00000001", "5.", ".5", "60000", "92233720368.54775807", "92233720368.54775808",
                 "1.123456789", "1.100000000", "0", "0.0",
                 // Around the one-word decimal reader's limits: 10 and 11 integer digits, 15
                 // and 16 bytes, a point with nothing after it, two points.
                 "1234567890.5", "12345678901.5", "1234567.1234567", "12345678.1234567", "123.", "0.5.1"],
        .quantity: ["0.006", "0", "12.5", "100000000000", "0.000000010", "12345678.12345678", "1234567.1234567", "."],
        .ignore: ["370.8018", "", "binance-futures", "héllo", "x y"],
    ]

    func sample(_ role: ColumnRole, _ layout: Layout, _ rng: inout SplitMix64) -> String {
        switch role {
        case .side:
            return layout.sideEncoding == .buyerIsMaker
                ? ["true", "false", "TRUE", "False", "1", "0", "tru", "falsey"].randomElement(using: &rng)!
                : ["buy", "sell", "BUY", "Sell", "b", "s", "bu", "sells"].randomElement(using: &rng)!
        case .bidPrice, .askPrice: return Self.fieldSamples[.price]!.randomElement(using: &rng)!
        case .bidQuantity, .askQuantity: return Self.fieldSamples[.quantity]!.randomElement(using: &rng)!
        default: return Self.fieldSamples[role]!.randomElement(using: &rng)!
        }
    }

    func randomLine(_ layout: Layout, _ rng: inout SplitMix64) -> [UInt8] {
        var fields = layout.roles.map { role in
            // Mostly the first (plain, valid) sample, so most rows are good.
            Int.random(in: 0..<3, using: &rng) == 0 ? sample(role, layout, &rng) : Self.validSample(role, layout)
        }
        var line = Array(fields.joined(separator: ",").utf8)
        switch Int.random(in: 0..<12, using: &rng) {
        case 0 where !line.isEmpty:  // flip one byte to something a file might hold
            line[Int.random(in: 0..<line.count, using: &rng)] =
                Array("-+.,\"\r eE0129\u{7f}".utf8 + [0xC3, 0xFF]).randomElement(using: &rng)!
        case 1: line.append(UInt8(ascii: ","))
        case 2: line.append(UInt8(ascii: "\r"))
        case 3 where fields.count > 1: fields.removeLast(); line = Array(fields.joined(separator: ",").utf8)
        case 4: line = []
        case 5 where !line.isEmpty: line.insert(UInt8(ascii: "\""), at: Int.random(in: 0..<line.count, using: &rng))
        default: break
        }
        return line
    }

    static func validSample(_ role: ColumnRole, _ layout: Layout) -> String {
        switch role {
        case .side: layout.sideEncoding == .buyerIsMaker ? "true" : "sell"
        case .time: layout.timeUnit == .nanoseconds ? "1723161256322000000" : "1723161256322"
        case .bidPrice, .askPrice: "61800.3"
        case .bidQuantity, .askQuantity: "0.25"
        default: fieldSamples[role]![0]
        }
    }

    @Test(arguments: Array(0..<layouts.count))
    func fastPathReadsLikeTheGeneralParser(layoutIndex: Int) {
        let layout = Self.layouts[layoutIndex]
        var rng = SplitMix64(seed: UInt64(100 + layoutIndex))
        for round in 0..<300 {
            var chunk: [UInt8] = []
            for _ in 0..<Int.random(in: 1...40, using: &rng) {
                chunk += randomLine(layout, &rng)
                chunk.append(UInt8(ascii: "\n"))
            }
            // Chunks that end without a line end, or mid-field, as the last chunk of a file can.
            if round % 3 == 0 { chunk.removeLast(Int.random(in: 0...min(chunk.count, 9), using: &rng)) }
            let maxRecordSize = round % 5 == 0 ? 40 : Int.max
            let skipHeader = round % 7 == 0
            let fast = ChunkParser(layout: layout, maxRecordSize: maxRecordSize, usesFastPath: true).parse(chunk, skipFirstLine: skipHeader)
            let general = ChunkParser(layout: layout, maxRecordSize: maxRecordSize, usesFastPath: false).parse(chunk, skipFirstLine: skipHeader)
            #expect(fast.trades == general.trades, "round \(round): \(String(decoding: chunk, as: UTF8.self))")
            #expect(fast.quotes == general.quotes, "round \(round)")
            #expect(fast.rowStart == general.rowStart, "round \(round)")
            #expect(fast.problems == general.problems, "round \(round)")
            #expect(fast.lineCount == general.lineCount, "round \(round)")
            if fast.problems != general.problems || fast.trades != general.trades || fast.quotes != general.quotes { return }
        }
    }

    @Test func mostGeneratedRowsAreGoodSoBothPathsAreExercised() {
        var rng = SplitMix64(seed: 1)
        let layout = Self.layouts[0]
        var chunk: [UInt8] = []
        for _ in 0..<1000 { chunk += randomLine(layout, &rng) + [UInt8(ascii: "\n")] }
        let parsed = ChunkParser(layout: layout).parse(chunk, skipFirstLine: false)
        #expect(parsed.rowCount > 300)
        #expect(parsed.problems.count > 100)
    }
}
