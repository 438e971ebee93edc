import ArgumentParser
import Foundation
import TickCore
import TickCSV
import TickFeatures
import TickIO
import TickPipeline

@main
struct Tickforge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickforge",
        abstract: "Turn huge tick files into aligned feature and target CSVs, out of core.",
        subcommands: [Features.self, Plan.self, Shard.self, Finish.self, Scan.self, Inspect.self, SqlSchema.self, Report.self, Bench.self, Generate.self])
}

/// Flags shared by every command that reads tick files.
struct ReadFlags: ParsableArguments {
    @Option(help: "Bytes per chunk handed to a worker (e.g. 64KiB, 2MiB). Default: 2MiB for scan; derived from --memory-limit for features.", transform: ByteSize.parse)
    var chunkSize: Int?

    @Option(help: "Parallel workers (default: the number of cores).")
    var workers: Int = WorkPool.coreCount

    @Option(help: "What to do with bad rows: error (stop) or quarantine (write rejects.csv and go on).")
    var badRows: BadRowPolicy = .error

    @Option(help: ArgumentHelp("Time unit (s, ms, us, ns) of the trades and quotes, or of one input as ROLE=UNIT (trades=us, quotes, book, liquidations); repeatable. Detected per file from its first value when omitted (always, for the bands, metrics, funding and ticker series).", valueName: "unit"))
    var timeUnit: [String] = []

    @Option(help: ArgumentHelp("strict: rows must be in time order in each file (out-of-order rows are bad rows); sort: any order, sorted out of core under the memory limit (by time, then the id, or local_timestamp in Tardis files, stably) before the order and duplicate rules apply.", valueName: "order"))
    var order: InputOrder = .strict

    @Flag(help: "Do not check NAME.CHECKSUM sidecars (sha256sum format, as Binance publishes) against the files they describe.")
    var noVerifyChecksums = false

    @Option(help: "Longest line accepted (e.g. 1MiB; default 1MiB, less under a small --memory-limit).", transform: ByteSize.parse)
    var maxRecordSize: Int?

    @Option(help: "Column mapping for other CSVs (one for trades, one for quotes: each applies to the input of its kind), e.g. time=timestamp,price=price,qty=amount,side=side,id=id[,symbol=symbol] (names or 0-based indices). Sides: true/false = is_buyer_maker, buy/sell = aggressor. Mapped files may also have ISO 8601 times (2024-08-08T23:54:16.322Z, offsets or none = UTC; floored to the microsecond), numbers in scientific notation, and more than 8 decimals (rounded to 8, half to even, and counted).")
    var columns: [String] = []

    @Option(help: ArgumentHelp("Read only this symbol (case-sensitive): files whose data.binance.vision names say another symbol are skipped, and in files with a symbol column (Tardis, or symbol= in --columns) rows of other symbols are skipped and counted as filtered. Without it, files or rows of more than one symbol are an error.", valueName: "symbol"))
    var symbol: String?

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        _ = try timeUnits()
        _ = try mappings()
        if let symbol, symbol.isEmpty || symbol.contains(",") || symbol.contains("\n") {
            throw ValidationError("--symbol needs a symbol as the file writes it, e.g. BTCUSDT")
        }
    }

    /// `--columns` mappings by the kind of input they map (trades: a price; quotes: a bid).
    func mappings() throws -> [RecordKind: ColumnMapping] {
        var byKind: [RecordKind: ColumnMapping] = [:]
        for text in columns {
            let mapping: ColumnMapping
            do { mapping = try ColumnMapping(parsing: text) } catch { throw ValidationError("\(error)") }
            guard byKind[mapping.kind] == nil else {
                throw ValidationError("--columns maps \(mapping.kind.rawValue) twice; give at most one mapping for trades and one for quotes")
            }
            byKind[mapping.kind] = mapping
        }
        return byKind
    }

    /// `--time-unit` values by input role ("" for every input).
    func timeUnits() throws -> [String: TimeUnit] {
        var units: [String: TimeUnit] = [:]
        for value in timeUnit {
            let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
            let role = parts.count == 2 ? parts[0] : ""
            guard let unit = TimeUnit(flag: parts.last ?? ""), ["", "trades", "quotes", "book", "liquidations"].contains(role) else {
                throw ValidationError("--time-unit '\(value)' is not UNIT or ROLE=UNIT with UNIT one of s, ms, us, ns and ROLE trades, quotes, book or liquidations")
            }
            guard units[role] == nil else { throw ValidationError("--time-unit gives \(role.isEmpty ? "every input" : role) two units") }
            units[role] = unit
        }
        return units
    }

    func options() throws -> ReadOptions {
        var options = ReadOptions()
        options.chunkSize = chunkSize ?? options.chunkSize
        options.workers = workers
        options.badRows = badRows
        options.maxRecordSize = maxRecordSize ?? options.maxRecordSize
        options.timeUnit = try timeUnits()[""]
        options.verifyChecksums = !noVerifyChecksums
        options.order = order
        // One mapping reads every file (scan); features gives each input its kind's.
        options.mapping = try mappings().count == 1 ? mappings().values.first : nil
        options.symbol = symbol
        return options
    }
}

extension BadRowPolicy: ExpressibleByArgument {}
extension InputOrder: ExpressibleByArgument {}
extension FingerprintMode: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}

/// Sizes like `8MiB`, `64KiB`, `1GiB`, `1GB`, `4096`.
enum ByteSize {
    static func parse(_ text: String) throws -> Int {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40),
                                      ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("K", 1 << 10),
                                      ("M", 1 << 20), ("G", 1 << 30), ("B", 1)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value > 0 else { break }
            // Below 2^62 bytes, so that sizes derived from it cannot overflow either.
            guard value * Double(factor) < 0x1p62 else { throw ValidationError("'\(text)' is larger than any size tickforge can use") }
            return Int(value * Double(factor))
        }
        if let value = Int(text), value > 0 { return value }
        throw ValidationError("'\(text)' is not a size (e.g. 64KiB, 8MiB, 1GiB)")
    }
}

/// Runs a command body and turns tickforge's errors into a message and exit code 1.
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as TickError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    } catch let error as FeatureConfigError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.validationFailure
    }
}
