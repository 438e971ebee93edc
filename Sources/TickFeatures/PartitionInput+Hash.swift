/// Everything a feature partition's values depend on, fed to a hash: equal hashes tell that a
/// stored partition is still right, whatever else changed in the run.
extension PartitionInput {
    /// The bars (halos included) field by field, their absolute place (warm-up cells depend on
    /// it), and whether they reach the end of the series (future targets do).
    func hash(into h: inout WordHash128) {
        h.add(UInt64(bitPattern: Int64(base))); h.add(UInt64(bitPattern: Int64(rows.lowerBound)))
        h.add(UInt64(bitPattern: Int64(rows.upperBound))); h.add(reachesEnd ? 1 : 0); h.add(UInt64(bars.count))
        func wide(_ v: Int128) {
            h.add(UInt64(truncatingIfNeeded: v))
            h.add(UInt64(truncatingIfNeeded: v >> 64))
        }
        func int(_ v: Int64) { h.add(UInt64(bitPattern: v)) }
        for bar in bars {
            let t = bar.trade
            int(t.start); int(t.open); int(t.high); int(t.low); int(t.close)
            wide(t.volume); wide(t.buyVolume); wide(t.notional); int(t.tradeCount)
            h.add(bar.logReturn.bitPattern)
            h.add(bar.ewmVariance.bitPattern)
            if let a = bar.asOf { a.hash(into: &h) } else { h.add(0) }
            if let b = bar.book {
                h.add(1); int(b.updateCount)
                h.add(b.bidDepth == nil ? 0 : 1)
                for v in (b.bidDepth ?? []) + (b.askDepth ?? []) { wide(v) }
                for v in b.imbalanceTimeWeighted { h.add(v == nil ? 0 : 1); h.add(v?.bitPattern ?? 0) }
            } else {
                h.add(0)
            }
            if let l = bar.liquidations {
                h.add(1); wide(l.buyVolume); wide(l.sellVolume); int(l.count)
            } else {
                h.add(0)
            }
            guard let q = bar.quotes else {
                h.add(0)
                continue
            }
            h.add(1)
            if let c = q.close {
                h.add(1); int(c.bidPrice); int(c.bidQuantity); int(c.askPrice); int(c.askQuantity)
            } else {
                h.add(0)
            }
            h.add(q.imbalanceTimeWeighted?.bitPattern ?? 0)
            h.add(q.imbalanceTimeWeighted == nil ? 0 : 1)
            int(q.updateCount); wide(q.orderFlow)
            int(q.lastUpdate ?? .min); h.add(q.lastUpdate == nil ? 0 : 1)
        }
    }
}

extension AsOfBar {
    /// Every value and time, each with whether it is defined.
    func hash(into h: inout WordHash128) {
        h.add(1)
        func optional(_ v: Int64?) {
            h.add(v == nil ? 0 : 1)
            h.add(UInt64(bitPattern: v ?? 0))
        }
        h.add(UInt64(bandDepths?.count ?? 0) &+ (bandDepths == nil ? 0 : 1 << 32))
        for d in bandDepths ?? [] { optional(d) }
        optional(bandTime)
        for v in fields { optional(v) }
        optional(metricsTime); optional(fundingTime); optional(tickerTime)
    }
}

/// A 128-bit hash of 64-bit words: two multiply-rotate lanes (constants of xxHash64 and
/// MurmurHash3) and a final avalanche. Not cryptographic: it tells a partition's inputs from
/// changed ones, where an accidental collision is as likely as 2⁻¹²⁸, and costs a few
/// instructions a word where SHA-256 cost 2 % of a whole run.
public struct WordHash128 {
    @usableFromInline var a: UInt64 = 0x9E37_79B1_85EB_CA87
    @usableFromInline var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    @usableFromInline var count: UInt64 = 0

    public init() {}

    @inlinable
    static func rotate(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

    @inlinable
    public mutating func add(_ w: UInt64) {
        a = Self.rotate(a ^ (w &* 0xC2B2_AE3D_27D4_EB4F), 31) &* 0x9E37_79B1_85EB_CA87
        b = Self.rotate(b ^ (Self.rotate(w, 27) &* 0x87C3_7B91_1142_53D5), 33) &* 0x4CF5_AD43_2745_937F
        a = a &+ b
        count &+= 1
    }

    public mutating func add(_ words: [UInt64]) {
        for w in words { add(w) }
    }

    /// 32 lower-case hex digits.
    public mutating func finish() -> String {
        func mix(_ x: UInt64) -> UInt64 {
            var z = x
            z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
            z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
            return z ^ (z >> 33)
        }
        let high = mix(a ^ count), low = mix(b &+ high)
        func hex(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return hex(high) + hex(low)
    }
}

extension PartitionInput {
    /// The hash of everything the partition's values depend on: equal for equal inputs.
    public var inputHash: String {
        var hasher = WordHash128()
        hash(into: &hasher)
        return hasher.finish()
    }
}
