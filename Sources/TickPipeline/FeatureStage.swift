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
    /// Partitions computed (or read back) at once.
    let tasksInFlight: Int
    let key: String
    /// What the values depend on besides the bars: the flags.
    let valuesKey: String
    let options: OutputOptions

    private(set) var reused = 0
    private(set) var computed = 0

    init(calculator: FeatureCalculator, directory: RunDirectory, pool: WorkPool, partitionBars: Int, tasksInFlight: Int,
         key: String, valuesKey: String, options: OutputOptions) {
        self.calculator = calculator; self.directory = directory; self.pool = pool
        self.partitionBars = partitionBars; self.tasksInFlight = tasksInFlight; self.key = key; self.valuesKey = valuesKey
        self.options = options
    }

    func partitionPath(_ name: String) -> String { directory.featureParts + "/" + name }

    /// Whether this run handed every row to the outputs (false when all feature partitions
    /// were intact and the output stage must write them).
    private(set) var wroteOutput = false
    /// Whether this run rebuilt the bars, merging the inputs (false when nothing changed).
    private(set) var ranMerge = false

    /// The rows of a stored feature partition, prepared for the outputs.
    static func prepareStored(path: String, calculator: FeatureCalculator, options: OutputOptions) throws -> PreparedRows {
        let contents = try PartitionFormat.read(path: path)
        return PreparedRows(try PartitionCodec.featureColumns(contents, catalog: calculator.catalog, path: path),
                            calculator: calculator, options: options)
    }

    /// Brings the feature partitions up to date and, unless every one was intact, hands all
    /// rows to `output` on the way: each partition's rows are prepared by the task that
    /// computed it (or read it back), so no partition is decoded again just to be written out.
    /// Without `output` (a run whose outputs need the whole series first: `--regimes`) the
    /// partitions are only brought up to date.
    func run(trades tradeReader: MergedTickReader, quotes quoteReader: MergedTickReader?, liquidations liquidationReader: MergedTickReader?,
             book bookReader: MergedTickReader?,
             asOf asOfInputs: AsOfInputs?,
             previous: FeatureState?, output: FeatureOutputs?,
             save: (FeatureState, _ force: Bool) throws -> Void) throws -> FeatureState {
        var state = FeatureState(key: key, partitionBars: partitionBars, partitions: [], valuesKey: valuesKey)
        // Stored partitions that may still be right: the same flags and grid. Each is reused
        // when the digest of the bars it was made from equals that of this run's bars.
        var candidates: [Int: FeaturePartitionEntry] = [:]
        if let previous, previous.valuesKey == valuesKey, previous.partitionBars == partitionBars {
            for entry in previous.partitions
            where entry.inputDigest != nil && RunDirectory.isIntact(partitionPath(entry.name), bytes: entry.bytes, checksum: entry.checksum) {
                candidates[entry.index] = entry
            }
            // Nothing changed at all (the same tick partitions): no bar needs to be rebuilt.
            if previous.key == key, let bars = previous.bars, candidates.count == previous.partitions.count,
               previous.partitions.reduce(0, { $0 + $1.rows }) == bars {
                reused = candidates.count
                return previous
            }
        }
        state.partitions = candidates.values.sorted { $0.index < $1.index }
        // The manifest stops listing what goes before it goes (or is replaced under the same
        // name), so that it never lists a file that is not the one it describes.
        try save(state, true)
        let keep = Set(state.partitions.map(\.name))
        // Only tickforge's own names: anything else in the folder is not ours to remove.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.featureParts)) ?? []
        where RunFileName.isFeatureFile(name) && !keep.contains(name) {
            try Syscall.remove(partitionPath(name))
        }
        var produced: Set<Int> = []

        let config = calculator.config
        var builder = BarBuilder(interval: config.interval)
        var quoteBars = QuoteBarBuilder(maxAge: config.maxQuoteAge)
        var coveredBars = 0
        var asOfCursor = asOfInputs.map(AsOfCursor.init)
        var liquidationBars = LiquidationBarBuilder()
        // Without quotes, the quote columns come from the book's top level.
        var bookBars = BookBarBuilder(levels: config.depthLevels ?? [], derivesQuotes: quoteReader == nil)
        func nextBookRows() throws {
            if case .trades(let batch)? = try bookReader!.next() { bookBars.append(batch) } else { bookBars.endOfInput() }
        }
        func nextLiquidations() throws {
            if case .trades(let batch)? = try liquidationReader!.next() { liquidationBars.append(batch) } else { liquidationBars.endOfInput() }
        }
        var sequencer = BarSequencer(lambda: config.ewmLambda)
        let step = config.interval.micros
        let tasks = OrderedTasks<FeaturePartitionResult>(pool: pool)
        let partitioner = BarPartitioner(pastHalo: config.pastHalo, futureHalo: config.futureHalo, partitionBars: partitionBars,
                                         intervalMicros: config.interval.micros)
        let calculator = self.calculator
        let options = self.options
        let maxInFlight = tasksInFlight
        let prepares = output != nil

        let featureParts = directory.featureParts
        func dispatch(_ input: PartitionInput, index: Int) throws {
            produced.insert(index)
            let stored = candidates[index].map { (path: featureParts + "/" + $0.name, digest: $0.inputDigest!) }
            let name = RunFileName.featurePartition(index: index)
            tasks.submit {
                let digest = input.inputHash
                if let stored, stored.digest == digest {
                    return FeaturePartitionResult(encoded: nil, rows: prepares ? try FeatureStage.prepareStored(path: stored.path, calculator: calculator, options: options) : nil)
                }
                let columns = calculator.columns(input)
                let contents = PartitionCodec.contents(columns, catalog: calculator.catalog, firstRow: input.rows.lowerBound)
                let file = try PartitionFormat.encodeWithChecksum(contents, compressor: Zstd.Compressor(level: PartitionCompression.featureLevel))
                let encoded = EncodedFeaturePartition(index: index, name: name, rows: columns.rowCount,
                                                      bytes: file.bytes, checksum: file.checksum, inputDigest: digest)
                return FeaturePartitionResult(encoded: encoded, rows: prepares ? PreparedRows(columns, calculator: calculator, options: options) : nil)
            }
            while tasks.pending >= maxInFlight { try finish(tasks.takeNext(), into: &state, output: output, save: save) }
        }

        let onBar: (TradeBar) throws -> Void = { bar in
            if state.firstBarStart == nil { state.firstBarStart = bar.start }
            state.lastBarStart = bar.start
            var stats: QuoteBarStats?
            var book: BookBar?
            let quotesFromBook = quoteReader == nil && bookReader != nil
            /// Hands the quote updates the book implied so far to the quote bars, batch by batch,
            /// so that a long stretch of book before the first trade is not held as quotes.
            func passBookQuotes(end: Int64) {
                guard quotesFromBook else { return }
                quoteBars.append(bookBars.takeQuotes())
                quoteBars.consume(start: bar.start, end: end)
            }
            if bookReader != nil {
                let end = bar.start + step
                bookBars.consume(start: bar.start, end: end)
                while bookBars.needsMore {
                    passBookQuotes(end: end)
                    try nextBookRows()
                    bookBars.consume(start: bar.start, end: end)
                }
                book = bookBars.finishBar(start: bar.start, end: end)
            }
            if quotesFromBook {
                let end = bar.start + step
                passBookQuotes(end: end)
                let barStats = quoteBars.finishBar(start: bar.start, end: end)
                if let last = barStats.lastUpdate, end - last <= config.coverageAge { coveredBars += 1 }
                stats = barStats
            } else if let quoteReader {
                let end = bar.start + step
                quoteBars.consume(start: bar.start, end: end)
                while quoteBars.needsMoreQuotes {
                    if case .quotes(let batch)? = try quoteReader.next() { quoteBars.append(batch) } else { quoteBars.endOfQuotes() }
                    quoteBars.consume(start: bar.start, end: end)
                }
                let barStats = quoteBars.finishBar(start: bar.start, end: end)
                if let last = barStats.lastUpdate, end - last <= config.coverageAge { coveredBars += 1 }
                stats = barStats
            }
            let asOf = asOfCursor?.values(before: bar.start + step)
            var liquidations: LiquidationBar?
            if liquidationReader != nil {
                let end = bar.start + step
                liquidationBars.consume(start: bar.start, end: end)
                while liquidationBars.needsMore {
                    try nextLiquidations()
                    liquidationBars.consume(start: bar.start, end: end)
                }
                liquidations = liquidationBars.finishBar(start: bar.start, end: end)
            }
            if let ready = partitioner.append(sequencer.record(bar, quotes: stats, asOf: asOf, liquidations: liquidations, book: book)) {
                try dispatch(ready.input, index: ready.index)
            }
        }
        while let batch = try tradeReader.next() {
            guard case .trades(let columns) = batch else { continue }
            try builder.add(columns, emit: onBar)
        }
        try builder.finish(emit: onBar)
        if liquidationReader != nil {
            // What is left lies after the last bar.
            liquidationBars.countRest()
            while liquidationBars.needsMore {
                try nextLiquidations()
                liquidationBars.countRest()
            }
            state.liquidationsOutside = RunSummary.OutsideRaster(beforeFirstBar: liquidationBars.beforeFirstBar, afterLastBar: liquidationBars.afterLastBar)
        }
        while let ready = partitioner.nextAtEnd() { try dispatch(ready.input, index: ready.index) }
        while tasks.pending > 0 { try finish(tasks.takeNext(), into: &state, output: output, save: save) }
        wroteOutput = output != nil
        ranMerge = true
        // Partitions of bars this run no longer has (the data got shorter) go.
        let gone = state.partitions.filter { !produced.contains($0.index) }
        if !gone.isEmpty {
            state.partitions.removeAll { !produced.contains($0.index) }
            try save(state, true)
            for entry in gone { try Syscall.remove(partitionPath(entry.name)) }
        }
        state.bars = partitioner.barCount
        state.quoteCoveredBars = quoteReader == nil && bookReader == nil ? nil : coveredBars
        if bookReader != nil { state.bookCrossedUpdates = bookBars.crossedUpdates }
        state.partitions.sort { $0.index < $1.index }
        try save(state, false)
        return state
    }

    /// Stores a computed partition (recorded in the manifest) and appends its rows to the output.
    private func finish(_ result: FeaturePartitionResult, into state: inout FeatureState, output: FeatureOutputs?,
                        save: (FeatureState, _ force: Bool) throws -> Void) throws {
        if let part = result.encoded {
            // A stored partition of the same index that no longer fits is replaced: the
            // manifest forgets it first.
            if let stale = state.partitions.firstIndex(where: { $0.index == part.index }) {
                state.partitions.remove(at: stale)
                try save(state, true)
            }
            try AtomicFileWriter.write(part.bytes, to: partitionPath(part.name))
            state.partitions.append(FeaturePartitionEntry(index: part.index, name: part.name, rows: part.rows,
                                                          bytes: part.bytes.count, checksum: part.checksum, inputDigest: part.inputDigest))
            computed += 1
            try save(state, false)
        } else {
            reused += 1
        }
        if let output, let rows = result.rows { try output.append(rows) }
    }
}

