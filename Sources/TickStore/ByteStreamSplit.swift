/// Float64 columns as byte-stream-split (Parquet's BYTE_STREAM_SPLIT): all byte 0s of the values'
/// little-endian bit patterns, then all byte 1s, …, then all byte 7s.
///
/// Feature values share signs, exponents and high mantissa bits, so the high-byte streams are
/// nearly constant and zstd compresses them far better than interleaved doubles. It moves bytes
/// only, so every bit pattern (NaN payloads, -0.0, subnormals) survives exactly.
enum ByteStreamSplit {
    /// Writes `8 * values.count` bytes at the start of `out`.
    static func encode(_ values: UnsafeBufferPointer<Double>, into out: UnsafeMutableRawBufferPointer) {
        let n = values.count
        guard n > 0, let base = out.baseAddress else { return }
        precondition(out.count >= 8 * n)
        let dst = base.assumingMemoryBound(to: UInt8.self)
        for i in 0..<n {
            let bits = values[i].bitPattern
            dst[i] = UInt8(truncatingIfNeeded: bits)
            dst[n + i] = UInt8(truncatingIfNeeded: bits >> 8)
            dst[2 * n + i] = UInt8(truncatingIfNeeded: bits >> 16)
            dst[3 * n + i] = UInt8(truncatingIfNeeded: bits >> 24)
            dst[4 * n + i] = UInt8(truncatingIfNeeded: bits >> 32)
            dst[5 * n + i] = UInt8(truncatingIfNeeded: bits >> 40)
            dst[6 * n + i] = UInt8(truncatingIfNeeded: bits >> 48)
            dst[7 * n + i] = UInt8(truncatingIfNeeded: bits >> 56)
        }
    }

    /// Reads `output.count` values from exactly `8 * output.count` bytes.
    static func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Double>) throws(FormatError) {
        let n = output.count
        guard input.count == 8 * n else {
            throw FormatError("byte-stream-split data is \(input.count) bytes, expected \(8 * n) for \(n) values")
        }
        guard n > 0, let base = input.baseAddress else { return }
        let src = base.assumingMemoryBound(to: UInt8.self)
        for i in 0..<n {
            var bits = UInt64(src[i])
            bits |= UInt64(src[n + i]) << 8
            bits |= UInt64(src[2 * n + i]) << 16
            bits |= UInt64(src[3 * n + i]) << 24
            bits |= UInt64(src[4 * n + i]) << 32
            bits |= UInt64(src[5 * n + i]) << 40
            bits |= UInt64(src[6 * n + i]) << 48
            bits |= UInt64(src[7 * n + i]) << 56
            output[i] = Double(bitPattern: bits)
        }
    }
}
