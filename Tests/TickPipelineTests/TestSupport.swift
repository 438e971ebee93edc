import Foundation
import Testing
import TickCore
import TickCSV
import TickPipeline

// Helpers shared by the input-side tests: fixture paths, temporary directories, running the built
// `tickforge` binary, draining a `TickStream`, and a reference CSV reader that shares no code with
// the tokenizer under test.

// MARK: - Paths

enum TestPaths {
    /// The repository root, found from this file's location.
    static let repository: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TickPipelineTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static func real(_ name: String) -> String {
        repository.appendingPathComponent("Fixtures/real").appendingPathComponent(name).path
    }

    static func bad(_ name: String) -> String {
        repository.appendingPathComponent("Fixtures/bad").appendingPathComponent(name).path
    }

    /// The built `tickforge` executable: next to the running test bundle first (it is built into the
    /// same directory), then the usual scratch directories. `TICKFORGE_BINARY` overrides.
    static let binary: String = {
        let fm = FileManager.default
        func isExecutableFile(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && fm.isExecutableFile(atPath: path)
        }
        if let override = ProcessInfo.processInfo.environment["TICKFORGE_BINARY"], isExecutableFile(override) {
            return override
        }
        var starts: [URL] = []
        if let first = CommandLine.arguments.first {
            starts.append(URL(fileURLWithPath: first).resolvingSymlinksInPath())
        }
        starts.append(Bundle.main.bundleURL)
        if let executable = Bundle.main.executableURL { starts.append(executable) }
        for start in starts {
            // Walk up a few levels: on Linux the bundle is an executable in the build directory, on
            // macOS a `.xctest` bundle whose executable is three levels deeper.
            var directory = start.deletingLastPathComponent()
            for _ in 0..<5 {
                let candidate = directory.appendingPathComponent("tickforge").path
                if isExecutableFile(candidate) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
        }
        for scratch in [".build-tests", ".build"] {
            for configuration in ["debug", "release"] {
                let candidate = repository.appendingPathComponent(scratch).appendingPathComponent(configuration)
                    .appendingPathComponent("tickforge").path
                if isExecutableFile(candidate) { return candidate }
            }
        }
        return repository.appendingPathComponent(".build/debug/tickforge").path
    }()
}

/// A directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init(_ label: String = "tickforge-tests") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

// MARK: - Subprocesses

struct ProcessResult {
    var status: Int32
    /// False when the process died of a signal (a crash).
    var exited: Bool
    var stdout: [UInt8]
    var stderr: [UInt8]
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs `executable` with `arguments`; stdout and stderr go to files (no pipe can fill up), or
/// stdout to `stdoutPath` when given.
/// `environment` adds to (or overrides) this process's variables.
func runProcess(_ executable: String, _ arguments: [String], stdoutPath: String? = nil,
                currentDirectory: URL? = nil, environment: [String: String] = [:]) throws -> ProcessResult {
    let scratch = try TemporaryDirectory("tickforge-proc")
    defer { scratch.remove() }
    let outPath = stdoutPath ?? scratch.path("stdout")
    let errPath = scratch.path("stderr")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return ProcessResult(status: process.terminationStatus, exited: process.terminationReason == .exit,
                         stdout: stdoutPath == nil ? try readBytes(outPath) : [], stderr: try readBytes(errPath))
}

/// Runs the built `tickforge` in a scratch working directory (so a stray `rejects.csv` lands there).
func runTickforge(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
    let workingDirectory = try TemporaryDirectory("tickforge-cwd")
    defer { workingDirectory.remove() }
    return try runProcess(TestPaths.binary, arguments, currentDirectory: workingDirectory.url, environment: environment)
}

/// `tickforge scan --json FILE …` decoded, or nil (with an issue recorded) when it did not succeed.
func scanJSON(_ file: String, _ flags: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any]? {
    let result = try runTickforge(["scan", "--json", file] + flags)
    guard result.exited, result.status == 0 else {
        Issue.record("tickforge scan \(file) \(flags) exited \(result.status): \(result.stderrText)", sourceLocation: sourceLocation)
        return nil
    }
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout))
    guard let dictionary = object as? [String: Any] else {
        Issue.record("scan --json printed no object: \(result.stdoutText)", sourceLocation: sourceLocation)
        return nil
    }
    return dictionary
}

