import Foundation
import Testing
@testable import TickPipeline
#if canImport(Glibc)
import Glibc
#endif

/// `tickforge report`: the statistics against plain-definition computations written here, the
/// per-pixel envelopes against a brute-force pass, the choice of train rows, the number parser
/// against `strtod`, the refusal to replace a user's file, and a self-contained page.
@Suite struct ReportTests {
    // MARK: - Independent computations, straight from the definitions (O(n²), no sorting)

    /// Average rank: 1 + the values below + half of the other values equal to it.
    static func naiveRanks(_ v: [Double]) -> [Double] {
        v.map { x in
            Double(v.filter { $0 < x }.count) + (Double(v.filter { $0 == x }.count) + 1) / 2
        }
    }

    static func naiveSpearman(_ x: [Double], _ y: [Double]) -> Double {
        let rx = naiveRanks(x), ry = naiveRanks(y)
        let mx = rx.reduce(0, +) / Double(rx.count), my = ry.reduce(0, +) / Double(ry.count)
        let cov = zip(rx, ry).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
        let vx = rx.map { ($0 - mx) * ($0 - mx) }.reduce(0, +), vy = ry.map { ($0 - my) * ($0 - my) }.reduce(0, +)
        return cov / (vx * vy).squareRoot()
    }

    /// Every (positive, negative) pair: 1 if the positive scores higher, ½ on a tie.
    static func naiveAUC(_ scores: [Double], _ labels: [Bool]) -> Double {
        var wins = 0.0, pairs = 0.0
        for i in scores.indices where labels[i] {
            for j in scores.indices where !labels[j] {
                pairs += 1
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0
            }
        }
        return wins / pairs
    }

    // MARK: - Statistics

    @Test("average ranks share tied positions: 5, 7, 7, 9 rank 1, 2.5, 2.5, 4")
    func averageRanks() {
        #expect(ReportStatistics.averageRanks([7, 5, 9, 7]) == [2.5, 1, 4, 2.5])
        #expect(ReportStatistics.averageRanks([3, 3, 3]) == [2, 2, 2])
        #expect(ReportStatistics.averageRanks([]) == [])
    }

    @Test("Spearman with ties equals the plain definition on random data, and known values")
    func spearman() throws {
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<60 {
            let n = 3 + trial * 4
            // Few distinct values: many ties on both sides.
            let x = (0..<n).map { _ in Double(Int.random(in: 0...5, using: &generator)) }
            let y = x.map { $0 * 0.3 + Double(Int.random(in: -3...3, using: &generator)) }
            let expected = Self.naiveSpearman(x, y)
            if expected.isNaN {
                #expect(ReportStatistics.spearman(x, y) == nil)
            } else {
                let got = try #require(ReportStatistics.spearman(x, y))
                #expect(abs(got - expected) < 1e-12, "n \(n): \(got) vs \(expected)")
            }
        }
        // Monotone → 1 whatever the shape; reversed → −1; scipy.stats.spearmanr gives 0.8207826816681233.
        #expect(ReportStatistics.spearman([1, 2, 3, 4], [1, 8, 27, 64]) == 1)
        #expect(ReportStatistics.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
        let known = try #require(ReportStatistics.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]))
        #expect(abs(known - 0.8207826816681233) < 1e-12)
        #expect(ReportStatistics.spearman([1, 1, 1], [1, 2, 3]) == nil, "a constant side has no correlation")
        #expect(ReportStatistics.spearman([1, 2], [1, 2]) == nil, "two pairs are too few")
    }

    @Test("AUC with ties counted half equals pair counting, and known values")
    func auc() throws {
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<60 {
            let n = 2 + trial * 3
            let scores = (0..<n).map { _ in Double(Int.random(in: 0...4, using: &generator)) }
            var labels = scores.map { _ in Bool.random(using: &generator) }
            labels[0] = true; labels[1] = false
            let got = try #require(ReportStatistics.auc(scores: scores, labels: labels))
            #expect(abs(got - Self.naiveAUC(scores, labels)) < 1e-12)
        }
        #expect(ReportStatistics.auc(scores: [1, 2, 3, 4], labels: [false, false, true, true]) == 1)
        #expect(ReportStatistics.auc(scores: [1, 2, 3, 4], labels: [true, true, false, false]) == 0)
        #expect(ReportStatistics.auc(scores: [5, 5, 5, 5], labels: [true, false, true, false]) == 0.5)
        #expect(ReportStatistics.auc(scores: [1, 2], labels: [true, true]) == nil, "one class only")
    }

