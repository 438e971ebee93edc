/// Everything a feature partition's values depend on, as 64-bit words: a digest of them tells
/// whether a stored partition is still right, whatever else changed in the run.
extension PartitionInput {
    /// The bars (halos included) field by field, their absolute place (warm-up cells depend on
    /// it), and whether they reach the end of the series (future targets do), handed to `body`
    /// a few thousand words at a time: a long halo's words would be megabytes held at once.
    public func forEachWordBlock(_ body: ([UInt64]) -> Void) {
        var words: [UInt64] = [UInt64(bitPattern: Int64(base)), UInt64(bitPattern: Int64(rows.lowerBound)),
                               UInt64(bitPattern: Int64(rows.upperBound)), reachesEnd ? 1 : 0, UInt64(bars.count)]
        let blockWords = 4096
        words.reserveCapacity(blockWords + 32)
        func wide(_ v: Int128) {
            words.append(UInt64(truncatingIfNeeded: v))
            words.append(UInt64(truncatingIfNeeded: v >> 64))
        }
        func int(_ v: Int64) { words.append(UInt64(bitPattern: v)) }
        for bar in bars {
            let t = bar.trade
            int(t.start); int(t.open); int(t.high); int(t.low); int(t.close)
            wide(t.volume); wide(t.buyVolume); wide(t.notional); int(t.tradeCount)
            words.append(bar.logReturn.bitPattern)
            words.append(bar.ewmVariance.bitPattern)
            guard let q = bar.quotes else {
                words.append(0)
                if words.count >= blockWords {
                    body(words)
                    words.removeAll(keepingCapacity: true)
                }
                continue
            }
            words.append(1)
            if let c = q.close {
                words.append(1); int(c.bidPrice); int(c.bidQuantity); int(c.askPrice); int(c.askQuantity)
            } else {
                words.append(0)
            }
            words.append(q.imbalanceTimeWeighted.map { $0.bitPattern } ?? 0x7FF8_DEAD_0000_0001)
            words.append(q.imbalanceTimeWeighted == nil ? 0 : 1)
            int(q.updateCount); wide(q.orderFlow)
            int(q.lastUpdate ?? .min); words.append(q.lastUpdate == nil ? 0 : 1)
            if words.count >= blockWords {
                body(words)
                words.removeAll(keepingCapacity: true)
            }
        }
        body(words)
    }
}
