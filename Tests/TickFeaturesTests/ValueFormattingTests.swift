import Testing
import TickCore
@testable import TickFeatures

struct ValueFormattingTests {
    @Test(arguments: [
        (Int128(6_180_030_000_000), "61800.3"), (Int128(1), "0.00000001"), (Int128(968_200_000_000), "9682"),
        (Int128(0), "0"), (Int128(-150_000_000), "-1.5"), (Int128(20_500_000), "0.205"),
    ])
    func decimalsAreExactWithoutTrailingZeros(raw: Int128, text: String) {
        #expect(FixedPoint.string(raw) == text)
    }

    @Test func realsAreShortestRoundTrip() {
        for value in [0.1, 1.0 / 3.0, 1e-5, -2.5e-05, 61739.73346613546, 123456789.125] {
            var out: [UInt8] = []
            ShortestDouble.append(value, to: &out)
            #expect(Double(String(decoding: out, as: UTF8.self)) == value)
        }
    }

    @Test func intervalsAndBarStarts() {
        #expect(BarInterval("100ms")!.micros == 100_000)
        #expect(BarInterval("1h")!.micros == 3_600_000_000)
        #expect(BarInterval("2s")!.micros == 2_000_000)
        #expect(BarInterval("15m")!.micros == 900_000_000)
        #expect(BarInterval("7s")!.micros == 7_000_000)
        #expect(BarInterval("1d")!.micros == 86_400_000_000)
        #expect(BarInterval("250ms")!.micros == 250_000)
        for bad in ["", "s", "0s", "-1s", "1.5s", "1 s", "1w", "ms", "1sec", "99999999999999d", "10001d", "+5m"] {
            #expect(BarInterval(bad) == nil, "\(bad)")
        }
        #expect(BarInterval("10000d") != nil)
        let second = BarInterval("1s")!
        #expect(second.barStart(1_723_161_256_999_999) == 1_723_161_256_000_000)
        #expect(second.barStart(-1) == -1_000_000)
    }

    @Test func flagTimesAreUTCOrOffsetOrEpochMilliseconds() {
        let t: Int64 = 1_723_161_400_000   // 2024-08-08T23:56:40Z
        for text in ["1723161400000", "2024-08-08T23:56:40", "2024-08-08 23:56:40Z", "2024-08-08T23:56:40.000",
                     "2024-08-09T01:56:40+02:00", "2024-08-08T19:56:40-0400", "2024-08-08T23:56:40.0Z"] {
            #expect(Time.parseFlagTime(text) == t, "\(text)")
        }
        #expect(Time.parseFlagTime("2024-08-08") == 1_723_075_200_000)
        #expect(Time.parseFlagTime("2024-08-08T23:56:40.5Z") == t + 500)
        #expect(Time.parseFlagTime("1969-12-31T23:59:59.999Z") == -1)
        for bad in ["", "2024-8-8", "2024-02-30", "2024-08-08T24:00", "2024-08-08T23:56:40.1234", "2024-08-08+02:00",
                    "2024-08-08T23:56:40+25:00", "yesterday", "1.5e12", "-5"] {
            #expect(Time.parseFlagTime(bad) == nil, "\(bad)")
        }
    }

    @Test func configValidationNamesTheFlag() {
        let interval = BarInterval("1s")!
        #expect(throws: FeatureConfigError.self) { try FeatureConfig(interval: interval, windows: [0], hasQuotes: false).validate() }
        #expect(throws: FeatureConfigError.self) { try FeatureConfig(interval: interval, windows: [5, 5], hasQuotes: false).validate() }
        #expect(throws: FeatureConfigError.self) { try FeatureConfig(interval: interval, horizons: [], hasQuotes: false).validate() }
        #expect(throws: FeatureConfigError.self) { try FeatureConfig(interval: interval, ewmLambda: 1, hasQuotes: false).validate() }
        #expect(throws: Never.self) { try FeatureConfig(interval: interval, hasQuotes: true).validate() }
    }

    @Test func orderFlowEventMatchesTheDefinition() {
        let p = QuoteState(bidPrice: 100, bidQuantity: 5, askPrice: 101, askQuantity: 7)
        // Bid up, ask unchanged: +B_n, and −A_n + A_{n−1} for the equal ask.
        #expect(QuoteBarBuilder.orderFlowEvent(previous: p, next: QuoteState(bidPrice: 101, bidQuantity: 2, askPrice: 101, askQuantity: 3)) == 2 - 3 + 7)
        // Both sides unchanged: B_n − B_{n−1} − A_n + A_{n−1}.
        #expect(QuoteBarBuilder.orderFlowEvent(previous: p, next: QuoteState(bidPrice: 100, bidQuantity: 8, askPrice: 101, askQuantity: 4)) == 8 - 5 - 4 + 7)
        // Bid down, ask up: −B_{n−1} + A_{n−1}.
        #expect(QuoteBarBuilder.orderFlowEvent(previous: p, next: QuoteState(bidPrice: 99, bidQuantity: 1, askPrice: 102, askQuantity: 1)) == -5 + 7)
    }
}

