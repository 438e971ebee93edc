import Foundation
import TickCore
import TickIO

/// Settings for `tickforge gen`.
public struct GeneratorOptions: Sendable {
    public var tradesPath: String
    public var quotesPath: String?
    /// Stop once the trades file has at least this many bytes.
    public var targetBytes: Int64
    public var seed: UInt64 = 42
    /// Epoch milliseconds of the first trade.
    public var startMillis: Int64 = 1_704_067_200_000  // 2024-01-01T00:00:00Z
    public var header = true
    public var startPrice = 60_000.0

    public init(tradesPath: String, quotesPath: String?, targetBytes: Int64) {
        self.tradesPath = tradesPath; self.quotesPath = quotesPath; self.targetBytes = targetBytes
    }
}

/// What the generator wrote.
public struct GeneratorReport: Sendable, Codable {
    public var trades: Int64
    public var quotes: Int64
    public var tradeBytes: Int64
    public var quoteBytes: Int64
    public var firstTimeMs: Int64
    public var lastTimeMs: Int64
}

/// xoshiro256** seeded through SplitMix64: fast, and the same sequence on every machine.
struct SeededRandom: RandomNumberGenerator {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var seeding = SplitMix64(seed: seed)
        s = (seeding.next(), seeding.next(), seeding.next(), seeding.next())
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal (Box–Muller).
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * uniform())
    }

    /// Exponential with the given mean.
    mutating func exponential(mean: Double) -> Double { -log(max(uniform(), 1e-300)) * mean }
}