extension Dictionary where Key == String, Value == Any {
    func int(_ key: String) -> Int64? { (self[key] as? NSNumber)?.int64Value }
    func string(_ key: String) -> String? { self[key] as? String }
}

// MARK: - Reading through the pipeline

/// Everything a `TickStream` yields for one file.
struct StreamContents: Equatable {
    var layout: Layout?
    var trades = TradeColumns()
    var quotes = QuoteColumns()
    var counts = RowCounts()
    /// Quarantined rows, in file order.
    var rejects: [RejectRecord] = []
}

func readStream(_ path: String, chunkSize: Int = 8 << 20, workers: Int = 2,
                configure: (inout ReadOptions) -> Void = { _ in }) throws -> StreamContents {
    var options = ReadOptions()
    options.chunkSize = chunkSize
    options.workers = workers
    configure(&options)
    return try readStream(path, options: options)
}

func readStream(_ path: String, options: ReadOptions) throws -> StreamContents {
    let stream = try TickStream(path: path, options: options, pool: WorkPool(workers: options.workers))
    var contents = StreamContents(layout: stream.layout)
    while let batch = try stream.next() {
        contents.rejects += stream.drainRejects()
        switch batch {
        case .trades(let t):
            contents.trades.time += t.time; contents.trades.price += t.price
            contents.trades.quantity += t.quantity; contents.trades.buyerAggressor += t.buyerAggressor
            contents.trades.id += t.id
        case .quotes(let q):
            contents.quotes.time += q.time; contents.quotes.bidPrice += q.bidPrice
            contents.quotes.bidQuantity += q.bidQuantity; contents.quotes.askPrice += q.askPrice
            contents.quotes.askQuantity += q.askQuantity; contents.quotes.id += q.id
        }
    }
    contents.rejects += stream.drainRejects()
    contents.counts = stream.counts
    return contents
}

// MARK: - Reference reader

/// Which columns hold what, for the reference reader. Column names are looked up in the header;
/// a headerless file gives indices as decimal strings.
struct ReferenceSpec: Sendable {
    enum Sides: Sendable { case buyerIsMaker, aggressor }
    var kind: RecordKind
    var hasHeader = true
    var time: String
    var timeUnit: TimeUnit
    var id: String?
    var price = "", quantity = "", side = "", sides = Sides.buyerIsMaker
    var bid = "", bidQuantity = "", ask = "", askQuantity = ""

    static let binanceTrades = ReferenceSpec(kind: .trades, time: "time", timeUnit: .milliseconds, id: "id",
                                             price: "price", quantity: "qty", side: "is_buyer_maker")
    static let binanceTradesHeaderless = ReferenceSpec(kind: .trades, hasHeader: false, time: "4", timeUnit: .milliseconds,
                                                       id: "0", price: "1", quantity: "2", side: "5")
    static let bookTicker = ReferenceSpec(kind: .quotes, time: "transaction_time", timeUnit: .milliseconds, id: "update_id",
                                          bid: "best_bid_price", bidQuantity: "best_bid_qty",
                                          ask: "best_ask_price", askQuantity: "best_ask_qty")
    static let tardisTrades = ReferenceSpec(kind: .trades, time: "timestamp", timeUnit: .microseconds, id: "id",
                                            price: "price", quantity: "amount", side: "side", sides: .aggressor)
    static let tardisQuotes = ReferenceSpec(kind: .quotes, time: "timestamp", timeUnit: .microseconds, id: nil,
                                            bid: "bid_price", bidQuantity: "bid_amount", ask: "ask_price", askQuantity: "ask_amount")
    static let freqtrade = ReferenceSpec(kind: .trades, time: "timestamp", timeUnit: .milliseconds, id: "id",
                                         price: "price", quantity: "amount", side: "side", sides: .aggressor)
}

