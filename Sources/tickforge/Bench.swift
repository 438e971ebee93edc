import ArgumentParser
import Foundation
import TickFeatures
import TickIO
import TickPipeline

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the whole features pipeline (per stage wall/CPU time, MB/s, rows/s, peak RSS, bytes per trade on disk) against a raw read of the same file.")

    @Argument(help: "A trades file to measure; omitted, a seeded synthetic file of --size is generated.")
    var file: String?

    @Option(help: "Quotes file to include (with FILE).")
    var quotes: String?

    @Option(help: "A book file (Tardis incremental_book_L2 or book_snapshot_N) to ingest in the same run: the report gives its ingest MB/s beside the trades'.")
    var book: String?

    @Option(help: "Size of the generated trades file.", transform: ByteSize.parse)
    var size: Int = 1 << 30

    @Flag(name: .customLong("quotes-too"), help: "Also generate bookTicker quotes (without FILE).")
    var withQuotes = false

    @Option(help: "Seed of the generated input (the same seed gives the same file).")
    var seed: UInt64 = 42

    @Option(help: "Parallel workers.")
    var workers: Int = WorkPool.coreCount

    @Option(help: "--memory-limit of the run.", transform: ByteSize.parse)
    var memoryLimit: Int = MemoryBudget.defaultLimit

    @Option(help: "Bar interval: a whole number and ms, s, m, h or d (\(BarInterval.examples)).")
    var interval: String = "1s"

    @Option(help: "Keep the generated input and outputs here instead of a temporary directory.")
    var workDir: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard BarInterval(interval) != nil else {
            throw ValidationError("interval '\(interval)' is not a whole number of ms, s, m, h or d of at most 10000d (e.g. \(BarInterval.examples))")
        }
    }

    func run() throws {
        var options = BenchOptions()
        options.tradesPath = file
        options.quotesPath = quotes
        options.bookPath = book
        options.size = Int64(size)
        options.withQuotes = withQuotes
        options.seed = seed
        options.workers = workers
        options.memoryLimit = memoryLimit
        options.interval = interval
        options.workDirectory = workDir
        let quiet = json
        let report = try reportingErrors {
            try BenchJob.run(options) { message in
                if !quiet { FileHandle.standardError.write(Data("bench: \(message)\n".utf8)) }
            }
        }
        print(json ? try BenchJob.json(report) : BenchJob.table(report))
    }
}
