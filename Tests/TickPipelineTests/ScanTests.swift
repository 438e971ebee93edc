import Foundation
import Testing
import TickCore
import TickCSV
import TickPipeline

// MARK: - Real-file scans

@Suite("Scans of real files")
struct RealScanTests {
    @Test("ScanJob on every real sample: layout, unit, rows and time range", arguments: RealSample.all)
    func scanJob(sample: RealSample) throws {
        let report = try ScanJob.run(path: sample.path, options: sample.readOptions())
        let reference = try sample.reference()
        let times = reference.trades.time.isEmpty ? reference.quotes.time : reference.trades.time
        let size = Int64(try readBytes(sample.path).count)
        #expect(Int64(times.count) == sample.rows, "the reference reader disagrees with SOURCES.md")
        #expect(report.layout == sample.layout)
        #expect(report.timeUnit == sample.timeUnit)
        #expect(report.kind == sample.spec.kind.rawValue)
        #expect(report.compression == "none")
        #expect(report.rows == sample.rows)
        #expect(report.rowsRead == sample.rows)
        #expect(report.duplicates == 0)
        #expect(report.rejected == 0)
        #expect(report.firstTimeMs == times.first.map { Time.floorDiv($0, 1000) })
        #expect(report.lastTimeMs == times.last.map { Time.floorDiv($0, 1000) })
        #expect(report.bytes == size)
        #expect(report.bytesParsed == size)
    }

    @Test("BTCUSDT trades: 21313 rows from 23:54:16.322 to 23:59:59.643")
    func btcTradesRange() throws {
        let report = try ScanJob.run(path: RealSample.btcTrades.path, options: RealSample.btcTrades.readOptions())
        #expect(report.rows == 21_313)
        #expect(report.firstTimeMs == 1_723_161_256_322)
        #expect(report.lastTimeMs == 1_723_161_599_643)
        #expect(report.firstTime == "2024-08-08T23:54:16.322000Z")
        #expect(report.lastTime == "2024-08-08T23:59:59.643000Z")
    }

    @Test("tickforge scan --json on every real sample", arguments: RealSample.all)
    func scanBinary(sample: RealSample) throws {
        let json = try #require(try scanJSON(sample.path, sample.flags))
        for key in ["layout", "time_unit", "rows", "first_time_ms", "last_time_ms", "duplicates", "rejected", "bytes"] {
            #expect(json[key] != nil, "missing key \(key)")
        }
        let reference = try sample.reference()
        let times = reference.trades.time.isEmpty ? reference.quotes.time : reference.trades.time
        #expect(json.string("layout") == sample.layout)
        #expect(json.string("time_unit") == sample.timeUnit)
        #expect(json.int("rows") == sample.rows)
        #expect(json.int("duplicates") == 0)
        #expect(json.int("rejected") == 0)
        #expect(json.int("first_time_ms") == times.first.map { Time.floorDiv($0, 1000) })
        #expect(json.int("last_time_ms") == times.last.map { Time.floorDiv($0, 1000) })
        #expect(json.int("bytes") == Int64(try readBytes(sample.path).count))
        if sample.file == RealSample.btcTrades.file {
            #expect(json.int("first_time_ms") == 1_723_161_256_322)
            #expect(json.int("last_time_ms") == 1_723_161_599_643)
        }
    }

    @Test("Tardis trade sides: buys and sells as the file says")
    func tardisSides() throws {
        // Count the side words straight from the text.
        let text = String(decoding: try readBytes(RealSample.tardisTrades.path), as: UTF8.self)
        var buys = 0, sells = 0
        for line in text.split(separator: "\n").dropFirst() {
            let side = line.split(separator: ",", omittingEmptySubsequences: false)[5]
            if side == "buy" { buys += 1 } else if side == "sell" { sells += 1 }
        }
        #expect(buys == 5_267)
        #expect(sells == 4_732)
        let parsed = try readStream(RealSample.tardisTrades.path)
        let parsedBuys = parsed.trades.buyerAggressor.reduce(0) { $0 + Int($1) }
        #expect(parsedBuys == buys)
        #expect(parsed.trades.count - parsedBuys == sells)
        #expect(parsed.trades.buyerAggressor == (try RealSample.tardisTrades.reference()).trades.buyerAggressor)
    }

