import Foundation
import Testing
import TickCore
import TickCSV
import TickPipeline

/// Contract version 2's input forms through the validator and the binary: ids that are not
/// integers are not compared, one symbol per input, unknown sides, and mapped files as pandas
/// writes them.
@Suite("Input forms end to end")
struct InputFormsEndToEndTests {
    static let tardisHeader = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"

    static func tardisRow(_ symbol: String = "BTCUSDT", time: Int64, id: String, side: String = "buy", price: String = "9682",
                          amount: String = "0.5") -> String {
        "binance-futures,\(symbol),\(time),\(time + 300),\(id),\(side),\(price),\(amount)\n"
    }

    @Test("UUID and empty ids are not compared; integer ids keep comparing with the last integer id", arguments: [1, 7, 64, 8 << 20])
    func mixedIds(chunkSize: Int) throws {
        let dir = try TemporaryDirectory("tf-ids")
        defer { dir.remove() }
        let t: Int64 = 1_582_329_602_111_000
        let text = Self.tardisHeader
            + Self.tardisRow(time: t, id: "a1b2c3d4-0000-4000-8000-00000000abcd")
            + Self.tardisRow(time: t, id: "a1b2c3d4-0000-4000-8000-00000000abcd")  // same UUID: not a duplicate
            + Self.tardisRow(time: t + 1, id: "")
            + Self.tardisRow(time: t + 2, id: "100")
            + Self.tardisRow(time: t + 3, id: "f00")
            + Self.tardisRow(time: t + 3, id: "100")                              // duplicate of 100 across a UUID row
            + Self.tardisRow(time: t + 4, id: "99")                               // backwards from 100
            + Self.tardisRow(time: t + 5, id: "")
            + Self.tardisRow(time: t + 6, id: "101")
        let path = try dir.write("trades.csv", text)
        let contents = try readStream(path, chunkSize: chunkSize) { $0.badRows = .quarantine }
        #expect(contents.trades.id == [RowID.none, RowID.none, RowID.none, 100, RowID.none, RowID.none, 101])
        #expect(contents.rejects.map(\.location.line) == [7, 8])
        #expect(contents.rejects.map(\.reason).first?.hasPrefix("conflicting duplicate: id 100") == true)
        #expect(contents.rejects.map(\.reason).last?.hasPrefix("out of order: id 99 after id 100") == true)
    }

    @Test("a Tardis file of UUID ids gives features without rejects")
    func uuidIdsThroughFeatures() throws {
        let dir = try TemporaryDirectory("tf-uuid")
        defer { dir.remove() }
        var text = Self.tardisHeader
        for i in 0..<200 {
            let id = i % 3 == 0 ? "" : "\(UInt64(i) &* 0x9E37_79B9_7F4A_7C15 % 1_000_000)-uuid-\(i)"
            text += Self.tardisRow(time: 1_582_329_602_111_000 + Int64(i) * 1_000_000, id: id, side: i % 2 == 0 ? "buy" : "sell")
        }
        let path = try dir.write("trades.csv", text)
        let result = try FeatureRun.run(trades: path, quotes: nil, out: dir.path("out"))
        #expect(result.status == 0, "\(result.stderrText)")
        let rows = try #require((try FeatureRun.summary(dir.path("out"))["trades"] as? [String: Any])?["rows"] as? [String: Int])
        #expect(rows["used"] == 200 && rows["rejected"] == 0 && rows["duplicates"] == 0)
    }

    @Test("unknown sides are bad rows by default, and kept as side 2 when asked")
    func unknownSides() throws {
        let dir = try TemporaryDirectory("tf-sides")
        defer { dir.remove() }
        let t: Int64 = 1_582_329_602_111_000
        let path = try dir.write("trades.csv", Self.tardisHeader + Self.tardisRow(time: t, id: "1")
                                 + Self.tardisRow(time: t + 1, id: "2", side: "unknown") + Self.tardisRow(time: t + 2, id: "3", side: "Unknown"))
        let rejected = try readStream(path) { $0.badRows = .quarantine }
        #expect(rejected.rejects.map(\.reason) == Array(repeating: "side: unknown trade side (use --side-unknown tick-rule to infer it)", count: 2))
        let kept = try readStream(path) { $0.unknownSides = .keep }
        #expect(kept.trades.buyerAggressor == [1, 2, 2])
    }

    static func twoSymbols(_ dir: TemporaryDirectory) throws -> String {
        var text = Self.tardisHeader
        for i in 0..<100 {
            let symbol = i % 4 == 3 ? "ETHUSDT" : "BTCUSDT"
            text += Self.tardisRow(symbol, time: 1_582_329_602_111_000 + Int64(i) * 1_000_000, id: String(1000 + i),
                                   price: symbol == "ETHUSDT" ? "250.5" : "9682")
        }
        return try dir.write("trades.csv", text)
    }

