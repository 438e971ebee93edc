import TickCore

/// How much of the bar raster the quotes cover (contract, Stale quotes): a bar is covered when
/// its `quote_age_s` is at most the maximum quote age, or 60 s without one. Quotes that end
/// early or do not overlap the trades are carried forward silently otherwise, so the run
/// warns about them.
public struct QuoteCoverage: Sendable, Codable, Equatable {
    public var coveredBars: Int
    public var bars: Int
    /// The age (s) up to which a bar counts as covered.
    public var coverageAgeS: String
    /// The first and last quote times, UTC (nil when no quote was kept).
    public var firstQuote: String?
    public var lastQuote: String?
    public var warnings: [String]

    /// Below this share of covered bars the run warns.
    public static let warningShare = 0.9

    init(coveredBars: Int, bars: Int, coverageAge: Int64, explicitAge: Bool, trades: (first: Int64, last: Int64),
         quotes: (first: Int64, last: Int64)?) {
        self.coveredBars = coveredBars
        self.bars = bars
        coverageAgeS = Time.secondsText(micros: coverageAge)
        firstQuote = quotes.map { Time.iso8601(micros: $0.first) }
        lastQuote = quotes.map { Time.iso8601(micros: $0.last) }
        var warnings: [String] = []
        let tradeSpan = "\(Time.iso8601(micros: trades.first)) to \(Time.iso8601(micros: trades.last))"
        // Quotes just before the trades still set the state the bars start from: only when
        // they cover no bar at all is their missing overlap worth a warning of its own.
        if let quotes, quotes.last < trades.first || quotes.first > trades.last, coveredBars == 0 {
            warnings.append("quotes and trades do not overlap at all: quotes run from \(Time.iso8601(micros: quotes.first)) to \(Time.iso8601(micros: quotes.last)), trades from \(tradeSpan); check that they are the same instrument and day")
        } else if quotes == nil {
            warnings.append("the quotes file holds no usable quote: every quote column is undefined")
        }
        if bars > 0 && Double(coveredBars) < Self.warningShare * Double(bars) {
            let rule = explicitAge ? "its quote_age_s is at most \(coverageAgeS) s (--max-quote-age)" : "its quote_age_s is at most 60 s (set --max-quote-age to treat older quotes as absent)"
            var message = "quotes cover \(coveredBars) of \(bars) bars (\(Self.percent(coveredBars, bars))); a bar is covered when \(rule)"
            if let quotes, quotes.last < trades.last, quotes.last >= trades.first {
                message += "; the quotes end at \(Time.iso8601(micros: quotes.last)), the trades at \(Time.iso8601(micros: trades.last))"
            }
            if let quotes, quotes.first > trades.first, quotes.first <= trades.last {
                message += "; the quotes start at \(Time.iso8601(micros: quotes.first)), the trades at \(Time.iso8601(micros: trades.first))"
            }
            warnings.append(message)
        }
        self.warnings = warnings
    }

    static func percent(_ part: Int, _ whole: Int) -> String {
        let tenths = (part * 1000 + whole / 2) / max(whole, 1)
        return "\(tenths / 10).\(tenths % 10) %"
    }
}
