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

    /// `Double(value)`, correctly rounded, through the fast 64-bit conversion when the value
    /// fits (the generic 128-bit conversion is many times slower, and sums rarely need it).
    @inlinable
    public static func exactDouble(_ value: Int128) -> Double {
        if let small = Int64(exactly: value) { return Double(small) }
        return Double(value)
    }

    /// Appends the exact decimal text of `raw / 10^fractionDigits` with no trailing zeros
    /// (`61800.3`, `0.205`, `9682`, `-1.5`) to `out`.
    public static func appendDecimal(_ raw: Int128, fractionDigits: Int = digits, to out: inout [UInt8]) {
        if fractionDigits == digits, let small = Int64(exactly: raw), small != .min {
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

    /// `appendDecimal` for values that fit in 64 bits: digits into a stack buffer, no division
    /// of 128-bit numbers, no allocation (the merge stage writes tens of millions of these).
    @inlinable
    static func appendDecimal64(_ raw: Int64, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            var magnitude = raw.magnitude
            var end = 32
            // Fraction digits, least significant first, dropping trailing zeros.
            var fraction = magnitude % UInt64(scale)
            magnitude /= UInt64(scale)
            if fraction != 0 {
                var width = digits
                while fraction % 10 == 0 { fraction /= 10; width -= 1 }
                for _ in 0..<width {
                    end -= 1
                    buffer[end] = UInt8(ascii: "0") + UInt8(fraction % 10)
                    fraction /= 10
                }
                end -= 1
                buffer[end] = UInt8(ascii: ".")
            }
            repeat {
                end -= 1
                buffer[end] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if raw < 0 { end -= 1; buffer[end] = UInt8(ascii: "-") }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[end..<32]))
        }
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
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var magnitude = value.magnitude
            var end = 24
            repeat {
                end -= 1
                buffer[end] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            if value < 0 { end -= 1; buffer[end] = UInt8(ascii: "-") }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[end..<24]))
        }
    }

    /// The exact decimal text of `raw / 10⁸`.
    public static func string(_ raw: Int128) -> String {
        var out: [UInt8] = []
        appendDecimal(raw, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
