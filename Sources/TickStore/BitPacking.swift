/// UInt8 columns whose values are all 0 or 1 (sides, flags) stored one bit per value: value `i`
/// is bit `i % 8` (least significant first) of byte `i / 8`; unused bits of the last byte are 0.
enum BitPacking {
    /// Whether every value is 0 or 1.
    static func isBinary(_ values: UnsafeBufferPointer<UInt8>) -> Bool {
        var any: UInt8 = 0
        for v in values { any |= v }  // branch-free: one pass, then a single test
        return any <= 1
    }

    /// Writes `(values.count + 7) / 8` bytes at the start of `out`. Values must be 0 or 1.
    static func encode(_ values: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableRawBufferPointer) {
        let n = values.count
        guard n > 0, let base = out.baseAddress else { return }
        let dst = base.assumingMemoryBound(to: UInt8.self)
        let whole = n / 8
        for byte in 0..<whole {
            let i = byte * 8
            var packed = values[i]
            packed |= values[i + 1] << 1
            packed |= values[i + 2] << 2
            packed |= values[i + 3] << 3
            packed |= values[i + 4] << 4
            packed |= values[i + 5] << 5
            packed |= values[i + 6] << 6
            packed |= values[i + 7] << 7
            dst[byte] = packed
        }
        if whole * 8 < n {
            var packed: UInt8 = 0
            for i in whole * 8..<n { packed |= values[i] << UInt8(i - whole * 8) }
            dst[whole] = packed
        }
    }

    /// Reads `output.count` values from exactly `(output.count + 7) / 8` bytes; the unused bits of
    /// the last byte must be 0.
    static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) throws(FormatError) {
        let n = output.count
        let expected = (n + 7) / 8
        guard input.count == expected else {
            throw FormatError("bit-packed data is \(input.count) bytes, expected \(expected) for \(n) values")
        }
        guard n > 0, let base = input.baseAddress else { return }
        let src = base.assumingMemoryBound(to: UInt8.self)
        let whole = n / 8
        for byte in 0..<whole {
            let packed = src[byte]
            let i = byte * 8
            output[i] = packed & 1
            output[i + 1] = (packed >> 1) & 1
            output[i + 2] = (packed >> 2) & 1
            output[i + 3] = (packed >> 3) & 1
            output[i + 4] = (packed >> 4) & 1
            output[i + 5] = (packed >> 5) & 1
            output[i + 6] = (packed >> 6) & 1
            output[i + 7] = (packed >> 7) & 1
        }
        let tail = n - whole * 8
        if tail > 0 {
            let packed = src[whole]
            guard packed >> UInt8(tail) == 0 else {
                throw FormatError("bit-packed data has non-zero padding bits")
            }
            for k in 0..<tail { output[whole * 8 + k] = (packed >> UInt8(k)) & 1 }
        }
    }
}
