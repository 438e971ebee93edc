import TickCore

/// Which file a column goes to, and the group the metadata names.
public enum ColumnGroup: String, Sendable, Codable {
    case trade, rolling, volatility, quote, book, bands, derivatives, liquidations, regimes, calendar, target
}

/// How a column's values are written.
public enum ValueKind: String, Sendable, Codable {
    /// A whole number.
    case integer
    /// An exact decimal (prices, quantities), written without trailing zeros.
    case decimal
    /// A floating-point value in the shortest text that reads back to the same double.
    case real
}

/// What a column computes (the compute code switches on it).
public enum ColumnKey: Sendable, Equatable {
    case open, high, low, close, volume, buyVolume, sellVolume, tradeCount, vwap, tfi, logReturn
    case ret(Int), rv(Int), parkinson(Int), tfiWindow(Int), volumeWindow(Int), tradesWindow(Int)
    case ewmVol, volRatio, absretAutocorr
    case bid, ask, bidQty, askQty, mid, spreadBps, obi, obiTwa, micropriceBps, quoteCount, ofi
    case ofiWindow(Int), obiWindow(Int), quoteAge
    /// The book group, by the index of k in `--depth-levels`.
    case bookBidDepth(Int), bookAskDepth(Int), bookImbalance(Int), bookImbalanceTimeWeighted(Int), bookUpdates
    /// `band_imb_{p}` of the p at this index of `--band-levels`.
    case bandImbalance(Int), bandAge
    /// A field's as-of value, as given.
    case derivative(DerivativeField)
    /// The ticker's current funding rate, or the last settled one without a ticker.
    case fundingRate
    case markPremium, lastBasis, metricsAge, tickerAge, fundingAge
    case openInterestChange(Int)
    case liquidationBuyVolume, liquidationSellVolume, liquidationCount, liquidationVolumeWindow(Int)
    case hourSin, hourCos, dowSin, dowCos
    /// The regime columns: filled by the regime stage after the fit, never by a partition's bars.
    case regime, regimeProbability(Int)
    case fwdRet(Int), fwdDir(Int), fwdUp(Int), fwdRv(Int)
}

/// One output column and everything the metadata says about it.
public struct ColumnSpec: Sendable {
    public let key: ColumnKey
    public let name: String
    public let group: ColumnGroup
    public let kind: ValueKind
    public let unit: String
    public let description: String
    public let formula: String
    public let windowBars: Int?
    public let horizonBars: Int?
    /// The input file type and field a column is read from (the auxiliary inputs' groups).
    public var source: String? = nil
}

/// The columns of `features.csv` and `targets.csv` for a configuration, in file order (after
/// `timestamp`). Windowed columns come feature by feature, each with one column per window in
/// the order the flag gives them.
public struct ColumnCatalog: Sendable {
    public let features: [ColumnSpec]
    public let targets: [ColumnSpec]

    private init(features: [ColumnSpec], targets: [ColumnSpec]) {
        self.features = features; self.targets = targets
    }

    /// Where the regime columns go among the features: before the calendar columns (contract,
    /// column order).
    public var regimeInsertionIndex: Int { features.firstIndex { $0.group == .calendar } ?? features.count }

    /// This catalog with the `K` regime columns (`--regimes K`) inserted before the calendar
    /// columns. The feature partitions are stored without them (they depend on the split of
    /// the whole run, not on a partition's bars), so only the outputs use this catalog.
    public func withRegimes(_ k: Int) -> ColumnCatalog {
        var added = [ColumnSpec(key: .regime, name: "regime", group: .regimes, kind: .integer, unit: "state in {0 … \(k - 1)}",
                                description: "Most probable volatility regime (0 = calmest) given the log returns up to and including this bar: the state as known at the bar end, not a forecast.",
                                formula: "argmax_j p_t(j), the lowest j on ties; undefined where r_t is", windowBars: nil, horizonBars: nil)]
        for j in 0..<k {
            added.append(ColumnSpec(key: .regimeProbability(j), name: "regime_p\(j)", group: .regimes, kind: .real, unit: "probability",
                                    description: "Causal (forward-filtered) probability of volatility regime \(j) of \(k) (0 = calmest), from a zero-mean Gaussian HMM of log returns fitted on the fit rows only.",
                                    formula: "p_t(j) = P(state j | x_1 … x_t): p ∝ π ∘ b(x) at the first row with r_t defined, then p_t ∝ (p_{t−1} · A) ∘ b(x_t), b_j = N(0, σ²_j) density; undefined where r_t is",
                                    windowBars: nil, horizonBars: nil))
        }
        var f = features
        f.insert(contentsOf: added, at: regimeInsertionIndex)
        return ColumnCatalog(features: f, targets: targets)
    }