    @Test("freqtrade/ccxt dump through a mapping: 1000 trades, taker sides")
    func freqtradeMapped() throws {
        let parsed = try readStream(RealSample.freqtrade.path, options: try RealSample.freqtrade.readOptions())
        #expect(parsed.layout?.name == "mapped")
        #expect(parsed.trades.count == 1_000)
        #expect(parsed.trades.buyerAggressor.reduce(0) { $0 + Int($1) } == 527)
        #expect(parsed.trades == (try RealSample.freqtrade.reference()).trades)

        let unmapped = try runTickforge(["scan", RealSample.freqtrade.path])
        #expect(unmapped.status == 1)
        #expect(unmapped.stderrText.contains(RealSample.freqtrade.path))
        #expect(unmapped.stderrText.contains("--columns"))
    }

    @Test("--time-unit overrides the detected unit")
    func timeUnitOverride() throws {
        var options = try RealSample.btcTrades.readOptions()
        options.timeUnit = .microseconds
        let report = try ScanJob.run(path: RealSample.btcTrades.path, options: options)
        #expect(report.timeUnit == "us")
        #expect(report.firstTimeMs == 1_723_161_256)  // the ms values read as µs
        #expect(report.rows == 21_313)

        let json = try #require(try scanJSON(RealSample.btcTrades.path, ["--time-unit", "ns"]))
        #expect(json.string("time_unit") == "ns")
        #expect(json.int("first_time_ms") == 1_723_161)  // 1723161256322 ns = 1723161.256 ms after the epoch
    }

    @Test("a time unit that overflows is a bad row at the first data line")
    func timeUnitOverflow() throws {
        let path = RealSample.tardisQuotes.path
        let bytes = try readBytes(path)
        let headerEnd = try #require(bytes.firstIndex(of: UInt8(ascii: "\n"))) + 1
        let secondEnd = try #require(bytes[headerEnd...].firstIndex(of: UInt8(ascii: "\n")))
        let row = String(decoding: bytes[headerEnd..<secondEnd], as: UTF8.self)
        let result = try runTickforge(["scan", path, "--time-unit", "s"])
        #expect(result.status == 1)
        #expect(result.stderrText == "error: \(path):2 (byte \(headerEnd), column 3): time: number out of range: \"\(row)\"\n")
    }
}

// MARK: - Chunk size and worker count invariance

/// A chunk size, possibly depending on the file.
enum ChunkChoice: Sendable, CustomTestStringConvertible {
    case bytes(Int)
    /// The length of the file's first data line, line end included.
    case oneLine

    static let kib1 = ChunkChoice.bytes(1024)
    static let prime = ChunkChoice.bytes(1031)
    static let kib64 = ChunkChoice.bytes(64 << 10)
    static let standard = ChunkChoice.bytes(ReadOptions().chunkSize)
    static let full: [ChunkChoice] = [kib1, prime, oneLine, kib64, standard]

    func size(for path: String) throws -> Int {
        switch self {
        case .bytes(let n): return n
        case .oneLine:
            let bytes = try readBytes(path)
            let headerEnd = bytes.firstIndex(of: UInt8(ascii: "\n"))! + 1
            let lineEnd = bytes[headerEnd...].firstIndex(of: UInt8(ascii: "\n"))! + 1
            return lineEnd - headerEnd
        }
    }

    var testDescription: String {
        switch self {
        case .bytes(let n): "\(n) bytes"
        case .oneLine: "one line"
        }
    }
}

@Suite("Chunk size and worker count invariance")
struct InvarianceTests {
    static func check(_ sample: RealSample, _ chunk: ChunkChoice, workers: [Int]) throws {
        let reference = try sample.reference()
        let chunkSize = try chunk.size(for: sample.path)
        for w in workers {
            let got = try readStream(sample.path, options: try sample.readOptions(chunkSize: chunkSize, workers: w))
            #expect(got.trades == reference.trades, "trades differ: chunk \(chunkSize), workers \(w)")
            #expect(got.quotes == reference.quotes, "quotes differ: chunk \(chunkSize), workers \(w)")
            #expect(got.counts.used == sample.rows)
            #expect(got.counts.read == sample.rows)
            #expect(got.layout?.name == sample.layout)
        }
    }