    @Test("a file of two symbols is an error naming both, in every bad-rows mode")
    func twoSymbolsWithoutSelection() throws {
        let dir = try TemporaryDirectory("tf-symbols")
        defer { dir.remove() }
        let path = try Self.twoSymbols(dir)
        for mode in ["error", "quarantine"] {
            let result = try FeatureRun.run(trades: path, quotes: nil, out: dir.path("out-\(mode)"), ["--bad-rows", mode])
            #expect(result.status == 1)
            let offset = try String(contentsOfFile: path, encoding: .utf8).utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                .prefix(4).reduce(0) { $0 + $1.count + 1 }
            #expect(result.stderrText.contains("\(path) holds more than one symbol: BTCUSDT (line 2) and ETHUSDT (line 5, byte \(offset)); select one with --symbol"),
                    "\(result.stderrText)")
        }
    }

    @Test("--symbol reads one symbol and counts the others as filtered")
    func symbolSelected() throws {
        let dir = try TemporaryDirectory("tf-symbol")
        defer { dir.remove() }
        let path = try Self.twoSymbols(dir)
        for (symbol, used) in [("BTCUSDT", 75), ("ETHUSDT", 25)] {
            let out = dir.path("out-\(symbol)")
            let result = try FeatureRun.run(trades: path, quotes: nil, out: out, ["--symbol", symbol])
            #expect(result.status == 0, "\(result.stderrText)")
            let rows = try #require((try FeatureRun.summary(out)["trades"] as? [String: Any])?["rows"] as? [String: Int])
            #expect(rows["used"] == used && rows["filtered"] == 100 - used && rows["read"] == 100)
        }
        let scan = try #require(try scanJSON(path, ["--symbol", "ETHUSDT", "--chunk-size", "300"]))
        #expect(scan["rows"] as? Int == 25 && scan["filtered"] as? Int == 75)
        // A symbol no row has: nothing to make features of.
        let none = try FeatureRun.run(trades: path, quotes: nil, out: dir.path("out-none"), ["--symbol", "btcusdt"])
        #expect(none.status == 1 && none.stderrText.contains("filtered (other symbols): 100"), "\(none.stderrText)")
    }

    @Test("a mapped CSV as pandas writes it gives the features of the plain file, and counts the rounded values")
    func pandasMappedFile() throws {
        let dir = try TemporaryDirectory("tf-pandas")
        defer { dir.remove() }
        var plain = "time,price,qty,side\n"
        var pandas = ",timestamp,price,amount,side\n"
        var rounded = 0
        for i in 0..<300 {
            let micros: Int64 = 1_675_329_600_138_000 + Int64(i) * 333_333
            let price = 1666 + i % 17
            let fraction = (i * 7) % 100
            plain += "\(micros / 1000).\(String(micros % 1000).leftPadded(3)),\(price).\(String(fraction).leftPadded(2)),0.00001\(i % 10),\(i % 3 == 0 ? "sell" : "buy")\n"
            let iso = Time.iso8601(micros: micros)  // 2023-02-02T09:20:00.138000Z
            let time: String = switch i % 3 {
            case 0: iso
            case 1: iso.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "+00:00")
            default: String(iso.dropLast().dropLast(3)).replacingOccurrences(of: "T", with: " ")
            }
            // What float64 printing makes of such values: a stray last digit, or an exponent.
            let priceText = i % 2 == 0 ? "\(price).\(String(fraction).leftPadded(2))00000000002" : "\(price).\(String(fraction).leftPadded(2))"
            if i % 2 == 0 { rounded += 1 }
            pandas += "\(i),\(time),\(priceText),1.\(i % 10)e-05,\(i % 3 == 0 ? "sell" : "buy")\n"
        }
        let plainPath = try dir.write("plain.csv", plain)
        let pandasPath = try dir.write("pandas.csv", pandas)
        let a = try FeatureRun.run(trades: plainPath, quotes: nil, out: dir.path("a"), ["--columns", "time=time,price=price,qty=qty,side=side", "--time-unit", "ms"])
        let b = try FeatureRun.run(trades: pandasPath, quotes: nil, out: dir.path("b"), ["--columns", "time=timestamp,price=price,qty=amount,side=side"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderrText) \(b.stderrText)")
        #expect(FeatureRun.outputs(dir.path("a"))["features.csv"] == FeatureRun.outputs(dir.path("b"))["features.csv"])
        #expect(FeatureRun.outputs(dir.path("a"))["targets.csv"] == FeatureRun.outputs(dir.path("b"))["targets.csv"])
        let rows = try #require((try FeatureRun.summary(dir.path("b"))["trades"] as? [String: Any])?["rows"] as? [String: Int])
        #expect(rows["used"] == 300 && rows["rounded"] == rounded)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