/// Writes Binance-layout trades (`id,price,qty,quote_qty,time,is_buyer_maker`) and, optionally,
/// bookTicker quotes covering the same time, streaming, for tests and benchmarks. The market
/// is synthetic but has what real tick data has: volatility clustering (a GARCH-like variance),
/// bursts of trades (self-exciting intensity), many trades on one millisecond (sweeps), quiet
/// gaps, and quotes that update far more often than trades.
public enum TickGenerator {
    public static func run(_ options: GeneratorOptions) throws -> GeneratorReport {
        // Generated data goes only to new files: an existing path may be the user's (or an
        // output link of a run directory).
        let paths = [options.tradesPath] + (options.quotesPath.map { [$0] } ?? [])
        if paths.count == 2 && (paths[0] == paths[1] || Syscall.realPath(paths[0]).map { $0 == Syscall.realPath(paths[1]) } == true) {
            throw TickError.invalidArgument("the trades and the quotes would both go to \(paths[0]); name two files")
        }
        for path in paths where Syscall.entryKind(path) != nil {
            throw TickError.invalidArgument("\(path) exists: generated data is written only to new files; remove it or choose another name (to measure an existing file, give it to `tickforge bench FILE`)")
        }
        var random = SeededRandom(seed: options.seed)
        let trades = try AtomicFileWriter(path: options.tradesPath, bufferSize: 4 << 20)
        let quotes = try options.quotesPath.map { try AtomicFileWriter(path: $0, bufferSize: 4 << 20) }
        if options.header {
            try trades.write("id,price,qty,quote_qty,time,is_buyer_maker\n")
        }
        try quotes?.write("update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time\n")

        let tick: Int64 = 10  // 0.10 in cents
        var priceCents = Int64(options.startPrice * 100)
        var time = options.startMillis
        var tradeId: Int64 = 1_000_000_000
        var updateId: Int64 = 5_000_000_000_000
        var variance = 1.0          // relative volatility level, clusters
        var intensity = 20.0        // trades per second, bursts
        var tradeCount: Int64 = 0
        var quoteCount: Int64 = 0
        var tradeLine: [UInt8] = []
        var tradeBuffer: [UInt8] = []
        var quoteBuffer: [UInt8] = []
        tradeBuffer.reserveCapacity(1 << 20)
        quoteBuffer.reserveCapacity(1 << 20)
        var written: Int64 = trades.bytesWritten

        func writeQuote(_ t: Int64) {
            let spreadTicks: Int64 = random.uniform() < 0.8 ? 1 : 1 + Int64(random.uniform() * 4)
            let bid = priceCents - (random.uniform() < 0.5 ? 0 : tick)
            let ask = bid + spreadTicks * tick
            let bidQty = Int64(random.exponential(mean: 2_000)) + 1
            let askQty = Int64(random.exponential(mean: 2_000)) + 1
            updateId += 1 + Int64(random.uniform() * 50)
            appendInt(updateId, &quoteBuffer); quoteBuffer.append(44)
            appendScaled(bid, digits: 2, &quoteBuffer); quoteBuffer.append(44)
            appendScaled(bidQty, digits: 3, &quoteBuffer); quoteBuffer.append(44)
            appendScaled(ask, digits: 2, &quoteBuffer); quoteBuffer.append(44)
            appendScaled(askQty, digits: 3, &quoteBuffer); quoteBuffer.append(44)
            appendInt(t, &quoteBuffer); quoteBuffer.append(44)
            appendInt(t, &quoteBuffer); quoteBuffer.append(10)
            quoteCount += 1
        }

        let firstTime = time
        while written < options.targetBytes {
            // Volatility and intensity drift and mean-revert; a burst raises both.
            variance = max(0.05, variance + 0.02 * (1 - variance) + 0.15 * variance.squareRoot() * random.normal() * 0.3)
            intensity = max(1, intensity + 0.05 * (20 - intensity))
            if random.uniform() < 0.002 { intensity *= 8; variance *= 2 }

            // Next event time: often the same millisecond (a sweep), else an exponential wait;
            // now and then a quiet gap of seconds.
            let sameMillisecond = random.uniform() < 0.35
            if !sameMillisecond {
                var wait = random.exponential(mean: 1000 / (intensity * variance.squareRoot()))
                if random.uniform() < 0.0005 { wait += random.exponential(mean: 20_000) }
                let nextTime = time + Int64(wait)
                // Quotes in the meantime.
                if quotes != nil {
                    var q = time
                    while true {
                        q += 1 + Int64(random.exponential(mean: 40))
                        if q >= nextTime { break }
                        if random.uniform() < 0.3 { priceCents += random.uniform() < 0.5 ? tick : -tick }
                        writeQuote(q)
                    }
                }
                time = nextTime
            }
            // Price: a random walk in ticks whose step size follows the volatility.
            let move = random.normal() * variance.squareRoot() * 0.8
            priceCents = max(tick, priceCents + Int64(move.rounded()) * tick)
            let buyer = random.uniform() < (move > 0 ? 0.65 : 0.35)
            let qty = Int64(random.exponential(mean: 80) * (random.uniform() < 0.05 ? 20 : 1)) + 1  // in 0.001
            tradeId += 1
            tradeLine.removeAll(keepingCapacity: true)
            appendInt(tradeId, &tradeLine); tradeLine.append(44)
            appendScaled(priceCents, digits: 2, &tradeLine); tradeLine.append(44)
            appendScaled(qty, digits: 3, &tradeLine); tradeLine.append(44)
            var notional: [UInt8] = []
            FixedPoint.appendDecimal(Int128(priceCents) * Int128(qty), fractionDigits: 5, to: &notional)
            tradeLine += notional; tradeLine.append(44)
            appendInt(time, &tradeLine); tradeLine.append(44)
            tradeLine += buyer ? Array("false".utf8) : Array("true".utf8)
            tradeLine.append(10)
            tradeBuffer += tradeLine
            written += Int64(tradeLine.count)
            tradeCount += 1
            if quotes != nil && random.uniform() < 0.7 { writeQuote(time) }
            if tradeBuffer.count >= 1 << 20 { try trades.write(tradeBuffer); tradeBuffer.removeAll(keepingCapacity: true) }
            if quoteBuffer.count >= 1 << 20 { try quotes?.write(quoteBuffer); quoteBuffer.removeAll(keepingCapacity: true) }
        }
        try trades.write(tradeBuffer)
        try quotes?.write(quoteBuffer)
        try trades.commit()
        try quotes?.commit()
        return GeneratorReport(trades: tradeCount, quotes: quoteCount, tradeBytes: trades.bytesWritten,
                               quoteBytes: quotes?.bytesWritten ?? 0, firstTimeMs: firstTime, lastTimeMs: time)
    }

    static func appendInt(_ v: Int64, _ out: inout [UInt8]) { FixedPoint.appendInteger(v, to: &out) }

    /// Appends `v / 10^digits` with exactly `digits` decimals, as Binance writes prices.
    static func appendScaled(_ v: Int64, digits: Int, _ out: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 0..<digits { divisor *= 10 }
        appendInt(v / divisor, &out)
        out.append(46)
        var fraction = v % divisor
        var digitsOut = [UInt8](repeating: 48, count: digits)
        for k in stride(from: digits - 1, through: 0, by: -1) {
            digitsOut[k] = 48 + UInt8(fraction % 10)
            fraction /= 10
        }
        out += digitsOut
    }
}
