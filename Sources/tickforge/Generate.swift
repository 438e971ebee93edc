import ArgumentParser
import Foundation
import TickPipeline

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Write a synthetic Binance-layout trades file (and optionally bookTicker quotes) of a given size.")

    @Argument(help: "Trades file to write.")
    var trades: String

    @Option(help: "Size of the trades file (e.g. 100MiB, 1GiB).", transform: ByteSize.parse)
    var size: Int = 100 << 20

    @Option(help: "Also write bookTicker quotes over the same time to this file.")
    var quotes: String?

    @Option(help: "Random seed: the same seed gives the same files.")
    var seed: UInt64 = 42

    @Option(help: "Epoch milliseconds of the first trade.")
    var startMs: Int64 = 1_704_067_200_000

    @Flag(help: "Write no header line (as Binance's own public files).")
    var noHeader = false

    func run() throws {
        var options = GeneratorOptions(tradesPath: trades, quotesPath: quotes, targetBytes: Int64(size))
        options.seed = seed
        options.startMillis = startMs
        options.header = !noHeader
        let report = try reportingErrors { try TickGenerator.run(options) }
        print("wrote \(report.trades) trades (\(report.tradeBytes) bytes) to \(trades)" +
              (quotes.map { ", \(report.quotes) quotes (\(report.quoteBytes) bytes) to \($0)" } ?? ""))
    }
}
