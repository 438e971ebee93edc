/// The shortest decimal text that reads back to the same `Double`, written straight into a byte
/// buffer in exactly the form of Swift's `Double.description` (`0.1`, `60000.0`, `1e-05`,
/// `1.8e+16`).
///
/// Why not `description`: the merge writes tens of millions of cells, and `description` builds a
/// heap `String` for every value longer than 15 bytes and then copies it out again; that was a
/// third of the merge's time. The digits come from the Schubfach algorithm (R. Giulietti, "The
/// Schubfach way to render doubles", 2020): the shortest decimal inside the value's rounding
/// interval, the closest one when several are as short, ties to even digit. The test suite
/// compares the output with `description` on hundreds of thousands of values from every binade.
public enum ShortestDouble {
    /// The longest text any finite double produces (`-1.7976931348623157e+308` is 24 bytes).
    public static let maximumLength = 24

    /// Writes the text of `value` at `out`, which must have room for `maximumLength` bytes;
    /// returns the number of bytes written. Infinities and NaN are written as `description`
    /// writes them (`inf`, `-inf`, `nan`).
    @inlinable
    public static func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        write(value, to: out, table: Pow10Table.shared)
    }

    /// `write` with the power-of-ten table passed in (see `ShortestDouble.Writer`).
    @inlinable
    static func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>, table: Pow10Table) -> Int {
        guard value.isFinite else {
            var text = value.description
            return text.withUTF8 { utf8 in
                let n = min(utf8.count, maximumLength)
                out.update(from: utf8.baseAddress!, count: n)
                return n
            }
        }
        var p = 0
        if value.sign == .minus { out[0] = UInt8(ascii: "-"); p = 1 }
        if value == 0 {
            out[p] = UInt8(ascii: "0"); out[p + 1] = UInt8(ascii: "."); out[p + 2] = UInt8(ascii: "0")
            return p + 3
        }
        let (significand, exponent) = decimal(value.bitPattern & ~(1 << 63), table: table)
        return p + writeDecimal(significand: significand, exponent: exponent,
                                exponential: value.magnitude > 0x1p53, to: out + p)
    }

    /// Writes many values: the power-of-ten table is looked up once, not per value (a lazy
    /// global's initialisation check on every call was about 3 % of a value's cost).
    public struct Writer {
        @usableFromInline let table: Pow10Table

        public init() { table = Pow10Table.shared }

        /// `ShortestDouble.write(value, to: out)`.
        @inlinable
        public func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
            ShortestDouble.write(value, to: out, table: table)
        }
    }

    /// Appends the text of `value` to `out`.
    public static func append(_ value: Double, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumLength) { buffer in
            let n = write(value, to: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    // MARK: Layout

    /// Writes `significand · 10^exponent` (a positive significand without trailing zeros) the
    /// way `description` does: plain decimal from 10⁻⁴ up to 2⁵³ (`exponential` says the value
    /// is above), otherwise one digit, the rest after a point, and a signed exponent of at least
    /// two digits. Digits go straight to their final place.
    @usableFromInline
    static func writeDecimal(significand: UInt64, exponent: Int, exponential: Bool,
                             to out: UnsafeMutablePointer<UInt8>) -> Int {
        let count = digitCount(significand)
        // value = 0.d₁d₂…dₙ · 10^point
        let point = exponent + count
        if exponential || point < -3 {
            // d₁ at 0, the point at 1, d₂…dₙ after it: write all digits from 1, then move d₁.
            writeDigits(significand, count: count, endingAt: out + 1 + count)
            var p: Int
            if count > 1 {
                out[0] = out[1]; out[1] = UInt8(ascii: ".")
                p = count + 1
            } else {
                out[0] = out[1]
                p = 1
            }
            out[p] = UInt8(ascii: "e"); p += 1
            var shown = point - 1
            out[p] = shown < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"); p += 1
            shown = abs(shown)
            if shown >= 100 { out[p] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: shown / 100); p += 1; shown %= 100 }
            out[p] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: shown / 10)
            out[p + 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: shown % 10)
            return p + 2
        }
        if point <= 0 {
            // 0.000ddd
            // Up to three zeros after the point (point ≥ −3 here): four stored at once, the
            // digits then written over the extra ones (a byte loop became a memset call).
            out[0] = UInt8(ascii: "0"); out[1] = UInt8(ascii: ".")
            UnsafeMutableRawPointer(out + 2).storeBytes(of: 0x3030_3030, as: UInt32.self)
            let p = 2 - point
            writeDigits(significand, count: count, endingAt: out + p + count)
            return p + count
        }
        if point < count {
            // ddd.ddd: the fraction digits, then the integer digits before the point.
            let fractionCount = count - point
            let divisor = powerOfTen(fractionCount)
            writeDigits(significand % divisor, count: fractionCount, endingAt: out + count + 1)
            out[point] = UInt8(ascii: ".")
            writeDigits(significand / divisor, count: point, endingAt: out + point)
            return count + 1
        }
        // ddd000.0
        writeDigits(significand, count: count, endingAt: out + count)
        var p = count
        for _ in 0 ..< point - count { out[p] = UInt8(ascii: "0"); p += 1 }
        out[p] = UInt8(ascii: "."); out[p + 1] = UInt8(ascii: "0")
        return p + 2
    }

    /// 10^e for e in 0…19. A switch, not a global array: the compiler makes it a constant
    /// table, where a `static let` array costs a lazy-initialisation check on every use.
    @inlinable @inline(__always)
    public static func powerOfTen(_ e: Int) -> UInt64 {
        switch e {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        case 9: 1_000_000_000
        case 10: 10_000_000_000
        case 11: 100_000_000_000
        case 12: 1_000_000_000_000
        case 13: 10_000_000_000_000
        case 14: 100_000_000_000_000
        case 15: 1_000_000_000_000_000
        case 16: 10_000_000_000_000_000
        case 17: 100_000_000_000_000_000
        case 18: 1_000_000_000_000_000_000
        default: 10_000_000_000_000_000_000
        }
    }

    /// Number of decimal digits of `value` (1 for 0).
    @inline(__always)
    static func digitCount(_ value: UInt64) -> Int {
        // value | 1 has as many digits (10^k − 1 is odd) and makes 0 count as one digit.
        let odd = value | 1
        // ⌊log₁₀⌋ from the bit length (exact or one too small), then one comparison.
        let guess = ((64 - odd.leadingZeroBitCount) &* 1233) >> 12
        return guess + (odd >= powerOfTen(guess) ? 1 : 0)
    }

    /// Writes the last `count` decimal digits of `value` (zero-padded) so that the last one
    /// lands just before `end`. Eight digits at a time: `eightDigitsText` makes them with a few
    /// multiplies and no dependent divisions.
    @inline(__always)
    static func writeDigits(_ value: UInt64, count: Int, endingAt end: UnsafeMutablePointer<UInt8>) {
        var rest = value
        var p = end
        var left = count
        while left >= 8 {
            let text = eightDigitsText(UInt32(truncatingIfNeeded: rest % 100_000_000))
            UnsafeMutableRawPointer(p - 8).storeBytes(of: text.littleEndian, as: UInt64.self)
            rest /= 100_000_000
            p -= 8
            left -= 8
        }
        if left == 1 {
            (p - 1).pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest)
        } else if left == 2 {
            (p - 2).pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest / 10)
            (p - 1).pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
        } else if left > 0 {
            // The last `left` of eight digits, byte by byte: never writes before the field.
            var text = eightDigitsText(UInt32(truncatingIfNeeded: rest)) >> UInt64(8 * (8 - left))
            var q = p - left
            while q < p {
                q.pointee = UInt8(truncatingIfNeeded: text)
                text >>= 8
                q += 1
            }
        }
    }

    /// The eight ASCII digits of `value` (< 10⁸), zero-padded, most significant in the lowest
    /// byte: 4 + 4 digits in two 32-bit lanes, split into 2-digit 16-bit lanes, then into bytes,
    /// each split a multiply-shift that is exact for the lane's range.
    @inline(__always)
    static func eightDigitsText(_ value: UInt32) -> UInt64 {
        var x = UInt64(value / 10_000) | UInt64(value % 10_000) << 32
        // ⌊v/100⌋ = ⌊v·10486/2²⁰⌋ for v < 10⁴.
        let hundreds = ((x &* 10_486) >> 20) & 0x0000_007F_0000_007F
        x = hundreds | (x &- hundreds &* 100) << 16
        // ⌊u/10⌋ = ⌊u·103/2¹⁰⌋ for u < 100.
        let tens = ((x &* 103) >> 10) & 0x000F_000F_000F_000F
        x = tens | (x &- tens &* 10) << 8
        return x | 0x3030_3030_3030_3030
    }

    // MARK: Digits (Schubfach)

    /// `value = significand · 10^exponent` with the fewest digits that read back to the double
    /// whose bits (sign cleared, finite, non-zero) are given; no trailing zeros.
    @usableFromInline
    static func decimal(_ bits: UInt64, table: Pow10Table = .shared) -> (significand: UInt64, exponent: Int) {
        let fraction = bits & ((1 << 52) - 1)
        let biasedExponent = Int(bits >> 52)
        let c: UInt64
        let q: Int
        if biasedExponent != 0 {
            c = fraction | (1 << 52)
            q = biasedExponent - 1075
            // Integers below 2⁵³ are their own shortest form: the rounding interval is at most
            // one unit wide, so no shorter decimal falls inside it.
            if q <= 0 && q >= -52 {
                let shift = UInt64(-q)
                if c & ((1 << shift) &- 1) == 0 { return withoutTrailingZeros(c >> shift, 0) }
            }
        } else {
            c = fraction
            q = -1074
        }
        // The value is c·2^q; its rounding interval runs from the midpoint with the next lower
        // double (closer when c is a power of two above the subnormals) to the midpoint with
        // the next higher one, both ends included when c is even (reading rounds half to even).
        let isEven = c & 1 == 0
        let lowerIsCloser = fraction == 0 && biasedExponent > 1
        let cbl = 4 &* c &- 2 &+ (lowerIsCloser ? 1 : 0)
        let cb = 4 &* c
        let cbr = 4 &* c &+ 2
        // k: the decimal exponent at which the interval, scaled by 10^-k, holds one or two
        // integers (its width 2^q lies in [10^k, 10^(k+1))).
        let k = lowerIsCloser ? floorLog10ThreeQuartersPow2(q) : floorLog10Pow2(q)
        let h = q &+ floorLog2Pow10(-k) &+ 1
        let g = table.entry(-k)
        // The three points scaled by 10^-k, times 4, rounded to odd: exact enough to compare.
        let vbl = roundToOdd(g, cbl << UInt64(h))
        let vb = roundToOdd(g, cb << UInt64(h))
        let vbr = roundToOdd(g, cbr << UInt64(h))
        let lower = vbl &+ (isEven ? 0 : 1)
        let upper = vbr &- (isEven ? 0 : 1)
        let s = vb / 4
        if s >= 10 {
            // One digit fewer: the multiple of 10 below or above, if exactly one is inside.
            let sp = s / 10
            let upInside = lower <= 40 &* sp
            let wpInside = 40 &* sp &+ 40 <= upper
            if upInside != wpInside { return withoutTrailingZeros(sp &+ (wpInside ? 1 : 0), k + 1) }
        }
        let uInside = lower <= 4 &* s
        let wInside = 4 &* s &+ 4 <= upper
        if uInside != wInside { return withoutTrailingZeros(s &+ (wInside ? 1 : 0), k) }
        // Both inside: the closer one, the even one on a tie.
        let mid = 4 &* s &+ 2
        let roundUp = vb > mid || (vb == mid && s & 1 != 0)
        return withoutTrailingZeros(s &+ (roundUp ? 1 : 0), k)
    }

    @inline(__always)
    static func withoutTrailingZeros(_ significand: UInt64, _ exponent: Int) -> (significand: UInt64, exponent: Int) {
        var s = significand
        var e = exponent
        while s % 10 == 0 { s /= 10; e += 1 }
        return (s, e)
    }

    /// The top 64 bits of g·cp (g a 128-bit fraction), with the lowest bit set when anything
    /// below them is non-zero: rounding to odd keeps the comparisons above exact.
    @inline(__always)
    static func roundToOdd(_ g: (high: UInt64, low: UInt64), _ cp: UInt64) -> UInt64 {
        let x = g.low.multipliedFullWidth(by: cp)
        let y = g.high.multipliedFullWidth(by: cp)
        let (middle, carry) = y.low.addingReportingOverflow(x.high)
        let top = y.high &+ (carry ? 1 : 0)
        return top | (middle > 1 ? 1 : 0)
    }

    /// ⌊e·log₁₀2⌋ for |e| ≤ 2620.
    @inline(__always) static func floorLog10Pow2(_ e: Int) -> Int { (e &* 1_262_611) >> 22 }
    /// ⌊log₁₀(¾·2^e)⌋ for |e| ≤ 2620.
    @inline(__always) static func floorLog10ThreeQuartersPow2(_ e: Int) -> Int { (e &* 1_262_611 &- 524_031) >> 22 }
    /// ⌊e·log₂10⌋ for |e| ≤ 1233.
    @inline(__always) static func floorLog2Pow10(_ e: Int) -> Int { (e &* 1_741_647) >> 19 }
}