/// zstd levels of the partitions a run writes (any level reads back the same way).
enum PartitionCompression {
    /// Tick partitions: varint streams that zstd shrinks 1.3–100× more; level 1 keeps them
    /// 2.4 bytes a trade, where level −1 would add a third for little saving.
    static let tickLevel: Int32 = 1
    /// Feature partitions: mostly byte-stream-split doubles whose six mantissa planes are noise
    /// that no level compresses, so level 1 spends its match search for nothing. Level −5 cut
    /// the instructions of a whole run by 4.3 % (callgrind, 16 MB of trades) for 3.4 % larger
    /// feature partitions; lower levels gained little more (−10: 4.9 %, +5.5 %).
    static let featureLevel: Int32 = -5
}

/// What a feature partition task hands back: the partition to store (nil when it was read from
/// an earlier run) and its rows prepared for the outputs (nil when the stage writes none).
struct FeaturePartitionResult: Sendable {
    var encoded: EncodedFeaturePartition?
    var rows: PreparedRows?
}

struct EncodedFeaturePartition: Sendable {
    var index: Int
    var name: String
    var rows: Int
    var bytes: [UInt8]
    /// CRC-32 of `bytes`.
    var checksum: UInt32
    /// Hash of the bars it was computed from (`PartitionInput.inputHash`).
    var inputDigest: String
}

