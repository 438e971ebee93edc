#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts of byte values, to estimate how well zstd's entropy coder will do on a stream
/// (its order-0 entropy) without compressing it. The counts live in memory the caller lends
/// (256 zeroed slots), so counting is a plain increment with no copy-on-write check.
struct ByteHistogram {
    private let counts: UnsafeMutablePointer<Int>
    private(set) var total = 0

    init(counts: UnsafeMutablePointer<Int>) {
        counts.initialize(repeating: 0, count: 256)
        self.counts = counts
    }

    /// Adds the bytes of `value` as LEB128, without writing them anywhere.
    @inline(__always)
    mutating func addVarint(_ value: UInt64) {
        var x = value
        while x >= 0x80 {
            counts[Int(x & 0x7F) | 0x80] += 1
            x >>= 7
            total += 1
        }
        counts[Int(x)] += 1
        total += 1
    }

    /// Σ −log₂(p(b)) over all bytes added: the bits an ideal order-0 coder needs.
    var entropyBits: Double {
        guard total > 0 else { return 0 }
        let n = Double(total)
        var bits = 0.0
        for b in 0..<256 where counts[b] > 0 {
            let count = Double(counts[b])
            bits -= count * log2(count / n)
        }
        return bits
    }
}
