import Foundation
import Testing

/// Runs that add, change or remove input files reuse what still holds and equal a fresh run
/// (issue 14, incremental runs): tick partitions are kept per file, and a feature partition is
/// reused when the bars it was computed from are unchanged.
@Suite("Incremental runs")
struct IncrementalRunTests {
    static let flags = ["--partition-bars", "40", "--windows", "5,10,30", "--horizons", "3,8"]

    /// The BTCUSDT trades as three consecutive "days" (thirds), each a file.
    static func days(in dir: TemporaryDirectory) throws -> [String] {
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.btcTrades)
        let n = data.count
        return try [0..<(n / 3), (n / 3)..<(2 * n / 3), (2 * n / 3)..<n].enumerated().map { i, range in
            try MultiFileInputTests.write(Array(data[range]), header: header, as: i == 1 ? .gzip : .plain, name: "day\(i + 1)", in: dir)
        }
    }

    struct Run {
        var outputs: [Data?]
        var featureReused: Int
        var featureComputed: Int
        var tickReused: Int
        var tickWritten: Int
    }

    static func run(_ files: [String], out: String) throws -> Run {
        let result = try runTickforge(["features", "--trades"] + files + ["--out", out] + flags)
        try #require(result.status == 0, "\(result.stderrText)")
        let summary = try FeatureRun.summary(out)
        let trades = summary["trades"] as! [String: Any]
        return Run(outputs: MultiFileInputTests.csvOutputs(FeatureRun.outputs(out)),
                   featureReused: summary["feature_partitions_reused"] as! Int, featureComputed: summary["feature_partitions_computed"] as! Int,
                   tickReused: trades["partitions_reused"] as! Int, tickWritten: trades["partitions_written"] as! Int)
    }

    @Test func addingALaterDayRecomputesOnlyTheEnd() throws {
        let dir = try TemporaryDirectory("tf-incremental-later")
        defer { dir.remove() }
        let days = try Self.days(in: dir)
        let out = dir.path("run")
        let before = try Self.run(Array(days[..<2]), out: out)
        let after = try Self.run(days, out: out)
        let fresh = try Self.run(days, out: dir.path("fresh"))
        #expect(after.outputs == fresh.outputs)
        #expect(after.tickReused == 2 && after.tickWritten == 1, "the earlier days' tick partitions are kept")
        // Everything but the partitions whose targets now see new bars, and the new ones.
        #expect(after.featureReused >= before.featureComputed - 2 && after.featureReused > 0, "reused \(after.featureReused) of \(before.featureComputed)")
        #expect(after.featureReused + after.featureComputed == fresh.featureComputed)
        #expect(after.featureComputed < fresh.featureComputed)
        // The partitions are cut on a grid of the epoch: partition k holds the bars whose start / Δ is in [40k, 40k + 40).
        let names = try FileManager.default.contentsOfDirectory(atPath: out + "/.tickforge/features").filter { $0.hasPrefix("part-") }.sorted()
        #expect(names.first == "part-\(1_723_161_256 / 40).tfp", "\(names)")
    }

    @Test func addingAnEarlierDayGivesTheFreshRun() throws {
        let dir = try TemporaryDirectory("tf-incremental-earlier")
        defer { dir.remove() }
        let days = try Self.days(in: dir)
        let out = dir.path("run")
        _ = try Self.run(Array(days[1...]), out: out)
        let after = try Self.run(days, out: out)
        let fresh = try Self.run(days, out: dir.path("fresh"))
        #expect(after.outputs == fresh.outputs)
        #expect(after.tickReused == 2 && after.tickWritten == 1)
        // ewm_vol runs from the first bar, so every later bar's values change: all recomputed.
        #expect(after.featureReused + after.featureComputed == fresh.featureComputed)
    }

    @Test func replacingOrRemovingADayRecomputesWhatDependsOnIt() throws {
        let dir = try TemporaryDirectory("tf-incremental-replace")
        defer { dir.remove() }
        var days = try Self.days(in: dir)
        let out = dir.path("run")
        let first = try Self.run(days, out: out)
        // The last day, changed in its last rows only (a corrected price).
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.btcTrades)
        var last = Array(data[(2 * data.count / 3)...])
        var fields = last[last.count - 3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[1] = "61000.00"
        last[last.count - 3] = fields.joined(separator: ",")
        try FileManager.default.removeItem(atPath: days[2])
        days[2] = try MultiFileInputTests.write(last, header: header, as: .plain, name: "day3", in: dir)
        let replaced = try Self.run(days, out: out)
        let fresh = try Self.run(days, out: dir.path("fresh"))
        #expect(replaced.outputs == fresh.outputs)
        #expect(replaced.outputs != first.outputs)
        #expect(replaced.tickReused == 2 && replaced.tickWritten == 1)
        #expect(replaced.featureComputed <= 2 && replaced.featureReused == fresh.featureComputed - replaced.featureComputed,
                "a change at the end recomputes the last partitions only: computed \(replaced.featureComputed)")

        let removed = try Self.run(Array(days[..<2]), out: out)
        let freshTwo = try Self.run(Array(days[..<2]), out: dir.path("fresh-two"))
        #expect(removed.outputs == freshTwo.outputs)
        #expect(removed.tickReused == 2 && removed.tickWritten == 0)
        #expect(removed.featureReused > 0 && removed.featureReused + removed.featureComputed == freshTwo.featureComputed)
        let names = try FileManager.default.contentsOfDirectory(atPath: out + "/.tickforge/features").filter { $0.hasPrefix("part-") }
        #expect(names.count == freshTwo.featureComputed, "partitions of the removed day's bars are gone")
    }
}