    @Test("Tardis trades and quotes, ETH trades: every chunk size × 1, 2, 4 workers",
          arguments: [RealSample.tardisTrades, .tardisQuotes, .ethTrades], ChunkChoice.full)
    func fullGrid(sample: RealSample, chunk: ChunkChoice) throws {
        try Self.check(sample, chunk, workers: [1, 2, 4])
    }

    @Test("BTC trades and the freqtrade dump: a smaller grid",
          arguments: [RealSample.btcTrades, .freqtrade], [ChunkChoice.prime, .oneLine, .standard])
    func mediumGrid(sample: RealSample, chunk: ChunkChoice) throws {
        try Self.check(sample, chunk, workers: [1, 4])
    }

    @Test("bookTicker files: a reduced grid", arguments: [
        (RealSample.btcBookTicker, ChunkChoice.prime, 2), (.btcBookTicker, .kib64, 1), (.btcBookTicker, .kib64, 4),
        (.btcBookTicker, .standard, 4), (.ethBookTicker, .prime, 4), (.ethBookTicker, .standard, 1),
    ])
    func reducedGrid(sample: RealSample, chunk: ChunkChoice, workers: Int) throws {
        try Self.check(sample, chunk, workers: [workers])
    }

    @Test("1-byte and 7-byte chunks on small files", arguments: [1, 7])
    func tinyChunks(chunkSize: Int) throws {
        // The first 300 lines of the Tardis trades, and the freqtrade dump (1000 rows, mapped).
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let tardis = try readBytes(RealSample.tardisTrades.path)
        var newlines = 0
        let cut = tardis.firstIndex { b in
            if b == UInt8(ascii: "\n") { newlines += 1 }
            return newlines == 300
        }!
        let head = try dir.write("tardis-head.csv", Array(tardis[...cut]))
        let headReference = try ReferenceReader.read(head, .tardisTrades)
        #expect(headReference.trades.count == 299)
        let freqReference = try RealSample.freqtrade.reference()
        for workers in [1, 2, 4] {
            let got = try readStream(head, chunkSize: chunkSize, workers: workers)
            #expect(got.trades == headReference.trades, "tardis head, workers \(workers)")
            var options = try RealSample.freqtrade.readOptions(chunkSize: chunkSize, workers: workers)
            options.maxRecordSize = 4096
            let freq = try readStream(RealSample.freqtrade.path, options: options)
            #expect(freq.trades == freqReference.trades, "freqtrade, workers \(workers)")
        }
    }
}

// MARK: - Headerless Binance files

@Suite("Headerless Binance files")
struct HeaderlessTests {
    /// Rows of the BTC trades sample rewritten in the four headerless shapes.
    static func write(_ shape: String, rows: Int, in dir: TemporaryDirectory) throws -> String {
        let lines = String(decoding: try readBytes(RealSample.btcTrades.path), as: UTF8.self)
            .split(separator: "\n").dropFirst().prefix(rows)
        var out = ""
        for line in lines {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            // id,price,qty,quote_qty,time,is_buyer_maker
            switch shape {
            case "trades6": out += "\(line)\n"
            case "trades7": out += "\(line),true\n"
            case "agg7": out += "\(f[0]),\(f[1]),\(f[2]),\(f[0]),\(f[0]),\(f[4]),\(f[5])\n"
            case "agg8": out += "\(f[0]),\(f[1]),\(f[2]),\(f[0]),\(f[0]),\(f[4]),\(f[5]),true\n"
            default: fatalError("unknown shape")
            }
        }
        return try dir.write("\(shape).csv", out)
    }

