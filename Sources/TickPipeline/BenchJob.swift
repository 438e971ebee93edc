import Foundation
import TickCore
import TickFeatures
import TickIO

/// Settings for `tickforge bench`.
public struct BenchOptions: Sendable {
    /// The trades file to measure; nil generates one of `size` bytes (seeded).
    public var tradesPath: String?
    public var quotesPath: String?
    /// A book file (Tardis incremental_book_L2 or book_snapshot_N) whose ingest is measured
    /// beside the trades' in the same run.
    public var bookPath: String?
    public var size: Int64 = 1 << 30
    public var withQuotes = false
    public var seed: UInt64 = 42
    public var workers = WorkPool.coreCount
    public var memoryLimit = MemoryBudget.defaultLimit
    public var interval = "1s"
    public var workDirectory: String?
    public init() {}
}

/// One row of the bench table.
public struct BenchStage: Sendable, Codable {
    public var stage: String
    public var wallSeconds: Double
    public var cpuSeconds: Double
    public var megabytesPerSecond: Double
    public var rowsPerSecond: Double
}

/// What `tickforge bench` measured, all in one run on one machine.
public struct BenchReport: Sendable, Codable {
    public var tradesFile: String
    public var quotesFile: String?
    public var inputBytes: Int64
    public var trades: Int64
    public var quotes: Int64
    public var bars: Int
    public var generated: Bool
    /// `wc -l`-style raw scan of the same files (read + count newlines): the floor.
    public var rawScan: BenchStage
    public var stages: [BenchStage]
    public var total: BenchStage
    public var peakResidentBytes: Int64
    public var memoryLimit: Int
    public var workers: Int
    public var bytesPerTradeOnDisk: Double
    public var bytesPerQuoteOnDisk: Double?
    /// Total wall time over the raw scan's.
    public var slowdownOverRawScan: Double
    /// With a book: the ingest of the trades and of the book, each over its own bytes and rows
    /// (wall time only: `cpu_seconds` is 0), and the book's MB/s over the trades' (same run).
    public var tradesIngest: BenchStage?
    public var bookIngest: BenchStage?
    public var bookOverTradesIngestSpeed: Double?
}

/// Generates an input if none is given, measures the raw read floor, runs the whole features
/// pipeline and reports every stage: what a user runs to check the speed on their own file.
public enum BenchJob {
    public static func run(_ options: BenchOptions, log: (String) -> Void) throws -> BenchReport {
        let work = options.workDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("tickforge-bench-\(getpid())").path
        try Syscall.makeDirectories(work)
        defer { if options.workDirectory == nil { try? FileManager.default.removeItem(atPath: work) } }

        var trades = options.tradesPath
        var quotes = options.quotesPath
        let generated = trades == nil
        if trades == nil {
            trades = work + "/trades.csv"
            if options.withQuotes { quotes = work + "/quotes.csv" }
            log("generating \(options.size >> 20) MiB of trades\(options.withQuotes ? " and quotes" : "") (seed \(options.seed)) in \(work)")
            var generator = GeneratorOptions(tradesPath: trades!, quotesPath: quotes, targetBytes: options.size)
            generator.seed = options.seed
            _ = try TickGenerator.run(generator)
        }
        let inputs = [trades!] + (quotes.map { [$0] } ?? []) + (options.bookPath.map { [$0] } ?? [])
        let inputBytes = try inputs.reduce(Int64(0)) { $0 + (try Syscall.stat($1).size) }

        log("raw scan (read + count lines, the floor)")
        let raw = try rawScan(inputs)

        log("features pipeline")
        var features = FeaturesOptions(tradesPath: trades!, quotesPath: quotes, outputDirectory: work + "/out",
                                       config: FeatureConfig(interval: BarInterval(options.interval)!, hasQuotes: quotes != nil))
        if let book = options.bookPath { features.bookPaths = [book] }
        features.read.workers = options.workers
        features.memoryLimit = options.memoryLimit
        features.fresh = true
        features.showProgress = false
        let summary = try FeaturesJob(options: features).run()

        let tradeRows = summary.trades.rows.read
        let quoteRows = summary.quotes?.rows.read ?? 0
        var stages: [BenchStage] = []
        for name in ["ingest", "features", "output"] {
            let wall = summary.stageSeconds[name] ?? 0
            let rows = name == "ingest" ? Double(tradeRows + quoteRows) : Double(summary.bars)
            stages.append(BenchStage(stage: name, wallSeconds: wall, cpuSeconds: summary.stageCpuSeconds[name] ?? 0,
                                     megabytesPerSecond: Double(inputBytes) / 1e6 / max(wall, 1e-9),
                                     rowsPerSecond: rows / max(wall, 1e-9)))
        }
        // The pipeline's own CPU time (the process total would include generating the input).
        let cpu = summary.stageCpuSeconds.values.reduce(0, +)
        let total = BenchStage(stage: "total", wallSeconds: summary.wallSeconds, cpuSeconds: cpu,
                               megabytesPerSecond: Double(inputBytes) / 1e6 / max(summary.wallSeconds, 1e-9),
                               rowsPerSecond: Double(tradeRows + quoteRows) / max(summary.wallSeconds, 1e-9))
        var tradesIngest: BenchStage?, bookIngest: BenchStage?
        if let book = summary.book, let bookSeconds = summary.ingestSecondsByInput["book"], let tradeSeconds = summary.ingestSecondsByInput["trades"] {
            func stage(_ name: String, _ bytes: Int64, _ rows: Int64, _ seconds: Double) -> BenchStage {
                BenchStage(stage: name, wallSeconds: seconds, cpuSeconds: 0, megabytesPerSecond: Double(bytes) / 1e6 / max(seconds, 1e-9),
                           rowsPerSecond: Double(rows) / max(seconds, 1e-9))
            }
            tradesIngest = stage("ingest trades", summary.trades.bytes, tradeRows, tradeSeconds)
            bookIngest = stage("ingest book", book.bytes, book.rows.read, bookSeconds)
        }
        var report = BenchReport(
            tradesFile: trades!, quotesFile: quotes, inputBytes: inputBytes, trades: tradeRows, quotes: quoteRows,
            bars: summary.bars, generated: generated, rawScan: raw, stages: stages, total: total,
            peakResidentBytes: summary.peakResidentBytes, memoryLimit: summary.memoryLimit, workers: summary.workers,
            bytesPerTradeOnDisk: Double(summary.trades.partitionBytes) / Double(max(summary.trades.rows.used, 1)),
            bytesPerQuoteOnDisk: summary.quotes.map { Double($0.partitionBytes) / Double(max($0.rows.used, 1)) },
            slowdownOverRawScan: summary.wallSeconds / max(raw.wallSeconds, 1e-9))
        report.tradesIngest = tradesIngest
        report.bookIngest = bookIngest
        if let t = tradesIngest, let b = bookIngest { report.bookOverTradesIngestSpeed = b.megabytesPerSecond / t.megabytesPerSecond }
        return report
    }