/// A slow, obvious CSV reader: `split` on the bytes and integer arithmetic on the digits. It shares
/// no code with `ChunkParser` and assumes well-formed, ordered input without duplicates.
enum ReferenceReader {
    struct Failure: Error, CustomStringConvertible { var description: String }
    typealias Field = ArraySlice<UInt8>

    static func read(_ path: String, _ spec: ReferenceSpec) throws -> StreamContents {
        try read(bytes: readBytes(path), spec)
    }

    static func read(bytes: [UInt8], _ spec: ReferenceSpec) throws -> StreamContents {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        var lines: [Field] = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map { line in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
        lines.removeAll { $0.isEmpty }
        var header: [String] = []
        if spec.hasHeader, !lines.isEmpty {
            header = lines.removeFirst().split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
        }
        func index(_ name: String) throws -> Int {
            if !spec.hasHeader, let i = Int(name) { return i }
            guard let i = header.firstIndex(of: name) else { throw Failure(description: "no column \(name) in \(header)") }
            return i
        }
        var out = StreamContents()
        let timeIndex = try index(spec.time)
        let idIndex = try spec.id.map(index)
        switch spec.kind {
        case .trades:
            let (p, q, s) = (try index(spec.price), try index(spec.quantity), try index(spec.side))
            for line in lines {
                let f = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
                out.trades.time.append(try time(f[timeIndex], spec.timeUnit))
                out.trades.price.append(try fixed(f[p]))
                out.trades.quantity.append(try fixed(f[q]))
                out.trades.buyerAggressor.append(try side(f[s], spec.sides))
                if let idIndex { out.trades.id.append(try integer(f[idIndex])) }
            }
        case .quotes:
            let (b, bq, a, aq) = (try index(spec.bid), try index(spec.bidQuantity), try index(spec.ask), try index(spec.askQuantity))
            for line in lines {
                let f = line.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
                out.quotes.time.append(try time(f[timeIndex], spec.timeUnit))
                out.quotes.bidPrice.append(try fixed(f[b]))
                out.quotes.bidQuantity.append(try fixed(f[bq]))
                out.quotes.askPrice.append(try fixed(f[a]))
                out.quotes.askQuantity.append(try fixed(f[aq]))
                if let idIndex { out.quotes.id.append(try integer(f[idIndex])) }
            }
        case .book:
            throw Failure(description: "the stream reference reads trades and quotes; books are checked against Scripts/reference_book.py")
        }
        return out
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func integer(_ field: Field) throws -> Int64 {
        guard !field.isEmpty, field.count <= 18, field.allSatisfy(isDigit) else {
            throw Failure(description: "not a small integer: \(String(decoding: field, as: UTF8.self))")
        }
        return field.reduce(Int64(0)) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
    }

    /// `field` × 10⁸ exactly; digits past the 8th decimal must be zeros.
    static func fixed(_ field: Field) throws -> Int64 {
        let parts = field.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw Failure(description: "not a decimal: \(String(decoding: field, as: UTF8.self))") }
        let whole = try integer(parts[0])
        var fraction = Array(parts.count == 2 ? parts[1] : [])
        while fraction.count > 8 {
            guard fraction.last == UInt8(ascii: "0") else { throw Failure(description: "too precise: \(String(decoding: field, as: UTF8.self))") }
            fraction.removeLast()
        }
        fraction += [UInt8](repeating: UInt8(ascii: "0"), count: 8 - fraction.count)
        return whole * 100_000_000 + (try integer(fraction[...]))
    }

    static func time(_ field: Field, _ unit: TimeUnit) throws -> Int64 {
        let v = try integer(field)
        switch unit {
        case .seconds: return v * 1_000_000
        case .milliseconds: return v * 1_000
        case .microseconds: return v
        case .nanoseconds: return v / 1_000
        case .iso8601: throw Failure(description: "ISO 8601 times are not read by the reference reader")
        }
    }

    static func side(_ field: Field, _ sides: ReferenceSpec.Sides) throws -> UInt8 {
        switch (sides, String(decoding: field, as: UTF8.self).lowercased()) {
        case (.buyerIsMaker, "true"): return 0
        case (.buyerIsMaker, "false"): return 1
        case (.aggressor, "buy"): return 1
        case (.aggressor, "sell"): return 0
        default: throw Failure(description: "not a side: \(String(decoding: field, as: UTF8.self))")
        }
    }
}

// MARK: - Real fixtures

/// A real sample with what is known about it independently of the parser.
struct RealSample: Sendable, CustomTestStringConvertible {
    var file: String
    var spec: ReferenceSpec
    var layout: String
    var timeUnit: String
    var rows: Int64
    /// Extra flags the file needs (a column mapping).
    var flags: [String] = []
    var mapping: String?

