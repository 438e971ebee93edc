import Testing
import TickCore
@testable import TickFeatures

/// `ShortestDouble` must write exactly what `Double.description` writes (the outputs were made
/// with `description` before it, and every byte of them is kept), for values of every size.
struct ShortestDoubleTests {
    func text(_ value: Double) -> String {
        var out: [UInt8] = []
        ShortestDouble.append(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func mismatches(_ values: [Double]) -> [String] {
        values.compactMap { v in text(v) == v.description ? nil : "\(v.description) written as \(text(v))" }
    }

    @Test func edgeValues() {
        var values: [Double] = [0, -0.0, 1, -1, 0.1, 0.3, 2.5, 100, 1e15, 1e16, 1e-4, 1e-5, 9.999e-5, 0x1p53, 0x1p53.nextUp,
                                0x1p54, 123456789012345678, .greatestFiniteMagnitude, .leastNormalMagnitude,
                                .leastNonzeroMagnitude, .infinity, -.infinity, 5e-324, 1.7976931348623157e308]
        // Every power of two and of ten with both neighbours: the layout switches and the
        // asymmetric rounding intervals at the bottom of each binade.
        for e in -1074...1023 { let v = Double(sign: .plus, exponent: e, significand: 1); values += [v, v.nextUp, v.nextDown] }
        for e in -323...308 { if let v = Double("1e\(e)") { values += [v, v.nextUp, v.nextDown] } }
        #expect(mismatches(values) == [])
        #expect(text(.nan) == "nan")
    }

    @Test func randomBitPatterns() {
        var rng = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        let values = (0..<100_000).map { _ in
            Double(bitPattern: UInt64.random(in: 0...0x7FEF_FFFF_FFFF_FFFF, using: &rng)) * (Bool.random(using: &rng) ? 1 : -1)
        }
        #expect(mismatches(values) == [])
    }

    @Test func shortDecimalsAndFeatureLikeValues() {
        var rng = SplitMix64(seed: 42)
        var values: [Double] = []
        for _ in 0..<30_000 {
            // Few significant digits: the shortest form is much shorter than 17 digits.
            values.append(Double("\(Int.random(in: 1...99_999, using: &rng))e\(Int.random(in: -330...300, using: &rng))")!)
            // The magnitudes features take: returns, volatilities, ratios, prices.
            values.append(Double.random(in: -1...1, using: &rng) * Double("1e\(Int.random(in: -12...8, using: &rng))")!)
        }
        #expect(mismatches(values) == [])
    }

    @Test func integersAndDecimalsWrittenInPlace() {
        var out = [UInt8](repeating: 0, count: 64)
        func integer(_ v: Int64) -> String {
            out.withUnsafeMutableBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[0..<FixedPoint.writeInteger(v, to: $0.baseAddress!)]), as: UTF8.self) }
        }
        func decimal(_ v: Int128) -> String {
            out.withUnsafeMutableBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[0..<FixedPoint.writeDecimal(v, to: $0.baseAddress!)]), as: UTF8.self) }
        }
        for v: Int64 in [0, 7, -7, 10, 99, 100, 1_704_067_200_000, .max, .min + 1, -1_000_000_000] { #expect(integer(v) == String(v)) }
        #expect(decimal(0) == "0")
        #expect(decimal(98_500_000) == "0.985")
        #expect(decimal(-16_000_000) == "-0.16")
        #expect(decimal(1) == "0.00000001")
        #expect(decimal(6_000_050_000_000) == "60000.5")
        #expect(decimal(Int128(Int64.max)) == "92233720368.54775807")
        #expect(decimal(Int128(Int64.max) * 1000 + 1) == "92233720368547.75807001")
        // Every fraction width, both signs, all magnitudes, against text built digit by digit.
        var rng = SplitMix64(seed: 3)
        for _ in 0..<50_000 {
            let keptDigits = Int.random(in: 0...8, using: &rng)
            var unit: Int64 = 1
            for _ in 0..<(8 - keptDigits) { unit *= 10 }
            let magnitude = Int64.random(in: 0...(Int64.max / unit), using: &rng) >> Int.random(in: 0...60, using: &rng)
            let raw = (Bool.random(using: &rng) ? -1 : 1) * magnitude * unit
            var fraction = String(raw.magnitude % 100_000_000)
            fraction = String(repeating: "0", count: 8 - fraction.count) + fraction
            while fraction.last == "0" { fraction.removeLast() }
            let expected = (raw < 0 ? "-" : "") + String(raw.magnitude / 100_000_000) + (fraction.isEmpty ? "" : "." + fraction)
            #expect(decimal(Int128(raw)) == expected, "raw \(raw)")
            if decimal(Int128(raw)) != expected { break }
        }
    }
}

/// `FixedPoint.exactDouble` converts 128-bit sums through 64-bit conversions; it must round
/// exactly as `Double(Int128)` does, at every size and at the halfway cases.
struct WideConversionTests {
    @Test func matchesTheGenericConversion() {
        var rng = SplitMix64(seed: 7)
        var values: [Int128] = [0, 1, -1, Int128(Int64.max), Int128(Int64.min), Int128(UInt64.max), Int128(UInt64.max) + 1,
                                .max, .min, .min + 1]
        for bits in 1..<127 {
            let p = Int128(1) << bits
            // Powers of two, their neighbours, and values exactly halfway between two doubles.
            values += [p, p - 1, p + 1, -p, p + (p >> 53), p + (p >> 54), p + (p >> 54) + 1, p + 3 * (p >> 54)]
        }
        for _ in 0..<20_000 {
            let high = Int64(bitPattern: rng.next()) >> Int64.random(in: 0...63, using: &rng)
            values.append(Int128(high) << 64 | Int128(rng.next()))
        }
        let wrong = values.filter { FixedPoint.exactDouble($0).bitPattern != Double($0).bitPattern }
        #expect(wrong == [])
    }
}