    @Test("ranks within a subset read off one sort equal ranks of the subset alone")
    func subsetRanks() throws {
        let values: [Double] = [4, .nan, 1, 4, 2, 9, 2, .nan, 7, 4]
        let keep: Set = [0, 2, 3, 6, 8, 9]
        let ranks = RankOrder(values).ranks { keep.contains($0) }
        let alone = Self.naiveRanks(keep.sorted().map { values[$0] })
        #expect(keep.sorted().map { ranks[$0] } == alone)
        #expect(ranks.indices.filter { !keep.contains($0) }.allSatisfy { ranks[$0].isNaN })
        // Spearman over the rows where both are defined, as the report pairs a feature with a target.
        let x: [Double] = [1, 2, .nan, 4, 5, 6], y: [Double] = [2, .nan, 3, 1, 5, 4]
        let both = { (row: Int) in !x[row].isNaN && !y[row].isNaN }
        let got = try #require(ReportStatistics.spearman(RankOrder(x), RankOrder(y), where: both))
        #expect(abs(got - Self.naiveSpearman([1, 4, 5, 6], [2, 1, 5, 4])) < 1e-12)
    }

    @Test("quantiles interpolate like numpy; histograms clamp outliers into the end bins")
    func quantilesAndHistograms() {
        #expect(ReportStatistics.quantile([1, 2, 3, 4], 0.5) == 2.5)
        #expect(ReportStatistics.quantile([1, 2, 3, 4, 5], 0.9) == 4.6)
        #expect(ReportStatistics.quantile([], 0.5) == nil)
        #expect(ReportStatistics.histogram([-5, 0, 0.5, 1, 2, 99], bins: 2, low: 0, high: 2) == [3, 3])
        #expect(ReportStatistics.histogram([3, 3], bins: 4, low: 3, high: 3) == [0, 0, 2, 0])
    }

    // MARK: - Envelopes

    @Test("per-pixel-column first, last, min and max equal a brute-force pass over every bar")
    func envelope() {
        let axis = ReportTimeAxis(start: 1_000, end: 1_000 + 10_000, columns: 7)
        var envelope = ReportEnvelope(axis: axis, barMs: 10)
        var expected: [Int: [Double]] = [:]
        for bar in 0..<1000 {
            let t = Int64(1_000 + bar * 10)
            // A gap of undefined bars in the middle, and a wiggle so that min and max are inside.
            let value: Double = (400..<450).contains(bar) ? .nan : sin(Double(bar) / 17) * 100 + Double(bar % 7)
            envelope.add(value, at: t)
            if !value.isNaN { expected[Int((t - 1_000) * 7 / 10_000), default: []].append(value) }
        }
        for c in 0..<7 {
            let values = expected[c] ?? []
            #expect(envelope.count[c] == values.count)
            #expect(envelope.first[c] == values.first && envelope.last[c] == values.last)
            #expect(envelope.minimum[c] == values.min() && envelope.maximum[c] == values.max())
        }
        #expect(envelope.range?.low == expected.values.flatMap { $0 }.min())
        // Column 2 holds bars 286…428 and column 3 starts at bar 429, inside the gap: its first
        // value (bar 450) does not follow the previous one, so the line breaks there.
        #expect(envelope.joined == [false, true, true, false, true, true, true])
    }

    @Test("the time axis maps bar starts to columns by integer arithmetic, clamped")
    func timeAxis() {
        let axis = ReportTimeAxis(start: 0, end: 1200, columns: 1200)
        #expect(axis.column(of: 0) == 0 && axis.column(of: 1199) == 1199 && axis.column(of: 5000) == 1199 && axis.column(of: -5) == 0)
        let wide = ReportTimeAxis(start: 1_700_000_000_000, end: 1_800_000_000_000, columns: 1200)
        #expect(wide.column(of: 1_750_000_000_000) == 600)
        #expect(ReportTimeAxis(start: 5, end: 5, columns: 10).column(of: 5) == 0, "an empty span still has a column")
    }

    @Test("fewer bars than columns: the bars are joined and a flag covers each bar's whole width")
    func sparseBars() {
        let axis = ReportTimeAxis(start: 0, end: 4_000, columns: 12)  // 4 bars of 1 s, 3 columns each
        var envelope = ReportEnvelope(axis: axis, barMs: 1_000)
        for (k, v) in [1.0, 5, 2, 7].enumerated() { envelope.add(v, at: Int64(k) * 1_000) }
        #expect(envelope.joined == [false, false, false, true, false, false, true, false, false, true, false, false])
        #expect(envelope.spread { envelope.mean($0) > 4 } == [false, false, false, true, true, true, false, false, false, true, true, true])
        #expect(envelope.barWidth == 3)
    }

    // MARK: - Train rows

    static func splitsJSON(method: String, rows: Int, folds: String) -> Data {
        Data("""
            {"format_version": 1, "method": "\(method)", "rows": \(rows), "purge_bars": 10, "embargo_bars": 5,
             "interval_ms": 1000, "folds": [\(folds)]}
            """.utf8)
    }

