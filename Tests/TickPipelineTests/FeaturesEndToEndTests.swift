import Foundation
import Testing

/// `tickforge features` on the real samples, against the independent Python reference, and the
/// byte-identity of its outputs whatever the chunking, worker count, partition size or memory limit.
@Suite(.serialized)
struct FeaturesEndToEndTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var trades: String
        var quotes: String?
        var interval: String
        var flags: [String] = []
        var testDescription: String { "\(name) \(interval) \(flags.joined(separator: " "))" }
    }

    static let referenceCases: [Case] = [
        Case(name: "BTCUSDT", trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, interval: "1s"),
        Case(name: "BTCUSDT", trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, interval: "100ms"),
        Case(name: "ETHUSDT", trades: FeatureRun.ethTrades, quotes: FeatureRun.ethQuotes, interval: "1s"),
        Case(name: "ETHUSDT", trades: FeatureRun.ethTrades, quotes: FeatureRun.ethQuotes, interval: "100ms"),
        Case(name: "Tardis", trades: FeatureRun.tardisTrades, quotes: FeatureRun.tardisQuotes, interval: "1s"),
        Case(name: "Tardis trades only", trades: FeatureRun.tardisTrades, quotes: nil, interval: "10s"),
        // Stale quotes (contract version 2): bar-end columns masked, obi_twa weighting cut.
        Case(name: "BTCUSDT", trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, interval: "1s", flags: ["--max-quote-age", "0.05"]),
        Case(name: "ETHUSDT", trades: FeatureRun.ethTrades, quotes: FeatureRun.ethQuotes, interval: "100ms", flags: ["--max-quote-age", "0.025"]),
        Case(name: "Tardis", trades: FeatureRun.tardisTrades, quotes: FeatureRun.tardisQuotes, interval: "1s", flags: ["--max-quote-age", "0.5"]),
    ]

    @Test(arguments: referenceCases)
    func matchesTheIndependentReference(_ c: Case) throws {
        let dir = try TemporaryDirectory("tf-ref")
        defer { dir.remove() }
        let flags = ["--interval", c.interval] + c.flags
        let ours = try FeatureRun.run(trades: c.trades, quotes: c.quotes, out: dir.path("ours"), flags)
        #expect(ours.status == 0, "\(ours.stderrText)")
        let theirs = try Reference.run(trades: c.trades, quotes: c.quotes, out: dir.path("reference"), flags)
        #expect(theirs.status == 0, "\(theirs.stderrText)")
        let comparison = try Reference.compare(expected: dir.path("reference"), actual: dir.path("ours"))
        #expect(comparison.status == 0, "\(comparison.stdoutText)")
        #expect(comparison.stdoutText.contains("RESULT: OK"))
    }

    @Test func completeRowsOnlyMatchesTheReferenceToo() throws {
        let dir = try TemporaryDirectory("tf-ref-complete")
        defer { dir.remove() }
        let flags = ["--interval", "100ms", "--windows", "5,20", "--horizons", "3", "--complete-rows-only"]
        let ours = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, out: dir.path("ours"), flags)
        #expect(ours.status == 0, "\(ours.stderrText)")
        let theirs = try Reference.run(trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, out: dir.path("reference"), flags)
        #expect(theirs.status == 0, "\(theirs.stderrText)")
        let comparison = try Reference.compare(expected: dir.path("reference"), actual: dir.path("ours"))
        #expect(comparison.status == 0, "\(comparison.stdoutText)")
    }

    /// Returns are those of the published prices: `log_return`, `ret_w` and `fwd_ret_h` equal,
    /// bit for bit, ln of the ratio of the `close` cells as any CSV reader parses them. (From the
    /// exact decimals they differ by an ulp now and then, which moves a near-zero
    /// `absret_autocorr` beyond the spec's tolerance against pandas, polars or DuckDB.)
    @Test func returnsAreThoseOfThePublishedCloses() throws {
        let dir = try TemporaryDirectory("tf-returns")
        defer { dir.remove() }
        let result = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: nil, out: dir.path("out"),
                                        ["--interval", "100ms", "--windows", "10", "--horizons", "10"])
        #expect(result.status == 0, "\(result.stderrText)")
        let features = try FeatureRun.table(dir.path("out/features.csv"))
        let targets = try FeatureRun.table(dir.path("out/targets.csv"))
        func column(_ table: [[String]], _ name: String) throws -> [Double?] {
            let index = try #require(table[0].firstIndex(of: name), "no column \(name)")
            return table.dropFirst().map { Double($0[index]) }
        }
        let close = try column(features, "close").map { try #require($0) }
        let logReturn = try column(features, "log_return"), ret = try column(features, "ret_10")
        let forward = try column(targets, "fwd_ret_10")
        #expect(close.count > 1000)
        for t in close.indices {
            if t >= 1 { #expect(logReturn[t] == log(close[t] / close[t - 1]), "log_return row \(t)") }
            if t >= 10 { #expect(ret[t] == log(close[t] / close[t - 10]), "ret_10 row \(t)") }
            if t + 10 < close.count { #expect(forward[t] == log(close[t + 10] / close[t]), "fwd_ret_10 row \(t)") }
        }
    }

    /// Chunk sizes, worker counts, partition sizes and memory limits must not change one byte.
    @Test func outputsAreByteIdenticalAcrossChunkingWorkersAndPartitions() throws {
        let dir = try TemporaryDirectory("tf-invariance")
        defer { dir.remove() }
        let base = ["--interval", "100ms"]
        let baseline = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, out: dir.path("baseline"), base)
        #expect(baseline.status == 0, "\(baseline.stderrText)")
        let expected = FeatureRun.outputs(dir.path("baseline"))
        #expect(expected.values.allSatisfy { $0 != nil })
        let variants: [[String]] = [
            ["--chunk-size", "64KiB", "--workers", "1"],
            ["--chunk-size", "1MiB", "--workers", "2"],
            ["--workers", "4"],
            ["--chunk-size", "1031", "--workers", "3", "--partition-bars", "7"],
            ["--partition-bars", "1"],
            ["--partition-bars", "301"],
            ["--memory-limit", "64MiB", "--tick-partition-rows", "5000"],
        ]
        for (i, variant) in variants.enumerated() {
            let out = dir.path("variant-\(i)")
            let result = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, out: out, base + variant)
            #expect(result.status == 0, "\(variant): \(result.stderrText)")
            let got = FeatureRun.outputs(out)
            for name in FeatureRun.outputFiles {
                #expect(got[name] == expected[name], "\(name) differs with \(variant)")
            }
        }
    }

    @Test(arguments: [false, true])
    func bothFilesHaveTheSameRowsAndTimestamps(completeRowsOnly: Bool) throws {
        let dir = try TemporaryDirectory("tf-aligned")
        defer { dir.remove() }
        let result = try FeatureRun.run(trades: FeatureRun.tardisTrades, quotes: FeatureRun.tardisQuotes, out: dir.path("out"),
                                        completeRowsOnly ? ["--complete-rows-only"] : [])
        #expect(result.status == 0, "\(result.stderrText)")
        let features = try FeatureRun.table(dir.path("out/features.csv"))
        let targets = try FeatureRun.table(dir.path("out/targets.csv"))
        #expect(features.count == targets.count)
        #expect(features.map { $0[0] } == targets.map { $0[0] })
        #expect(features[0][0] == "timestamp" && targets[0][0] == "timestamp")
        // Dense raster of 1 s bars from 00:00:02 to 02:05:47 on 2020-02-22 (7546 bars).
        if completeRowsOnly {
            #expect(features.count - 1 == 7546 - 301 - 60)
            #expect(!features.dropFirst().contains { $0.contains("") })
            #expect(!targets.dropFirst().contains { $0.contains("") })
        } else {
            #expect(features.count - 1 == 7546)
        }
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path("out/features.json")))) as! [String: Any]
        #expect(metadata["row_count"] as? Int == features.count - 1)
        let columns = metadata["columns"] as! [[String: Any]]
        #expect(columns.map { $0["name"] as! String } == features[0])
        for column in columns {
            for key in ["name", "description", "unit", "group", "formula"] {
                #expect(column[key] is String, "column \(column["name"] ?? "?") lacks \(key)")
            }
        }
        let rv300 = columns.first { $0["name"] as? String == "rv_300" }!
        #expect(rv300["window_bars"] as? Int == 300)
        #expect(rv300["first_defined_row"] as? Int == (completeRowsOnly ? 0 : 300))
    }

    @Test(arguments: [
        (["--windows", "0"], "window"),
        (["--interval", "7w"], "interval"),
        (["--horizons", "100000"], "horizon"),
        (["--ewm-lambda", "1.5"], "lambda"),
        (["--memory-limit", "1MiB"], "memory-limit"),
    ])
    func invalidFlagsFailBeforeAnyWork(flags: [String], mentions: String) throws {
        let dir = try TemporaryDirectory("tf-flags")
        defer { dir.remove() }
        let result = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: nil, out: dir.path("out"), flags)
        #expect(result.exited && result.status != 0)
        #expect(result.stderrText.lowercased().contains(mentions), "\(result.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("out/features.csv")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("out/ticks")), "work started before the flags were checked")
    }

    @Test func outputDirectoryThatIsAFileIsRefused() throws {
        let dir = try TemporaryDirectory("tf-outfile")
        defer { dir.remove() }
        let file = try dir.write("not-a-dir", "x")
        let result = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: nil, out: file)
        #expect(result.exited && result.status != 0)
        #expect(result.stderrText.contains("is a file"), "\(result.stderrText)")
    }

    @Test func quotesPassedAsTradesAreRefused() throws {
        let dir = try TemporaryDirectory("tf-swapped")
        defer { dir.remove() }
        let result = try FeatureRun.run(trades: FeatureRun.btcQuotes, quotes: nil, out: dir.path("out"))
        #expect(result.exited && result.status != 0)
        #expect(result.stderrText.contains("not trades"), "\(result.stderrText)")
    }

    @Test func summaryCountsAddUp() throws {
        let dir = try TemporaryDirectory("tf-summary")
        defer { dir.remove() }
        let result = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, out: dir.path("out"))
        #expect(result.status == 0, "\(result.stderrText)")
        let summary = try FeatureRun.summary(dir.path("out"))
        for role in ["trades", "quotes"] {
            let rows = (summary[role] as! [String: Any])["rows"] as! [String: Int]
            #expect(rows["read"]! == rows["used"]! + rows["rejected"]! + rows["duplicates"]!)
        }
        #expect(((summary["trades"] as! [String: Any])["rows"] as! [String: Int])["used"] == 21_313)
        #expect(summary["bars"] as? Int == 344)
        #expect((summary["peak_resident_bytes"] as? Int ?? 0) > 0)
    }
}
