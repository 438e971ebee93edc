import Foundation
import TickCore
import TickFeatures
import TickIO
import TickStore

/// Stage 2: tick partitions → bars → feature partitions on disk.
///
/// Bars and their sequential state (EWMA variance, quote state) are rebuilt from the tick
/// partitions on every run, which is cheap; the costly part, the feature values, is computed
/// only for partitions that are not already intact on disk.
final class FeatureStage {
    let calculator: FeatureCalculator
    let directory: RunDirectory
    let pool: WorkPool
    let partitionBars: Int
    let key: String

    private(set) var reused = 0
    private(set) var computed = 0

    init(calculator: FeatureCalculator, directory: RunDirectory, pool: WorkPool, partitionBars: Int, key: String) {
        self.calculator = calculator; self.directory = directory; self.pool = pool
        self.partitionBars = partitionBars; self.key = key
    }

    func partitionPath(_ name: String) -> String { directory.featureParts + "/" + name }

    func run(trades: InputState, quotes: InputState?, previous: FeatureState?,
             save: (FeatureState) throws -> Void) throws -> FeatureState {
        var state = FeatureState(key: key, partitionBars: partitionBars, partitions: [])
        var intact: [Int: FeaturePartitionEntry] = [:]
        if let previous, previous.key == key, previous.partitionBars == partitionBars {
            for entry in previous.partitions
            where RunDirectory.isIntact(partitionPath(entry.name), bytes: entry.bytes, checksum: entry.checksum) {
                intact[entry.index] = entry
            }
            if let bars = previous.bars, intact.count == previous.partitions.count,
               intact.count == (bars + partitionBars - 1) / partitionBars {
                reused = intact.count
                return previous
            }
        }
        state.partitions = intact.values.sorted { $0.index < $1.index }
        let keep = Set(state.partitions.map(\.name))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.featureParts)) ?? [] where !keep.contains(name) {
            Syscall.unlinkIfPresent(partitionPath(name))
        }
        try save(state)

        let config = calculator.config
        let tradeReader = TickPartitionReader(directory: directory, entries: trades.partitions, pool: pool)
        let quoteReader = quotes.map { TickPartitionReader(directory: directory, entries: $0.partitions, pool: pool) }
        var builder = BarBuilder(interval: config.interval)
        var quoteBars = QuoteBarBuilder()
        var sequencer = BarSequencer(lambda: config.ewmLambda)
        let step = config.interval.micros
        let tasks = OrderedTasks<EncodedFeaturePartition>(pool: pool)
        let partitioner = BarPartitioner(pastHalo: config.pastHalo, futureHalo: config.futureHalo, partitionBars: partitionBars)
        let calculator = self.calculator
        let maxInFlight = pool.workers + 1

        func dispatch(_ input: PartitionInput, index: Int) throws {
            if intact[index] != nil { reused += 1; return }
            let name = "part-\(String(format: "%06d", index)).\(PartitionFormat.fileExtension)"
            tasks.submit {
                let columns = calculator.columns(input)
                let contents = PartitionCodec.contents(columns, catalog: calculator.catalog, firstRow: input.rows.lowerBound)
                return EncodedFeaturePartition(index: index, name: name, rows: columns.rowCount,
                                               bytes: try PartitionFormat.encode(contents, compressor: Zstd.Compressor(level: 1)))
            }
            while tasks.pending >= maxInFlight { try write(tasks.takeNext(), into: &state, save: save) }
        }

        let onBar: (TradeBar) throws -> Void = { bar in
            if state.firstBarStart == nil { state.firstBarStart = bar.start }
            state.lastBarStart = bar.start
            var stats: QuoteBarStats?
            if let quoteReader {
                let end = bar.start + step
                while quoteBars.needsQuotes(before: end) {
                    if case .quotes(let batch)? = try quoteReader.next() { quoteBars.append(batch) } else { quoteBars.endOfQuotes() }
                }
                stats = quoteBars.finishBar(start: bar.start, end: end)
            }
            if let ready = partitioner.append(sequencer.record(bar, quotes: stats)) { try dispatch(ready.input, index: ready.index) }
        }
        while let batch = try tradeReader.next() {
            guard case .trades(let columns) = batch else { continue }
            try builder.add(columns, emit: onBar)
        }
        try builder.finish(emit: onBar)
        for ready in partitioner.finish() { try dispatch(ready.input, index: ready.index) }
        while tasks.pending > 0 { try write(tasks.takeNext(), into: &state, save: save) }
        state.bars = partitioner.barCount
        state.partitions.sort { $0.index < $1.index }
        try save(state)
        return state
    }

    private func write(_ part: EncodedFeaturePartition, into state: inout FeatureState, save: (FeatureState) throws -> Void) throws {
        try AtomicFileWriter.write(part.bytes, to: partitionPath(part.name))
        state.partitions.append(FeaturePartitionEntry(index: part.index, name: part.name, rows: part.rows,
                                                      bytes: part.bytes.count, checksum: Checksum.crc32(part.bytes)))
        computed += 1
        try save(state)
    }
}

struct EncodedFeaturePartition: Sendable {
    var index: Int
    var name: String
    var rows: Int
    var bytes: [UInt8]
}

/// Cuts the bar stream into partitions of `partitionBars` bars at absolute bar indices and
/// hands out each with its halo as soon as its future halo has arrived. Holds one partition
/// plus the halos.
final class BarPartitioner {
    let pastHalo: Int
    let futureHalo: Int
    let partitionBars: Int
    /// Bars kept; `window[0]` has absolute index `windowBase`.
    private var window: [BarRecord] = []
    private var windowBase = 0
    /// First row of the next partition to hand out.
    private var nextRow = 0
    private(set) var barCount = 0

    init(pastHalo: Int, futureHalo: Int, partitionBars: Int) {
        self.pastHalo = pastHalo; self.futureHalo = futureHalo; self.partitionBars = partitionBars
    }

    /// Adds the next bar; returns a partition when this bar completes its future halo.
    func append(_ bar: BarRecord) -> (input: PartitionInput, index: Int)? {
        window.append(bar)
        barCount += 1
        guard barCount >= nextRow + partitionBars + futureHalo else { return nil }
        return cut(rows: nextRow..<(nextRow + partitionBars), reachesEnd: false)
    }

    /// The partitions whose future halo runs past the last bar.
    func finish() -> [(input: PartitionInput, index: Int)] {
        var parts: [(PartitionInput, Int)] = []
        while nextRow < barCount {
            parts.append(cut(rows: nextRow..<min(nextRow + partitionBars, barCount), reachesEnd: true))
        }
        return parts
    }

    private func cut(rows: Range<Int>, reachesEnd: Bool) -> (input: PartitionInput, index: Int) {
        let base = max(0, rows.lowerBound - pastHalo)
        let end = reachesEnd ? barCount : rows.upperBound + futureHalo
        let input = PartitionInput(bars: Array(window[(base - windowBase)..<(end - windowBase)]), base: base,
                                   rows: rows, reachesEnd: reachesEnd)
        nextRow = rows.upperBound
        // Bars before the next partition's past halo are no longer needed.
        let keepFrom = max(0, nextRow - pastHalo)
        if keepFrom > windowBase {
            window.removeFirst(keepFrom - windowBase)
            windowBase = keepFrom
        }
        return (input, rows.lowerBound / partitionBars)
    }
}
