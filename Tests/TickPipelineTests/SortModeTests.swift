import Foundation
import Testing

/// `--order sort` (contract version 2, Sort mode): rows in any order give the sorted file's
/// outputs; the order and duplicate rules apply to the sorted stream.
@Suite("Sort mode")
struct SortModeTests {
    static let flags = ["--windows", "5,10,30", "--horizons", "3,8"]

    /// The file's data lines shuffled within windows of `window` lines (seeded), header first.
    static func shuffled(_ path: String, window: Int, seed: UInt64, in dir: TemporaryDirectory, name: String) throws -> String {
        let (header, data) = try MultiFileInputTests.lines(path)
        var generator = SeededGenerator(seed: seed)
        var rows: [String] = []
        for start in stride(from: 0, to: data.count, by: window) {
            rows += Array(data[start..<min(start + window, data.count)]).shuffled(using: &generator)
        }
        return try MultiFileInputTests.write(rows, header: header, as: .plain, name: name, in: dir)
    }

    @Test("a locally shuffled copy of each real file gives the sorted file's bytes",
          arguments: [(FeatureRun.btcTrades, FeatureRun.btcQuotes), (FeatureRun.ethTrades, FeatureRun.ethQuotes)])
    func shuffledFilesGiveTheSortedBytes(trades: String, quotes: String) throws {
        let dir = try TemporaryDirectory("tf-sort-shuffled")
        defer { dir.remove() }
        let clean = dir.path("clean")
        try #require(try runTickforge(["features", "--trades", trades, "--quotes", quotes, "--out", clean] + Self.flags).status == 0)
        for window in [50, 5000] {
            let t = try Self.shuffled(trades, window: window, seed: 1, in: dir, name: "t\(window)")
            let q = try Self.shuffled(quotes, window: window, seed: 2, in: dir, name: "q\(window)")
            let strict = try runTickforge(["features", "--trades", t, "--quotes", q, "--out", dir.path("strict\(window)")] + Self.flags)
            #expect(strict.status == 1 && strict.stderrText.contains("out of order"), "strict order refuses the shuffled file")
            let out = dir.path("sorted\(window)")
            // Small runs, so that many overlap and merge.
            let sorted = try runTickforge(["features", "--trades", t, "--quotes", q, "--order", "sort", "--out", out,
                                           "--tick-partition-rows", "2000"] + Self.flags)
            try #require(sorted.status == 0, "\(sorted.stderrText)")
            #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(out)) == MultiFileInputTests.csvOutputs(FeatureRun.outputs(clean)), "window \(window)")
            try FeatureRun.expectCountsAddUp(out)
        }
    }

