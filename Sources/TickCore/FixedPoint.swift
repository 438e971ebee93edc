/// Exact decimal arithmetic for prices and quantities.
///
/// Every price and quantity is held as an integer count of 10⁻⁸ units (Binance publishes at most
/// 8 decimals), so sums over any grouping of trades give the same bits: no floating-point
/// accumulation depends on how the input was chunked.
public enum FixedPoint {
    /// Number of decimal digits after the point.
    public static let digits = 8
    /// 10^digits: the raw value of 1.0.
    public static let scale: Int64 = 100_000_000
    /// `scale` as a `Double`, exact.
    public static let doubleScale: Double = 100_000_000

    /// The nearest `Double` to `raw / 10⁸`. Correctly rounded while `|raw| < 2⁵³`, which covers
    /// every price below 90 million.
    @inlinable
    public static func double(_ raw: Int64) -> Double {
        Double(raw) / doubleScale
    }

    /// The nearest `Double` to `raw / 10⁸` for wide sums.
    @inlinable
    public static func double(_ raw: Int128) -> Double {
        exactDouble(raw) / doubleScale
    }

    /// `Double(value)`, correctly rounded, through 64-bit conversions: the generic 128-bit one
    /// is many times slower, and every bar's notional (10⁻¹⁶ units) needs more than 64 bits.
    ///
    /// Above 2⁶⁴ the top 64 bits are converted with a sticky bit for everything below them,
    /// which rounds exactly as converting the whole value would, then scaled by a power of two
    /// (exact).
    @inlinable
    public static func exactDouble(_ value: Int128) -> Double {
        let magnitude = value.magnitude
        let high = UInt64(truncatingIfNeeded: magnitude >> 64)
        let low = UInt64(truncatingIfNeeded: magnitude)
        let converted: Double
        if high == 0 {
            converted = Double(low)
        } else {
            // The value is top · 2^shift + below, top holding its highest 64 bits.
            let shift = 64 - high.leadingZeroBitCount
            let top = shift == 64 ? high : high << UInt64(64 - shift) | low >> UInt64(shift)
            let below = shift == 64 ? low : low & ((1 << UInt64(shift)) &- 1)
            converted = Double(top | (below != 0 ? 1 : 0)) * Double(sign: .plus, exponent: shift, significand: 1)
        }
        return value < 0 ? -converted : converted
    }

    /// Appends the exact decimal text of `raw / 10^fractionDigits` with no trailing zeros
    /// (`61800.3`, `0.205`, `9682`, `-1.5`) to `out`.
    public static func appendDecimal(_ raw: Int128, fractionDigits: Int = digits, to out: inout [UInt8]) {
        if fractionDigits == digits, raw > Int128(Int64.min), raw <= Int128(Int64.max) {
            let small = Int64(truncatingIfNeeded: raw)
            appendDecimal64(small, to: &out)
            return
        }
        let magnitude = raw.magnitude
        if raw < 0 { out.append(UInt8(ascii: "-")) }
        var divisor: UInt128 = 1
        for _ in 0..<fractionDigits { divisor &*= 10 }
        let integerPart = magnitude / divisor
        var fraction = magnitude % divisor
        appendUnsigned(integerPart, to: &out)
        guard fraction != 0 else { return }
        out.append(UInt8(ascii: "."))
        var width = fractionDigits
        while fraction % 10 == 0 { fraction /= 10; width -= 1 }
        var digitsBuffer = [UInt8](repeating: UInt8(ascii: "0"), count: width)
        var index = width - 1
        while fraction != 0 {
            digitsBuffer[index] = UInt8(ascii: "0") + UInt8(fraction % 10)
            fraction /= 10
            index -= 1
        }
        out.append(contentsOf: digitsBuffer)
    }

    /// `appendDecimal` for values that fit in 64 bits.
    @inlinable
    static func appendDecimal64(_ raw: Int64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumDecimal64Length) { buffer in
            let n = writeDecimal64(raw, to: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// Longest text of `writeDecimal64` (`-92233720368.54775807`) and of `writeInteger`.
    public static let maximumDecimal64Length = 21
    /// Longest text of `writeDecimal` (`-` and 39 digits of an `Int128` with a point).
    public static let maximumDecimalLength = 41

    /// Writes the exact decimal text of `raw / 10⁸` at `out` (room for `maximumDecimalLength`
    /// bytes); returns the bytes written. No division of 128-bit numbers unless the value needs
    /// more than 64 bits: the merge writes tens of millions of these.
    public static func writeDecimal(_ raw: Int128, to out: UnsafeMutablePointer<UInt8>) -> Int {
        if raw > Int128(Int64.min), raw <= Int128(Int64.max) { return writeDecimal64(Int64(truncatingIfNeeded: raw), to: out) }
        var text: [UInt8] = []
        appendDecimal(raw, to: &text)
        text.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: $0.count) }
        return text.count
    }

    /// `writeDecimal` for values that fit in 64 bits (`raw != Int64.min`).
    @usableFromInline
    static func writeDecimal64(_ raw: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var p = 0
        if raw < 0 { out[0] = UInt8(ascii: "-"); p = 1 }
        let magnitude = raw.magnitude
        let integerPart = magnitude / UInt64(scale)
        let fraction = magnitude % UInt64(scale)
        let integerCount = ShortestDouble.digitCount(integerPart)
        ShortestDouble.writeDigits(integerPart, count: integerCount, endingAt: out + p + integerCount)
        p += integerCount
        guard fraction != 0 else { return p }
        // All eight fraction digits in one store; the trailing zeros are then left out by
        // the length alone: the last digit kept is the highest byte that is not "0".
        out[p] = UInt8(ascii: ".")
        let text = ShortestDouble.eightDigitsText(UInt32(truncatingIfNeeded: fraction))
        UnsafeMutableRawPointer(out + p + 1).storeBytes(of: text.littleEndian, as: UInt64.self)
        let width = 8 - (text ^ 0x3030_3030_3030_3030).leadingZeroBitCount / 8
        return p + 1 + width
    }

    /// Writes the decimal text of a signed 64-bit integer at `out` (room for
    /// `maximumDecimal64Length` bytes); returns the bytes written.
    public static func writeInteger(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var p = 0
        if value < 0 { out[0] = UInt8(ascii: "-"); p = 1 }
        let magnitude = value.magnitude
        let count = ShortestDouble.digitCount(magnitude)
        ShortestDouble.writeDigits(magnitude, count: count, endingAt: out + p + count)
        return p + count
    }

    /// Appends the decimal text of an unsigned integer.
    public static func appendUnsigned(_ value: UInt128, to out: inout [UInt8]) {
        if value < 10 { out.append(UInt8(ascii: "0") + UInt8(value)); return }
        var reversed: [UInt8] = []
        reversed.reserveCapacity(40)
        var rest = value
        while rest != 0 {
            reversed.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        }
        out.append(contentsOf: reversed.reversed())
    }

    /// Appends the decimal text of a signed 64-bit integer.
    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumDecimal64Length) { buffer in
            let n = writeInteger(value, to: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// The exact decimal text of `raw / 10⁸`.
    public static func string(_ raw: Int128) -> String {
        var out: [UInt8] = []
        appendDecimal(raw, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
