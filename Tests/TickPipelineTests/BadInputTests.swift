import Foundation
import Testing
import TickCore
import TickCSV
import TickPipeline

/// One bad row of the corpus in `Fixtures/bad/` and exactly where it must be reported.
/// The locations were worked out from the bytes of each file (see `Fixtures/bad/README.md`).
struct BadRowCase: Sendable, CustomTestStringConvertible {
    var file: String
    var line: Int64
    var byte: Int64
    var column: Int
    var reason: String
    /// The row as the error message prints it (non-UTF-8 bytes as `\xNN`).
    var text: String
    /// Rows kept when the bad row is quarantined.
    var goodRows: Int64
    /// Rows rejected in quarantine mode: more than one for a spike of several rows, all with
    /// the same reason, the first of them the row above.
    var rejected: Int64 = 1

    var path: String { TestPaths.bad(file) }
    var testDescription: String { "\(file):\(line)" }

    /// The message `tickforge` must print on stderr.
    var expectedMessage: String {
        "error: \(path):\(line) (byte \(byte), column \(column)): \(reason): \"\(text)\"\n"
    }

    /// The raw bytes of the bad line, cut from the file at the expected offset (no line end).
    func rawLine() throws -> [UInt8] {
        let bytes = try readBytes(path)
        var end = Int(byte)
        while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
        if end > Int(byte) && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return Array(bytes[Int(byte)..<end])
    }

    static let errors: [BadRowCase] = [
        BadRowCase(file: "price-not-a-number.csv", line: 4, byte: 155, column: 2,
                   reason: "price: not a number",
                   text: "5266583937,61800.2O,0.002,123.6004,1723161256344,true",
                   goodRows: 4),
        BadRowCase(file: "too-few-columns.csv", line: 4, byte: 155, column: 6,
                   reason: "expected 6 columns, found 5",
                   text: "5266583937,61800.20,0.002,123.6004,1723161256344",
                   goodRows: 4),
        BadRowCase(file: "too-many-columns.csv", line: 4, byte: 155, column: 7,
                   reason: "expected 6 columns, found 8",
                   text: "5266583937,61800.20,0.002,123.6004,1723161256344,true,true,x",
                   goodRows: 4),
        BadRowCase(file: "quoted-price.csv", line: 4, byte: 155, column: 2,
                   reason: "price: quoted fields are not supported",
                   text: "5266583937,\"61800.20\",0.002,123.6004,1723161256344,true",
                   goodRows: 4),
        BadRowCase(file: "quoted-text-column.csv", line: 3, byte: 145, column: 2,
                   reason: "quoted fields are not supported",
                   text: "binance-futures,\"BTCUSDT\",1582329602116000,1582329602418420,42377945,buy,9682,0.412",
                   goodRows: 3),
        BadRowCase(file: "non-utf8-text-column.csv", line: 3, byte: 145, column: 2,
                   reason: "invalid UTF-8",
                   text: "binance-futures,BTC\\xFFUSDT,1582329602116000,1582329602418420,42377945,buy,9682,0.412",
                   goodRows: 3),
        BadRowCase(file: "non-utf8-number.csv", line: 4, byte: 155, column: 2,
                   reason: "price: not a number",
                   text: "5266583937,61800.20\\xFF,0.002,123.6004,1723161256344,true",
                   goodRows: 4),
        // Line 4 is earlier than lines 2 and 3, and removing those two (nothing is before them)
        // puts it back in order: by the spike rule they are the bad rows, not line 4.
        BadRowCase(file: "time-out-of-order.csv", line: 2, byte: 43, column: 5,
                   reason: "out of order: a spike of 2 rows (lines 2, 3) stamped from 2024-08-08T23:54:16.322000Z, after line 4 that follows (2024-08-08T23:54:16.300000Z)",
                   text: "5266583935,61800.30,0.006,370.8018,1723161256322,false",
                   goodRows: 3, rejected: 2),
        BadRowCase(file: "spike-future-row.csv", line: 11, byte: 541, column: 5,
                   reason: "out of order: a spike: stamped 2025-08-08T23:54:16.681000Z, after line 12 that follows (2024-08-08T23:54:16.681000Z)",
                   text: "5266583944,61800.20,0.030,1854.006,1754697256681,true",
                   goodRows: 19),
        // Line 20 is earlier than all 18 rows before it: no run of at most 16 explains it.
        BadRowCase(file: "time-backwards-past-the-look-back.csv", line: 20, byte: 1037, column: 5,
                   reason: "out of order: time 2024-08-08T23:54:15.322000Z is before the previous row's 2024-08-08T23:54:16.681000Z (line 19)",
                   text: "5266583953,61800.20,0.047,2904.6094,1723161255322,true",
                   goodRows: 19),
        BadRowCase(file: "id-out-of-order.csv", line: 4, byte: 155, column: 1,
                   reason: "out of order: id 5266583930 after id 5266583936 (line 3)",
                   text: "5266583930,61800.20,0.002,123.6004,1723161256344,true",
                   goodRows: 4),
        BadRowCase(file: "conflicting-duplicate.csv", line: 5, byte: 211, column: 1,
                   reason: "conflicting duplicate: id 5266583937 repeats line 4's id with a different price",
                   text: "5266583937,61800.10,0.045,2781.0135,1723161256431,false",
                   goodRows: 5),
        BadRowCase(file: "crlf-bad-row.csv", line: 4, byte: 158, column: 6,
                   reason: "side: not a trade side (expected true/false or buy/sell)",
                   text: "5266583937,61800.20,0.002,123.6004,1723161256344,maybe",
                   goodRows: 4),
        BadRowCase(file: "bom-bad-row.csv", line: 3, byte: 101, column: 3,
                   reason: "quantity: empty field",
                   text: "5266583936,61800.30,,12298.2597,1723161256344,false",
                   goodRows: 4),
        BadRowCase(file: "blank-lines-bad-row.csv", line: 6, byte: 102, column: 6,
                   reason: "side: not a trade side (expected true/false or buy/sell)",
                   text: "5266583936,61800.30,0.199,12298.2597,1723161256344,fals",
                   goodRows: 4),
        BadRowCase(file: "late-bad-row.csv", line: 32, byte: 1523, column: 6,
                   reason: "side: not a trade side (expected true/false or buy/sell)",
                   text: "5266583930,61800.30,0.031,1.0,1723161256300,yes",
                   goodRows: 35),
    ]

