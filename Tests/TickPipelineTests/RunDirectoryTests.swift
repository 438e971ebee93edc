import Foundation
import Testing

/// tickforge owns only what it wrote: it refuses, before any work, to replace or remove a file
/// it did not create (an input where an output goes, a user's file under an output name), never
/// removes the user's files from a run directory, and publishes a new set of outputs as a whole
/// or not at all, so a failed or killed run leaves the previous set readable.
@Suite(.serialized)
struct RunDirectoryTests {
    static let trades = FeatureRun.btcTrades
    static let otherTrades = FeatureRun.ethTrades
    static let outputs = ["features.csv", "targets.csv", "features.json", "targets.json", "summary.json", "rejects.csv"]
    /// Keeps runs small and fast; the outputs do not matter here beyond their bytes.
    static let flags = ["--windows", "5,20", "--horizons", "3"]

    /// What a reader sees through each output name of `dir` (absent: cannot be opened). Of
    /// `summary.json`, which holds timings, only what tells one run's inputs from another's.
    static func visible(_ dir: String) -> [String: Data] {
        var seen: [String: Data] = [:]
        for name in outputs { seen[name] = FileManager.default.contents(atPath: dir + "/" + name) }
        if let summary = seen["summary.json"] {
            let object = (try? JSONSerialization.jsonObject(with: summary)) as? [String: Any]
            let trades = object?["trades"] as? [String: Any]
            let used = (trades?["rows"] as? [String: Any])?["used"] as? Int
            seen["summary.json"] = Data("\(trades?["path"] as? String ?? "?") \(used ?? -1) \(object?["bars"] as? Int ?? -1) \(object?["rows_written"] as? Int ?? -1)".utf8)
        }
        return seen
    }

    static func run(_ trades: String, _ out: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> ProcessResult {
        try runTickforge(["features", "--trades", trades, "--out", out] + flags + extra, environment: environment)
    }

    /// Every file under `dir` with its bytes (links by their text), to show nothing changed.
    static func snapshot(_ dir: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.subpathsOfDirectory(atPath: dir) {
            let path = dir + "/" + name
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                files[name] = Data(("link:" + target).utf8)
            } else if let data = FileManager.default.contents(atPath: path) {
                files[name] = data
            }
        }
        return files
    }

    @Test func anInputWhereAnOutputGoesIsRefusedAndKept() throws {
        let dir = try TemporaryDirectory("tf-own-input")
        defer { dir.remove() }
        let out = dir.path("run")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let input = out + "/features.csv"
        try FileManager.default.copyItem(atPath: Self.trades, toPath: input)
        let before = try Self.snapshot(out)
        let result = try Self.run(input, out)
        #expect(result.exited && result.status == 1)
        #expect(result.stderrText.contains("the trades input \(input) is the file this run would replace"), "\(result.stderrText)")
        #expect(try Self.snapshot(out) == before, "a refused run must leave the directory as it was")
    }

    @Test func anOutputOfTheRunDirectoryIsNotAnInput() throws {
        let dir = try TemporaryDirectory("tf-own-output-input")
        defer { dir.remove() }
        let out = dir.path("run")
        #expect(try Self.run(Self.trades, out).status == 0)
        let before = try Self.snapshot(out)
        // The published targets.csv (a link into .tickforge) and a tick partition as inputs.
        let targets = try Self.run(out + "/targets.csv", out)
        #expect(targets.status == 1 && targets.stderrText.contains("lies in \(out)/.tickforge, tickforge's own folder"), "\(targets.stderrText)")
        let partition = try FileManager.default.contentsOfDirectory(atPath: out + "/.tickforge/ticks").sorted()[0]
        let inside = try Self.run(out + "/.tickforge/ticks/" + partition, out)
        #expect(inside.status == 1 && inside.stderrText.contains("tickforge's own folder"), "\(inside.stderrText)")
        #expect(try Self.snapshot(out) == before)
    }

    @Test func userFilesInTheRunDirectorySurviveRunsAndFresh() throws {
        let dir = try TemporaryDirectory("tf-own-user-files")
        defer { dir.remove() }
        let out = dir.path("run")
        // The user's own files: where earlier versions kept their partitions, inside tickforge's
        // folders under names it does not use, and names that only look temporary.
        let mine = ["features/notes.txt", "ticks/trades-000000.tfp", "ticks/x.csv", "notes.tmp-12", "features.csv.bak",
                    ".tickforge/ticks/notes.txt", ".tickforge/features/part-1.tfp", ".tickforge/generations/keep/a.txt",
                    ".tickforge/README"]
        for name in mine {
            let path = out + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data("mine: \(name)\n".utf8).write(to: URL(fileURLWithPath: path))
        }
        // A .tickforge with foreign files and no manifest is not tickforge's: refused.
        let refused = try Self.run(Self.trades, out)
        #expect(refused.status == 1 && refused.stderrText.contains("has no tickforge manifest"), "\(refused.stderrText)")
        try FileManager.default.removeItem(atPath: out + "/.tickforge/README")
        for flags in [[], [], ["--fresh"], ["--bad-rows", "quarantine"], ["--fresh", "--interval", "10s"]] {
            let result = try Self.run(Self.trades, out, flags)
            #expect(result.status == 0, "\(flags): \(result.stderrText)")
            for name in mine where name != ".tickforge/README" {
                #expect(FileManager.default.contents(atPath: out + "/" + name) == Data("mine: \(name)\n".utf8), "\(flags): \(name) was touched")
            }
        }
    }