/// 10^e as 128-bit significands g, 2¹²⁷ ≤ g < 2¹²⁸, with g = ⌈10^e · 2^(127 − ⌊e·log₂10⌋)⌉, for
/// every e the doubles need. Computed once from exact big integers (a few milliseconds) rather
/// than shipped as a 10 KB literal table.
@usableFromInline
final class Pow10Table: Sendable {
    @usableFromInline static let shared = Pow10Table()
    static let minExponent = -292
    static let maxExponent = 324

    /// (high, low) pairs from `minExponent` up.
    private let entries: [(high: UInt64, low: UInt64)]

    @inline(__always)
    func entry(_ e: Int) -> (high: UInt64, low: UInt64) { entries[e - Pow10Table.minExponent] }

    private init() {
        var table = [(high: UInt64, low: UInt64)](repeating: (0, 0), count: Pow10Table.maxExponent - Pow10Table.minExponent + 1)
        // Non-negative e: 10^e exactly, cut to its top 128 bits, rounded up if bits fell off.
        var power = BigUnsigned(1)
        for e in 0...Pow10Table.maxExponent {
            let length = power.bitLength
            let (bits, inexact) = power.bits(from: length - 128)
            table[e - Pow10Table.minExponent] = Pow10Table.split(inexact ? bits + 1 : bits)
            power.multiply(by: 10)
        }
        // Negative e: ⌊2^N / 10^m⌋ by repeated exact division, then its bits from position
        // N − (127 − ⌊e·log₂10⌋); never exact, so always rounded up.
        let n = 1400
        var quotient = BigUnsigned.powerOfTwo(n)
        for m in 1 ... -Pow10Table.minExponent {
            quotient.divide(by: 10)
            let e = -m
            let (bits, _) = quotient.bits(from: n - (127 - ShortestDouble.floorLog2Pow10(e)))
            table[e - Pow10Table.minExponent] = Pow10Table.split(bits + 1)
        }
        entries = table
    }