    /// The bad rows of `mixed-bad-rows.csv`, in the order they are found. Line 5 repeats line
    /// 4's id: a duplicate, skipped and counted but not rejected. Line 9 is earlier than the
    /// three rows kept before it (lines 2, 4, 8), and removing them puts it back in order: by
    /// the spike rule they are rejected, when line 9 is read. Line 12 repeats line 9's id with
    /// another time: a conflicting duplicate.
    static let mixed: [BadRowCase] = {
        let spike = "out of order: a spike of 3 rows (lines 2, 4, 8) stamped from 2024-08-08T23:54:16.322000Z, after line 9 that follows (2024-08-08T23:54:16.300000Z)"
        return [
            BadRowCase(file: "mixed-bad-rows.csv", line: 3, byte: 98, column: 2,
                       reason: "price: not a number",
                       text: "5266583936,61800.3O,0.199,12298.2597,1723161256344,false", goodRows: 2),
            BadRowCase(file: "mixed-bad-rows.csv", line: 6, byte: 269, column: 6,
                       reason: "expected 6 columns, found 5",
                       text: "5266583937,61800.20,0.002,123.6004,1723161256344", goodRows: 2),
            BadRowCase(file: "mixed-bad-rows.csv", line: 7, byte: 318, column: 2,
                       reason: "price: quoted fields are not supported",
                       text: "5266583937,\"61800.20\",0.002,123.6004,1723161256344,true", goodRows: 2),
            BadRowCase(file: "mixed-bad-rows.csv", line: 2, byte: 43, column: 5, reason: spike,
                       text: "5266583935,61800.30,0.006,370.8018,1723161256322,false", goodRows: 2),
            BadRowCase(file: "mixed-bad-rows.csv", line: 4, byte: 155, column: 5, reason: spike,
                       text: "5266583936,61800.30,0.199,12298.2597,1723161256344,false", goodRows: 2),
            BadRowCase(file: "mixed-bad-rows.csv", line: 8, byte: 374, column: 5, reason: spike,
                       text: "5266583937,61800.20,0.002,123.6004,1723161256344,true", goodRows: 2),
            BadRowCase(file: "mixed-bad-rows.csv", line: 10, byte: 481, column: 2,
                       reason: "price: not a number",
                       text: "5266583938,61800.20\\xFF,0.010,618.002,1723161256400,true", goodRows: 2),
            BadRowCase(file: "mixed-bad-rows.csv", line: 11, byte: 535, column: 1,
                       reason: "out of order: id 5266583930 after id 5266583938 (line 9)",
                       text: "5266583930,61800.20,0.010,618.002,1723161256400,true", goodRows: 2),
            BadRowCase(file: "mixed-bad-rows.csv", line: 12, byte: 588, column: 1,
                       reason: "conflicting duplicate: id 5266583938 repeats line 9's id with a different time",
                       text: "5266583938,61800.20,0.010,618.002,1723161256400,true", goodRows: 2),
        ]
    }()
}

