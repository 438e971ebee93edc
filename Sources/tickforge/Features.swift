import ArgumentParser
import Foundation
import TickCore
import TickCSV
import TickFeatures
import TickIO
import TickPipeline

/// `--side-unknown`.
enum UnknownSidePolicyFlag: String, ExpressibleByArgument, CaseIterable {
    case reject
    case tickRule = "tick-rule"
}

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute bars, features and targets: writes features.csv, targets.csv, their .json metadata and summary.json.",
        usage: "tickforge features --trades <trades> [--quotes <quotes>] --out <out> [<options>]")

    @Option(name: .customLong("trades"), parsing: .upToNextOption,
            help: ArgumentHelp("Trades: files, folders (every file below), glob patterns, or - for standard input; the flag repeats. Binance trades/aggTrades, Tardis trades, or mapped with --columns; plain, .gz, .zst or .zip. The files are merged into one stream by time.", valueName: "trades"))
    var tradesPaths: [String] = []

    @Option(name: .customLong("quotes"), parsing: .upToNextOption,
            help: ArgumentHelp("Top-of-book quotes (Binance bookTicker or Tardis quotes), given like --trades.", valueName: "quotes"))
    var quotesPaths: [String] = []

    @Option(name: .customLong("bands"), parsing: .upToNextOption,
            help: ArgumentHelp("Binance bookDepth files (depth within ±1…5 % of the mid), given like --trades: adds band_imb_{p} and band_age_s.", valueName: "bands"))
    var bandsPaths: [String] = []

    @Option(help: ArgumentHelp("Band levels of the band_imb columns in percent, comma-separated; decimals allowed (0.2 gives band_imb_0p2).", valueName: "levels"))
    var bandLevels: String?

    @Option(name: .customLong("metrics"), parsing: .upToNextOption,
            help: ArgumentHelp("Binance metrics files (open interest, long/short ratios), given like --trades: adds oi, oi_value, the ratios, metrics_age_s and oi_chg_{w}.", valueName: "metrics"))
    var metricsPaths: [String] = []

    @Option(name: .customLong("funding"), parsing: .upToNextOption,
            help: ArgumentHelp("Binance fundingRate files, given like --trades: adds funding_rate (or funding_settled_rate with --ticker) and funding_age_s.", valueName: "funding"))
    var fundingPaths: [String] = []

    @Option(name: .customLong("ticker"), parsing: .upToNextOption,
            help: ArgumentHelp("Tardis derivative_ticker files, given like --trades: adds oi, funding_rate, predicted_funding_rate, mark_premium_bps, last_basis_bps, ticker_age_s and oi_chg_{w}. Not with --metrics.", valueName: "ticker"))
    var tickerPaths: [String] = []

    @Option(name: .customLong("book"), parsing: .upToNextOption,
            help: ArgumentHelp("Order book updates (Tardis incremental_book_L2 or book_snapshot_N), given like --trades: adds the book group (book_bid_qty_{k}, book_ask_qty_{k}, book_imb_{k}, book_imb_twa_{k}, book_updates) and, without --quotes, every quote column from the book's top level.", valueName: "book"))
    var bookPaths: [String] = []

    @Option(help: ArgumentHelp("Depth levels k of the book columns, comma-separated (default 1,5,10 with --book).", valueName: "levels"))
    var depthLevels: String?

    @Option(name: .customLong("liquidations"), parsing: .upToNextOption,
            help: ArgumentHelp("Tardis liquidations files (the trades layout; side = the liquidation order's side), given like --trades: adds liq_buy_volume, liq_sell_volume, liq_count and liq_volume_{w}.", valueName: "liquidations"))
    var liquidationsPaths: [String] = []

    @Option(help: ArgumentHelp("What to do with a trade whose side is unknown (Tardis side=unknown): reject (a bad row) or tick-rule (infer it: buyer above the previous trade's price, seller below, the previous side when equal).", valueName: "policy"))
    var sideUnknown: UnknownSidePolicyFlag = .reject

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(help: "Bar interval: a whole number and ms, s, m, h or d (\(BarInterval.examples)).")
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

    @Option(help: ArgumentHelp("Write only bars starting at or after this time (2024-08-08, 2024-08-08T12:00:00 in UTC, an offset like +02:00, or epoch ms). Earlier ticks still warm up the windows.", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("Write only bars starting before this time (same forms as --from). Later ticks still feed the targets.", valueName: "time"))
    var to: String?

    @Option(help: "Peak memory to plan for (e.g. 256MiB, 1GiB); chunk, queue and partition sizes derive from it.", transform: ByteSize.parse)
    var memoryLimit: Int = MemoryBudget.defaultLimit

    @Flag(help: "Discard partitions and manifest of earlier runs in --out and start over.")
    var fresh = false

    @Option(help: "How a rerun recognises unchanged inputs: quick (size, modification time, first and last 64 KiB) or content (SHA-256 of every byte, for files edited in place keeping size and time).")
    var fingerprint: FingerprintMode = .quick

    @Option(help: "Refuse to write more bars than this (default: the larger of 50 million and 100 × the trades used): one absurd timestamp cannot fill the disk.")
    var maxBars: Int?

    @Option(help: ArgumentHelp("Output format of the features and targets: csv, parquet (features.parquet, targets.parquet: zstd, typed, the JSON metadata inside) or both.", valueName: "format"))
    var format: OutputFormat = .csv

    @Option(help: ArgumentHelp("Also write splits.json, folds over the rows written for honest model work: kfold:F (purged k-fold), walk-forward:F (expanding window) or holdout:a,b,c (train, validation, test fractions summing to 1). Rows whose labels see a test bar (the largest horizon) are purged from training; see --embargo.", valueName: "method"))
    var splits: String?

    @Option(help: ArgumentHelp("Bars after each k-fold test range left out of training (default: the largest window, whose features see back into the test range). Recorded for every method.", valueName: "bars"))
    var embargo: Int?

    @Option(help: ArgumentHelp("Add K volatility regime columns, K from 2 to 64 (regime, regime_p0 … regime_p{K-1}): a zero-mean Gaussian HMM of log returns fitted on the train rows of --splits (holdout or walk-forward) only, then forward-filtered, so each row's probabilities use returns up to that bar only. Needs --splits holdout:… or walk-forward:….", valueName: "K"))
    var regimes: Int?

    @Option(help: .hidden)
    var partitionBars: Int?

    @Option(help: .hidden)
    var tickPartitionRows: Int?

    @OptionGroup var read: ReadFlags

    func validate() throws {
        guard !tradesPaths.isEmpty else { throw ValidationError("Missing expected argument '--trades <trades>'") }
        if let maxBars, maxBars < 1 { throw ValidationError("--max-bars must be at least 1") }
        guard BarInterval(interval) != nil else {
            throw ValidationError("interval '\(interval)' is not a whole number of ms, s, m, h or d of at most 10000d (e.g. \(BarInterval.examples))")
        }
        _ = try Self.bars(windows, "--windows")
        _ = try Self.bars(horizons, "--horizons")
        do { try config().validate() } catch { throw ValidationError("\(error)") }
        if let partitionBars, partitionBars < 1 { throw ValidationError("--partition-bars must be at least 1") }
        if depthLevels != nil && bookPaths.isEmpty { throw ValidationError("--depth-levels applies to --book; give the book files too") }
        if bandLevels != nil && bandsPaths.isEmpty { throw ValidationError("--band-levels applies to --bands; give the bookDepth files too") }
        if !metricsPaths.isEmpty && !tickerPaths.isEmpty {
            throw ValidationError("--metrics and --ticker both give the open interest (oi): give one of them")
        }
        if let splits {
            do { _ = try SplitMethod(parsing: splits) } catch { throw ValidationError("\(error)") }
        }
        if let embargo {
            guard splits != nil else { throw ValidationError("--embargo applies to --splits; give a split method too") }
            guard embargo >= 0, embargo <= FeatureConfig.maximumBars else { throw ValidationError("--embargo must be a number of bars from 0 to \(FeatureConfig.maximumBars)") }
        }
        if let regimes {
            do { try RegimeOptions.check(states: regimes, splits: try splits.map { try SplitMethod(parsing: $0) }) } catch { throw ValidationError("\(error)") }
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--out \(out) is a file, not a directory")
        }

    }

    static func time(_ text: String, _ flag: String) throws -> Int64 {
        guard let millis = Time.parseFlagTime(text) else {
            throw ValidationError("\(flag) '\(text)' is not a time (2024-08-08, 2024-08-08T12:00:00, 2024-08-08 12:00:00.250Z, 2024-08-08T14:00+02:00) or epoch milliseconds")
        }
        // Epoch seconds read as milliseconds would land in January 1970.
        if text.allSatisfy({ $0.isASCII && $0.isNumber }), millis > 0, millis < 100_000_000_000 {
            throw ValidationError("\(flag) \(text) reads as \(Time.iso8601(micros: millis * 1000)) in epoch milliseconds; if it is epoch seconds, give \(text)000")
        }
        return millis
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

    /// `trades: 3 files, 120 read, 1 rejected, 2 duplicates (1 across files)`.
    static func describe(_ role: String, _ input: RunSummary.Input) -> String {
        var text = "\(role): "
        if input.files.count > 1 { text += "\(input.files.count) files, " }
        text += describe(input.rows)
        if input.merge.duplicates > 0 { text += " (\(input.merge.duplicates) across files)" }
        if input.merge.inferredSides > 0 { text += ", \(input.merge.inferredSides) sides inferred by the tick rule" }
        if !input.otherSymbolFiles.isEmpty {
            text += ", \(input.otherSymbolFiles.count) file\(input.otherSymbolFiles.count == 1 ? "" : "s") of other symbols skipped"
        }
        return text
    }

    func config() throws -> FeatureConfig {
        var config = FeatureConfig(interval: BarInterval(interval)!, windows: try Self.bars(windows, "--windows"),
                      horizons: try Self.bars(horizons, "--horizons"), thresholdBps: thresholdBps,
                      ewmLambda: ewmLambda, hasQuotes: !quotesPaths.isEmpty, completeRowsOnly: completeRowsOnly,
                      maxQuoteAge: try maxQuoteAge.map { try FeatureConfig.quoteAge(parsing: $0) },
                      from: try from.map { try Self.time($0, "--from") }, to: try to.map { try Self.time($0, "--to") },
                      bandLevels: try bandLevels.map(Self.bandLevels))
        config.depthLevels = try depthLevels.map { text in
            try text.split(separator: ",").map { part in
                guard let k = Int(part.trimmingCharacters(in: .whitespaces)), k >= 1 else {
                    throw ValidationError("--depth-levels: '\(part)' is not a whole number of book levels (1 or more)")
                }
                return k
            }
        }
        return config
    }

    static func bandLevels(_ text: String) throws -> [BandLevel] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        do {
            return try parts.map { try BandLevel(parsing: $0) }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// `N read, N rejected, N duplicates`, and the filtered and rounded rows when there are any.
    static func describe(_ rows: RowCounts) -> String {
        "\(rows.read) read, \(rows.rejected) rejected, \(rows.duplicates) duplicates"
            + (rows.filtered > 0 ? ", \(rows.filtered) filtered (other symbols)" : "")
            + (rows.rounded > 0 ? ", \(rows.rounded) rounded to 8 decimals" : "")
    }

    /// The job's options from the flags.
    func options() throws -> FeaturesOptions {
        var options = FeaturesOptions(tradesPaths: tradesPaths, quotesPaths: quotesPaths, outputDirectory: out, config: try config())
        options.read = try read.options()
        options.timeUnits = try read.timeUnits().filter { !$0.key.isEmpty }
        options.mappings = try read.mappings()
        options.inferUnknownSides = sideUnknown == .tickRule
        options.chunkSize = read.chunkSize
        options.maxRecordSize = read.maxRecordSize
        options.memoryLimit = memoryLimit
        options.partitionBars = partitionBars
        options.tickPartitionRows = tickPartitionRows
        options.fresh = fresh
        options.maxBars = maxBars
        options.fingerprint = fingerprint
        options.format = format
        options.splits = try splits.map { try SplitMethod(parsing: $0) }
        options.embargoBars = embargo
        options.regimes = regimes
        options.liquidationsPaths = liquidationsPaths
        options.bookPaths = bookPaths
        for (kind, paths) in [(SeriesKind.bands, bandsPaths), (.metrics, metricsPaths), (.funding, fundingPaths), (.ticker, tickerPaths)]
        where !paths.isEmpty {
            options.seriesPaths[kind] = paths
        }
        return options
    }

    func run() throws {
        let summary = try reportingErrors { try FeaturesJob(options: try options()).run() }
        report(summary)
    }

    /// Prints what the run wrote and did (and its warnings, on standard error); `reusedFrom`
    /// says where partitions it did not compute came from.
    func report(_ summary: RunSummary, reusedFrom: String = "an earlier run") {
        let tickBytes = [summary.trades, summary.quotes, summary.liquidations, summary.book].compactMap { $0?.bytes }.reduce(0, +)
        let mb = Double(tickBytes + (summary.series ?? []).reduce(0) { $0 + $1.bytes }) / 1e6
        let inputs = [summary.trades, summary.quotes, summary.liquidations, summary.book].compactMap { $0 }
        let reused = inputs.reduce(0) { $0 + $1.partitionsReused }
        let resumed = reused > 0 || summary.featurePartitionsReused > 0
            ? "\nreused from \(reusedFrom): \(reused) tick and \(summary.featurePartitionsReused) feature partitions (computed now: \(inputs.reduce(0) { $0 + $1.partitionsWritten }) tick, \(summary.featurePartitionsComputed) feature)" : ""
        for warning in summary.warnings {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        if summary.rowsWritten == 0 && completeRowsOnly {
            FileHandle.standardError.write(Data("warning: --complete-rows-only kept no row: \(summary.bars) bars are fewer than the warm-up of the longest window plus one and the longest horizon need\n".utf8))
        }
        let data = (format != .parquet ? [".csv"] : []) + (format != .csv ? [".parquet"] : [])
        let others = ["summary.json"] + (read.badRows == .quarantine ? ["rejects.csv"] : []) + (splits != nil ? ["splits.json"] : [])
        print("""
            wrote \(summary.rowsWritten) rows (\(summary.bars) bars of \(interval)) to:
              \((data.map { "features" + $0 } + ["features.json"]).map { "\(out)/\($0)" }.joined(separator: "  "))
              \((data.map { "targets" + $0 } + ["targets.json"]).map { "\(out)/\($0)" }.joined(separator: "  "))
              \(others.map { "\(out)/\($0)" }.joined(separator: "  "))
            \(Self.describe("trades", summary.trades))\(summary.quotes.map { "\n" + Self.describe("quotes", $0) } ?? "")\(summary.book.map { "\n" + Self.describe("book", $0) + ($0.crossedUpdates.map { ", \($0) updates left it crossed (kept)" } ?? "") } ?? "")\(summary.liquidations.map { "\n" + Self.describe("liquidations", $0) + ($0.outsideRaster.map { o in ", \(o.beforeFirstBar) before the first bar and \(o.afterLastBar) after the last (not used)" } ?? "") } ?? "")\((summary.series ?? []).map { "\n\($0.role): \($0.files.count > 1 ? "\($0.files.count) files, " : "")\($0.rowsRead) read, \($0.rowsDeduplicated) repeated rows dropped\($0.rowsRejected > 0 ? ", \($0.rowsRejected) rejected" : "")\($0.rowsFiltered > 0 ? ", \($0.rowsFiltered) filtered (other symbols)" : "")" }.joined())
            \(String(format: "%.1f MB in %.2f s", mb, summary.wallSeconds))\(summary.inputMegabytesPerSecond > 0 ? String(format: " (%.1f MB/s parsed)", summary.inputMegabytesPerSecond) : " (no input to parse: all in tick partitions)")\(String(format: ", peak RSS %.1f MiB of a %d MiB limit", Double(summary.peakResidentBytes) / 1_048_576, summary.memoryLimit >> 20))\(resumed)
            """)
    }
}
