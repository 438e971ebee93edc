import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `Scripts/dask_features.py` drives `tickforge plan`, `shard` and `finish` on a Dask cluster (a
/// LocalCluster of worker processes here): what it writes is what `tickforge features` writes,
/// a worker process killed in the middle of a shard costs a retry and changes nothing, a shard
/// run again changes nothing, and a data.binance.vision tree is one run per symbol.
/// The script's venv (dask, distributed) is made on first use.
@Suite("Dask shards", .serialized)
struct DaskShardTests {
    static let script = TestPaths.repository.appendingPathComponent("Scripts/dask_features.py").path
    static let flags = ["--windows", "5,10,60", "--horizons", "3,10"]

    /// Runs the script in `directory` (where its plan is made).
    static func runScript(_ arguments: [String], in directory: TemporaryDirectory) throws -> ProcessResult {
        let started = Date()
        let result = try runProcess("/usr/bin/env", ["python3", script] + arguments, currentDirectory: directory.url,
                                    environment: ["TICKFORGE_BINARY": TestPaths.binary])
        record(result, seconds: Date().timeIntervalSince(started))
        return result
    }

    /// For the log: how long the script took and its summary.
    static func record(_ result: ProcessResult, seconds: Double) {
        let last = result.stdoutText.split(separator: "\n").last ?? ""
        print("dask_features.py exited \(result.status) after \(String(format: "%.1f", seconds)) s: \(last)")
        for line in result.stderrText.split(separator: "\n") where line.contains("attempt") || line.contains("moved") || line.contains("FAILED") {
            print("  \(line)")
        }
    }

    /// The JSON summary the script prints as its last stdout line.
    static func summary(_ result: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let line = try #require(result.stdoutText.split(separator: "\n").last, "no stdout: \(result.stderrText)",
                                sourceLocation: sourceLocation)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                            "last line is no JSON object: \(line)", sourceLocation: sourceLocation)
    }

    /// The four outputs of `out` equal those of `reference`, all present.
    static func expectSameOutputs(_ out: String, _ reference: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = FeatureRun.outputs(out), expected = FeatureRun.outputs(reference)
        for name in FeatureRun.outputFiles {
            #expect(expected[name]! != nil, "\(reference)/\(name) missing", sourceLocation: sourceLocation)
            #expect(actual[name]! == expected[name]!, "\(out)/\(name) differs from \(reference)/\(name)", sourceLocation: sourceLocation)
        }
    }

    /// `tickforge features` with `arguments`; returns its --out.
    @discardableResult
    static func features(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let result = try runTickforge(["features"] + arguments)
        try #require(result.status == 0, "features \(arguments): \(result.stderrText)", sourceLocation: sourceLocation)
        return result
    }

    /// Cuts file `path` at line ends into `parts` consecutive files of about equal size named
    /// `name(i)` under `folder` (created), each with the header. On bytes, not lines of text:
    /// the debug build's string handling is slow when the machine is busy.
    static func cut(_ path: String, parts: Int, into folder: String, name: (Int) -> String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerEnd = data.firstIndex(of: 10)! + 1
        let header = data[..<headerEnd]
        var starts = [headerEnd]
        for i in 1..<parts {
            let at = headerEnd + (data.count - headerEnd) * i / parts
            starts.append(data[at...].firstIndex(of: 10)! + 1)
        }
        starts.append(data.count)
        return try (0..<parts).map { i in
            let file = folder + "/" + name(i)
            try (header + data[starts[i]..<starts[i + 1]]).write(to: URL(fileURLWithPath: file))
            return file
        }
    }

    // MARK: - a. The outputs of a 2-worker cluster are features' bytes

    @Test("a 2-worker LocalCluster over many files and shards writes features' bytes")
    func clusterGivesFeaturesBytes() throws {
        let dir = try TemporaryDirectory("tf-dask-local")
        defer { dir.remove() }
        let trades = try Self.cut(FeatureRun.btcTrades, parts: 5, into: dir.path("trades")) { "BTCUSDT-trades-2024-08-0\($0 + 1).csv" }
        _ = try Self.cut(FeatureRun.btcQuotes, parts: 2, into: dir.path("quotes")) { "BTCUSDT-bookTicker-2024-08-0\($0 + 1).csv" }
        // One day gzip-compressed: shards read every container.
        try CompressedInputTests.compress("gzip", trades[2], to: trades[2] + ".gz")
        try FileManager.default.removeItem(atPath: trades[2])
        let options = ["--trades", dir.path("trades"), "--quotes", dir.path("quotes")] + Self.flags + ["--tick-partition-rows", "3000"]

        let out = dir.path("dask")
        let result = try Self.runScript(["--workers", "2", "--shard-size", "300KiB", "--"] + options + ["--out", out], in: dir)
        try #require(result.status == 0, "\(result.stdoutText)\n\(result.stderrText)")
        let reference = dir.path("features")
        try Self.features(options + ["--out", reference])
        Self.expectSameOutputs(out, reference)

        let summary = try Self.summary(result)
        let shards = try #require(summary["shards"] as? Int)
        #expect(shards >= 5, "expected several shards: \(summary)")
        #expect(summary["ok"] as? Bool == true)
        #expect(summary["retries"] as? Int == 0)
        #expect((summary["max_shard_peak_resident_bytes"] as? Int ?? 0) > 0)
        // A progress line for every shard, and finish's own report on stdout.
        #expect(result.stderrText.components(separatedBy: " done in ").count - 1 >= shards + 1, "\(result.stderrText)")
        #expect(result.stdoutText.contains("features.csv"), "\(result.stdoutText)")
        // Every shard of the plan finished, and the shards' fragments cover every input file.
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/.tickforge/plan.json"))) as! [String: Any]
        #expect((plan["shards"] as! [Any]).count == shards)
        #expect((plan["files"] as! [Any]).count == 7)
    }

    // MARK: - b. A worker process killed mid-shard

    /// Every process's argv, by pid.
    static func processes() -> [(pid: Int32, arguments: [String])] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name in
            guard let pid = Int32(name), let handle = FileHandle(forReadingAtPath: "/proc/\(name)/cmdline") else { return nil }
            defer { try? handle.close() }
            // A process may end while it is read (ESRCH): readDataToEndOfFile would trap.
            guard let bytes = try? handle.readToEnd(), !bytes.isEmpty else { return nil }
            return (pid, bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) })
        }
    }

    /// The PPid and state letter of `/proc/PID/status`, or nil once the process is gone.
    static func status(_ pid: Int32) -> (parent: Int32, state: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var parent: Int32 = 0, state = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("PPid:") { parent = Int32(line.dropFirst(5).trimmingCharacters(in: .whitespaces)) ?? 0 }
            if line.hasPrefix("State:") { state = String(line.dropFirst(6).trimmingCharacters(in: .whitespaces).prefix(1)) }
        }
        return (parent, state)
    }

    @Test("a Dask worker process killed in the middle of a shard is retried and the outputs stay features' bytes")
    func killedWorkerIsRetried() throws {
        let dir = try TemporaryDirectory("tf-dask-kill")
        defer { dir.remove() }
        // Four "days" of about 40 MiB each: a shard takes a good part of a second at one worker.
        let whole = dir.path("whole.csv")
        let generated = try runTickforge(["gen", whole, "--size", "160MiB"])
        try #require(generated.status == 0, "\(generated.stderrText)")
        _ = try Self.cut(whole, parts: 4, into: dir.path("trades")) { "BTCUSDT-trades-2024-01-0\($0 + 1).csv" }
        try FileManager.default.removeItem(atPath: whole)
        let options = ["--trades", dir.path("trades"), "--tick-partition-rows", "50000"] + Self.flags
        let out = dir.path("dask")

        let stdoutPath = dir.path("script.stdout"), stderrPath = dir.path("script.stderr")
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "--workers", "2", "--shard-size", "1KiB", "--"] + options + ["--out", out]
        process.currentDirectoryURL = dir.url
        process.environment = ProcessInfo.processInfo.environment.merging(["TICKFORGE_BINARY": TestPaths.binary]) { $1 }
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let started = Date()
        try process.run()

        // Watch for a `tickforge shard` of this run and kill the Dask worker process that runs
        // it. The first run builds the venv, hence the long limit.
        var killed: (worker: Int32, shard: Int32, index: String)?
        let deadline = Date().addingTimeInterval(900)
        while process.isRunning && killed == nil && Date() < deadline {
            for (pid, arguments) in Self.processes()
            where arguments.count > 2 && arguments[0].hasSuffix("tickforge") && arguments[1] == "shard" && arguments[2] == out {
                guard let (parent, _) = Self.status(pid), parent > 1,
                      let workerArguments = Self.processes().first(where: { $0.pid == parent })?.arguments,
                      workerArguments.joined(separator: " ").contains("python") else { continue }
                #expect(kill(parent, SIGKILL) == 0)
                killed = (parent, pid, arguments.firstIndex(of: "--index").map { arguments[$0 + 1] } ?? "?")
                break
            }
            usleep(20_000)
        }
        if killed == nil && process.isRunning { process.terminate() }
        process.waitUntilExit()
        try stdout.close()
        try stderr.close()
        let result = ProcessResult(status: process.terminationStatus, exited: process.terminationReason == .exit,
                                   stdout: try readBytes(stdoutPath), stderr: try readBytes(stderrPath))
        Self.record(result, seconds: Date().timeIntervalSince(started))
        let (worker, shard, index) = try #require(killed, "never saw a `tickforge shard` running: \(result.stderrText)")
        // The shard's tickforge died with its worker (PR_SET_PDEATHSIG): gone, or a zombie.
        let state = Self.status(shard)?.state
        #expect(state == nil || state == "Z", "tickforge shard \(shard) outlived its killed worker \(worker): state \(state ?? "")")
        try #require(result.status == 0, "\(result.stdoutText)\n\(result.stderrText)")
        // Its second attempt still had partitions to write: the first did not go on running
        // (it would have held the shard's lock and finished it).
        let line = try #require(result.stderrText.split(separator: "\n").first { $0.contains("shard \(index)/4 done") },
                                "\(result.stderrText)")
        #expect(line.contains("2nd attempt; earlier: 1 lost with its worker"), "\(line)")
        let written = line.firstRange(of: " tick partitions written").map { Int(line[..<$0.lowerBound].split(separator: " ").last ?? "") ?? 0 } ?? 0
        #expect(written > 0, "\(line)")

        let reference = dir.path("features")
        try Self.features(options + ["--out", reference])
        Self.expectSameOutputs(out, reference)
        let summary = try Self.summary(result)
        #expect(summary["lost_workers"] as? Int == 1, "\(summary)")
        // One attempt was run again; a shard that only waited on the killed worker is no retry.
        #expect(summary["retries"] as? Int == 1, "\(summary)")
        #expect(result.stderrText.contains("lost with its worker"), "\(result.stderrText)")
    }

    // MARK: - c. A shard run twice

    /// Name → (bytes, inode, modification time) of every file in `folder`.
    static func files(_ folder: String) throws -> [String: (Data, Int, Date)] {
        var files: [String: (Data, Int, Date)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let path = folder + "/" + name
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            files[name] = (try Data(contentsOf: URL(fileURLWithPath: path)), (attributes[.systemFileNumber] as! NSNumber).intValue,
                           attributes[.modificationDate] as! Date)
        }
        return files
    }

    static func json(_ path: String) throws -> NSDictionary {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! NSDictionary
    }

    @Test("a shard run again rewrites nothing and reports no partition written")
    func shardRunTwiceChangesNothing() throws {
        let dir = try TemporaryDirectory("tf-dask-twice")
        defer { dir.remove() }
        _ = try Self.cut(FeatureRun.btcTrades, parts: 3, into: dir.path("trades")) { "BTCUSDT-trades-2024-08-0\($0 + 1).csv" }
        // Relative paths: shard and finish work in the plan's directory.
        let options = ["--trades", "trades", "--quotes", FeatureRun.btcQuotes, "--tick-partition-rows", "2000"] + Self.flags
        func tickforge(_ arguments: [String]) throws -> ProcessResult {
            try runProcess(TestPaths.binary, arguments, currentDirectory: dir.url)
        }
        let plan = try tickforge(["plan", "--json", "--shard-size", "1KiB"] + options + ["--out", "run"])
        try #require(plan.status == 0, "\(plan.stderrText)")
        let planned = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout)) as? [String: Any])
        #expect(planned["shards"] as? Int == 4 && planned["files"] as? Int == 4, "\(planned)")

        let ticks = dir.path("run/.tickforge/ticks"), fragment = dir.path("run/.tickforge/shards/shard-000001.json")
        let first = try tickforge(["shard", dir.path("run"), "--index", "1", "--json"])
        try #require(first.status == 0, "\(first.stderrText)")
        let firstReport = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout)) as? [String: Any])
        let written = try #require(firstReport["partitions_written"] as? Int)
        #expect(written > 1, "\(firstReport)")
        let before = try Self.files(ticks), fragmentBefore = try Self.json(fragment)
        #expect(before.count == written)

        let second = try tickforge(["shard", dir.path("run"), "--index", "1", "--json"])
        try #require(second.status == 0, "\(second.stderrText)")
        let secondReport = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout)) as? [String: Any])
        #expect(secondReport["partitions_written"] as? Int == 0, "\(secondReport)")
        #expect(secondReport["partitions_reused"] as? Int == written, "\(secondReport)")
        let after = try Self.files(ticks), fragmentAfter = try Self.json(fragment)
        #expect(Set(after.keys) == Set(before.keys))
        for (name, (bytes, inode, modified)) in before {
            #expect(after[name]?.0 == bytes, "\(name) changed")
            #expect(after[name]?.1 == inode && after[name]?.2 == modified, "\(name) was written again")
        }
        // The fragment says the same of the shard's files; only the last run's counts differ.
        #expect(fragmentAfter["files"] as? NSArray == fragmentBefore["files"] as? NSArray)
        #expect(fragmentAfter["complete"] as? Bool == true && fragmentAfter["plan_id"] as? String == fragmentBefore["plan_id"] as? String)

        // finish refuses while shards 0, 2 and 3 have not run, naming them.
        let early = try tickforge(["finish", "run"])
        #expect(early.status == 1)
        #expect(early.stderrText.contains("3 of the plan's 4 shards have not finished (0, 2, 3)"), "\(early.stderrText)")
        for index in [3, 0, 2] {
            let shard = try tickforge(["shard", "run", "--index", String(index)])
            try #require(shard.status == 0, "\(shard.stderrText)")
        }
        let finish = try tickforge(["finish", "run"])
        try #require(finish.status == 0, "\(finish.stderrText)")
        // features.json names the inputs as given: the same relative path.
        let reference = try tickforge(["features"] + options + ["--out", "features"])
        try #require(reference.status == 0, "\(reference.stderrText)")
        Self.expectSameOutputs(dir.path("run"), dir.path("features"))
    }

    // MARK: - d. A data.binance.vision tree of two symbols

    @Test("a data.binance.vision tree of two symbols gives one run per symbol, each features' bytes")
    func treeGivesOneRunPerSymbol() throws {
        let dir = try TemporaryDirectory("tf-dask-tree")
        defer { dir.remove() }
        let daily = dir.path("tree/data/futures/um/daily")
        for (symbol, trades) in [("BTCUSDT", FeatureRun.btcTrades), ("ETHUSDT", FeatureRun.ethTrades)] {
            _ = try Self.cut(trades, parts: 3, into: "\(daily)/trades/\(symbol)") { "\(symbol)-trades-2024-08-0\($0 + 1).csv" }
        }
        // Quotes for BTCUSDT only.
        _ = try Self.cut(FeatureRun.btcQuotes, parts: 2, into: "\(daily)/bookTicker/BTCUSDT") { "BTCUSDT-bookTicker-2024-08-0\($0 + 1).csv" }

        // The features options may not name inputs or outputs of their own.
        let refused = try Self.runScript(["--tree", dir.path("tree"), "--out-root", dir.path("outs"), "--", "--out", dir.path("x")], in: dir)
        #expect(refused.status == 2, "\(refused.stderrText)")
        #expect(refused.stderrText.contains("must not contain --out"), "\(refused.stderrText)")

        let outRoot = dir.path("outs")
        let result = try Self.runScript(["--workers", "2", "--shard-size", "100KiB", "--tree", dir.path("tree"), "--out-root", outRoot, "--"]
                                        + Self.flags, in: dir)
        try #require(result.status == 0, "\(result.stdoutText)\n\(result.stderrText)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: outRoot)) == ["BTCUSDT", "ETHUSDT"])

        try Self.features(["--trades", "\(daily)/trades/BTCUSDT", "--quotes", "\(daily)/bookTicker/BTCUSDT"] + Self.flags
                          + ["--out", dir.path("ref-BTCUSDT")])
        try Self.features(["--trades", "\(daily)/trades/ETHUSDT"] + Self.flags + ["--out", dir.path("ref-ETHUSDT")])
        Self.expectSameOutputs(outRoot + "/BTCUSDT", dir.path("ref-BTCUSDT"))
        Self.expectSameOutputs(outRoot + "/ETHUSDT", dir.path("ref-ETHUSDT"))
        // The runs differ (each has its own symbol's trades; quotes only for BTCUSDT).
        #expect(FeatureRun.outputs(outRoot + "/BTCUSDT")["features.csv"]! != FeatureRun.outputs(outRoot + "/ETHUSDT")["features.csv"]!)
        let header = try String(contentsOfFile: outRoot + "/BTCUSDT/features.csv", encoding: .utf8).prefix { $0 != "\n" }
        #expect(header.contains("spread_bps"), "BTCUSDT has no quote columns: \(header)")
        let ethHeader = try String(contentsOfFile: outRoot + "/ETHUSDT/features.csv", encoding: .utf8).prefix { $0 != "\n" }
        #expect(!ethHeader.contains("spread_bps"), "ETHUSDT has quote columns: \(ethHeader)")

        let summary = try Self.summary(result)
        let runs = try #require(summary["runs"] as? [[String: Any]])
        #expect(runs.compactMap { $0["name"] as? String }.sorted() == ["BTCUSDT", "ETHUSDT"])
        #expect(runs.allSatisfy { $0["finished"] as? Bool == true && ($0["shards"] as? Int ?? 0) >= 2 }, "\(runs)")
    }

    // MARK: - A shard that fails after its retries

    @Test("a shard that fails after its retries fails the script with exit 1, and nothing is finished")
    func failingShardIsNotFinished() throws {
        let dir = try TemporaryDirectory("tf-dask-fail")
        defer { dir.remove() }
        let days = try Self.cut(FeatureRun.btcTrades, parts: 3, into: dir.path("trades")) { "BTCUSDT-trades-2024-08-0\($0 + 1).csv" }
        // A bad row in the middle of the second day: the plan's probe does not see it, its shard does.
        var lines = try String(contentsOfFile: days[1], encoding: .utf8).components(separatedBy: "\n")
        lines[lines.count / 2] = "garbage,row,here"
        try lines.joined(separator: "\n").write(toFile: days[1], atomically: true, encoding: .utf8)
        let out = dir.path("dask")
        let result = try Self.runScript(["--workers", "2", "--shard-size", "1KiB", "--retries", "1", "--", "--trades", dir.path("trades"), "--out", out]
                                        + Self.flags, in: dir)
        #expect(result.status == 1, "\(result.stdoutText)\n\(result.stderrText)")
        #expect(result.stderrText.contains("shard 1/3 FAILED"), "\(result.stderrText)")
        #expect(result.stderrText.contains("not a number"), "the shard's own error is shown: \(result.stderrText)")
        #expect(result.stderrText.contains("so it was not finished"), "\(result.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: out + "/features.csv"))
        let summary = try Self.summary(result)
        #expect(summary["ok"] as? Bool == false)
        #expect(summary["retries"] as? Int == 1, "\(summary)")
    }
}