    @Test func anInterleavedMonthlyFileGivesTheCleanBytes() throws {
        let dir = try TemporaryDirectory("tf-sort-interleaved")
        defer { dir.remove() }
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.btcTrades)
        // Three "days" whose lines alternate, as a monthly file written by several writers.
        let third = data.count / 3
        var interleaved: [String] = []
        for i in 0..<third { for d in 0..<3 { interleaved.append(data[d * third + i]) } }
        interleaved += data[(3 * third)...]
        let monthly = try MultiFileInputTests.write(interleaved, header: header, as: .gzip, name: "monthly", in: dir)
        let out = dir.path("out")
        let result = try runTickforge(["features", "--trades", monthly, "--order", "sort", "--out", out, "--tick-partition-rows", "3000"] + Self.flags)
        try #require(result.status == 0, "\(result.stderrText)")
        let clean = MultiFileInputTests.csvOutputs(try MultiFileInputTests.reference(trades: FeatureRun.btcTrades, flags: Self.flags, in: dir))
        #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(out)) == clean)
    }

    @Test func duplicatesAndConflictsAreFoundInTheSortedStream() throws {
        let dir = try TemporaryDirectory("tf-sort-rules")
        defer { dir.remove() }
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.btcTrades)
        var rows = data
        // A copy of row 100 far away, and row 200's id again with another price.
        rows.append(data[100])
        var fields = data[200].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[1] = "1.00"
        rows.insert(fields.joined(separator: ","), at: 5)
        var generator = SeededGenerator(seed: 4)
        rows.shuffle(using: &generator)
        let file = try MultiFileInputTests.write(rows, header: header, as: .plain, name: "dirty", in: dir)
        let out = dir.path("out")
        let result = try runTickforge(["features", "--trades", file, "--order", "sort", "--bad-rows", "quarantine", "--out", out,
                                       "--tick-partition-rows", "4000"] + Self.flags)
        try #require(result.status == 0, "\(result.stderrText)")
        let counts = (try FeatureRun.summary(out)["trades"] as! [String: Any])["rows"] as! [String: Int]
        #expect(counts["duplicates"] == 1 && counts["rejected"] == 1 && counts["used"] == data.count, "\(counts)")
        // Of the two rows of id 200's, the one later in the file is the conflicting duplicate,
        // and rejects.csv shows that very line.
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
        let id = data[200].prefix { $0 != "," }
        let both = lines.enumerated().filter { $0.element.hasPrefix(id + ",") }
        try #require(both.count == 2)
        let rejects = try String(contentsOfFile: out + "/rejects.csv", encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 2 && rejects[1].hasPrefix("\"\(file)\",\(both[1].offset + 1),") && rejects[1].hasSuffix("\"\(both[1].element)\""), "\(rejects)")
        let failed = try runTickforge(["features", "--trades", file, "--order", "sort", "--out", dir.path("error")] + Self.flags)
        #expect(failed.status == 1 && failed.stderrText.contains(file) && failed.stderrText.contains("column 1"), "\(failed.stderrText)")
    }

    @Test func killedSortsResumeToTheSameBytes() throws {
        let dir = try TemporaryDirectory("tf-sort-resume")
        defer { dir.remove() }
        let t = try Self.shuffled(FeatureRun.btcTrades, window: 3000, seed: 7, in: dir, name: "t")
        let flags = ["--order", "sort", "--tick-partition-rows", "1500"] + Self.flags
        let clean = dir.path("clean")
        try #require(try runTickforge(["features", "--trades", t, "--out", clean] + flags).status == 0)
        var killed = 0
        for step in [2, 5, 9, 14, 22, 35, 50] {
            let out = dir.path("out-\(step)")
            let first = try runTickforge(["features", "--trades", t, "--out", out] + flags, environment: ["TICKFORGE_KILL_AT": String(step)])
            guard !first.exited else { break }
            killed += 1
            let resumed = try runTickforge(["features", "--trades", t, "--out", out] + flags)
            try #require(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(FeatureRun.outputs(out) == FeatureRun.outputs(clean), "step \(step)")
        }
        #expect(killed >= 5)
    }
}

extension SortModeTests {
    @Test("a file shuffled end to end is merged in passes, which a kill does not upset")
    func passesOfMergesResume() throws {
        let dir = try TemporaryDirectory("tf-sort-passes")
        defer { dir.remove() }
        let t = try Self.shuffled(FeatureRun.btcTrades, window: 1_000_000, seed: 11, in: dir, name: "scrambled")
        // Runs of 600 rows: 36 runs that all overlap, merged two by two over several passes.
        let flags = ["--order", "sort", "--tick-partition-rows", "600"] + Self.flags
        let clean = MultiFileInputTests.csvOutputs(try MultiFileInputTests.reference(trades: FeatureRun.btcTrades, flags: Self.flags, in: dir))
        let once = dir.path("once")
        let first = try runTickforge(["features", "--trades", t, "--out", once] + flags)
        try #require(first.status == 0, "\(first.stderrText)")
        #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(once)) == clean)
        // After the passes no more than two runs overlap.
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: once + "/.tickforge/manifest.json"))) as! [String: Any]
        let partitions = ((manifest["trades"] as! [[String: Any]])[0]["partitions"] as! [[String: Any]])
        #expect(Set(partitions.compactMap { $0["run"] as? Int }).count <= 3, "\(partitions.count) partitions")
        var killed = 0
        for step in [30, 45, 60, 80, 110, 150, 200] {
            let out = dir.path("out-\(step)")
            let run = try runTickforge(["features", "--trades", t, "--out", out] + flags, environment: ["TICKFORGE_KILL_AT": String(step)])
            guard !run.exited else { break }
            killed += 1
            let resumed = try runTickforge(["features", "--trades", t, "--out", out] + flags)
            try #require(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(out)) == clean, "step \(step)")
            let stray = try FileManager.default.contentsOfDirectory(atPath: out + "/.tickforge/ticks").filter { $0.contains(".tmp-") }
            #expect(stray.isEmpty, "step \(step): \(stray)")
        }
        #expect(killed >= 4)
    }
}

/// Tardis layouts order rows of equal exchange time by `local_timestamp` (contract, Inputs,
/// Sequence keys), in sort mode and when files are merged.
extension SortModeTests {
    /// Sets every row's `local_timestamp` (Tardis column 4) to its exchange time, leaving file
    /// order as the only order among equal times.
    static func withoutLocalTimes(_ rows: [String]) -> [String] {
        rows.map { row in
            var fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[3] = fields[2]
            return fields.joined(separator: ",")
        }
    }

