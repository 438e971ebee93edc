import Foundation
import Testing

/// Quotes that stop early or never meet the trades are not carried forward silently: the run
/// says how many bars they cover, warns below 90 % and when they do not overlap the trades, and
/// `--max-quote-age` treats old states as absent (values checked against the reference in
/// FeaturesEndToEndTests).
@Suite(.serialized)
struct StaleQuoteTests {
    static func run(_ trades: String, _ quotes: String, _ out: String, _ extra: [String] = []) throws -> ProcessResult {
        try runTickforge(["features", "--trades", trades, "--quotes", quotes, "--out", out] + extra)
    }

    static func column(_ path: String, _ name: String) throws -> [String] {
        let table = try FeatureRun.table(path)
        let index = try #require(table[0].firstIndex(of: name))
        return table.dropFirst().map { $0[index] }
    }

    /// The Tardis sample: quotes end after 4 minutes, trades run 2 hours.
    @Test func quotesThatEndEarlyAreReported() throws {
        let dir = try TemporaryDirectory("tf-stale-tardis")
        defer { dir.remove() }
        let out = dir.path("run")
        let result = try Self.run(FeatureRun.tardisTrades, FeatureRun.tardisQuotes, out)
        #expect(result.status == 0, "\(result.stderrText)")
        // Coverage as the column says: bars whose quote_age_s is at most 60 s.
        let ages = try Self.column(out + "/features.csv", "quote_age_s")
        let covered = ages.filter { Double($0).map { $0 <= 60 } ?? false }.count
        #expect(covered > 0 && covered < ages.count / 10)
        let coverage = try #require(try FeatureRun.summary(out)["quote_coverage"] as? [String: Any])
        #expect(coverage["covered_bars"] as? Int == covered && coverage["bars"] as? Int == ages.count)
        #expect(coverage["last_quote"] as? String == "2020-02-22T00:03:47.061000Z")
        let warning = "warning: quotes cover \(covered) of \(ages.count) bars"
        #expect(result.stderrText.contains(warning), "\(result.stderrText)")
        #expect(result.stderrText.contains("the quotes end at 2020-02-22T00:03:47.061000Z, the trades at 2020-02-22T02:05:47.728000Z"))
        #expect((try FeatureRun.summary(out)["warnings"] as? [String])?.first?.hasPrefix("quotes cover \(covered) of") == true)
        // Ages grow by one bar per bar once the quotes stop.
        #expect(Double(ages[ages.count - 1])! - Double(ages[ages.count - 2])! == 1)
    }

    @Test func quotesThatNeverMeetTheTradesAreReported() throws {
        let dir = try TemporaryDirectory("tf-stale-apart")
        defer { dir.remove() }
        let out = dir.path("run")
        let result = try Self.run(FeatureRun.btcTrades, FeatureRun.tardisQuotes, out)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("warning: quotes and trades do not overlap at all: quotes run from 2020-02-22T00:00:01.096000Z"), "\(result.stderrText)")
        #expect(result.stderrText.contains("warning: quotes cover 0 of 344 bars (0.0 %)"), "\(result.stderrText)")
        // Quotes four years before the trades still set a state, four years old at every bar.
        #expect(try Self.column(out + "/features.csv", "quote_age_s").allSatisfy { Double($0)! > 86_400 * 365 })
        // With a maximum age every bar-end quote column is undefined.
        let capped = try Self.run(FeatureRun.btcTrades, FeatureRun.tardisQuotes, dir.path("capped"), ["--max-quote-age", "60"])
        #expect(capped.status == 0)
        for name in ["bid", "ask", "mid", "spread_bps", "obi", "obi_twa", "microprice_bps"] {
            #expect(try Self.column(dir.path("capped/features.csv"), name).allSatisfy(\.isEmpty), "\(name)")
        }
    }

    @Test func aRunWithinTheCoverageGivesNoWarning() throws {
        let dir = try TemporaryDirectory("tf-stale-fine")
        defer { dir.remove() }
        let result = try Self.run(FeatureRun.btcTrades, FeatureRun.btcQuotes, dir.path("run"))
        #expect(result.status == 0 && !result.stderrText.contains("warning"), "\(result.stderrText)")
        let coverage = try #require(try FeatureRun.summary(dir.path("run"))["quote_coverage"] as? [String: Any])
        #expect(coverage["covered_bars"] as? Int == 344 && coverage["bars"] as? Int == 344)
        #expect((try FeatureRun.summary(dir.path("run"))["warnings"] as? [String]) == [])
    }

    @Test func maxQuoteAgeIsReadExactly() throws {
        let dir = try TemporaryDirectory("tf-stale-flag")
        defer { dir.remove() }
        for bad in ["-1", "1e3", "0.0000001", "abc", "", ".5", "5."] {
            let result = try Self.run(FeatureRun.btcTrades, FeatureRun.btcQuotes, dir.path("bad"), ["--max-quote-age", bad])
            #expect(result.status == 64 && result.stderrText.contains("--max-quote-age"), "'\(bad)': \(result.stderrText)")
        }
        #expect(try Self.run(FeatureRun.btcTrades, FeatureRun.btcQuotes, dir.path("a"), ["--max-quote-age", "0.05"]).status == 0)
        #expect(try Self.run(FeatureRun.btcTrades, FeatureRun.btcQuotes, dir.path("b"), ["--max-quote-age", "0.050000"]).status == 0)
        #expect(FeatureRun.outputs(dir.path("a")) == FeatureRun.outputs(dir.path("b")))
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path("a/features.json")))) as! [String: Any]
        #expect((metadata["flags"] as? [String: Any])?["max_quote_age_s"] as? String == "0.05")
        let bid = ((metadata["columns"] as? [[String: Any]]) ?? []).first { $0["name"] as? String == "bid" }
        #expect((bid?["formula"] as? String)?.contains("undefined when quote_age_s > 0.05 (--max-quote-age)") == true)
        // A different age is a different feature set: nothing of the 0.05 run is reused.
        #expect(try Self.run(FeatureRun.btcTrades, FeatureRun.btcQuotes, dir.path("a"), ["--max-quote-age", "0.1"]).status == 0)
        #expect(try FeatureRun.summary(dir.path("a"))["feature_partitions_reused"] as? Int == 0)
    }
}
