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
        Double(raw) / doubleScale
    }

    /// Appends the exact decimal text of `raw / 10^fractionDigits` with no trailing zeros
    /// (`61800.3`, `0.205`, `9682`, `-1.5`) to `out`.
    public static func appendDecimal(_ raw: Int128, fractionDigits: Int = digits, to out: inout [UInt8]) {
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
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendUnsigned(UInt128(value.magnitude), to: &out)
    }

    /// The exact decimal text of `raw / 10⁸`.
    public static func string(_ raw: Int128) -> String {
        var out: [UInt8] = []
        appendDecimal(raw, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