    @Test("trades (6, 7 columns) and aggTrades (7, 8 columns) without a header",
          arguments: [("trades6", "binance-trades"), ("trades7", "binance-trades"),
                      ("agg7", "binance-aggtrades"), ("agg8", "binance-aggtrades")])
    func shapes(shape: String, layout: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try Self.write(shape, rows: 500, in: dir)
        let got = try readStream(path, chunkSize: 1031, workers: 2)
        #expect(got.layout?.name == layout)
        #expect(got.layout?.hasHeader == false)
        #expect(got.layout?.timeUnit == .milliseconds)
        #expect(got.counts.used == 500)
        let reference = try RealSample.btcTrades.reference()
        #expect(got.trades.time == Array(reference.trades.time.prefix(500)))
        #expect(got.trades.price == Array(reference.trades.price.prefix(500)))
        #expect(got.trades.quantity == Array(reference.trades.quantity.prefix(500)))
        #expect(got.trades.buyerAggressor == Array(reference.trades.buyerAggressor.prefix(500)))
        #expect(got.trades.id == Array(reference.trades.id.prefix(500)))

        let json = try #require(try scanJSON(path))
        #expect(json.string("layout") == layout)
        #expect(json.int("rows") == 500)
    }
}

// MARK: - Compressed inputs

@Suite("Compressed inputs")
struct CompressedInputTests {
    static let sample = RealSample.ethTrades

    static func tool(_ name: String) throws -> String {
        let candidates = ["/usr/bin/\(name)", "/bin/\(name)", "/usr/local/bin/\(name)", "/opt/homebrew/bin/\(name)"]
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "\(name) is not installed")
    }

    /// Compresses `input` with `gzip -c` or `zstd -q -c` into `output`.
    static func compress(_ kind: String, _ input: String, to output: String) throws {
        let result = kind == "gzip"
            ? try runProcess(try tool("gzip"), ["-c", input], stdoutPath: output)
            : try runProcess(try tool("zstd"), ["-q", "-c", input], stdoutPath: output)
        try #require(result.status == 0, "\(kind) failed: \(result.stderrText)")
    }

    @Test("gzip and zstd copies, whatever their names, scan like the plain file",
          arguments: [("gzip", "eth-trades.csv"), ("gzip", "eth-trades.dat"), ("zstd", "eth-trades.csv"), ("zstd", "eth-trades.dat")])
    func sameResults(kind: String, name: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path(name)
        try Self.compress(kind, Self.sample.path, to: path)
        let plain = try ScanJob.run(path: Self.sample.path, options: Self.sample.readOptions())

        let report = try ScanJob.run(path: path, options: Self.sample.readOptions())
        #expect(report.compression == kind)
        #expect(report.layout == plain.layout)
        #expect(report.timeUnit == plain.timeUnit)
        #expect(report.rows == plain.rows)
        #expect(report.duplicates == plain.duplicates)
        #expect(report.rejected == plain.rejected)
        #expect(report.firstTimeMs == plain.firstTimeMs)
        #expect(report.lastTimeMs == plain.lastTimeMs)
        #expect(report.bytesParsed == plain.bytes)
        #expect(report.bytes == Int64(try readBytes(path).count))

        let contents = try readStream(path, chunkSize: 1031, workers: 2)
        #expect(contents.trades == (try Self.sample.reference()).trades)

        let json = try #require(try scanJSON(path))
        #expect(json.string("compression") == kind)
        #expect(json.int("rows") == Self.sample.rows)
        #expect(json.int("first_time_ms") == plain.firstTimeMs)
        #expect(json.int("last_time_ms") == plain.lastTimeMs)
    }

    @Test("a truncated .gz or .zst is an error naming the file",
          arguments: ["gzip", "zstd"], [0.5, 0.9, 1.0])
    func truncated(kind: String, keep: Double) throws {
        let name = kind == "gzip" ? "cut.gz" : "cut.zst"
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let whole = dir.path("whole")
        try Self.compress(kind, Self.sample.path, to: whole)
        let bytes = try readBytes(whole)
        // keep 1.0 drops just the last byte (part of the gzip trailer or the zstd checksum).
        let count = keep == 1.0 ? bytes.count - 1 : Int(Double(bytes.count) * keep)
        let path = try dir.write(name, Array(bytes.prefix(count)))

        let result = try runTickforge(["scan", "--json", path])
        #expect(result.exited, "tickforge crashed on a truncated \(kind) file")
        #expect(result.status == 1)
        #expect(result.stderrText.hasPrefix("error: \(path)"))
        #expect(result.stdout.isEmpty)

        #expect(throws: TickError.self) { try ScanJob.run(path: path, options: Self.sample.readOptions()) }
    }

    /// The sample cut at a line end near the middle.
    static func halves() throws -> ([UInt8], [UInt8]) {
        let bytes = try readBytes(sample.path)
        let middle = bytes[(bytes.count / 2)...].firstIndex(of: UInt8(ascii: "\n"))! + 1
        return (Array(bytes[..<middle]), Array(bytes[middle...]))
    }

    @Test("concatenated gzip members (and zstd frames) are read to the end", arguments: ["gzip", "zstd"])
    func concatenated(kind: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (first, second) = try Self.halves()
        let a = try dir.write("a.csv", first)
        let empty = try dir.write("empty.csv", [UInt8]())
        let b = try dir.write("b.csv", second)
        var joined: [UInt8] = []
        for part in [a, empty, b] {
            try Self.compress(kind, part, to: part + ".z")
            joined += try readBytes(part + ".z")
        }
        let path = try dir.write("joined.csv", joined)

        let contents = try readStream(path, chunkSize: 64 << 10, workers: 2)
        #expect(contents.counts.used == Self.sample.rows)
        #expect(contents.trades == (try Self.sample.reference()).trades)

        let json = try #require(try scanJSON(path))
        #expect(json.int("rows") == Self.sample.rows)
        #expect(json.int("bytes_parsed") == Int64(first.count + second.count))
    }
}