    var path: String { TestPaths.real(file) }
    var testDescription: String { file }

    func readOptions(chunkSize: Int = 8 << 20, workers: Int = 2) throws -> ReadOptions {
        var options = ReadOptions()
        options.chunkSize = chunkSize
        options.workers = workers
        options.mapping = try mapping.map { try ColumnMapping(parsing: $0) }
        return options
    }

    /// The reference reading, computed once per sample.
    func reference() throws -> StreamContents { try ReferenceCache.shared.contents(for: self) }

    static let btcTrades = RealSample(file: "binance-um-BTCUSDT-trades-2024-08-08T2354Z-2400Z.from-ws.csv",
                                      spec: .binanceTrades, layout: "binance-trades", timeUnit: "ms", rows: 21_313)
    static let btcBookTicker = RealSample(file: "binance-um-BTCUSDT-bookTicker-2024-08-08T2354Z-2400Z.from-ws.csv",
                                          spec: .bookTicker, layout: "binance-bookticker", timeUnit: "ms", rows: 66_089)
    static let ethTrades = RealSample(file: "binance-um-ETHUSDT-trades-2024-08-08T2354Z-2400Z.from-ws.csv",
                                      spec: .binanceTrades, layout: "binance-trades", timeUnit: "ms", rows: 14_076)
    static let ethBookTicker = RealSample(file: "binance-um-ETHUSDT-bookTicker-2024-08-08T2354Z-2400Z.from-ws.csv",
                                          spec: .bookTicker, layout: "binance-bookticker", timeUnit: "ms", rows: 53_992)
    static let tardisTrades = RealSample(file: "tardis-binance-futures-BTCUSDT-trades-2020-02-22.sample.csv",
                                         spec: .tardisTrades, layout: "tardis-trades", timeUnit: "us", rows: 9_999)
    static let tardisQuotes = RealSample(file: "tardis-binance-futures-BTCUSDT-quotes-2020-02-22.sample.csv",
                                         spec: .tardisQuotes, layout: "tardis-quotes", timeUnit: "us", rows: 9_999)
    static let freqtrade = RealSample(file: "binance-um-ETHUSDT-trades-2023-02-02T0920Z.freqtrade-ccxt.csv",
                                      spec: .freqtrade, layout: "mapped", timeUnit: "ms", rows: 1_000,
                                      flags: ["--columns", "time=timestamp,id=id,side=side,price=price,qty=amount"],
                                      mapping: "time=timestamp,id=id,side=side,price=price,qty=amount")

    static let all: [RealSample] = [btcTrades, btcBookTicker, ethTrades, ethBookTicker, tardisTrades, tardisQuotes, freqtrade]
}

/// Reference readings of the real samples, shared by the tests that need them.
///
/// `@unchecked Sendable`: `cache` is only touched with `lock` held.
final class ReferenceCache: @unchecked Sendable {
    static let shared = ReferenceCache()
    private let lock = NSLock()
    private var cache: [String: StreamContents] = [:]

    func contents(for sample: RealSample) throws -> StreamContents {
        lock.lock()
        defer { lock.unlock() }
        if let hit = cache[sample.file] { return hit }
        let contents = try ReferenceReader.read(sample.path, sample.spec)
        cache[sample.file] = contents
        return contents
    }
}

/// Rows of either kind.
func rowCount(_ contents: StreamContents) -> Int { contents.trades.count + contents.quotes.count }

/// Compares the columns of two readings (not the layout or counts).
func sameColumns(_ a: StreamContents, _ b: StreamContents) -> Bool { a.trades == b.trades && a.quotes == b.quotes }