/// A file of the corpus that must be read without error.
struct AcceptedCase: Sendable, CustomTestStringConvertible {
    var file: String
    var layout: String
    var rows: Int64
    var duplicates: Int64 = 0
    /// Whether its rows are those of `good.csv`.
    var sameAsGood: Bool
    var path: String { TestPaths.bad(file) }
    var testDescription: String { file }

    static let all: [AcceptedCase] = [
        AcceptedCase(file: "good.csv", layout: "binance-trades", rows: 5, sameAsGood: true),
        AcceptedCase(file: "crlf.csv", layout: "binance-trades", rows: 5, sameAsGood: true),
        AcceptedCase(file: "bom.csv", layout: "binance-trades", rows: 5, sameAsGood: true),
        AcceptedCase(file: "no-final-newline.csv", layout: "binance-trades", rows: 5, sameAsGood: true),
        AcceptedCase(file: "blank-lines.csv", layout: "binance-trades", rows: 5, sameAsGood: true),
        AcceptedCase(file: "duplicate-id.csv", layout: "binance-trades", rows: 5, duplicates: 1, sameAsGood: true),
        AcceptedCase(file: "empty.csv", layout: "empty", rows: 0, sameAsGood: false),
        AcceptedCase(file: "header-only.csv", layout: "binance-trades", rows: 0, sameAsGood: false),
        AcceptedCase(file: "header-only-no-newline.csv", layout: "binance-trades", rows: 0, sameAsGood: false),
        AcceptedCase(file: "tardis-good.csv", layout: "tardis-trades", rows: 4, sameAsGood: false),
    ]
}

