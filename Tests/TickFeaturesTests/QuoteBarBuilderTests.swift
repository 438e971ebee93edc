import Testing
import TickCore
import TickFeatures

/// The quote bar builder consumes updates batch by batch, also inside one bar: the stats must
/// not depend on the batching, and a stale state (older than the maximum quote age) must drop
/// out of the bar-end state and, from the instant it goes stale, out of the time weighting.
struct QuoteBarBuilderTests {
    static let second: Int64 = 1_000_000
    static let t0: Int64 = 1_723_161_600 * second

    static func quotes(count: Int, seed: UInt64) -> QuoteColumns {
        var random = SplitMix64(seed: seed)
        var q = QuoteColumns()
        var time = t0 - 3 * second   // a few updates before the first bar
        for _ in 0..<count {
            // Bursts, gaps of several bars, and updates exactly on bar starts.
            let kind = random.next() % 100
            if kind == 0 {
                time += 4 * second
            } else if kind < 5 {
                time = (time / second + 1) * second
            } else if kind < 70 {
                time += Int64(random.next() % 5_000)
            } else {
                time += Int64(random.next() % 200_000)
            }
            q.time.append(time)
            q.bidPrice.append(100_00000000 + Int64(random.next() % 5) * 1_000_000)
            q.bidQuantity.append(Int64(random.next() % 4) * 50_000_000)
            q.askPrice.append(100_10000000 + Int64(random.next() % 5) * 1_000_000)
            q.askQuantity.append(Int64(random.next() % 4) * 50_000_000)
        }
        return q
    }

    static func stats(_ quotes: QuoteColumns, batch: Int, bars: Int, maxAge: Int64?) -> [QuoteBarStats] {
        var builder = QuoteBarBuilder(maxAge: maxAge)
        var next = 0
        var result: [QuoteBarStats] = []
        for t in 0..<bars {
            let start = t0 + Int64(t) * second, end = start + second
            builder.consume(start: start, end: end)
            while builder.needsMoreQuotes {
                if next < quotes.count {
                    let upper = min(quotes.count, next + batch)
                    var part = QuoteColumns()
                    part.time = Array(quotes.time[next..<upper]); part.bidPrice = Array(quotes.bidPrice[next..<upper])
                    part.bidQuantity = Array(quotes.bidQuantity[next..<upper]); part.askPrice = Array(quotes.askPrice[next..<upper])
                    part.askQuantity = Array(quotes.askQuantity[next..<upper])
                    builder.append(part)
                    next = upper
                } else {
                    builder.endOfQuotes()
                }
                builder.consume(start: start, end: end)
            }
            result.append(builder.finishBar(start: start, end: end))
        }
        return result
    }

    @Test(arguments: [nil, 300_000, 0] as [Int64?])
    func statsDoNotDependOnTheBatching(maxAge: Int64?) {
        let quotes = Self.quotes(count: 3_000, seed: 5)
        let whole = Self.stats(quotes, batch: quotes.count, bars: 200, maxAge: maxAge)
        #expect(whole.contains { $0.updateCount > 20 } && whole.contains { $0.updateCount == 0 })
        for batch in [1, 2, 7, 64] {
            #expect(Self.stats(quotes, batch: batch, bars: 200, maxAge: maxAge) == whole, "batches of \(batch)")
        }
        if maxAge == 0 {
            #expect(whole.allSatisfy { $0.close == nil && $0.imbalanceTimeWeighted == nil })
        }
    }

    @Test func aStateGoesStaleInsideTheBar() {
        // One update 0.2 s into the first bar, B = 3, A = 1: imbalance 0.5; nothing after it.
        var q = QuoteColumns()
        q.time = [Self.t0 + 200_000]; q.bidPrice = [100]; q.bidQuantity = [3]; q.askPrice = [101]; q.askQuantity = [1]
        let stats = Self.stats(q, batch: 1, bars: 2, maxAge: 500_000)
        // Weighted only from 0.2 s to 0.7 s; fresh at the bar end? 1.0 − 0.2 = 0.8 s > 0.5 s: no.
        #expect(stats[0].imbalanceTimeWeighted == 0.5)
        #expect(stats[0].close == nil)
        #expect(stats[0].lastUpdate == Self.t0 + 200_000)
        #expect(stats[1].imbalanceTimeWeighted == nil && stats[1].close == nil && stats[1].updateCount == 0)
        #expect(stats[1].lastUpdate == Self.t0 + 200_000)
        // Without a limit the same state counts everywhere.
        let unlimited = Self.stats(q, batch: 1, bars: 2, maxAge: nil)
        #expect(unlimited[0].close != nil && unlimited[1].imbalanceTimeWeighted == 0.5)
        // An age of exactly the limit is still fresh.
        let exact = Self.stats(q, batch: 1, bars: 1, maxAge: 800_000)
        #expect(exact[0].close != nil)
    }
}
