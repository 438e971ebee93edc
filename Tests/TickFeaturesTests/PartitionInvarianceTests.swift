import Testing
import TickCore
@testable import TickFeatures

/// Feature partitions cut anywhere must give the bytes of one big partition.
struct PartitionInvarianceTests {
    /// A seeded series of bars with empty bars, flat stretches and quotes.
    static func bars(count: Int, seed: UInt64, withQuotes: Bool) -> [BarRecord] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var sequencer = BarSequencer(lambda: 0.94)
        var close: Int64 = 6_000_000_000_000
        var records: [BarRecord] = []
        for t in 0..<count {
            let start = Int64(1_723_161_000_000_000) + Int64(t) * 1_000_000
            let bar: TradeBar
            if next() % 4 == 0 && t > 0 {
                bar = .empty(start: start, previousClose: close)
            } else {
                let open = close + Int64(next() % 5) * 10_000_000 - 20_000_000
                let flat = next() % 6 == 0
                let high = flat ? open : open + Int64(next() % 3) * 10_000_000
                let low = flat ? open : open - Int64(next() % 3) * 10_000_000
                close = flat ? open : low + (high - low) / 2
                let volume = Int128(next() % 5_000) * 1_000_000
                let buy = volume == 0 ? 0 : Int128(next() % UInt64(volume / 1_000_000 + 1)) * 1_000_000
                bar = TradeBar(start: start, open: open, high: high, low: low, close: close, volume: volume,
                               buyVolume: buy, notional: volume * Int128(close), tradeCount: Int64(next() % 50) + 1)
            }
            var quotes: QuoteBarStats?
            if withQuotes {
                let hasState = t > 3
                let state = QuoteState(bidPrice: close - 10_000_000, bidQuantity: Int64(next() % 1_000) * 1_000_000,
                                       askPrice: close + 10_000_000, askQuantity: Int64(next() % 1_000) * 1_000_000)
                quotes = QuoteBarStats(close: hasState ? state : nil,
                                       imbalanceTimeWeighted: hasState && next() % 5 != 0 ? Double(Int64(next() % 200) - 100) / 100 : nil,
                                       updateCount: Int64(next() % 10), orderFlow: Int128(Int64(next() % 1_000)) - 500,
                                       lastUpdate: hasState ? start - Int64(next() % 5_000_000) : nil)
            }
            records.append(sequencer.record(bar, quotes: quotes))
        }
        return records
    }

    /// Rows as text, a line per row and a cell per column: integers and exact decimals as
    /// their digits, doubles by Swift's shortest round-trip description (so equal text is equal
    /// bits), undefined cells empty. The pipeline's CSV writer is tested on its own; this only
    /// has to tell values apart.
    static func text(_ columns: [ColumnValues], timestamps: [Int64]) -> [UInt8] {
        var out = ""
        for r in timestamps.indices {
            out += String(timestamps[r])
            for column in columns {
                out += ","
                guard column.isDefined(r) else { continue }
                switch column {
                case .integer(let v): out += String(v[r])
                case .decimal(let v): out += FixedPoint.string(v[r])
                case .real(let v): out += "\(v[r])"
                }
            }
            out += "\n"
        }
        return Array(out.utf8)
    }

    /// Runs the calculator the way the pipeline's partitioner does, for one partition size.
    static func output(bars: [BarRecord], config: FeatureConfig, partitionBars: Int) -> (features: [UInt8], targets: [UInt8]) {
        let calculator = FeatureCalculator(config: config)
        var features: [UInt8] = []
        var targets: [UInt8] = []
        var row = 0
        while row < bars.count {
            let rows = row..<min(row + partitionBars, bars.count)
            let base = max(0, rows.lowerBound - config.pastHalo)
            let end = min(bars.count, rows.upperBound + config.futureHalo)
            let columns = calculator.writtenRows(calculator.columns(PartitionInput(bars: Array(bars[base..<end]), base: base, rows: rows,
                                                                                   reachesEnd: end == bars.count)))
            features += Self.text(columns.features, timestamps: columns.timestamps)
            targets += Self.text(columns.targets, timestamps: columns.timestamps)
            row = rows.upperBound
        }
        return (features, targets)
    }

    @Test(arguments: [1, 2, 7, 59, 60, 61, 300, 1_000])
    func partitionSizeDoesNotChangeBytes(partitionBars: Int) {
        let config = FeatureConfig(interval: BarInterval("1s")!, windows: [10, 60, 5], horizons: [3, 17],
                                   hasQuotes: true)
        let bars = Self.bars(count: 700, seed: 7, withQuotes: true)
        let whole = Self.output(bars: bars, config: config, partitionBars: bars.count)
        let cut = Self.output(bars: bars, config: config, partitionBars: partitionBars)
        #expect(cut.features == whole.features)
        #expect(cut.targets == whole.targets)
        #expect(whole.features.filter { $0 == 10 }.count == bars.count)
    }

    @Test func completeRowsOnlyKeepsBothFilesAligned() {
        var config = FeatureConfig(interval: BarInterval("1s")!, windows: [4, 9], horizons: [2, 5], hasQuotes: true)
        config.completeRowsOnly = true
        let bars = Self.bars(count: 200, seed: 3, withQuotes: true)
        for partitionBars in [1, 13, 200] {
            let out = Self.output(bars: bars, config: config, partitionBars: partitionBars)
            let featureRows = String(decoding: out.features, as: UTF8.self).split(separator: "\n")
            let targetRows = String(decoding: out.targets, as: UTF8.self).split(separator: "\n")
            #expect(featureRows.count == targetRows.count)
            #expect(featureRows.map { $0.split(separator: ",", omittingEmptySubsequences: false)[0] }
                    == targetRows.map { $0.split(separator: ",", omittingEmptySubsequences: false)[0] })
            // No empty cell survives.
            #expect(!featureRows.contains { $0.contains(",,") || $0.hasSuffix(",") })
            #expect(!targetRows.contains { $0.contains(",,") || $0.hasSuffix(",") })
            #expect(featureRows.count > 0 && featureRows.count < bars.count)
        }
    }

    @Test func ewmRecursionIsExactWhateverThePartition() {
        // v_t computed once in bar order: a partition starting late still sees the exact value.
        let bars = Self.bars(count: 400, seed: 11, withQuotes: false)
        var v = Double.nan
        for t in 1..<bars.count {
            let r = bars[t].logReturn
            v = t == 1 ? r * r : 0.94 * v + (1 - 0.94) * (r * r)
            #expect(bars[t].ewmVariance == v)
        }
        #expect(bars[0].ewmVariance.isNaN && bars[0].logReturn.isNaN)
    }

    @Test func flatWindowsGiveExactZeros() {
        // A run of identical closes: rv and parkinson are exactly 0, vol_ratio undefined, tfi 0.
        var sequencer = BarSequencer(lambda: 0.94)
        let bars = (0..<40).map { t in
            sequencer.record(.empty(start: Int64(t) * 1_000_000, previousClose: 5_000_000_000), quotes: nil)
        }
        let config = FeatureConfig(interval: BarInterval("1s")!, windows: [5, 10], horizons: [3], hasQuotes: false)
        let text = String(decoding: Self.output(bars: bars, config: config, partitionBars: 7).features, as: UTF8.self)
        let header = ["timestamp"] + ColumnCatalog(config: config).features.map(\.name)
        let last = text.split(separator: "\n").last!.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func cell(_ name: String) -> String { last[header.firstIndex(of: name)!] }
        #expect(cell("rv_10") == "0.0")
        #expect(cell("parkinson_10") == "0.0")
        #expect(cell("tfi_10") == "0.0")
        #expect(cell("volume_10") == "0")
        #expect(cell("vol_ratio") == "")
        #expect(cell("absret_autocorr") == "")
        #expect(cell("ewm_vol") == "0.0")
    }
}

@Suite("Partition input hash")
struct PartitionInputHashTests {
    @Test func everyWordAndItsPlaceCount() {
        var words = (0..<300).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        func hash(_ w: [UInt64]) -> String { var h = WordHash128(); h.add(w); return h.finish() }
        let base = hash(words)
        #expect(base.count == 32 && base == hash(words))
        var seen: Set<String> = [base]
        for i in stride(from: 0, to: words.count, by: 7) {
            for bit in [0, 17, 63] {
                words[i] ^= 1 << UInt64(bit)
                seen.insert(hash(words))
                words[i] ^= 1 << UInt64(bit)
            }
        }
        #expect(seen.count == 1 + 3 * ((words.count + 6) / 7), "a flipped bit changes the hash")
        #expect(hash(Array(words.dropLast())) != base && hash(words + [0]) != base)
        words.swapAt(3, 4)
        #expect(hash(words) != base, "order counts")
        // Blocks do not matter, only the words.
        var split = WordHash128()
        words.swapAt(3, 4)
        split.add(Array(words[..<100])); split.add(Array(words[100...]))
        #expect(split.finish() == base)
    }
}