/// Cuts the bar stream into partitions on a grid anchored to the epoch: partition k holds the
/// bars whose epoch bar number (bar start / Δ) is in `[k·partitionBars, (k+1)·partitionBars)`,
/// so adding earlier or later data does not move any partition's bars (the first and last
/// partitions of a run are partial). Hands out each partition with its halo as soon as its
/// future halo has arrived. Holds one partition plus the halos.
final class BarPartitioner {
    let pastHalo: Int
    let futureHalo: Int
    let partitionBars: Int
    let intervalMicros: Int64
    /// Epoch bar number of row 0 (0 for data before 1970, whose grid then starts at row 0).
    private var origin: Int64?
    /// Bars kept; `window[0]` has absolute index `windowBase`.
    private var window: [BarRecord] = []
    private var windowBase = 0
    /// First row of the next partition to hand out.
    private var nextRow = 0
    private(set) var barCount = 0

    init(pastHalo: Int, futureHalo: Int, partitionBars: Int, intervalMicros: Int64) {
        self.pastHalo = pastHalo; self.futureHalo = futureHalo; self.partitionBars = partitionBars
        self.intervalMicros = intervalMicros
        // Its largest size, up front: growing by doubling would hold up to twice as much.
        window.reserveCapacity(pastHalo + partitionBars + futureHalo + 1)
    }

    /// The row after the last row of the partition that holds row `row`.
    private func partitionEnd(_ row: Int) -> Int {
        let origin = self.origin ?? 0
        let p = Int64(partitionBars)
        return Int((origin + Int64(row)) / p * p + p - origin)
    }

    /// Adds the next bar; returns a partition when this bar completes its future halo.
    func append(_ bar: BarRecord) -> (input: PartitionInput, index: Int)? {
        if origin == nil { origin = max(0, Time.floorDiv(bar.trade.start, intervalMicros)) }
        window.append(bar)
        barCount += 1
        let end = partitionEnd(nextRow)
        guard barCount >= end + futureHalo else { return nil }
        return cut(rows: nextRow..<end, reachesEnd: false)
    }

    /// After the last bar: the next of the partitions whose future halo runs past it, or nil.
    /// One at a time, so that the caller's bound on partitions in flight holds here too (each
    /// of these holds the whole tail of the bars).
    func nextAtEnd() -> (input: PartitionInput, index: Int)? {
        guard nextRow < barCount else { return nil }
        return cut(rows: nextRow..<min(partitionEnd(nextRow), barCount), reachesEnd: true)
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
        return (input, Int(((origin ?? 0) + Int64(rows.lowerBound)) / Int64(partitionBars)))
    }
}
