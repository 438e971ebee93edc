import Benchmark
import Foundation
import TickCore
import TickCSV
import TickFeatures
import TickIO
import TickPipeline
import TickStore

/// Synthetic inputs made once per process, in memory, with the same generator as `tickforge gen`.
enum BenchmarkInput {
    /// About 1,000,000 bytes of Binance trades lines (whole lines, no header).
    static let tradeChunk: [UInt8] = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tickforge-bench-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("trades.csv").path
        var options = GeneratorOptions(tradesPath: path, quotesPath: nil, targetBytes: 1_000_000)
        options.header = false
        _ = try! TickGenerator.run(options)
        let bytes = try! [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try? FileManager.default.removeItem(at: dir)
        return bytes
    }()

    static let layout = Layout(name: "binance-trades", kind: .trades,
                               roles: [.id, .price, .quantity, .ignore, .time, .side], header: nil,
                               timeUnit: .milliseconds)

    static let trades: TradeColumns = ChunkParser(layout: layout).parse(tradeChunk, skipFirstLine: false).trades

    static let config = FeatureConfig(interval: BarInterval("100ms")!, hasQuotes: false)

    /// The trades as a tick partition's contents, and encoded.
    static let tradeContents = PartitionContents(
        kind: "trades", rowCount: trades.count, minTime: trades.time.first ?? 0, maxTime: trades.time.last ?? 0,
        columns: [StoredColumn(name: "time", payload: .int64(trades.time)),
                  StoredColumn(name: "price", payload: .int64(trades.price)),
                  StoredColumn(name: "quantity", payload: .int64(trades.quantity)),
                  StoredColumn(name: "buyer_aggressor", payload: .uint8(trades.buyerAggressor)),
                  StoredColumn(name: "id", payload: .int64(trades.id))])
    static let encodedTrades = try! PartitionFormat.encode(tradeContents, compressor: Zstd.Compressor(level: 1))

    /// Bars of `trades` at 100 ms with the sequential part done.
    static let bars: [BarRecord] = {
        var builder = BarBuilder(interval: config.interval)
        var sequencer = BarSequencer(lambda: config.ewmLambda)
        var records: [BarRecord] = []
        builder.add(trades) { records.append(sequencer.record($0, quotes: nil)) }
        builder.finish { records.append(sequencer.record($0, quotes: nil)) }
        return records
    }()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 2,
        maxDuration: .seconds(3),
        maxIterations: 1_000)

    // One iteration parses 1,000,000 bytes: throughput in iterations/s is MB/s; mallocs per row
    // are mallocCountTotal / rows (printed once below).
    Benchmark("tokenize+parse 1 MB of trades (1 worker)") { benchmark in
        let parser = ChunkParser(layout: BenchmarkInput.layout)
        let chunk = BenchmarkInput.tradeChunk
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(parser.parse(chunk, skipFirstLine: false))
        }
    }

    Benchmark("bar aggregation of 1 MB of trades at 100ms") { benchmark in
        let trades = BenchmarkInput.trades
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var builder = BarBuilder(interval: BenchmarkInput.config.interval)
            var count = 0
            builder.add(trades) { _ in count += 1 }
            builder.finish { _ in count += 1 }
            blackHole(count)
        }
    }

    Benchmark("features+targets of one partition, rows selected") { benchmark in
        let calculator = FeatureCalculator(config: BenchmarkInput.config)
        let bars = BenchmarkInput.bars
        let input = PartitionInput(bars: bars, base: 0, rows: 0..<bars.count, reachesEnd: true)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(calculator.writtenRows(calculator.columns(input)))
        }
    }

    // Tick partition files: what stage 1 writes and stage 2 reads.
    Benchmark("zstd columnar encode of 1 MB of trades (level 1)") { benchmark in
        let contents = BenchmarkInput.tradeContents
        let compressor = Zstd.Compressor(level: 1)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try PartitionFormat.encode(contents, compressor: compressor))
        }
    }

    Benchmark("zstd columnar decode of 1 MB of trades") { benchmark in
        let bytes = BenchmarkInput.encodedTrades
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try PartitionFormat.decode(bytes, path: "benchmark"))
        }
    }

    // The CSV writer's part: computed columns to CSV text.
    Benchmark("output: format one feature partition as CSV") { benchmark in
        let calculator = FeatureCalculator(config: BenchmarkInput.config)
        let bars = BenchmarkInput.bars
        let columns = calculator.columns(PartitionInput(bars: bars, base: 0, rows: 0..<bars.count, reachesEnd: true))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(CSVRows(calculator.writtenRows(columns)))
        }
    }

    Benchmark("rolling features of one partition (no formatting)") { benchmark in
        let calculator = FeatureCalculator(config: BenchmarkInput.config)
        let bars = BenchmarkInput.bars
        let input = PartitionInput(bars: bars, base: 0, rows: 0..<bars.count, reachesEnd: true)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(calculator.columns(input))
        }
    }

    print("benchmark input: \(BenchmarkInput.tradeChunk.count) bytes, \(BenchmarkInput.trades.count) trades, \(BenchmarkInput.bars.count) bars of 100ms")
}
