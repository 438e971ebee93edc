/// Encodes and decodes one stream of Int64 values (`plain`, `varint`, `delta-varint`).
///
/// Tick columns are mostly integers on a grid that change slowly or not at all: times that grow
/// by a few µs (or whole milliseconds), ids that grow by 1, prices that move by whole ticks,
/// quantities in whole lots. The varint encodings divide by the values' (or differences')
/// greatest common divisor, zigzag the quotients and write them as LEB128, turning 8 bytes into
/// 1–2 before zstd sees them. Random or extreme values would grow to 10 bytes: those stay plain.
enum Int64StreamCodec {
    /// Bytes of the divisor that starts every varint stream.
    static let divisorBytes = 8

    /// The varint candidate the encoder chose for one stream.
    struct Choice: Equatable {
        var encoding: Int64StreamEncoding
        var divisor: UInt64
    }

    // MARK: Choosing

    /// Values whose encoded bytes are histogrammed to choose between varint and delta-varint:
    /// enough to see a column's character, few enough to keep choosing cheap.
    static let sampleCount = 1 << 16

    /// The most bytes `encode` writes for `count` values (every varint at its 10-byte worst).
    static func maximumSize(count: Int) -> Int { divisorBytes + 10 * count }

    /// Picks between varint and delta-varint (deterministically).
    ///
    /// The stream with the lower order-0 entropy over the first `sampleCount` values wins,
    /// because that is roughly what zstd's entropy stage will pay: trending columns (times,
    /// ids, prices) go delta, uncorrelated small values (quantities) stay varint, where their
    /// differences would be smaller numbers but more varied ones. Ties go to varint. Whether
    /// plain is smaller still is seen when encoding. The divisors are the greatest common
    /// divisors of all `values` given (`encode` gives the sample first, then, if a later value
    /// is off that grid, the whole column).
    static func choose(_ values: UnsafeBufferPointer<Int64>) -> Choice {
        let (valueGCD, deltaGCD) = commonDivisors(values)
        let valueDivisor = ExactDivisor(max(valueGCD, 1))  // all zeros: divisor 1
        let deltaDivisor = ExactDivisor(max(deltaGCD, 1))

        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 512) { counts in
            var valueHistogram = ByteHistogram(counts: counts.baseAddress!)
            var deltaHistogram = ByteHistogram(counts: counts.baseAddress! + 256)
            var previous: Int64 = 0
            for value in values.prefix(sampleCount) {
                valueHistogram.addVarint(zigzag(valueDivisor.quotient(value)))
                deltaHistogram.addVarint(zigzag(deltaDivisor.quotient(value &- previous)))
                previous = value
            }
            return deltaHistogram.entropyBits < valueHistogram.entropyBits
                ? Choice(encoding: .deltaVarint, divisor: deltaDivisor.divisor)
                : Choice(encoding: .varint, divisor: valueDivisor.divisor)
        }
    }

    /// The greatest common divisors of the values' and of the differences' magnitudes.
    ///
    /// Blocks whose values are all multiples of the divisors found so far (nearly all of them:
    /// a column's divisor shows in its first values) are confirmed by a branch-free pass; only
    /// a block that lowers a divisor is walked value by value.
    static func commonDivisors(_ values: UnsafeBufferPointer<Int64>) -> (value: UInt64, delta: UInt64) {
        var valueGCD: UInt64 = 0, deltaGCD: UInt64 = 0
        var previous: Int64 = 0
        var start = 0
        let blockSize = 1024
        while start < values.count && !(valueGCD == 1 && deltaGCD == 1) {
            let end = min(values.count, start + blockSize)
            let valueTest = MultipleTest(valueGCD), deltaTest = MultipleTest(deltaGCD)
            var misses: UInt64 = 0
            var last = previous
            for i in start..<end {
                let value = values[i]
                misses |= valueTest.misses(value) | deltaTest.misses(value &- last)
                last = value
            }
            if misses != 0 {
                // Re-divide only when a value is not a multiple: the GCD falls at most 64 times.
                var valueExact = ExactDivisor(max(valueGCD, 1)), deltaExact = ExactDivisor(max(deltaGCD, 1))
                last = previous
                for i in start..<end {
                    let value = values[i]
                    let delta = value &- last
                    last = value
                    if valueGCD != 1, valueGCD == 0 || !valueExact.divides(value.magnitude) {
                        valueGCD = greatestCommonDivisor(valueGCD, value.magnitude)
                        valueExact = ExactDivisor(max(valueGCD, 1))
                    }
                    if deltaGCD != 1, deltaGCD == 0 || !deltaExact.divides(delta.magnitude) {
                        deltaGCD = greatestCommonDivisor(deltaGCD, delta.magnitude)
                        deltaExact = ExactDivisor(max(deltaGCD, 1))
                    }
                }
            }
            previous = last
            start = end
        }
        return (valueGCD, deltaGCD)
    }

    // MARK: Encoding

    /// Writes `values` at the start of `out`, which must hold `maximumSize(count:)` bytes, in
    /// the chosen varint encoding, or plain when that would not be smaller; returns the
    /// encoding and the bytes written. Sizing the stream by writing it saves a pass over the
    /// values; the unused end of `out` is never touched.
    static func encode(_ values: UnsafeBufferPointer<Int64>, into out: UnsafeMutableRawBufferPointer) -> (encoding: Int64StreamEncoding, size: Int) {
        let plainSize = 8 * values.count
        guard !values.isEmpty, let base = out.baseAddress else { return (.plain, 0) }
        precondition(out.count >= maximumSize(count: values.count), "Int64 stream buffer too small")
        // The divisors come from the sampled values only, which saves a pass over long
        // columns; writing the stream checks that the chosen divisor fits every other value.
        var choice = choose(UnsafeBufferPointer(rebasing: values.prefix(sampleCount)))
        var (size, offGrid) = encodeVarints(values, choice: choice, to: base)
        if offGrid && values.count > sampleCount {
            // A value past the sample is not a multiple of the sample's divisor: choose again
            // with divisors that divide every value, and write the stream again.
            choice = choose(values)
            (size, _) = encodeVarints(values, choice: choice, to: base)
        }
        if size < plainSize { return (choice.encoding, size) }
        for (i, value) in values.enumerated() {
            base.storeBytes(of: value.littleEndian, toByteOffset: 8 * i, as: Int64.self)
        }
        return (.plain, plainSize)
    }

    /// Writes the stream; returns its size and whether a value (or difference) was not a
    /// multiple of the divisor. Such a stream still decodes exactly (see
    /// `ExactDivisor.quotient`), but the divisor must be the column's GCD, so `encode` then
    /// chooses and writes again.
    private static func encodeVarints(_ values: UnsafeBufferPointer<Int64>, choice: Choice,
                                      to base: UnsafeMutableRawPointer) -> (size: Int, offGrid: Bool) {
        base.storeBytes(of: choice.divisor.littleEndian, as: UInt64.self)
        var p = divisorBytes
        let dst = base.assumingMemoryBound(to: UInt8.self)
        let divisor = ExactDivisor(choice.divisor)
        let lowMask = divisor.lowMask, largest = divisor.largestMultipleCode
        var misses: UInt64 = 0
        switch (choice.encoding, choice.divisor) {
        case (.varint, 1):
            for value in values { writeVarint(zigzag(value), to: dst, at: &p) }
        case (.varint, _):
            for value in values {
                let code = zigzag(divisor.quotient(value))
                misses |= (UInt64(bitPattern: value) & lowMask) | (code > largest ? 1 : 0)
                writeVarint(code, to: dst, at: &p)
            }
        default:  // delta-varint
            var previous: Int64 = 0
            for value in values {
                let delta = value &- previous
                let code = zigzag(divisor.quotient(delta))
                misses |= (UInt64(bitPattern: delta) & lowMask) | (code > largest ? 1 : 0)
                writeVarint(code, to: dst, at: &p)
                previous = value
            }
        }
        return (p, misses != 0)
    }

    // MARK: Decoding

    /// Reads exactly `output.count` values in `encoding` from the start of `input`; returns the
    /// bytes consumed. Throws on a stream that ends early, a bad divisor or a varint longer than
    /// 64 bits; never reads outside `input`.
    static func decode(_ input: UnsafeRawBufferPointer, as encoding: Int64StreamEncoding,
                       into output: UnsafeMutableBufferPointer<Int64>) throws(FormatError) -> Int {
        let count = output.count
        let minimum = encoding.sizeRange(count: count).lowerBound
        guard input.count >= minimum else {
            throw FormatError("\(encoding.name) stream of \(input.count) bytes is too short for \(count) values")
        }
        guard minimum > 0, let base = input.baseAddress else { return 0 }

        if encoding == .plain {
            for i in 0..<count {
                output[i] = Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
            }
            return 8 * count
        }

        let divisor = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard divisor >= 1, divisor <= 1 << 63 else {
            throw FormatError("\(encoding.name) stream has divisor \(divisor), outside 1...2^63")
        }
        // Quotient × divisor wraps exactly like the encoder's exact division.
        let multiplier = Int64(bitPattern: divisor)
        let src = base.assumingMemoryBound(to: UInt8.self)
        let end = input.count
        var p = divisorBytes
        if encoding == .varint {
            for i in 0..<count {
                output[i] = unzigzag(try readVarint(src, end: end, at: &p, index: i)) &* multiplier
            }
        } else {
            var previous: Int64 = 0
            for i in 0..<count {
                previous = previous &+ unzigzag(try readVarint(src, end: end, at: &p, index: i)) &* multiplier
                output[i] = previous
            }
        }
        return p
    }

    // MARK: Primitives

    /// Maps signed to unsigned so small magnitudes of either sign become small numbers:
    /// 0 → 0, −1 → 1, 1 → 2, −2 → 3, …
    @inline(__always)
    static func zigzag(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    @inline(__always)
    static func unzigzag(_ u: UInt64) -> Int64 {
        Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    @inline(__always)
    static func writeVarint(_ value: UInt64, to dst: UnsafeMutablePointer<UInt8>, at p: inout Int) {
        var x = value
        while x >= 0x80 {
            dst[p] = UInt8(truncatingIfNeeded: x) | 0x80
            x >>= 7
            p += 1
        }
        dst[p] = UInt8(truncatingIfNeeded: x)
        p += 1
    }

    /// Reads one LEB128 value at `p` without reading at or past `end`.
    @inline(__always)
    static func readVarint(_ src: UnsafePointer<UInt8>, end: Int, at p: inout Int,
                           index: Int) throws(FormatError) -> UInt64 {
        guard p < end else { throw FormatError("varint stream ends after \(index) values") }
        let first = src[p]
        p += 1
        if first < 0x80 { return UInt64(first) }  // the common case in tick data: one byte
        var result = UInt64(first & 0x7F)
        var shift: UInt64 = 7
        while true {
            guard p < end else { throw FormatError("varint stream ends inside value \(index)") }
            let byte = src[p]
            p += 1
            // The tenth byte holds only bit 63: anything more does not fit in 64 bits.
            if shift == 63 && byte > 1 { throw FormatError("varint value \(index) overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }
}