/// Reads `rejects.csv`: the header and one row per rejected line, each a list of raw fields.
func parseRejects(_ bytes: [UInt8]) -> [[[UInt8]]] {
    var rows: [[[UInt8]]] = []
    var row: [[UInt8]] = []
    var field: [UInt8] = []
    var i = 0
    var quoted = false
    while i < bytes.count {
        let b = bytes[i]
        if quoted {
            if b == UInt8(ascii: "\"") {
                if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") { field.append(b); i += 1 } else { quoted = false }
            } else {
                field.append(b)
            }
        } else if b == UInt8(ascii: "\"") {
            quoted = true
        } else if b == UInt8(ascii: ",") {
            row.append(field); field = []
        } else if b == UInt8(ascii: "\n") {
            row.append(field); field = []
            rows.append(row); row = []
        } else {
            field.append(b)
        }
        i += 1
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite("Bad input corpus")
struct BadInputTests {
    @Test("each bad row stops the run with its file, line, byte offset, column, reason and text",
          arguments: BadRowCase.errors)
    func errorMessage(bad: BadRowCase) throws {
        let result = try runTickforge(["scan", "--json", bad.path])
        #expect(result.exited)
        #expect(result.status == 1)
        #expect(result.stderrText == bad.expectedMessage)
        #expect(result.stdout.isEmpty, "no report may be printed for a failed scan")
    }

    @Test("the library reports the same TickError.badRow at every chunk size from 1 byte up", arguments: BadRowCase.errors)
    func libraryError(bad: BadRowCase) throws {
        let expected = TickError.badRow(location: InputLocation(file: bad.path, line: bad.line, byteOffset: bad.byte, column: bad.column),
                                        reason: bad.reason, text: bad.text)
        var errors: [(chunkSize: Int, error: TickError?)] = []
        for chunkSize in [1, 2, 7, 61, 97, 256, 1031, 4096, 8 << 20] {
            var options = ReadOptions()
            options.chunkSize = chunkSize
            options.workers = 2
            do {
                _ = try ScanJob.run(path: bad.path, options: options)
                errors.append((chunkSize, nil))
            } catch let error as TickError {
                errors.append((chunkSize, error))
            }
        }
        // The same error whatever the chunking, and it is the expected one.
        for (chunkSize, error) in errors {
            #expect(error == errors[0].error, "chunk size \(chunkSize) differs from chunk size \(errors[0].chunkSize)")
        }
        #expect(errors[0].error == expected)
    }

    @Test("quarantine writes the bad row to rejects.csv and keeps the good ones", arguments: BadRowCase.errors)
    func quarantine(bad: BadRowCase) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let rejectsPath = dir.path("rejects.csv")
        let json = try #require(try scanJSON(bad.path, ["--bad-rows", "quarantine", "--rejects", rejectsPath]))
        #expect(json.int("rejected") == bad.rejected)
        #expect(json.int("rows") == bad.goodRows)
        #expect(json.int("duplicates") == 0)
        let rows = parseRejects(try readBytes(rejectsPath))
        try #require(rows.count == 1 + Int(bad.rejected))
        #expect(rows.dropFirst().allSatisfy { text($0[4]) == bad.reason })
        #expect(rows[0].map(text) == ["file", "line", "byte_offset", "column", "reason", "text"])
        #expect(rows[1].count == 6)
        #expect(text(rows[1][0]) == bad.path)
        #expect(text(rows[1][1]) == String(bad.line))
        #expect(text(rows[1][2]) == String(bad.byte))
        #expect(text(rows[1][3]) == String(bad.column))
        #expect(text(rows[1][4]) == bad.reason)
        #expect(rows[1][5] == (try bad.rawLine()), "the raw text must survive byte for byte")
    }

    @Test("an error in a later chunk keeps its absolute line and byte offset",
          arguments: ["1", "61", "256", "1KiB", "64KiB"], ["1", "2", "4"])
    func laterChunk(chunkSize: String, workers: String) throws {
        let bad = try #require(BadRowCase.errors.first { $0.file == "late-bad-row.csv" })
        let result = try runTickforge(["scan", bad.path, "--chunk-size", chunkSize, "--workers", workers])
        #expect(result.exited)
        #expect(result.status == 1)
        #expect(result.stderrText == bad.expectedMessage)
    }

    @Test("quarantine of many kinds of bad rows, at any chunk size", arguments: ["8MiB", "256", "61", "1"])
    func mixedQuarantine(chunkSize: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let rejectsPath = dir.path("rejects.csv")
        let path = TestPaths.bad("mixed-bad-rows.csv")
        let json = try #require(try scanJSON(path, ["--bad-rows", "quarantine", "--rejects", rejectsPath, "--chunk-size", chunkSize]))
        #expect(json.int("rejected") == Int64(BadRowCase.mixed.count))
        #expect(json.int("duplicates") == 1)
        #expect(json.int("rows") == 2)
        #expect(json.int("rows_read") == 12)
        #expect(json.int("first_time_ms") == 1_723_161_256_300)
        #expect(json.int("last_time_ms") == 1_723_161_256_512)

        let rows = parseRejects(try readBytes(rejectsPath)).dropFirst()
        try #require(rows.count == BadRowCase.mixed.count)
        for (row, bad) in zip(rows, BadRowCase.mixed) {
            #expect(row.count == 6)
            #expect(row.prefix(5).map(text) == [bad.path, String(bad.line), String(bad.byte), String(bad.column), bad.reason])
            #expect(row.last == (try bad.rawLine()))
        }
    }

    @Test("quarantine keeps exactly the rows the rules keep", arguments: [1, 97, 8 << 20])
    func mixedGoodRowsUnaffected(chunkSize: Int) throws {
        var options = ReadOptions()
        options.badRows = .quarantine
        options.chunkSize = chunkSize
        options.workers = 4
        let path = TestPaths.bad("mixed-bad-rows.csv")
        let mixed = try readStream(path, options: options)
        #expect(mixed.counts.rejected == Int64(BadRowCase.mixed.count))
        #expect(mixed.counts.duplicates == 1)
        #expect(mixed.counts.used == 2)
        #expect(mixed.counts.read == 12)
        // Lines 9 and 13, read by the reference reader from the file's own bytes.
        let lines = try String(contentsOfFile: path, encoding: .isoLatin1).split(separator: "\n", omittingEmptySubsequences: false)
        let kept = try ReferenceReader.read(bytes: Array((lines[0] + "\n" + lines[8] + "\n" + lines[12] + "\n").utf8), .binanceTrades)
        #expect(mixed.trades == kept.trades)
        try #require(mixed.rejects.count == BadRowCase.mixed.count)
        for (record, bad) in zip(mixed.rejects, BadRowCase.mixed) {
            #expect(record.location == InputLocation(file: path, line: bad.line, byteOffset: bad.byte, column: bad.column))
            #expect(record.reason == bad.reason)
            #expect(record.text == (try bad.rawLine()))
        }
    }

    @Test("in error mode the first bad row of the mixed file stops the run")
    func mixedErrorMode() throws {
        let result = try runTickforge(["scan", TestPaths.bad("mixed-bad-rows.csv")])
        #expect(result.status == 1)
        #expect(result.stderrText == BadRowCase.mixed[0].expectedMessage)
    }

    @Test("files that are odd but valid are read", arguments: AcceptedCase.all)
    func accepted(ok: AcceptedCase) throws {
        let json = try #require(try scanJSON(ok.path))
        #expect(json.string("layout") == ok.layout)
        #expect(json.int("rows") == ok.rows)
        #expect(json.int("duplicates") == ok.duplicates)
        #expect(json.int("rejected") == 0)
        #expect(json.int("bytes") == Int64(try readBytes(ok.path).count))
        if ok.rows == 0 {
            #expect(json["first_time_ms"] == nil || json["first_time_ms"] is NSNull)
        }
        if ok.sameAsGood {
            #expect(json.int("first_time_ms") == 1_723_161_256_322)
            #expect(json.int("last_time_ms") == 1_723_161_256_512)
            let contents = try readStream(ok.path)
            let good = try ReferenceReader.read(TestPaths.bad("good.csv"), .binanceTrades)
            #expect(contents.trades == good.trades)
            #expect(contents.counts.used == 5)
            #expect(contents.counts.duplicates == ok.duplicates)
        }
    }

    @Test("the same odd files read identically with 1-byte and prime chunks", arguments: AcceptedCase.all)
    func acceptedAnyChunk(ok: AcceptedCase) throws {
        let reference = try readStream(ok.path)
        for chunkSize in [1, 3, 61] {
            let small = try readStream(ok.path, chunkSize: chunkSize, workers: 4)
            #expect(small == reference, "chunk size \(chunkSize)")
        }
        #expect(rowCount(reference) == Int(ok.rows))
    }

    @Test("a file of blank lines or a lone BOM does not crash", arguments: ["blank-lines-only.csv", "bom-only.csv"])
    func nothingButBlanks(file: String) throws {
        let path = TestPaths.bad(file)
        let result = try runTickforge(["scan", "--json", path])
        #expect(result.exited, "tickforge crashed: \(result.stderrText.prefix(300))")
        #expect(result.status == 0 || result.status == 1)
        if result.exited && result.status == 0 {
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any]
            #expect(json?.int("rows") == 0)
        } else if result.exited && result.status == 1 {
            #expect(result.stderrText.contains(path))
        }
    }

    // MARK: Maximum record size

    /// A Tardis file whose second row has a 2000-byte symbol (a valid row, just long).
    static func longLineFile(in dir: TemporaryDirectory) throws -> (path: String, longLineOffset: Int) {
        let header = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
        let first = "binance-futures,BTCUSDT,1582329602111000,1582329602418379,42377944,buy,9682,0.132\n"
        let long = "\(String(repeating: "X", count: 2000)),BTCUSDT,1582329602116000,1582329602418420,42377945,buy,9682,0.412\n"
        let last = "binance-futures,BTCUSDT,1582329602116000,1582329602418577,42377946,sell,9681.99,0.004\n"
        let path = try dir.write("long-line.csv", header + first + long + last)
        return (path, header.utf8.count + first.utf8.count)
    }

    @Test("a line over --max-record-size stops the run naming the file and the line's byte offset",
          arguments: ["256", "1000", "2KiB", "8MiB"])
    func maxRecordSize(chunkSize: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (path, offset) = try Self.longLineFile(in: dir)
        let result = try runTickforge(["scan", path, "--max-record-size", "1KiB", "--chunk-size", chunkSize])
        #expect(result.exited)
        try #require(result.status == 1, "a line of over 2000 bytes must be refused with --max-record-size 1KiB (chunk size \(chunkSize))")
        #expect(result.stderrText.hasPrefix("error: \(path)"))
        #expect(result.stderrText.contains("byte \(offset)"))
        #expect(result.stderrText.contains("1024"))
    }

    @Test("the same long line is fine under the default maximum record size")
    func longLineAccepted() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (path, _) = try Self.longLineFile(in: dir)
        let json = try #require(try scanJSON(path, ["--chunk-size", "256"]))
        #expect(json.int("rows") == 3)
        #expect(json.string("layout") == "tardis-trades")
    }
}