    @Test func aUsersFileUnderAnOutputNameIsNeverReplaced() throws {
        let dir = try TemporaryDirectory("tf-own-names")
        defer { dir.remove() }
        for name in Self.outputs {
            let out = dir.path("run-\(name)")
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try Data("mine\n".utf8).write(to: URL(fileURLWithPath: out + "/" + name))
            let before = try Self.snapshot(out)
            let result = try Self.run(Self.trades, out, ["--bad-rows", "quarantine"])
            #expect(result.status == 1, "\(name)")
            #expect(result.stderrText.contains("\(out)/\(name) is a file that tickforge did not write"), "\(result.stderrText)")
            #expect(try Self.snapshot(out) == before, "\(name): a refused run must leave the directory as it was")
            if name == "rejects.csv" {
                // In error mode the run has no rejects.csv to publish: the user's file stays.
                #expect(try Self.run(Self.trades, out).status == 0)
                #expect(FileManager.default.contents(atPath: out + "/rejects.csv") == Data("mine\n".utf8))
            }
        }
        // A link the user made, even one that looks like tickforge's, is not tickforge's.
        let out = dir.path("run-link")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: out + "/features.csv", withDestinationPath: ".tickforge/current/features.csv")
        let linked = try Self.run(Self.trades, out)
        #expect(linked.status == 1 && linked.stderrText.contains("is a link that tickforge did not write"), "\(linked.stderrText)")
        // A .tickforge that is a file is not tickforge's folder.
        let file = dir.path("run-file")
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: file + "/.tickforge"))
        let refused = try Self.run(Self.trades, file)
        #expect(refused.status == 1 && refused.stderrText.contains("is not tickforge's state folder"), "\(refused.stderrText)")
    }

    @Test func aDirectoryOfAnEarlierVersionIsLeftAloneWithAHint() throws {
        let dir = try TemporaryDirectory("tf-own-legacy")
        defer { dir.remove() }
        let out = dir.path("run")
        try FileManager.default.createDirectory(atPath: out + "/ticks", withIntermediateDirectories: true)
        for name in ["features.csv", "targets.csv", "manifest.json", "ticks/trades-000000.tfp"] {
            try Data("old \(name)\n".utf8).write(to: URL(fileURLWithPath: out + "/" + name))
        }
        let before = try Self.snapshot(out)
        let result = try Self.run(Self.trades, out)
        #expect(result.status == 1)
        #expect(result.stderrText.contains("an earlier tickforge version"), "\(result.stderrText)")
        #expect(try Self.snapshot(out) == before)
    }

    @Test func aFailedRerunKeepsTheLastGoodOutputs() throws {
        let dir = try TemporaryDirectory("tf-own-failed-rerun")
        defer { dir.remove() }
        let out = dir.path("run")
        #expect(try Self.run(Self.trades, out, ["--bad-rows", "quarantine"]).status == 0)
        let good = Self.visible(out)
        #expect(good.count == Self.outputs.count)
        // The same input with a bad row in the middle, in error mode: the run stops.
        var lines = try String(contentsOfFile: Self.trades, encoding: .utf8).split(separator: "\n").map(String.init)
        lines.insert("5266590000,not-a-price,0.1,1,1723161400000,true", at: lines.count / 2)
        let bad = try dir.write("bad.csv", lines.joined(separator: "\n") + "\n")
        let failed = try Self.run(bad, out)
        #expect(failed.status == 1 && failed.stderrText.contains("not a number"), "\(failed.stderrText)")
        #expect(Self.visible(out) == good, "the previous outputs must survive a failed rerun")
        // A rerun that fails on its flags (horizon longer than the data) changes nothing either.
        #expect(try Self.run(Self.trades, out, ["--horizons", "100000"]).status != 0)
        #expect(Self.visible(out) == good)
        let verify = try runTickforge(["inspect", "--verify", out])
        #expect(verify.status == 0, "\(verify.stdoutText)")
        // Debris of the failed runs is gone after the next good one.
        #expect(try Self.run(Self.trades, out).status == 0)
        let generations = try FileManager.default.contentsOfDirectory(atPath: out + "/.tickforge/generations")
        #expect(generations.count == 1, "\(generations)")
    }

    /// A kill before every durable step of the final phase (writing the new generation,
    /// linking, switching `current`, removing the old set) leaves, through the output names,
    /// exactly the old set or exactly the new one; a rerun then gives the new one.
    @Test(arguments: [false, true])
    func aKillWhilePublishingLeavesTheOldSetOrTheNew(newHasRejects: Bool) throws {
        let dir = try TemporaryDirectory("tf-own-swap")
        defer { dir.remove() }
        let base = dir.path("base")
        let oldFlags = newHasRejects ? [] : ["--bad-rows", "quarantine"]
        let newFlags = newHasRejects ? ["--bad-rows", "quarantine"] : []
        #expect(try Self.run(Self.trades, base, oldFlags).status == 0)
        let old = Self.visible(base)
        func copyOfBase(_ name: String) throws -> String {
            let copy = dir.path(name)
            #expect(try runProcess("/bin/cp", ["-a", base, copy]).status == 0)
            return copy
        }
        // An uninterrupted run of the new inputs on a copy: the new set, and its durable steps.
        let probe = try copyOfBase("probe")
        let log = dir.path("steps.log")
        #expect(try Self.run(Self.otherTrades, probe, newFlags, environment: ["TICKFORGE_STEP_LOG": log]).status == 0)
        let new = Self.visible(probe)
        #expect(new != old)
        let steps = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        guard let first = steps.firstIndex(where: { $0.contains("/.tickforge/generations/") }) else {
            Issue.record("no step writes a generation: \(steps)")
            return
        }
        let publishing = steps[first...].compactMap { Int($0.split(separator: " ")[0]) }
        #expect(publishing.count >= 10, "\(steps[first...])")
        for step in publishing {
            let out = try copyOfBase("kill-\(step)")
            let killed = try Self.run(Self.otherTrades, out, newFlags, environment: ["TICKFORGE_KILL_AT": String(step)])
            #expect(!killed.exited, "step \(step) was not reached")
            let seen = Self.visible(out)
            #expect(seen == old || seen == new, "step \(step): a mix of the old and the new outputs")
            let resumed = try Self.run(Self.otherTrades, out, newFlags)
            #expect(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(Self.visible(out) == new, "step \(step): the rerun does not publish the new set")
            let generations = try FileManager.default.contentsOfDirectory(atPath: out + "/.tickforge/generations")
            #expect(generations.count == 1, "step \(step): \(generations)")
            let names = try FileManager.default.subpathsOfDirectory(atPath: out)
            #expect(!names.contains { $0.contains(".tmp-") }, "step \(step): \(names)")
            try FileManager.default.removeItem(atPath: out)
        }
    }

    @Test func genAndBenchWriteOnlyNewFiles() throws {
        let dir = try TemporaryDirectory("tf-own-gen")
        defer { dir.remove() }
        let precious = try dir.write("precious.csv", "mine\n")
        let gen = try runTickforge(["gen", precious, "--size", "1KiB"])
        #expect(gen.status == 1 && gen.stderrText.contains("exists: generated data is written only to new files"), "\(gen.stderrText)")
        #expect(try String(contentsOfFile: precious, encoding: .utf8) == "mine\n")
        // Not over an output link of a run either, nor both files to one path.
        let out = dir.path("run")
        #expect(try Self.run(Self.trades, out).status == 0)
        #expect(try runTickforge(["gen", dir.path("t.csv"), "--size", "1KiB", "--quotes", out + "/features.csv"]).status == 1)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/features.csv") == ".tickforge/current/features.csv")
        #expect(try runTickforge(["gen", dir.path("same.csv"), "--size", "1KiB", "--quotes", dir.path("same.csv")]).status == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.path("same.csv")))
        let work = dir.path("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let mine = try dir.write("work/trades.csv", "mine\n")
        let bench = try runTickforge(["bench", "--work-dir", work, "--size", "1MiB"])
        #expect(bench.status == 1 && bench.stderrText.contains("tickforge bench FILE"), "\(bench.stderrText)")
        #expect(try String(contentsOfFile: mine, encoding: .utf8) == "mine\n")
    }

    @Test func aRunDirectoryInsideAStateFolderIsRefused() throws {
        let dir = try TemporaryDirectory("tf-own-nested")
        defer { dir.remove() }
        let out = dir.path("run")
        #expect(try Self.run(Self.trades, out).status == 0)
        let before = try Self.snapshot(out)
        for nested in [".tickforge", ".tickforge/ticks", ".tickforge/generations/000009", ".tickforge/new/deeper"] {
            let result = try Self.run(Self.trades, out + "/" + nested)
            #expect(result.status == 1 && result.stderrText.contains("lies inside a tickforge state folder"), "\(nested): \(result.stderrText)")
        }
        #expect(try Self.snapshot(out) == before)
    }

    /// A manifest lost or damaged by hand: the links still say they are tickforge's, so a rerun
    /// (or --fresh) rebuilds the rest and publishes again, as inspect advises.
    @Test(arguments: ["damaged", "deleted"])
    func aLostManifestIsRebuiltByARerun(how: String) throws {
        let dir = try TemporaryDirectory("tf-own-manifest")
        defer { dir.remove() }
        let out = dir.path("run")
        #expect(try Self.run(Self.trades, out).status == 0)
        let good = Self.visible(out)
        let manifest = out + "/.tickforge/manifest.json"
        if how == "damaged" { try Data("{".utf8).write(to: URL(fileURLWithPath: manifest)) } else { try FileManager.default.removeItem(atPath: manifest) }
        let inspect = try runTickforge(["inspect", out])
        #expect(inspect.status == 1 && inspect.stderrText.contains("rerun `tickforge features`"), "\(inspect.stderrText)")
        let rerun = try Self.run(Self.trades, out)
        #expect(rerun.status == 0, "\(rerun.stderrText)")
        #expect(Self.visible(out) == good)
        #expect(try runTickforge(["inspect", "--verify", out]).status == 0)
    }

    /// Killed at any step of a rerun with other flags, the directory inspects clean: the
    /// manifest forgets partitions before they are removed or replaced under the same name.
    @Test func inspectFindsNoDamageAfterAKilledRerun() throws {
        let dir = try TemporaryDirectory("tf-own-inspect-kill")
        defer { dir.remove() }
        let base = dir.path("base")
        let first = ["--bad-rows", "quarantine", "--tick-partition-rows", "5000", "--partition-bars", "50"]
        let second = ["--interval", "10s", "--tick-partition-rows", "4000", "--partition-bars", "20"]
        #expect(try Self.run(Self.trades, base, first).status == 0)
        let log = dir.path("steps.log")
        let probe = dir.path("probe")
        #expect(try runProcess("/bin/cp", ["-a", base, probe]).status == 0)
        #expect(try Self.run(Self.trades, probe, second, environment: ["TICKFORGE_STEP_LOG": log]).status == 0)
        let steps = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").count
        #expect(steps >= 20)
        for step in stride(from: 1, through: steps, by: max(1, steps / 40)) {
            let out = dir.path("kill-\(step)")
            #expect(try runProcess("/bin/cp", ["-a", base, out]).status == 0)
            let killed = try Self.run(Self.trades, out, second, environment: ["TICKFORGE_KILL_AT": String(step)])
            #expect(!killed.exited, "step \(step) was not reached")
            let inspect = try runTickforge(["inspect", "--verify", out])
            #expect(inspect.status == 0, "step \(step): \(inspect.stdoutText.split(separator: "\n").filter { $0.contains("DAMAGED") || $0.contains("MISSING") || $0.contains("NOT LINKED") })")
            try FileManager.default.removeItem(atPath: out)
        }
    }

    @Test func scanNeverOverwritesItsInputOrAUsersFile() throws {
        let dir = try TemporaryDirectory("tf-own-scan")
        defer { dir.remove() }
        let input = dir.path("t.csv")
        try FileManager.default.copyItem(atPath: Self.trades, toPath: input)
        let original = try readBytes(input)
        let same = try runTickforge(["scan", input, "--bad-rows", "quarantine", "--rejects", input])
        #expect(same.status == 1 && same.stderrText.contains("is the file being scanned"), "\(same.stderrText)")
        // Another spelling of the same file, and a hard link to it.
        #expect(try runTickforge(["scan", input, "--bad-rows", "quarantine", "--rejects", dir.path("./t.csv")]).status == 1)
        try FileManager.default.linkItem(atPath: input, toPath: dir.path("hard.csv"))
        #expect(try runTickforge(["scan", input, "--bad-rows", "quarantine", "--rejects", dir.path("hard.csv")]).status == 1)
        #expect(try readBytes(input) == original)
        let notes = try dir.write("notes.csv", "my notes\n")
        let user = try runTickforge(["scan", input, "--bad-rows", "quarantine", "--rejects", notes])
        #expect(user.status == 1 && user.stderrText.contains("is not a rejects file tickforge wrote"), "\(user.stderrText)")
        #expect(try String(contentsOfFile: notes, encoding: .utf8) == "my notes\n")
        // Its own rejects file it may replace.
        let own = dir.path("rejects-own.csv")
        #expect(try runTickforge(["scan", input, "--bad-rows", "quarantine", "--rejects", own]).status == 0)
        #expect(try runTickforge(["scan", input, "--bad-rows", "quarantine", "--rejects", own]).status == 0)
    }
}