    public init(config: FeatureConfig) {
        var f: [ColumnSpec] = []
        func add(_ key: ColumnKey, _ name: String, _ group: ColumnGroup, _ kind: ValueKind, _ unit: String,
                 _ description: String, _ formula: String, window: Int? = nil, horizon: Int? = nil, source: String? = nil,
                 to list: inout [ColumnSpec]) {
            list.append(ColumnSpec(key: key, name: name, group: group, kind: kind, unit: unit, description: description,
                                   formula: formula, windowBars: window, horizonBars: horizon, source: source))
        }
        add(.open, "open", .trade, .decimal, "price", "First trade price in the bar; the previous close when the bar has no trades.", "first trade price in the bar (file order); c_{t−1} in a bar with no trades", to: &f)
        add(.high, "high", .trade, .decimal, "price", "Highest trade price in the bar; the previous close when the bar has no trades.", "max trade price in the bar; c_{t−1} in a bar with no trades", to: &f)
        add(.low, "low", .trade, .decimal, "price", "Lowest trade price in the bar; the previous close when the bar has no trades.", "min trade price in the bar; c_{t−1} in a bar with no trades", to: &f)
        add(.close, "close", .trade, .decimal, "price", "Last trade price in the bar; the previous close when the bar has no trades.", "c_t = last trade price in the bar (file order); c_{t−1} in a bar with no trades", to: &f)
        add(.volume, "volume", .trade, .decimal, "base asset quantity", "Total traded quantity in the bar.", "Σ qty", to: &f)
        add(.buyVolume, "buy_volume", .trade, .decimal, "base asset quantity", "Quantity of trades where the buyer was the aggressor.", "Σ qty of trades whose aggressor is the buyer", to: &f)
        add(.sellVolume, "sell_volume", .trade, .decimal, "base asset quantity", "Quantity of trades where the seller was the aggressor.", "volume − buy_volume", to: &f)
        add(.tradeCount, "trade_count", .trade, .integer, "trades", "Number of trades in the bar.", "number of trades", to: &f)
        add(.vwap, "vwap", .trade, .real, "price", "Volume-weighted average trade price; the close when the bar has no volume.", "Σ(price·qty) / Σ qty; equals close in a bar with no volume", to: &f)
        add(.tfi, "tfi", .trade, .real, "ratio in [−1, 1]", "Trade flow imbalance: net aggressive buying as a fraction of volume.", "(buy_volume − sell_volume) / volume; 0 when volume is 0", to: &f)
        add(.logReturn, "log_return", .trade, .real, "log return", "Log return of the close over the previous bar.", "r_t = ln(c_t / c_{t−1}); undefined at t = 0", to: &f)
        let w = config.windows
        for x in w { add(.ret(x), "ret_\(x)", .rolling, .real, "log return", "Log return of the close over the last \(x) bars.", "ln(c_t / c_{t−w})", window: x, to: &f) }
        for x in w { add(.rv(x), "rv_\(x)", .rolling, .real, "log return", "Realized volatility: root of the summed squared log returns of the last \(x) bars.", "sqrt(Σ r_i²), i = t−w+1 … t", window: x, to: &f) }
        for x in w { add(.parkinson(x), "parkinson_\(x)", .rolling, .real, "log return", "Parkinson high-low volatility over the last \(x) bars.", "sqrt(Σ ln(high_i/low_i)² / (4·ln 2)), i = t−w+1 … t", window: x, to: &f) }
        for x in w { add(.tfiWindow(x), "tfi_\(x)", .rolling, .real, "ratio in [−1, 1]", "Trade flow imbalance over the last \(x) bars; 0 when nothing traded.", "Σ(buy_i − sell_i) / Σ volume_i; 0 when Σ volume is 0", window: x, to: &f) }
        for x in w { add(.volumeWindow(x), "volume_\(x)", .rolling, .decimal, "base asset quantity", "Traded quantity over the last \(x) bars.", "Σ volume_i, i = t−w+1 … t", window: x, to: &f) }
        for x in w { add(.tradesWindow(x), "trades_\(x)", .rolling, .integer, "trades", "Number of trades over the last \(x) bars.", "Σ trade_count_i, i = t−w+1 … t", window: x, to: &f) }
        add(.ewmVol, "ewm_vol", .volatility, .real, "log return", "Exponentially weighted volatility of log returns (RiskMetrics), recursive from the first bar.", "sqrt(v_t), v_1 = r_1², v_t = λ·v_{t−1} + (1−λ)·r_t², λ = \(config.ewmLambda); undefined at t = 0", to: &f)
        add(.volRatio, "vol_ratio", .volatility, .real, "ratio", "Short over long realized volatility (rv_\(config.minWindow) / rv_\(config.maxWindow)).", "rv_{w_min} / rv_{w_max}; undefined when t < w_max or rv_{w_max} = 0", window: config.maxWindow, to: &f)
        add(.absretAutocorr, "absret_autocorr", .volatility, .real, "correlation in [−1, 1]", "Lag-1 autocorrelation of absolute log returns over the last \(config.maxWindow) bars (volatility clustering).", "Pearson correlation of (|r_{i−1}|, |r_i|), i = t−w_max+1 … t; undefined when t < w_max + 1 or either side has zero variance", window: config.maxWindow, to: &f)
        if config.hasQuotes {
            // With --max-quote-age, say in the formulas what a stale state does to each column.
            let age = config.maxQuoteAge.map { Time.secondsText(micros: $0) }
            let stale = age.map { "; undefined when quote_age_s > \($0) (--max-quote-age)" } ?? ""
            add(.bid, "bid", .quote, .decimal, "price", "Best bid price at the bar end (last quote update before start + Δ).", "b of the last update with time < start+Δ; undefined before the first quote" + stale, to: &f)
            add(.ask, "ask", .quote, .decimal, "price", "Best ask price at the bar end.", "a of the last update with time < start+Δ; undefined before the first quote" + stale, to: &f)
            add(.bidQty, "bid_qty", .quote, .decimal, "base asset quantity", "Quantity at the best bid at the bar end.", "B of the last update with time < start+Δ" + stale, to: &f)
            add(.askQty, "ask_qty", .quote, .decimal, "base asset quantity", "Quantity at the best ask at the bar end.", "A of the last update with time < start+Δ" + stale, to: &f)
            add(.mid, "mid", .quote, .real, "price", "Mid price at the bar end.", "(b + a) / 2 at bar end" + stale, to: &f)
            add(.spreadBps, "spread_bps", .quote, .real, "basis points", "Bid-ask spread relative to the mid at the bar end.", "(a − b) / mid · 10⁴ at bar end; undefined when mid = 0" + stale, to: &f)
            add(.obi, "obi", .quote, .real, "ratio in [−1, 1]", "Order book imbalance of the top of book at the bar end.", "(B − A) / (B + A) at bar end; undefined when B + A = 0" + stale, to: &f)
            add(.obiTwa, "obi_twa", .quote, .real, "ratio in [−1, 1]", "Time-weighted average order book imbalance over the bar, over the part of the bar where a quote was in force.", "Σ_states ((B − A)/(B + A))·duration / Σ duration over [start, start+Δ); states with B + A = 0 count as no state; undefined if none" + (age.map { "; a state counts only while it is at most \($0) s old (--max-quote-age)" } ?? ""), to: &f)
            add(.micropriceBps, "microprice_bps", .quote, .real, "basis points", "Size-weighted microprice minus mid, relative to the mid, at the bar end.", "((b·A + a·B)/(B + A) − mid) / mid · 10⁴ at bar end; undefined when B + A = 0" + stale, to: &f)
            add(.quoteCount, "quote_count", .quote, .integer, "updates", "Number of top-of-book updates in the bar.", "number of quote updates with start ≤ time < start+Δ", to: &f)
            add(.ofi, "ofi", .quote, .decimal, "base asset quantity", "Order flow imbalance (Cont, Kukanov & Stoikov 2014) summed over the bar's updates.", "Σ e_n, e_n = 1[b_n ≥ b_{n−1}]·B_n − 1[b_n ≤ b_{n−1}]·B_{n−1} − 1[a_n ≤ a_{n−1}]·A_n + 1[a_n ≥ a_{n−1}]·A_{n−1}; the very first update contributes 0; 0 in a bar with no updates", to: &f)
            for x in w { add(.ofiWindow(x), "ofi_\(x)", .quote, .decimal, "base asset quantity", "Order flow imbalance over the last \(x) bars.", "Σ ofi_i, i = t−w+1 … t", window: x, to: &f) }
            for x in w { add(.obiWindow(x), "obi_\(x)", .quote, .real, "ratio in [−1, 1]", "Mean of the defined time-weighted imbalances of the last \(x) bars.", "mean of the defined obi_twa_i, i = t−w+1 … t; undefined when none is defined", window: x, to: &f) }
            add(.quoteAge, "quote_age_s", .quote, .real, "seconds", "Age of the quote state at the bar end: time since the last quote update before start + Δ.", "(start + Δ − time of the last quote update with time < start+Δ) / 1000 (times in ms); undefined before the first quote", to: &f)
        }
        if let depth = config.depthLevels {
            let source = "book (Tardis incremental_book_L2 or book_snapshot_N): price, amount"
            for (i, k) in depth.enumerated() {
                add(.bookBidDepth(i), "book_bid_qty_\(k)", .book, .decimal, "base asset quantity", "Quantity on the best \(k) bid levels at the bar end.",
                    "Σ amount of the best \(k) bid levels (all when fewer) of the book state after the last update with time < start+Δ; 0 for an empty side; undefined before the first update",
                    source: source, to: &f)
                add(.bookAskDepth(i), "book_ask_qty_\(k)", .book, .decimal, "base asset quantity", "Quantity on the best \(k) ask levels at the bar end.",
                    "Σ amount of the best \(k) ask levels (all when fewer) at bar end; 0 for an empty side; undefined before the first update",
                    source: source, to: &f)
            }
            for (i, k) in depth.enumerated() {
                add(.bookImbalance(i), "book_imb_\(k)", .book, .real, "ratio in [−1, 1]", "Depth imbalance of the best \(k) levels at the bar end.",
                    "(book_bid_qty_\(k) − book_ask_qty_\(k)) / (book_bid_qty_\(k) + book_ask_qty_\(k)) at bar end; undefined if the sum is 0 or before the first update",
                    source: source, to: &f)
            }
            for (i, k) in depth.enumerated() {
                add(.bookImbalanceTimeWeighted(i), "book_imb_twa_\(k)", .book, .real, "ratio in [−1, 1]", "Time-weighted depth imbalance of the best \(k) levels over the bar.",
                    "Σ_states book_imb_\(k)·duration / Σ duration over [start, start+Δ), each book state weighted by how long it was in force in the bar; a state whose imbalance is undefined carries no weight; undefined if none",
                    source: source, to: &f)
            }
            add(.bookUpdates, "book_updates", .book, .integer, "updates", "Number of book updates in the bar.",
                "number of book updates with start ≤ time < start+Δ (incremental layout: consecutive rows with the same timestamp are one update; snapshot layout: each row)",
                source: "book: timestamp", to: &f)
        }
        if let levels = config.bandLevels {
            for (k, p) in levels.enumerated() {
                add(.bandImbalance(k), "band_imb_\(p.nameText)", .bands, .real, "ratio in [−1, 1]",
                    "Depth imbalance within \(p.text) % of the mid: bid depth minus ask depth over their sum, in the last bookDepth snapshot before the bar end.",
                    "(D(−\(p.text)) − D(+\(p.text))) / (D(−\(p.text)) + D(+\(p.text))), D = depth of the last snapshot with time < start+Δ (a snapshot is known 1 s after its whole-second stamp); undefined if either is missing or the sum is 0",
                    source: "bands (Binance bookDepth): depth at percentage −\(p.text) and +\(p.text)", to: &f)
            }
            add(.bandAge, "band_age_s", .bands, .real, "seconds", "Age of the bookDepth snapshot the band columns use: time from when it was known to the bar end.",
                "(start + Δ − (stamp + 1 s)) / 1000 of the last snapshot with time < start+Δ (times in ms); undefined before the first snapshot",
                source: "bands (Binance bookDepth): timestamp", to: &f)
        }
        if let d = config.derivatives {
            let asOf = "as-of value: the last sample with time < start+Δ whose cell is not empty; undefined before it"
            let metricsTime = "known 1 s after its whole-second create_time"
            if d.hasOpenInterest {
                add(.derivative(.openInterest), "oi", .derivatives, .decimal, "base asset quantity (contracts)", "Open interest as of the bar end.",
                    asOf, source: d.metrics ? "metrics (Binance metrics): sum_open_interest, \(metricsTime)" : "ticker (Tardis derivative_ticker): open_interest", to: &f)
            }
            if d.metrics {
                add(.derivative(.openInterestValue), "oi_value", .derivatives, .decimal, "quote asset value", "Open interest in quote currency as of the bar end.",
                    asOf, source: "metrics (Binance metrics): sum_open_interest_value, \(metricsTime)", to: &f)
                add(.derivative(.topTraderAccounts), "top_ls_accounts", .derivatives, .decimal, "ratio", "Long/short ratio of top traders' accounts as of the bar end.",
                    asOf, source: "metrics (Binance metrics): count_toptrader_long_short_ratio, \(metricsTime)", to: &f)
                add(.derivative(.topTraderPositions), "top_ls_positions", .derivatives, .decimal, "ratio", "Long/short ratio of top traders' positions as of the bar end.",
                    asOf, source: "metrics (Binance metrics): sum_toptrader_long_short_ratio, \(metricsTime)", to: &f)
                add(.derivative(.accounts), "ls_accounts", .derivatives, .decimal, "ratio", "Long/short ratio of all accounts as of the bar end.",
                    asOf, source: "metrics (Binance metrics): count_long_short_ratio, \(metricsTime)", to: &f)
                add(.derivative(.takerVolume), "taker_ls_volume", .derivatives, .decimal, "ratio", "Taker buy/sell volume ratio as of the bar end.",
                    asOf, source: "metrics (Binance metrics): sum_taker_long_short_vol_ratio, \(metricsTime)", to: &f)
                add(.metricsAge, "metrics_age_s", .derivatives, .real, "seconds", "Age of the last metrics sample at the bar end.",
                    "(start + Δ − time of the last sample with time < start+Δ) / 1000 (times in ms; a sample's time is create_time + 1 s); undefined before the first",
                    source: "metrics (Binance metrics): create_time", to: &f)
            }
            if d.ticker || d.funding {
                add(.fundingRate, "funding_rate", .derivatives, .decimal, "rate per funding interval",
                    d.ticker ? "The exchange's current funding rate as of the bar end." : "The last settled funding rate as of the bar end.",
                    asOf, source: d.ticker ? "ticker (Tardis derivative_ticker): funding_rate" : "funding (Binance fundingRate): last_funding_rate, known at calc_time", to: &f)
            }
            if d.ticker {
                add(.derivative(.predictedFunding), "predicted_funding_rate", .derivatives, .decimal, "rate per funding interval", "The exchange's predicted next funding rate as of the bar end.",
                    asOf, source: "ticker (Tardis derivative_ticker): predicted_funding_rate", to: &f)
                add(.markPremium, "mark_premium_bps", .derivatives, .real, "basis points", "Premium of the mark price over the index price as of the bar end.",
                    "(mark_price − index_price) / index_price · 10⁴, each as-of; undefined when either is undefined or index_price is 0",
                    source: "ticker (Tardis derivative_ticker): mark_price, index_price", to: &f)
                add(.lastBasis, "last_basis_bps", .derivatives, .real, "basis points", "Basis of the last traded price over the index price as of the bar end.",
                    "(last_price − index_price) / index_price · 10⁴, each as-of; undefined when either is undefined or index_price is 0",
                    source: "ticker (Tardis derivative_ticker): last_price, index_price", to: &f)
                add(.tickerAge, "ticker_age_s", .derivatives, .real, "seconds", "Age of the last ticker sample at the bar end.",
                    "(start + Δ − time of the last sample with time < start+Δ) / 1000 (times in ms); undefined before the first",
                    source: "ticker (Tardis derivative_ticker): timestamp", to: &f)
            }
            if d.funding {
                if d.ticker {
                    add(.derivative(.settledFunding), "funding_settled_rate", .derivatives, .decimal, "rate per funding interval", "The last settled funding rate as of the bar end.",
                        asOf, source: "funding (Binance fundingRate): last_funding_rate, known at calc_time", to: &f)
                }
                add(.fundingAge, "funding_age_s", .derivatives, .real, "seconds", "Time since the last funding settlement at the bar end.",
                    "(start + Δ − calc_time of the last sample with time < start+Δ) / 1000 (times in ms); undefined before the first",
                    source: "funding (Binance fundingRate): calc_time", to: &f)
            }
            if d.hasOpenInterest {
                for x in w {
                    add(.openInterestChange(x), "oi_chg_\(x)", .derivatives, .real, "log ratio", "Log change of the open interest over the last \(x) bars.",
                        "ln(oi_t / oi_{t−w}); undefined for t < w or where either is undefined or 0", window: x,
                        source: d.metrics ? "metrics (Binance metrics): sum_open_interest" : "ticker (Tardis derivative_ticker): open_interest", to: &f)
                }
            }
        }
        if config.liquidations == true {
            let source = "liquidations (Tardis liquidations): side, amount"
            add(.liquidationBuyVolume, "liq_buy_volume", .liquidations, .decimal, "base asset quantity", "Quantity of liquidation orders with side buy (forced closes of shorts) in the bar.",
                "Σ amount of the bar's liquidations with side buy; 0 in a bar without", source: source, to: &f)
            add(.liquidationSellVolume, "liq_sell_volume", .liquidations, .decimal, "base asset quantity", "Quantity of liquidation orders with side sell (forced closes of longs) in the bar.",
                "Σ amount of the bar's liquidations with side sell; 0 in a bar without", source: source, to: &f)
            add(.liquidationCount, "liq_count", .liquidations, .integer, "liquidations", "Number of liquidations in the bar.",
                "number of liquidations with start ≤ time < start+Δ", source: "liquidations (Tardis liquidations): timestamp", to: &f)
            for x in w {
                add(.liquidationVolumeWindow(x), "liq_volume_\(x)", .liquidations, .decimal, "base asset quantity", "Liquidated quantity, both sides, over the last \(x) bars.",
                    "Σ (liq_buy_volume_i + liq_sell_volume_i), i = t−w+1 … t; undefined for t < w", window: x, source: source, to: &f)
            }
        }
        add(.hourSin, "hour_sin", .calendar, .real, "unitless", "Time of day of the bar start (UTC) on the unit circle, sine part.", "sin(2πh/24), h = hours since UTC midnight of the bar start", to: &f)
        add(.hourCos, "hour_cos", .calendar, .real, "unitless", "Time of day of the bar start (UTC) on the unit circle, cosine part.", "cos(2πh/24)", to: &f)
        add(.dowSin, "dow_sin", .calendar, .real, "unitless", "Time of week of the bar start (UTC, Monday 00:00 = 0) on the unit circle, sine part.", "sin(2πd/7), d = weekday (Monday = 0) + h/24", to: &f)
        add(.dowCos, "dow_cos", .calendar, .real, "unitless", "Time of week of the bar start on the unit circle, cosine part.", "cos(2πd/7)", to: &f)
        features = f

        var t: [ColumnSpec] = []
        let h = config.horizons
        let bps = config.thresholdBps
        for x in h { add(.fwdRet(x), "fwd_ret_\(x)", .target, .real, "log return", "Log return of the close from this bar to \(x) bars ahead.", "ln(c_{t+h} / c_t); undefined when t + h > N − 1", horizon: x, to: &t) }
        for x in h { add(.fwdDir(x), "fwd_dir_\(x)", .target, .integer, "class in {−1, 0, 1}", "Direction of the log return \(x) bars ahead with a dead band of \(bps) bps.", "1 if fwd_ret_h > θ, −1 if < −θ, else 0; θ = \(bps)·10⁻⁴", horizon: x, to: &t) }
        for x in h { add(.fwdUp(x), "fwd_up_\(x)", .target, .integer, "class in {0, 1}", "Whether the close \(x) bars ahead is above this close.", "1 if fwd_ret_h > 0 else 0", horizon: x, to: &t) }
        for x in h { add(.fwdRv(x), "fwd_rv_\(x)", .target, .real, "log return", "Realized volatility of the next \(x) bars.", "sqrt(Σ r_i²), i = t+1 … t+h", horizon: x, to: &t) }
        targets = t
    }
}
