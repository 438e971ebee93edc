import Foundation
import Testing

/// One absurd timestamp must not fill the disk or throw away good rows: a row stamped in the
/// future is rejected alone (spike rule), a time range too long to be meant is refused before
/// any bar is written (raster guard), and an input given twice is refused, not half dropped.
@Suite(.serialized)
struct RunawayInputTests {
    static let trades = FeatureRun.btcTrades
    static let flags = ["--windows", "5,20", "--horizons", "3"]

    /// The lines of the real BTCUSDT trades sample (header first).
    static func lines() throws -> [String] {
        try String(contentsOfFile: trades, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// `line` with its time field (Binance trades: the fifth) replaced.
    static func restamped(_ line: String, _ time: (Int64) -> Int64) -> String {
        var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[4] = String(time(Int64(fields[4])!))
        return fields.joined(separator: ",")
    }

    static func run(_ trades: String, _ out: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> ProcessResult {
        try runTickforge(["features", "--trades", trades, "--out", out] + flags + extra, environment: environment)
    }

    @Test func aRowStampedInTheFutureIsRejectedAlone() throws {
        let dir = try TemporaryDirectory("tf-runaway-spike")
        defer { dir.remove() }
        var lines = try Self.lines()
        let clean = try dir.write("clean.csv", lines.filter { $0 != lines[5000] }.joined(separator: "\n") + "\n")
        lines[5000] = Self.restamped(lines[5000]) { $0 + 100_000_000_000 }   // three years ahead
        let spiked = try dir.write("spiked.csv", lines.joined(separator: "\n") + "\n")

        let quarantined = try Self.run(spiked, dir.path("q"), ["--bad-rows", "quarantine"])
        #expect(quarantined.status == 0, "\(quarantined.stderrText)")
        let rows = (try FeatureRun.summary(dir.path("q"))["trades"] as! [String: Any])["rows"] as! [String: Int]
        #expect(rows["rejected"] == 1 && rows["used"] == lines.count - 2)
        #expect(try Self.run(clean, dir.path("clean")).status == 0)
        for name in ["features.csv", "targets.csv"] {
            #expect(FileManager.default.contents(atPath: dir.path("q/\(name)")) == FileManager.default.contents(atPath: dir.path("clean/\(name)")),
                    "\(name): the good rows must all be used, exactly as without the bad one")
        }
        let rejects = try String(contentsOfFile: dir.path("q/rejects.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 2 && rejects[1].contains(",5001,") && rejects[1].contains("a spike: stamped 2027-"), "\(rejects)")

        let stopped = try Self.run(spiked, dir.path("e"))
        #expect(stopped.status == 1)
        #expect(stopped.stderrText.hasPrefix("error: \(spiked):5001 (byte "), "\(stopped.stderrText)")
        #expect(stopped.stderrText.contains("column 5): out of order: a spike: stamped 2027-"), "\(stopped.stderrText)")
    }

    /// A spike longer than 16 rows cannot be told from good rows: every row after it is out of
    /// order. Quarantine goes on, but says loudly how much it rejected.
    @Test func aRunThatRejectsMostRowsSaysSo() throws {
        let dir = try TemporaryDirectory("tf-runaway-long-spike")
        defer { dir.remove() }
        var lines = try Self.lines()
        for i in 2_000..<2_020 { lines[i] = Self.restamped(lines[i]) { $0 + 86_400_000 } }
        let path = try dir.write("long-spike.csv", lines.joined(separator: "\n") + "\n")
        let result = try Self.run(path, dir.path("run"), ["--bad-rows", "quarantine", "--max-bars", "100000000"])
        #expect(result.status == 0, "\(result.stderrText)")
        let rows = (try FeatureRun.summary(dir.path("run"))["trades"] as! [String: Any])["rows"] as! [String: Int]
        #expect(rows["rejected"] == lines.count - 1 - 2_019)
        #expect(result.stderrText.contains("warning: \(rows["rejected"]!) of \(rows["read"]!) trades rows"), "\(result.stderrText)")
        #expect((try FeatureRun.summary(dir.path("run"))["warnings"] as? [String])?.contains { $0.contains("were rejected") } == true)
    }

    @Test func aFutureLastRowIsRefusedBeforeAnyBarIsWritten() throws {
        let dir = try TemporaryDirectory("tf-runaway-last")
        defer { dir.remove() }
        var lines = try Self.lines()
        let out = dir.path("run")
        #expect(try Self.run(Self.trades, out).status == 0)
        let good = FeatureRun.outputs(out)
        let partitions = try FileManager.default.contentsOfDirectory(atPath: out + "/.tickforge/features").sorted()
        // The last row cannot be told from a good one by the order rules: the raster guard stops it.
        lines[lines.count - 1] = Self.restamped(lines[lines.count - 1]) { $0 + 100_000_000_000 }
        let path = try dir.write("last.csv", lines.joined(separator: "\n") + "\n")
        let started = Date()
        let refused = try Self.run(path, out)
        #expect(Date().timeIntervalSince(started) < 60, "no bar may be written")
        #expect(refused.status == 1)
        let message = refused.stderrText
        #expect(message.contains("the trades span 100000344 bars of 1s, more than the default --max-bars 50000000"), "\(message)")
        #expect(message.contains("first trade: 2024-08-08T23:54:16.322000Z, set by \(path):2 (byte 43)"), "\(message)")
        #expect(message.contains("last trade:  2027-10-10T09:46:39.643000Z, set by \(path):\(lines.count) (byte "), "\(message)")
        #expect(message.contains("different time units") && message.contains("--max-bars 100000344"), "\(message)")
        #expect(FeatureRun.outputs(out) == good, "the previous outputs must stay")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/.tickforge/features").sorted() == partitions,
                "no feature partition may be written")
    }

    @Test func maxBarsIsAnInclusiveLimitAndCanBeRaised() throws {
        let dir = try TemporaryDirectory("tf-runaway-max")
        defer { dir.remove() }
        // The sample spans 344 one-second bars.
        let tight = try Self.run(Self.trades, dir.path("tight"), ["--max-bars", "343"])
        #expect(tight.status == 1 && tight.stderrText.contains("the trades span 344 bars of 1s, more than --max-bars 343 allows"), "\(tight.stderrText)")
        #expect(try Self.run(Self.trades, dir.path("exact"), ["--max-bars", "344"]).status == 0)
        #expect(try Self.run(Self.trades, dir.path("zero"), ["--max-bars", "0"]).status == 64)
    }

    /// A file that switches from milliseconds to microseconds halfway (as Binance spot did on
    /// 2025-01-01) reads the rest as a thousand times later: in order, so only the raster
    /// guard can tell, and it names both units as a likely cause.
    @Test func aSwitchOfTimeUnitInsideAFileIsCaught() throws {
        let dir = try TemporaryDirectory("tf-runaway-units")
        defer { dir.remove() }
        var lines = try Self.lines()
        for i in (lines.count / 2)..<lines.count { lines[i] = Self.restamped(lines[i]) { $0 * 1000 } }
        let path = try dir.write("units.csv", lines.joined(separator: "\n") + "\n")
        let refused = try Self.run(path, dir.path("run"))
        #expect(refused.status == 1)
        #expect(refused.stderrText.contains("milliseconds next to microseconds"), "\(refused.stderrText)")
        #expect(refused.stderrText.contains("last trade:  ") && refused.stderrText.contains("set by \(path):\(lines.count) "), "\(refused.stderrText)")
    }

    @Test(arguments: [["--windows", "9223372036854775807"], ["--horizons", "4611686018427387904,4611686018427387904"],
                      ["--windows", "10,1000000001"], ["--memory-limit", "1e30GiB"], ["--max-bars", "-5"]])
    func absurdNumbersAreRefusedNotCrashedOn(flags: [String]) throws {
        let dir = try TemporaryDirectory("tf-runaway-absurd")
        defer { dir.remove() }
        let result = try runTickforge(["features", "--trades", Self.trades, "--out", dir.path("run")] + flags)
        #expect(result.exited && result.status == 64, "\(flags): \(result.status) \(result.stderrText)")
    }

    @Test func scanRejectsFlagNeedsQuarantine() throws {
        let alone = try runTickforge(["scan", Self.trades, "--rejects", "r.csv"])
        #expect(alone.status == 64 && alone.stderrText.contains("--rejects only applies with --bad-rows quarantine"), "\(alone.stderrText)")
        let empty = try runTickforge(["scan", Self.trades, "--bad-rows", "quarantine", "--rejects", ""])
        #expect(empty.status == 64, "\(empty.stderrText)")
    }

    @Test func aFileGivenTwiceIsRefusedBeforeAnyWork() throws {
        let dir = try TemporaryDirectory("tf-runaway-twice")
        defer { dir.remove() }
        let out = dir.path("run")
        let link = dir.path("same.csv")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Self.trades)
        let twice = try runTickforge(["features", "--trades", Self.trades, "--trades", link, "--out", out])
        #expect(twice.status == 1 && twice.stderrText.contains("--trades names the same file twice"), "\(twice.stderrText)")
        let quotes = try runTickforge(["features", "--trades", Self.trades, "--quotes", FeatureRun.btcQuotes, FeatureRun.btcQuotes, "--out", out])
        #expect(quotes.status == 1 && quotes.stderrText.contains("--quotes names the same file twice"), "\(quotes.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Spikes next to tick partition boundaries, in quarantine mode, with kills: the rows held
    /// back for the spike rule are restored from the partitions, so every resumed run gives the
    /// uninterrupted run's outputs and rejects.
    @Test func spikesAtPartitionBoundariesSurviveKills() throws {
        let dir = try TemporaryDirectory("tf-runaway-kill")
        defer { dir.remove() }
        var lines = try Self.lines()
        // Tick partitions of 1,000 rows; spikes of one to three rows around every boundary.
        var spiked = 0
        for boundary in stride(from: 1_000, to: lines.count - 10, by: 1_000) {
            let length = 1 + (boundary / 1_000) % 3
            for k in 0..<length { lines[boundary - 1 + k] = Self.restamped(lines[boundary - 1 + k]) { $0 + 86_400_000 } }
            spiked += length
        }
        let path = try dir.write("spiked.csv", lines.joined(separator: "\n") + "\n")
        let flags = ["--bad-rows", "quarantine", "--tick-partition-rows", "1000", "--partition-bars", "50"]
        #expect(try Self.run(path, dir.path("clean"), flags).status == 0)
        let rows = (try FeatureRun.summary(dir.path("clean"))["trades"] as! [String: Any])["rows"] as! [String: Int]
        #expect(rows["rejected"] == spiked)
        let expected = FeatureRun.outputs(dir.path("clean"))
        let expectedRejects = FileManager.default.contents(atPath: dir.path("clean/rejects.csv"))
        for step in stride(from: 3, through: 120, by: 9) {
            let out = dir.path("kill-\(step)")
            let killed = try Self.run(path, out, flags, environment: ["TICKFORGE_KILL_AT": String(step)])
            #expect(!killed.exited, "step \(step) was not reached")
            let resumed = try Self.run(path, out, flags)
            #expect(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(FeatureRun.outputs(out) == expected, "step \(step): outputs differ from the uninterrupted run")
            #expect(FileManager.default.contents(atPath: out + "/rejects.csv") == expectedRejects, "step \(step): rejects differ")
        }
    }
}