    private static func split(_ value: UInt128) -> (high: UInt64, low: UInt64) {
        (UInt64(truncatingIfNeeded: value >> 64), UInt64(truncatingIfNeeded: value))
    }
}

/// Just enough of an arbitrary-precision unsigned integer to build `Pow10Table`.
struct BigUnsigned {
    /// 32-bit limbs, least significant first.
    private(set) var limbs: [UInt32]

    init(_ value: UInt32) { limbs = [value] }

    static func powerOfTwo(_ n: Int) -> BigUnsigned {
        var big = BigUnsigned(0)
        big.limbs = [UInt32](repeating: 0, count: n / 32 + 1)
        big.limbs[n / 32] = 1 << UInt32(n % 32)
        return big
    }

    var bitLength: Int {
        guard let top = limbs.lastIndex(where: { $0 != 0 }) else { return 0 }
        return top * 32 + (32 - limbs[top].leadingZeroBitCount)
    }

    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let product = UInt64(limbs[i]) * UInt64(factor) + carry
            limbs[i] = UInt32(truncatingIfNeeded: product)
            carry = product >> 32
        }
        if carry != 0 { limbs.append(UInt32(carry)) }
    }

    /// Floor division; returns whether there was a remainder.
    @discardableResult
    mutating func divide(by divisor: UInt32) -> Bool {
        var remainder: UInt64 = 0
        for i in limbs.indices.reversed() {
            let current = remainder << 32 | UInt64(limbs[i])
            limbs[i] = UInt32(current / UInt64(divisor))
            remainder = current % UInt64(divisor)
        }
        return remainder != 0
    }

    func bit(_ i: Int) -> Bool {
        guard i >= 0, i / 32 < limbs.count else { return false }
        return limbs[i / 32] >> UInt32(i % 32) & 1 == 1
    }

    /// Bits `start ..< start + 128` as a number (bits below 0 read as zeros), and whether any
    /// bit below `start` is set.
    func bits(from start: Int) -> (UInt128, Bool) {
        var value: UInt128 = 0
        for i in stride(from: start + 127, through: start, by: -1) {
            value = value << 1 | (bit(i) ? 1 : 0)
        }
        var below = false
        if start > 0 { for i in 0..<start where bit(i) { below = true; break } }
        return (value, below)
    }
}