    @Test("train rows: the first fold's train set of splits.json, else the first 70 % of the rows")
    func trainRows() throws {
        let dir = try TemporaryDirectory("tf-report-splits")
        defer { dir.remove() }
        // kfold:3 over 30 rows, fold 1 listed first: its train set has two ranges around the test.
        let set = { (ranges: [[Int]]) in
            "{\"rows\": \(ranges), \"timestamps\": \(ranges.map { [$0[0] * 1000, $0[1] * 1000] }), \"count\": \(ranges.reduce(0) { $0 + $1[1] - $1[0] })}"
        }
        let kfold = Self.splitsJSON(method: "kfold", rows: 30, folds: """
            {"fold": 1, "train": \(set([[0, 0 + 1], [25, 30]])), "test": \(set([[10, 20]]))},
            {"fold": 0, "train": \(set([[20, 30]])), "test": \(set([[0, 10]]))}
            """)
        let path = try dir.write("splits.json", Array(kfold))
        let splits = try SplitsDocument.read(path, rows: 30)
        let train = ReportTrainRows.select(splits: splits, rowCount: 30)
        #expect(train.ranges == [0..<1, 25..<30] && train.count == 6)
        #expect(train.source.contains("fold 1") && train.source.contains("kfold"))
        #expect(ReportTrainRows.select(splits: nil, rowCount: 344).ranges == [0..<240])
        #expect(ReportTrainRows.select(splits: nil, rowCount: 1).ranges == [])

        // Every k-th train row, counted within the train set, across its ranges.
        let sample = ReportRowSample(population: train.count, limit: 3)
        #expect(sample.step == 2 && sample.size == 3)
        var cursor = ReportTrainCursor(rows: train, sample: sample)
        #expect((0..<30).filter { cursor.samples($0) } == [0, 26, 28])

        // A splits.json of another row count, or with ranges out of order, is refused.
        #expect(throws: (any Error).self) { try SplitsDocument.read(path, rows: 31) }
        let bad = try dir.write("bad.json", Array(Self.splitsJSON(method: "kfold", rows: 30, folds: """
            {"fold": 0, "train": \(set([[20, 30], [0, 5]])), "test": \(set([[10, 20]]))}
            """)))
        #expect(throws: (any Error).self) { try SplitsDocument.read(bad, rows: 30) }
    }

    @Test("row samples are every k-th row, at most the limit")
    func rowSample() {
        #expect(ReportRowSample(population: 344, limit: 100_000).step == 1)
        let big = ReportRowSample(population: 4_411_750, limit: 200_000)
        #expect(big.step == 23 && big.size <= 200_000 && big.size == (4_411_750 + 22) / 23)
        #expect(big.description.contains("every 23rd"))
    }

    // MARK: - Number parsing

    @Test("the fast number path gives strtod's double, or defers to it")
    func fastPath() {
        var texts = ["0", "-0", "1", "61800.3", "0.273", "-0.7216117216117216", "7.272205216578942e-06", "1e22", "1e23",
                     "123456789012345678", "9007199254740993", "0.1", "4.9e-324", "1.7976931348623157e308", "5e-1", "1.",
                     "00012.5000", "2.2250738585072014e-308"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            // Shortest round-trip text, as tickforge writes: many with 17 digits (strtod) and
            // many with fewer (the fast path).
            let exponent = Double(Int.random(in: -12...8, using: &generator))
            let x = Double.random(in: -1...1, using: &generator) * pow(10, exponent)
            texts.append("\(x)")
            texts.append("\((x * 1e6).rounded() / 1e6)")
        }
        var fast = 0
        for text in texts {
            let bytes = Array(text.utf8) + [0]
            let expected = strtod(text, nil)
            if let got = bytes.withUnsafeBufferPointer({ ReportCSVReader.exactFastPath($0.baseAddress!, text.utf8.count) }) {
                fast += 1
                #expect(got.bitPattern == expected.bitPattern || (got == 0 && expected == 0), "\(text): \(got) vs \(expected)")
            }
        }
        #expect(fast > texts.count / 3, "the fast path should take most short values")
        for text in [".", "-", "e5", "1e", "1.2.3", "1e+"] {
            let bytes = Array(text.utf8) + [0]
            #expect(bytes.withUnsafeBufferPointer { ReportCSVReader.exactFastPath($0.baseAddress!, text.utf8.count) } == nil, "\(text)")
        }
    }

    // MARK: - The command on a real run

