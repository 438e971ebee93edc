import Foundation
import Testing

/// `tickforge plan`, `shard` and `finish` (issue 18): a run cut into shards, run in any order
/// and any number of times, finishes with exactly the outputs of `tickforge features`.
@Suite("Shards")
struct ShardTests {
    static let flags = ["--windows", "5,10,30", "--horizons", "3,8", "--tick-partition-rows", "3000"]

    /// The BTCUSDT trades as three "days" (one gzipped) and the quotes as two files.
    static func inputs(in dir: TemporaryDirectory) throws -> (trades: [String], quotes: [String]) {
        let trades = try IncrementalRunTests.days(in: dir)
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.btcQuotes)
        let half = data.count / 2
        let quotes = try [0..<half, half..<data.count].enumerated().map { i, range in
            try MultiFileInputTests.write(Array(data[range]), header: header, as: .plain, name: "quotes\(i + 1)", in: dir)
        }
        return (trades, quotes)
    }

    static func featuresArguments(_ trades: [String], _ quotes: [String], out: String, _ extra: [String] = []) -> [String] {
        ["--trades"] + trades + (quotes.isEmpty ? [] : ["--quotes"] + quotes) + ["--out", out] + flags + extra
    }

    /// Runs tickforge with `dir` as the working directory (a plan records where it was made).
    static func tickforge(_ arguments: [String], in dir: TemporaryDirectory, environment: [String: String] = [:]) throws -> ProcessResult {
        try runProcess(TestPaths.binary, arguments, currentDirectory: dir.url, environment: environment)
    }

    /// `plan --json`: the number of shards.
    static func plan(_ arguments: [String], shardSize: String = "1", in dir: TemporaryDirectory) throws -> Int {
        let result = try tickforge(["plan", "--json", "--shard-size", shardSize] + arguments, in: dir)
        try #require(result.status == 0, "\(result.stderrText)")
        let summary = try JSONSerialization.jsonObject(with: Data(result.stdout)) as! [String: Any]
        return summary["shards"] as! Int
    }

    /// `shard --json`, which must succeed.
    @discardableResult
    static func shard(_ out: String, _ index: Int?, in dir: TemporaryDirectory, environment: [String: String] = [:]) throws -> [String: Any] {
        let result = try tickforge(["shard", out, "--json"] + (index.map { ["--index", String($0)] } ?? []), in: dir, environment: environment)
        try #require(result.status == 0, "shard \(index.map(String.init) ?? "from the environment"): \(result.stderrText)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout)) as! [String: Any]
    }

    static func finish(_ out: String, in dir: TemporaryDirectory) throws {
        let result = try tickforge(["finish", out], in: dir)
        try #require(result.status == 0, "\(result.stderrText)")
    }

    static func features(_ arguments: [String], in dir: TemporaryDirectory) throws {
        let result = try tickforge(["features"] + arguments, in: dir)
        try #require(result.status == 0, "\(result.stderrText)")
    }

    @Test func shardsInAnyOrderThenFinishGiveTheFeaturesBytes() throws {
        let dir = try TemporaryDirectory("tf-shards")
        defer { dir.remove() }
        let (trades, quotes) = try Self.inputs(in: dir)
        try Self.features(Self.featuresArguments(trades, quotes, out: dir.path("reference")), in: dir)
        let out = dir.path("sharded")
        let count = try Self.plan(Self.featuresArguments(trades, quotes, out: out), in: dir)
        #expect(count == 5, "one shard per file with --shard-size 1")
        var written = 0
        for index in (0..<count).reversed() {
            let shard = try Self.shard(out, index, in: dir)
            #expect(shard["index"] as? Int == index && shard["files"] as? Int == 1)
            written += shard["partitions_written"] as! Int
        }
        #expect(written > 5, "several partitions per file (\(written))")
        try Self.finish(out, in: dir)
        #expect(FeatureRun.outputs(out) == FeatureRun.outputs(dir.path("reference")))
        try FeatureRun.expectCountsAddUp(out)
        let summary = try FeatureRun.summary(out)
        for role in ["trades", "quotes"] {
            let input = summary[role] as! [String: Any]
            #expect(input["partitions_written"] as? Int == 0, "finish reads no \(role) file again")
            #expect(input["partitions_reused"] as? Int ?? 0 > 0)
        }
        // Finishing again publishes the same outputs.
        try Self.finish(out, in: dir)
        #expect(FeatureRun.outputs(out) == FeatureRun.outputs(dir.path("reference")))
    }

    @Test func aShardKilledAtEveryStepResumes() throws {
        let dir = try TemporaryDirectory("tf-shards-kill")
        defer { dir.remove() }
        let (trades, _) = try Self.inputs(in: dir)
        try Self.features(Self.featuresArguments(trades, [], out: dir.path("reference")), in: dir)
        let out = dir.path("sharded")
        let count = try Self.plan(Self.featuresArguments(trades, [], out: out), shardSize: "1GiB", in: dir)
        #expect(count == 1)
        var kills = 0
        for step in 1...200 {
            let result = try Self.tickforge(["shard", out, "--index", "0"], in: dir, environment: ["TICKFORGE_KILL_AT": String(step)])
            if result.exited && result.status == 0 { break }
            #expect(!result.exited, "a run either finishes or is killed: \(result.stderrText)")
            kills += 1
        }
        #expect(kills >= 5, "the shard was killed at \(kills) steps")
        let again = try Self.shard(out, 0, in: dir)
        #expect(again["partitions_written"] as? Int == 0, "a finished shard run again writes nothing")
        try Self.finish(out, in: dir)
        #expect(FeatureRun.outputs(out) == FeatureRun.outputs(dir.path("reference")))
    }

    @Test func finishRefusesWhileAShardHasNotFinished() throws {
        let dir = try TemporaryDirectory("tf-shards-unfinished")
        defer { dir.remove() }
        let (trades, _) = try Self.inputs(in: dir)
        let out = dir.path("sharded")
        #expect(try Self.plan(Self.featuresArguments(trades, [], out: out), in: dir) == 3)
        try Self.shard(out, 1, in: dir)
        let result = try Self.tickforge(["finish", out], in: dir)
        #expect(result.status == 1)
        #expect(result.stderrText.contains("2 of the plan's 3 shards have not finished (0, 2)"), "\(result.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: out + "/features.csv"))
        try Self.shard(out, 0, in: dir)
        try Self.shard(out, 2, in: dir)
        try Self.finish(out, in: dir)
        #expect(FileManager.default.fileExists(atPath: out + "/features.csv"))
    }

    @Test func theIndexComesFromSlurmOrKubernetes() throws {
        let dir = try TemporaryDirectory("tf-shards-index")
        defer { dir.remove() }
        let (trades, _) = try Self.inputs(in: dir)
        let out = dir.path("sharded")
        #expect(try Self.plan(Self.featuresArguments(trades, [], out: out), in: dir) == 3)
        let slurm = try Self.shard(out, nil, in: dir, environment: ["SLURM_ARRAY_TASK_ID": "11", "SLURM_ARRAY_TASK_MIN": "10"])
        #expect(slurm["index"] as? Int == 1)
        let kubernetes = try Self.shard(out, nil, in: dir, environment: ["JOB_COMPLETION_INDEX": "2"])
        #expect(kubernetes["index"] as? Int == 2)
        let below = try Self.tickforge(["shard", out], in: dir, environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "3"])
        #expect(below.status != 0 && below.stderrText.contains("SLURM_ARRAY_TASK_ID 1 is below SLURM_ARRAY_TASK_MIN 3"), "\(below.stderrText)")
        let none = try Self.tickforge(["shard", out], in: dir)
        #expect(none.status != 0 && none.stderrText.contains("give --index K"), "\(none.stderrText)")
        let outside = try Self.tickforge(["shard", out, "--index", "3"], in: dir)
        #expect(outside.status == 1 && outside.stderrText.contains("the plan has no shard 3: its shards are 0 to 2"), "\(outside.stderrText)")
    }

    @Test func aPlanAfterAnEarlierRunReusesItsFiles() throws {
        let dir = try TemporaryDirectory("tf-shards-incremental")
        defer { dir.remove() }
        let (trades, _) = try Self.inputs(in: dir)
        try Self.features(Self.featuresArguments(trades, [], out: dir.path("reference")), in: dir)
        let out = dir.path("sharded")
        try Self.features(Self.featuresArguments(Array(trades[..<2]), [], out: out), in: dir)
        #expect(try Self.plan(Self.featuresArguments(trades, [], out: out), in: dir) == 3)
        let shards = try (0..<3).map { try Self.shard(out, $0, in: dir) }
        #expect(shards[0]["partitions_written"] as? Int == 0 && shards[1]["partitions_written"] as? Int == 0,
                "the earlier run's two files keep their partitions")
        #expect(shards[0]["partitions_reused"] as? Int ?? 0 > 0 && shards[2]["partitions_written"] as? Int ?? 0 > 0)
        try Self.finish(out, in: dir)
        #expect(FeatureRun.outputs(out) == FeatureRun.outputs(dir.path("reference")))
    }

    @Test func aNewPlanKeepsWhatTheEarlierPlansShardsDid() throws {
        let dir = try TemporaryDirectory("tf-shards-replan")
        defer { dir.remove() }
        let (trades, _) = try Self.inputs(in: dir)
        let out = dir.path("sharded")
        #expect(try Self.plan(Self.featuresArguments(trades, [], out: out), in: dir) == 3)
        try Self.shard(out, 0, in: dir)
        try Self.shard(out, 1, in: dir)
        #expect(try Self.plan(Self.featuresArguments(trades, [], out: out), in: dir) == 3)
        let shards = try (0..<3).map { try Self.shard(out, $0, in: dir) }
        #expect(shards.map { $0["partitions_written"] as? Int == 0 } == [true, true, false], "\(shards)")
        // A fresh plan starts over: every shard reads its file again.
        #expect(try Self.plan(Self.featuresArguments(trades, [], out: out, ["--fresh"]), in: dir) == 3)
        let fresh = try (0..<3).map { try Self.shard(out, $0, in: dir) }
        #expect(fresh.allSatisfy { $0["partitions_reused"] as? Int == 0 && $0["partitions_written"] as? Int ?? 0 > 0 }, "\(fresh)")
        try Self.finish(out, in: dir)
        try Self.features(Self.featuresArguments(trades, [], out: dir.path("reference")), in: dir)
        #expect(FeatureRun.outputs(out) == FeatureRun.outputs(dir.path("reference")))
    }

    @Test func aFileAddedAfterThePlanIsReadByFinishWithAWarning() throws {
        let dir = try TemporaryDirectory("tf-shards-added")
        defer { dir.remove() }
        let (trades, _) = try Self.inputs(in: dir)
        let folder = dir.path("days")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in trades[..<2] { try FileManager.default.copyItem(atPath: file, toPath: folder + "/" + URL(fileURLWithPath: file).lastPathComponent) }
        let out = dir.path("sharded")
        #expect(try Self.plan(Self.featuresArguments([folder], [], out: out), in: dir) == 2)
        for index in 0..<2 { try Self.shard(out, index, in: dir) }
        try FileManager.default.copyItem(atPath: trades[2], toPath: folder + "/" + URL(fileURLWithPath: trades[2]).lastPathComponent)
        let result = try Self.tickforge(["finish", out], in: dir)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("1 input file was not in the plan"), "\(result.stderrText)")
        try Self.features(Self.featuresArguments([folder], [], out: dir.path("reference")), in: dir)
        #expect(FeatureRun.outputs(out) == FeatureRun.outputs(dir.path("reference")))
    }

    @Test func aFileChangedAfterItsShardIsReadAgainByFinish() throws {
        let dir = try TemporaryDirectory("tf-shards-changed")
        defer { dir.remove() }
        let (trades, _) = try Self.inputs(in: dir)
        let out = dir.path("sharded")
        #expect(try Self.plan(Self.featuresArguments(trades, [], out: out), in: dir) == 3)
        for index in 0..<3 { try Self.shard(out, index, in: dir) }
        // The last day loses its last 100 trades after its shard ran.
        let (header, data) = try MultiFileInputTests.lines(trades[2])
        try ([header] + data.dropLast(100)).joined(separator: "\n").appending("\n").write(toFile: trades[2], atomically: true, encoding: .utf8)
        try Self.finish(out, in: dir)
        try Self.features(Self.featuresArguments(trades, [], out: dir.path("reference")), in: dir)
        #expect(FeatureRun.outputs(out) == FeatureRun.outputs(dir.path("reference")))
        let summary = try FeatureRun.summary(out)
        #expect((summary["trades"] as! [String: Any])["partitions_written"] as? Int ?? 0 > 0, "the changed file was read again")
    }

    @Test func quarantinedRowsAreTheSameThroughShards() throws {
        let dir = try TemporaryDirectory("tf-shards-quarantine")
        defer { dir.remove() }
        var (trades, _) = try Self.inputs(in: dir)
        let (header, data) = try MultiFileInputTests.lines(trades[0])
        var rows = data
        rows[10] = "not,a,trade"
        rows[500] = rows[500].replacingOccurrences(of: ",", with: ";")
        trades[0] = try MultiFileInputTests.write(rows, header: header, as: .plain, name: "damaged", in: dir)
        let extra = ["--bad-rows", "quarantine"]
        try Self.features(Self.featuresArguments(trades, [], out: dir.path("reference"), extra), in: dir)
        let out = dir.path("sharded")
        #expect(try Self.plan(Self.featuresArguments(trades, [], out: out, extra), in: dir) == 3)
        for index in 0..<3 { try Self.shard(out, index, in: dir) }
        try Self.finish(out, in: dir)
        #expect(FeatureRun.outputs(out) == FeatureRun.outputs(dir.path("reference")))
        let rejects = FileManager.default.contents(atPath: out + "/rejects.csv")
        #expect(rejects != nil && rejects == FileManager.default.contents(atPath: dir.path("reference") + "/rejects.csv"))
        #expect(String(decoding: rejects ?? Data(), as: UTF8.self).split(separator: "\n").count == 3, "a header and the two bad rows")
    }

    @Test func aFailedShardIsNamedByFinishWithItsError() throws {
        let dir = try TemporaryDirectory("tf-shards-failed")
        defer { dir.remove() }
        var (trades, _) = try Self.inputs(in: dir)
        let (header, data) = try MultiFileInputTests.lines(trades[0])
        var rows = data
        rows[10] = "not,a,trade"
        trades[0] = try MultiFileInputTests.write(rows, header: header, as: .plain, name: "damaged", in: dir)
        let out = dir.path("sharded")
        #expect(try Self.plan(Self.featuresArguments(trades, [], out: out), in: dir) == 3)
        let failed = try Self.tickforge(["shard", out, "--index", "0"], in: dir)
        #expect(failed.status == 1 && failed.stderrText.contains("damaged.csv:12"), "\(failed.stderrText)")
        for index in 1..<3 { try Self.shard(out, index, in: dir) }
        let finish = try Self.tickforge(["finish", out], in: dir)
        #expect(finish.status == 1)
        #expect(finish.stderrText.contains("shard 0 failed: ") && finish.stderrText.contains("damaged.csv:12")
                && finish.stderrText.contains("--bad-rows quarantine"), "\(finish.stderrText)")
    }

    @Test func aRangeThatSelectsNoBarIsRefusedByThePlan() throws {
        let dir = try TemporaryDirectory("tf-shards-range")
        defer { dir.remove() }
        let (trades, _) = try Self.inputs(in: dir)
        // Plain files only: their last rows are read before any work (a compressed file's are not).
        let result = try Self.tickforge(["plan"] + Self.featuresArguments([trades[0], trades[2]], [], out: dir.path("x"), ["--from", "2030-01-01"]), in: dir)
        #expect(result.status == 1 && result.stderrText.contains("--from/--to select no bar"), "\(result.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("x") + "/.tickforge/plan.json"))
    }

    @Test func sortModeThroughShards() throws {
        let dir = try TemporaryDirectory("tf-shards-sort")
        defer { dir.remove() }
        let shuffled = try SortModeTests.shuffled(FeatureRun.btcTrades, window: 500, seed: 7, in: dir, name: "shuffled")
        let (header, data) = try MultiFileInputTests.lines(shuffled)
        let parts = try [0..<(data.count / 2), (data.count / 2)..<data.count].enumerated().map { i, range in
            try MultiFileInputTests.write(Array(data[range]), header: header, as: .plain, name: "part\(i)", in: dir)
        }
        try Self.features(Self.featuresArguments(parts, [], out: dir.path("reference"), ["--order", "sort"]), in: dir)
        let out = dir.path("sharded")
        #expect(try Self.plan(Self.featuresArguments(parts, [], out: out, ["--order", "sort"]), in: dir) == 2)
        for index in 0..<2 { try Self.shard(out, index, in: dir) }
        try Self.finish(out, in: dir)
        #expect(FeatureRun.outputs(out) == FeatureRun.outputs(dir.path("reference")))
    }

    @Test func relativePathsAndRefusals() throws {
        let dir = try TemporaryDirectory("tf-shards-refusals")
        defer { dir.remove() }
        let (trades, _) = try Self.inputs(in: dir)
        let names = trades.map { URL(fileURLWithPath: $0).lastPathComponent }
        // Relative paths mean the plan's working directory wherever shard and finish run.
        #expect(try Self.plan(["--trades"] + names + ["--out", "run"] + Self.flags, in: dir) == 3)
        let elsewhere = try TemporaryDirectory("tf-shards-elsewhere")
        defer { elsewhere.remove() }
        for index in 0..<3 {
            let result = try runProcess(TestPaths.binary, ["shard", dir.path("run"), "--index", String(index)], currentDirectory: elsewhere.url)
            #expect(result.status == 0, "\(result.stderrText)")
        }
        #expect(try runProcess(TestPaths.binary, ["finish", dir.path("run")], currentDirectory: elsewhere.url).status == 0)
        try Self.features(["--trades"] + names + ["--out", "reference"] + Self.flags, in: dir)
        #expect(FeatureRun.outputs(dir.path("run")) == FeatureRun.outputs(dir.path("reference")))

        let piped = try Self.tickforge(["plan", "--trades", "-", "--out", dir.path("piped")], in: dir)
        #expect(piped.status == 1 && piped.stderrText.contains("a plan cannot read standard input"), "\(piped.stderrText)")
        let unplanned = try Self.tickforge(["shard", dir.path("reference"), "--index", "0"], in: dir)
        #expect(unplanned.status == 1 && unplanned.stderrText.contains("has no plan"), "\(unplanned.stderrText)")
        let badFlag = try Self.tickforge(["plan", "--trades", trades[0], "--out", dir.path("bad"), "--windows", "x"], in: dir)
        #expect(badFlag.status != 0 && badFlag.stderrText.contains("--windows"), "\(badFlag.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("bad")), "a refused plan creates nothing")
    }
}
