import Testing
import TickCore
@testable import TickStore

/// The encoder checks divisibility by one comparison on the quotient's zigzag code
/// (`ExactDivisor.largestMultipleCode`); it must agree with plain integer division for every
/// sign, size and divisor, multiples and non-multiples alike.
struct ExactDivisorTests {
    @Test func codeComparisonDecidesDivisibilityLikeDivision() {
        var rng = SplitMix64(seed: 11)
        let divisors: [UInt64] = [1, 2, 3, 5, 7, 10, 12, 1_000, 100_000, 1_000_000, 6_180_030, 1 << 40, 3 << 40,
                                  (1 << 62) + 1, 1 << 63, UInt64.max / 3]
        for d in divisors + (0..<40).map({ _ in UInt64.random(in: 1...(1 << 63), using: &rng) }) {
            let divisor = ExactDivisor(d)
            for _ in 0..<2_000 {
                // Multiples (of every size that fits), their neighbours, and anything at all.
                let bound = Int64(UInt64(Int64.max) / d)  // 0 for d = 2⁶³, whose multiples are 0 and Int64.min
                let multiple = Int64.random(in: -bound...bound, using: &rng) &* Int64(bitPattern: d)
                for value in [multiple, multiple &+ 1, multiple &- 1, Int64.random(in: .min ... .max, using: &rng),
                              Int64.random(in: -1_000...1_000, using: &rng), .min, .max, 0] {
                    let divides = value.magnitude % d == 0
                    let code = Int64StreamCodec.zigzag(divisor.quotient(value))
                    let passes = UInt64(bitPattern: value) & divisor.lowMask == 0 && code <= divisor.largestMultipleCode
                    #expect(passes == divides, "value \(value), divisor \(d)")
                    if passes != divides { return }
                    // A multiple's code decodes back to it.
                    if divides { #expect(Int64StreamCodec.unzigzag(code) &* Int64(bitPattern: d) == value) }
                }
            }
        }
    }
}