    @Test func shuffledTardisFilesSortByLocalTimestamp() throws {
        let dir = try TemporaryDirectory("tf-sort-tardis")
        defer { dir.remove() }
        let (quoteHeader, quoteRows) = try MultiFileInputTests.lines(FeatureRun.tardisQuotes)
        // The real file has hundreds of quotes that share an exchange time: their order comes
        // from local_timestamp alone (quotes have no id).
        let times = quoteRows.map { $0.split(separator: ",")[2] }
        try #require(zip(times, times.dropFirst()).filter { $0 == $1 }.count > 100)
        let clean = MultiFileInputTests.csvOutputs(try MultiFileInputTests.reference(
            trades: FeatureRun.tardisTrades, quotes: FeatureRun.tardisQuotes, flags: Self.flags, in: dir))
        let t = try Self.shuffled(FeatureRun.tardisTrades, window: 40, seed: 21, in: dir, name: "t")
        let q = try Self.shuffled(FeatureRun.tardisQuotes, window: 40, seed: 22, in: dir, name: "q")
        let out = dir.path("sorted")
        let sorted = try runTickforge(["features", "--trades", t, "--quotes", q, "--order", "sort", "--out", out,
                                       "--tick-partition-rows", "1500"] + Self.flags)
        try #require(sorted.status == 0, "\(sorted.stderrText)")
        #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(out)) == clean)
        try FeatureRun.expectCountsAddUp(out)

        // The same shuffle without local times keeps the shuffled order among equal times,
        // which shows in the quote features: the order above came from local_timestamp.
        let (_, shuffledQuotes) = try MultiFileInputTests.lines(q)
        let blind = try MultiFileInputTests.write(Self.withoutLocalTimes(shuffledQuotes), header: quoteHeader, as: .plain, name: "blind", in: dir)
        let blindOut = dir.path("blind-out")
        let unordered = try runTickforge(["features", "--trades", t, "--quotes", blind, "--order", "sort", "--out", blindOut,
                                          "--tick-partition-rows", "1500"] + Self.flags)
        try #require(unordered.status == 0, "\(unordered.stderrText)")
        #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(blindOut)) != clean)
    }

    @Test func mergedTardisFilesInterleaveByLocalTimestamp() throws {
        let dir = try TemporaryDirectory("tf-merge-tardis")
        defer { dir.remove() }
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.tardisQuotes)
        // Rows alternate between two files, so of two quotes with one exchange time the first
        // is often in the file that ranks second: only local_timestamp puts it first.
        let even = data.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        let odd = data.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        let a = try MultiFileInputTests.write(even, header: header, as: .plain, name: "qa", in: dir)
        let b = try MultiFileInputTests.write(odd, header: header, as: .gzip, name: "qb", in: dir)
        let clean = MultiFileInputTests.csvOutputs(try MultiFileInputTests.reference(
            trades: FeatureRun.tardisTrades, quotes: FeatureRun.tardisQuotes, flags: Self.flags, in: dir))
        for order in ["strict", "sort"] {
            let out = dir.path("out-\(order)")
            let result = try runTickforge(["features", "--trades", FeatureRun.tardisTrades, "--quotes", a, b, "--order", order,
                                           "--out", out, "--tick-partition-rows", "700"] + Self.flags)
            try #require(result.status == 0, "\(result.stderrText)")
            #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(out)) == clean, "\(order)")
        }
        // Rows held back at a partition's end keep their local times through a resume.
        var killed = 0
        for step in [3, 7, 12, 20] {
            let out = dir.path("killed-\(step)")
            let arguments = ["features", "--trades", FeatureRun.tardisTrades, "--quotes", a, b, "--out", out,
                             "--tick-partition-rows", "700"] + Self.flags
            guard try !runTickforge(arguments, environment: ["TICKFORGE_KILL_AT": String(step)]).exited else { break }
            killed += 1
            let resumed = try runTickforge(arguments)
            try #require(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(out)) == clean, "step \(step)")
        }
        #expect(killed >= 3)
        let blindA = try MultiFileInputTests.write(Self.withoutLocalTimes(even), header: header, as: .plain, name: "ba", in: dir)
        let blindB = try MultiFileInputTests.write(Self.withoutLocalTimes(odd), header: header, as: .plain, name: "bb", in: dir)
        let blind = try runTickforge(["features", "--trades", FeatureRun.tardisTrades, "--quotes", blindA, blindB,
                                      "--out", dir.path("blind")] + Self.flags)
        try #require(blind.status == 0, "\(blind.stderrText)")
        #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(dir.path("blind"))) != clean)
    }
}