// MARK: - Generated data

@Suite("Generated ticks read back exactly")
struct GeneratorRoundTripTests {
    @Test("trades and quotes of the generator parse to the values written", arguments: [UInt64(1), 42, 2024])
    func roundTrip(seed: UInt64) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var options = GeneratorOptions(tradesPath: dir.path("trades.csv"), quotesPath: dir.path("quotes.csv"), targetBytes: 200 << 10)
        options.seed = seed
        let report = try TickGenerator.run(options)
        #expect(report.tradeBytes >= 200 << 10)

        let trades = try readStream(options.tradesPath, chunkSize: 4099, workers: 2)
        let tradesReference = try ReferenceReader.read(options.tradesPath, .binanceTrades)
        #expect(trades.layout?.name == "binance-trades")
        #expect(Int64(trades.trades.count) == report.trades)
        #expect(trades.trades == tradesReference.trades)
        #expect(trades.counts.duplicates == 0)
        // The first trade comes at or shortly after the start time.
        #expect(try #require(trades.trades.time.first) >= options.startMillis * 1000)
        #expect(try #require(trades.trades.time.first) < (options.startMillis + 60_000) * 1000)
        #expect(trades.trades.time.last == report.lastTimeMs * 1000)

        let quotesPath = try #require(options.quotesPath)
        let quotes = try readStream(quotesPath, chunkSize: 64 << 10, workers: 4)
        let quotesReference = try ReferenceReader.read(quotesPath, .bookTicker)
        #expect(quotes.layout?.name == "binance-bookticker")
        #expect(Int64(quotes.quotes.count) == report.quotes)
        #expect(quotes.quotes == quotesReference.quotes)
    }

    @Test("headerless generated trades read back exactly", arguments: [UInt64(5), 77])
    func headerless(seed: UInt64) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var options = GeneratorOptions(tradesPath: dir.path("trades.csv"), quotesPath: nil, targetBytes: 100 << 10)
        options.seed = seed
        options.header = false
        let report = try TickGenerator.run(options)
        let trades = try readStream(options.tradesPath, chunkSize: 1031, workers: 2)
        #expect(trades.layout?.name == "binance-trades")
        #expect(trades.layout?.hasHeader == false)
        #expect(Int64(trades.trades.count) == report.trades)
        #expect(trades.trades == (try ReferenceReader.read(options.tradesPath, .binanceTradesHeaderless)).trades)
    }

    @Test("the same seed writes the same bytes")
    func deterministic() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var a = GeneratorOptions(tradesPath: dir.path("a.csv"), quotesPath: nil, targetBytes: 50 << 10)
        a.seed = 9
        var b = a
        b.tradesPath = dir.path("b.csv")
        _ = try TickGenerator.run(a)
        _ = try TickGenerator.run(b)
        #expect(try readBytes(a.tradesPath) == (try readBytes(b.tradesPath)))
    }
}