    /// Reads the files with plain `read(2)` in 1 MiB blocks and counts newlines with `memchr`,
    /// as `wc -l` does: how fast this machine can merely look at every byte.
    static func rawScan(_ paths: [String]) throws -> BenchStage {
        let started = DispatchTime.now()
        let cpuStart = StageClock.processCPUSeconds()
        var bytes: Int64 = 0
        var lines: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        for path in paths {
            let file = try OwnedFile(path: path, flags: O_RDONLY)
            while true {
                let n = try file.read(into: buffer)
                if n == 0 { break }
                bytes += Int64(n)
                var p = buffer.baseAddress!
                var left = n
                while left > 0, let hit = memchr(p, 10, left) {
                    lines += 1
                    let advance = p.distance(to: hit) + 1
                    p += advance
                    left -= advance
                }
            }
        }
        let wall = StageClock.seconds(since: started)
        return BenchStage(stage: "raw scan (wc -l)", wallSeconds: wall, cpuSeconds: StageClock.processCPUSeconds() - cpuStart,
                          megabytesPerSecond: Double(bytes) / 1e6 / max(wall, 1e-9), rowsPerSecond: Double(lines) / max(wall, 1e-9))
    }

    public static func json(_ report: BenchReport) throws -> String { try JSON.encode(report) }

    /// The table `tickforge bench` prints.
    public static func table(_ r: BenchReport) -> String {
        func f(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }
        func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return right ? fill + s : s + fill
        }
        var lines = ["input: \(r.tradesFile)\(r.quotesFile.map { " + \($0)" } ?? "") — \(f(Double(r.inputBytes) / 1e6, 1)) MB, \(r.trades) trades, \(r.quotes) quotes → \(r.bars) bars\(r.generated ? " (generated)" : "")",
                     "workers \(r.workers), memory limit \(r.memoryLimit >> 20) MiB", "",
                     pad("stage", 18) + pad("wall s", 9, right: true) + pad("CPU s", 9, right: true) + pad("MB/s", 10, right: true) + pad("rows/s", 14, right: true)]
        for s in [r.rawScan] + r.stages + [r.total] {
            lines.append(pad(s.stage, 18) + pad(f(s.wallSeconds, 3), 9, right: true) + pad(f(s.cpuSeconds, 3), 9, right: true)
                         + pad(f(s.megabytesPerSecond, 1), 10, right: true) + pad(String(Int(s.rowsPerSecond)), 14, right: true))
        }
        lines.append("")
        lines.append("peak RSS: \(f(Double(r.peakResidentBytes) / 1_048_576, 1)) MiB (limit \(r.memoryLimit >> 20) MiB)")
        lines.append("on disk: \(f(r.bytesPerTradeOnDisk)) bytes per trade\(r.bytesPerQuoteOnDisk.map { ", \(f($0)) bytes per quote" } ?? "") (zstd columnar partitions)")
        if let t = r.tradesIngest, let b = r.bookIngest, let ratio = r.bookOverTradesIngestSpeed {
            lines.append("ingest by input: trades \(f(t.megabytesPerSecond, 1)) MB/s (\(Int(t.rowsPerSecond)) rows/s), book \(f(b.megabytesPerSecond, 1)) MB/s (\(Int(b.rowsPerSecond)) rows/s): book / trades = \(f(ratio))×")
        }
        lines.append("total / raw scan: \(f(r.slowdownOverRawScan, 1))× (rows/s of ingest and total count trades + quotes; features and output count bars)")
        lines.append("stages: ingest = read, parse, validate, tick partitions; features = bars, rolling features, feature")
        lines.append("partitions and their output rows; output = putting the output files in place and the JSON metadata")
        return lines.joined(separator: "\n")
    }
}
