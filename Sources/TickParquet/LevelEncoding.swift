/// Definition levels of an optional top-level column (0 = null, 1 = value) in Parquet's
/// RLE/bit-packed hybrid encoding with bit width 1.
///
/// A run of 8 or more equal levels becomes an RLE run (header `count << 1`, then the level in one
/// byte); anything else becomes bit-packed groups of 8 levels (header `groups << 1 | 1`, then one
/// byte per group, first level in the lowest bit). Only the last bit-packed run of a page may be
/// padded past the page's levels (with zeros); readers stop at the page's value count. The output
/// is a function of the levels alone.
enum LevelEncoding {
    /// Runs at least this long are written as RLE runs.
    static let minimumRun = 8

    /// Appends the hybrid encoding of `levels` (each 0 or 1) to `out`, without a length prefix.
    static func appendHybrid(_ levels: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let n = levels.count
        var i = 0
        while i < n {
            let run = runLength(levels, from: i)
            if run >= minimumRun {
                appendVarint(UInt64(run) << 1, to: &out)
                out.append(levels[i])
                i += run
                continue
            }
            // Bit-packed groups until a group would start a run worth an RLE run, or the end.
            let start = i
            var groups = 0
            repeat {
                groups += 1
                i += 8
            } while i < n && runLength(levels, from: i, atMost: minimumRun) < minimumRun
            appendVarint(UInt64(groups) << 1 | 1, to: &out)
            for g in 0..<groups {
                var byte: UInt8 = 0
                let base = start + 8 * g
                for bit in 0..<8 where base + bit < n {
                    byte |= (levels[base + bit] & 1) << UInt8(bit)
                }
                out.append(byte)
            }
            i = min(i, n)
        }
    }

    /// How many levels from `start` equal `levels[start]`, counting no further than `limit`.
    @inline(__always)
    static func runLength(_ levels: UnsafeBufferPointer<UInt8>, from start: Int, atMost limit: Int = .max) -> Int {
        let value = levels[start]
        let end = limit >= levels.count - start ? levels.count : start + limit
        var j = start + 1
        while j < end && levels[j] == value { j += 1 }
        return j - start
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }
}
