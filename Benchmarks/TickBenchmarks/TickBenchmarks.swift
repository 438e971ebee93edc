import Benchmark
import Foundation
import TickCore
import TickCSV
import TickFeatures
import TickPipeline

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

    Benchmark("features+targets of one partition, CSV text included") { benchmark in
        let calculator = FeatureCalculator(config: BenchmarkInput.config)
        let bars = BenchmarkInput.bars
        let input = PartitionInput(bars: bars, base: 0, rows: 0..<bars.count, reachesEnd: true)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(calculator.compute(input))
        }
    }

    print("benchmark input: \(BenchmarkInput.tradeChunk.count) bytes, \(BenchmarkInput.trades.count) trades, \(BenchmarkInput.bars.count) bars of 100ms")
}
