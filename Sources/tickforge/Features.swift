import ArgumentParser
import Foundation
import TickCore
import TickFeatures
import TickIO
import TickPipeline

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute bars, features and targets: writes features.csv, targets.csv, their .json metadata and summary.json.",
        usage: "tickforge features --trades <trades> [--quotes <quotes>] --out <out> [<options>]")

    // Arrays, so that an input given twice is refused instead of one of them silently dropped.
    @Option(name: .customLong("trades"), help: ArgumentHelp("Trades file (Binance trades/aggTrades, Tardis trades, or mapped with --columns); plain, .gz or .zst.", valueName: "trades"))
    var tradesPaths: [String] = []

    @Option(name: .customLong("quotes"), help: ArgumentHelp("Top-of-book quotes file (Binance bookTicker or Tardis quotes).", valueName: "quotes"))
    var quotesPaths: [String] = []

    var trades: String { tradesPaths.first ?? "" }
    var quotes: String? { quotesPaths.first }

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(help: "Bar interval: \(BarInterval.allowed.joined(separator: ", ")).")
    var interval: String = "1s"

    @Option(help: "Rolling windows in bars, comma-separated.")
    var windows: String = "10,60,300"

    @Option(help: "Target horizons in bars, comma-separated.")
    var horizons: String = "10,60"

    @Option(help: "Dead band of fwd_dir in basis points.")
    var thresholdBps: Double = 5

    @Option(help: "λ of ewm_vol.")
    var ewmLambda: Double = 0.94

    @Flag(help: "Keep only rows where every feature and target is defined (in both files alike).")
    var completeRowsOnly = false

    @Option(help: ArgumentHelp("Treat a quote state older than this many seconds (e.g. 5, 0.25) as absent: bid, ask, mid and the other bar-end quote columns become undefined, obi_twa weighs only the fresh part of the bar. Default: no limit.", valueName: "seconds"))
    var maxQuoteAge: String?

    @Option(help: "Peak memory to plan for (e.g. 256MiB, 1GiB); chunk, queue and partition sizes derive from it.", transform: ByteSize.parse)
    var memoryLimit: Int = MemoryBudget.defaultLimit

    @Flag(help: "Discard partitions and manifest of earlier runs in --out and start over.")
    var fresh = false

    @Option(help: "How a rerun recognises unchanged inputs: quick (size, modification time, first and last 64 KiB) or content (SHA-256 of every byte, for files edited in place keeping size and time).")
    var fingerprint: FingerprintMode = .quick

    @Option(help: "Refuse to write more bars than this (default: the larger of 50 million and 100 × the trades used): one absurd timestamp cannot fill the disk.")
    var maxBars: Int?

    @Option(help: .hidden)
    var partitionBars: Int?

    @Option(help: .hidden)
    var tickPartitionRows: Int?

    @OptionGroup var read: ReadFlags

    func validate() throws {
        guard !tradesPaths.isEmpty else { throw ValidationError("Missing expected argument '--trades <trades>'") }
        for (flag, paths) in [("--trades", tradesPaths), ("--quotes", quotesPaths)] where paths.count > 1 {
            throw ValidationError("\(flag) was given \(paths.count) times (\(paths.joined(separator: ", "))): a run reads one file per input for now; join the files, or run each on its own")
        }
        if let maxBars, maxBars < 1 { throw ValidationError("--max-bars must be at least 1") }
        guard BarInterval(interval) != nil else {
            throw ValidationError("unknown interval '\(interval)'; use one of \(BarInterval.allowed.joined(separator: ", "))")
        }
        _ = try Self.bars(windows, "--windows")
        _ = try Self.bars(horizons, "--horizons")
        do { try config().validate() } catch { throw ValidationError("\(error)") }
        if let partitionBars, partitionBars < 1 { throw ValidationError("--partition-bars must be at least 1") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--out \(out) is a file, not a directory")
        }
        for path in [trades] + (quotes.map { [$0] } ?? []) where !FileManager.default.isReadableFile(atPath: path) {
            throw ValidationError("cannot read \(path): no such file or no permission")
        }
    }

    static func bars(_ text: String, _ flag: String) throws -> [Int] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !parts.isEmpty else { throw ValidationError("\(flag) is empty") }
        return try parts.map { part in
            guard let n = Int(part) else { throw ValidationError("\(flag): '\(part)' is not a whole number of bars") }
            guard n >= 1 else { throw ValidationError("\(flag): \(n) is not a positive number of bars") }
            return n
        }
    }

    func config() throws -> FeatureConfig {
        FeatureConfig(interval: BarInterval(interval)!, windows: try Self.bars(windows, "--windows"),
                      horizons: try Self.bars(horizons, "--horizons"), thresholdBps: thresholdBps,
                      ewmLambda: ewmLambda, hasQuotes: quotes != nil, completeRowsOnly: completeRowsOnly,
                      maxQuoteAge: try maxQuoteAge.map { try FeatureConfig.quoteAge(parsing: $0) })
    }

    /// `N read, N rejected, N duplicates`, and the filtered and rounded rows when there are any.
    static func describe(_ rows: RowCounts) -> String {
        "\(rows.read) read, \(rows.rejected) rejected, \(rows.duplicates) duplicates"
            + (rows.filtered > 0 ? ", \(rows.filtered) filtered (other symbols)" : "")
            + (rows.rounded > 0 ? ", \(rows.rounded) rounded to 8 decimals" : "")
    }

    func run() throws {
        var options = FeaturesOptions(tradesPath: trades, quotesPath: quotes, outputDirectory: out, config: try config())
        options.read = try read.options()
        options.chunkSize = read.chunkSize
        options.maxRecordSize = read.maxRecordSize
        options.memoryLimit = memoryLimit
        options.partitionBars = partitionBars
        options.tickPartitionRows = tickPartitionRows
        options.fresh = fresh
        options.maxBars = maxBars
        options.fingerprint = fingerprint
        let summary = try reportingErrors { try FeaturesJob(options: options).run() }
        let mb = Double(summary.trades.bytes + (summary.quotes?.bytes ?? 0)) / 1e6
        let reused = summary.trades.partitionsReused + (summary.quotes?.partitionsReused ?? 0)
        let resumed = reused > 0 || summary.featurePartitionsReused > 0
            ? "\nresumed: reused \(reused) tick and \(summary.featurePartitionsReused) feature partitions of an earlier run" : ""
        for warning in summary.warnings {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        if summary.rowsWritten == 0 && completeRowsOnly {
            FileHandle.standardError.write(Data("warning: --complete-rows-only kept no row: \(summary.bars) bars are fewer than the warm-up of the longest window plus one and the longest horizon need\n".utf8))
        }
        print("""
            wrote \(summary.rowsWritten) rows (\(summary.bars) bars of \(interval)) to:
              \(out)/features.csv  \(out)/features.json
              \(out)/targets.csv   \(out)/targets.json
              \(out)/summary.json\(read.badRows == .quarantine ? "  \(out)/rejects.csv" : "")
            trades: \(Self.describe(summary.trades.rows))\(summary.quotes.map { "\nquotes: \(Self.describe($0.rows))" } ?? "")
            \(String(format: "%.1f MB in %.2f s", mb, summary.wallSeconds))\(summary.inputMegabytesPerSecond > 0 ? String(format: " (%.1f MB/s parsed)", summary.inputMegabytesPerSecond) : " (no input to parse: all in tick partitions)")\(String(format: ", peak RSS %.1f MiB of a %d MiB limit", Double(summary.peakResidentBytes) / 1_048_576, summary.memoryLimit >> 20))\(resumed)
            """)
    }
}