    static func makeRun(_ dir: TemporaryDirectory, _ flags: [String] = ["--splits", "walk-forward:3"]) throws -> String {
        let run = dir.path("run")
        let result = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, out: run, flags)
        try #require(result.status == 0, "\(result.stderrText)")
        return run
    }

    @Test("report.html is self-contained (no http(s) reference, no script) and shows every part")
    func selfContained() throws {
        let dir = try TemporaryDirectory("tf-report")
        defer { dir.remove() }
        let run = try Self.makeRun(dir)
        let result = try runTickforge(["report", run])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.hasPrefix("wrote \(run)/report.html (") && result.stdoutText.contains(" s\n"))
        let html = try String(contentsOfFile: run + "/report.html", encoding: .utf8)
        #expect(html.hasPrefix(ReportHTML.marker + "\n<!DOCTYPE html>"))
        #expect(!html.lowercased().contains("http://") && !html.lowercased().contains("https://"))
        #expect(!html.lowercased().contains("<script"))
        #expect(!html.contains("url(") && !html.contains("@import") && !html.contains("<img") && !html.contains("<link"))
        for id in ["chart-close", "chart-volume", "chart-ewm_vol", "chart-rv_10", "chart-rv_60", "chart-rv_300", "chart-splits",
                   "coverage", "correlations"] {
            #expect(html.contains("id=\"\(id)\""), "\(id) missing")
        }
        // Walk-forward: the train rows are fold 1's, all 26 of them (fewer than the sample limit).
        #expect(html.contains("all 26 rows of the train set of fold 1 of splits.json (walk-forward"))
        #expect(html.contains("ρ fwd_ret_10") && html.contains("AUC fwd_up_60"))
        // Nothing but the report was added to the run directory.
        let names = try FileManager.default.contentsOfDirectory(atPath: run).sorted()
        #expect(names == [".tickforge", "features.csv", "features.json", "report.html", "splits.json", "summary.json", "targets.csv", "targets.json"])
    }

    @Test("an earlier report is replaced; a user's report.html, a link or a folder there is refused and kept")
    func refusesUsersFile() throws {
        let dir = try TemporaryDirectory("tf-report-own")
        defer { dir.remove() }
        let run = try Self.makeRun(dir, [])
        let page = run + "/report.html"
        #expect(try runTickforge(["report", run]).status == 0)
        let first = try String(contentsOfFile: page, encoding: .utf8)
        #expect(try runTickforge(["report", run]).status == 0, "its own earlier report is replaced")
        #expect(first.contains("the first 70 % of the rows"), "no splits.json: the first 70 % are the train rows")

        let mine = "<html><body>my notes</body></html>\n"
        try Data(mine.utf8).write(to: URL(fileURLWithPath: page))
        let refused = try runTickforge(["report", run])
        #expect(refused.status == 1)
        #expect(refused.stderrText.contains("\(page) exists and is not a report of `tickforge report`"), "\(refused.stderrText)")
        #expect(try String(contentsOfFile: page, encoding: .utf8) == mine)
        #expect(try FileManager.default.contentsOfDirectory(atPath: run).allSatisfy { !$0.contains(".tmp-") })

        try FileManager.default.removeItem(atPath: page)
        try FileManager.default.createSymbolicLink(atPath: page, withDestinationPath: dir.path("elsewhere.html"))
        let link = try runTickforge(["report", run])
        #expect(link.status == 1 && link.stderrText.contains("is a link"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("elsewhere.html")))

        // --output writes elsewhere, under the same rule.
        let other = dir.path("other.html")
        #expect(try runTickforge(["report", run, "--output", other]).status == 0)
        #expect(OwnedFileStarts(other, ReportHTML.marker))
    }

    @Test("a directory that is not a finished run, and a Parquet-only run, are refused with what to do")
    func notARun() throws {
        let dir = try TemporaryDirectory("tf-report-bad")
        defer { dir.remove() }
        let missing = try runTickforge(["report", dir.path("nothing")])
        #expect(missing.status == 1 && missing.stderrText.contains("no such directory"))
        let empty = try runTickforge(["report", dir.url.path])
        #expect(empty.status == 1 && empty.stderrText.contains("is not a tickforge run directory"), "\(empty.stderrText)")
        try FileManager.default.createDirectory(atPath: dir.path(".tickforge"), withIntermediateDirectories: true)
        let unfinished = try runTickforge(["report", dir.url.path])
        #expect(unfinished.stderrText.contains("holds no finished run yet"), "\(unfinished.stderrText)")

        let parquet = dir.path("parquet")
        try #require(try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: nil, out: parquet, ["--format", "parquet"]).status == 0)
        let refused = try runTickforge(["report", parquet])
        #expect(refused.status == 1 && refused.stderrText.contains("rerun `tickforge features` with --format csv or --format both"), "\(refused.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: parquet + "/report.html"))
    }
}

private func OwnedFileStarts(_ path: String, _ prefix: String) -> Bool {
    (try? String(contentsOfFile: path, encoding: .utf8))?.hasPrefix(prefix) == true
}
