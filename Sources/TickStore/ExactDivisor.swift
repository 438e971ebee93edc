/// Division by a fixed divisor `d` of values known to be multiples of it, and fast multiple
/// tests, without a hardware divide per value: `d = 2^shift × odd`, and for a multiple `v` of
/// `d`, `v / d = (v >> shift) × odd⁻¹ (mod 2⁶⁴)` (exact division, Granlund & Montgomery 1994).
struct ExactDivisor {
    let divisor: UInt64
    /// The bits a multiple of `divisor` has clear: below its lowest set bit.
    let lowMask: UInt64
    /// The largest zigzag code (`Int64StreamCodec.zigzag`) of `quotient(v)` for a signed `v`
    /// whose `lowMask` bits are clear and which `divisor` divides; any other such `v` gives a
    /// larger one. Why: `v >> shift` is a multiple of `odd` iff it is `k × odd` with
    /// |k| ≤ ⌊2⁶³/odd⌋, and `quotient` maps every other value outside that range, since
    /// multiplying by `odd` is one-to-one modulo 2⁶⁴. So one comparison on the code each value
    /// gets anyway checks divisibility.
    let largestMultipleCode: UInt64
    private let shift: UInt64
    private let inverse: UInt64
    /// The largest `x` with `x × odd` below 2⁶⁴: `x × inverse ≤ limit` iff `odd` divides `x`.
    private let limit: UInt64

    init(_ divisor: UInt64) {
        precondition(divisor != 0)
        self.divisor = divisor
        shift = UInt64(divisor.trailingZeroBitCount)
        let odd = divisor >> shift
        inverse = inverseModulo2to64(odd)
        limit = UInt64.max / odd
        lowMask = (1 << shift) &- 1
        largestMultipleCode = odd == 1 ? .max : 2 * ((1 << 63) / odd)
    }

    /// Whether `divisor` divides `value` (the magnitude of a signed value, or a bit pattern).
    @inline(__always)
    func divides(_ value: UInt64) -> Bool {
        value & ((1 << shift) &- 1) == 0 && (value >> shift) &* inverse <= limit
    }

    /// `value / divisor` for a multiple of `divisor`, as signed integers.
    ///
    /// For a value whose `lowMask` bits are clear but that is not a multiple, the result is
    /// still the `q` with `q × divisor = value (mod 2⁶⁴)`, so the decoder's wrapping multiply
    /// gives the value back; it is merely a huge number instead of a small one.
    @inline(__always)
    func quotient(_ value: Int64) -> Int64 {
        (value >> Int64(shift)) &* Int64(bitPattern: inverse)
    }
}

/// A branch-free test of whether values are multiples of a divisor (0 as the divisor: whether
/// they are zero), for checking whole blocks of values at a time.
struct MultipleTest {
    private let lowMask: UInt64
    private let shift: UInt64
    private let inverse: UInt64
    private let limit: UInt64

    init(_ divisor: UInt64) {
        if divisor == 0 {
            // Every bit is "low": only 0 passes.
            (lowMask, shift, inverse, limit) = (.max, 0, 1, .max)
            return
        }
        let zeros = UInt64(divisor.trailingZeroBitCount)
        let odd = divisor >> zeros
        (lowMask, shift, inverse, limit) = ((1 << zeros) &- 1, zeros, inverseModulo2to64(odd), UInt64.max / odd)
    }

    /// Zero iff the magnitude of `value` is a multiple of the divisor.
    @inline(__always)
    func misses(_ value: Int64) -> UInt64 {
        let sign = UInt64(bitPattern: value >> 63)
        let magnitude = (UInt64(bitPattern: value) ^ sign) &- sign
        return (magnitude & lowMask) | ((magnitude >> shift) &* inverse > limit ? 1 : 0)
    }
}

/// The x with `odd × x = 1 (mod 2⁶⁴)`, for odd `odd`. Newton's iteration doubles the correct
/// low bits each step: 3 → 6 → 12 → 24 → 48 → 96.
func inverseModulo2to64(_ odd: UInt64) -> UInt64 {
    var x = odd
    for _ in 0..<5 { x = x &* (2 &- odd &* x) }
    return x
}

/// Greatest common divisor of magnitudes (`gcd(0, b) = b`).
func greatestCommonDivisor(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
}
