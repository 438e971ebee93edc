#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TickCore

/// A bar with everything the feature stage needs that depends on bars before it: the log
/// return and the EWMA variance are computed once, in bar order, so a feature partition can
/// start anywhere and still give the exact recursion.
public struct BarRecord: Sendable, Equatable {
    public var trade: TradeBar
    public var quotes: QuoteBarStats?
    /// `ln(c_t / c_{t−1})`; NaN at t = 0.
    public var logReturn: Double
    /// `v_t` of `ewm_vol`; NaN at t = 0.
    public var ewmVariance: Double
    /// The auxiliary groups' values, boxed (nil when the run has none of them).
    public let extras: BarExtras?

    /// What the as-of series (bands, derivatives) say at the bar end; nil without them.
    public var asOf: AsOfBar? { extras?.asOf }
    /// The bar's liquidations; nil without a liquidations input.
    public var liquidations: LiquidationBar? { extras?.liquidations }
    /// What the order book says about the bar; nil without a book input.
    public var book: BookBar? { extras?.book }

    public init(trade: TradeBar, quotes: QuoteBarStats?, logReturn: Double, ewmVariance: Double, asOf: AsOfBar? = nil,
                liquidations: LiquidationBar? = nil, book: BookBar? = nil) {
        self.trade = trade; self.quotes = quotes; self.logReturn = logReturn; self.ewmVariance = ewmVariance
        extras = asOf == nil && liquidations == nil && book == nil ? nil : BarExtras(asOf: asOf, liquidations: liquidations, book: book)
    }
}

/// The per-bar values of the book, bands, derivatives and liquidations groups, behind one
/// pointer: a bar record is copied into every partition's halo and window, and a run without
/// these inputs (the common case) then carries 8 bytes for them instead of a few hundred.
public final class BarExtras: Sendable, Equatable {
    public let asOf: AsOfBar?
    public let liquidations: LiquidationBar?
    public let book: BookBar?

    public init(asOf: AsOfBar?, liquidations: LiquidationBar?, book: BookBar?) {
        self.asOf = asOf; self.liquidations = liquidations; self.book = book
    }

    public static func == (a: BarExtras, b: BarExtras) -> Bool {
        a.asOf == b.asOf && a.liquidations == b.liquidations && a.book == b.book
    }
}

/// The recursive part of the feature stage, run once over the bars in order.
public struct BarSequencer {
    public let lambda: Double
    /// The previous bar's close as published (`FixedPoint.double`).
    private var previousClose: Double?
    private var variance = Double.nan

    public init(lambda: Double) { self.lambda = lambda }

    public mutating func record(_ bar: TradeBar, quotes: QuoteBarStats?, asOf: AsOfBar? = nil, liquidations: LiquidationBar? = nil,
                                book: BookBar? = nil) -> BarRecord {
        var r = Double.nan
        let close = FixedPoint.double(bar.close)
        if let previous = previousClose {
            // The ratio of the closes as published (the nearest doubles), not of the exact
            // decimals: the two differ by an ulp now and then, which is nothing for r itself but
            // moves a near-zero `absret_autocorr` by more than the spec's 1e-12. Computed this
            // way, r is bit for bit what a reader of `features.csv` gets from ln(close/close₋₁).
            r = log(close / previous)
            // v_1 = r_1², v_t = λ·v_{t−1} + (1−λ)·r_t².
            variance = variance.isNaN ? r * r : lambda * variance + (1 - lambda) * (r * r)
        }
        previousClose = close
        return BarRecord(trade: bar, quotes: quotes, logReturn: r, ewmVariance: variance, asOf: asOf, liquidations: liquidations, book: book)
    }
}
