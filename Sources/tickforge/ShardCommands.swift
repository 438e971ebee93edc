import ArgumentParser
import Foundation
import TickCore
import TickIO
import TickPipeline

/// `tickforge plan`: cuts a features run into shards for many machines.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cut a features run into shards that run at once on many machines (Dask, Slurm arrays, Kubernetes Indexed Jobs).",
        usage: "tickforge plan [--shard-size <size>] [--json] --trades <trades> … --out <out> [<features options>]",
        discussion: """
            Takes exactly the options of `tickforge features` and writes OUT/.tickforge/plan.json: the input files, probed \
            and checked as features checks them, packed into shards of whole files. Then run `tickforge shard OUT --index K` \
            for every shard K (anywhere that sees the same paths, in any order, at once), and `tickforge finish OUT`, which \
            writes exactly what `tickforge features` with these options writes. See docs/DISTRIBUTED.md.
            """)

    @Option(help: "Input bytes per shard: files are packed, in order, into shards of at most this size; a larger file is a shard of its own.",
            transform: ByteSize.parse)
    var shardSize: Int = 256 << 20

    @Flag(help: "Print the plan's summary as JSON (plan path, shards, files, bytes) instead of text.")
    var json = false

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The options of `tickforge features`.", valueName: "features options"))
    var featuresArguments: [String] = []

    func run() throws {
        let features = try PlannedRun.parseFeatures(featuresArguments)
        let workingDirectory = FileManager.default.currentDirectoryPath
        let plan = try reportingErrors {
            try FeaturesJob(options: try features.options())
                .plan(arguments: featuresArguments, workingDirectory: workingDirectory, shardBytes: Int64(shardSize))
        }
        let planPath = features.out + "/.tickforge/plan.json"
        if json {
            let summary: [String: Any] = ["plan": planPath, "out": features.out, "shards": plan.shards.count,
                                          "files": plan.files.count, "bytes": plan.bytes]
            print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            return
        }
        print("""
            planned \(plan.shards.count) shard\(plan.shards.count == 1 ? "" : "s") of \(plan.files.count) file\(plan.files.count == 1 ? "" : "s") (\(String(format: "%.1f", Double(plan.bytes) / 1e6)) MB) in \(planPath)
            next: tickforge shard \(features.out) --index K   for K = 0 … \(plan.shards.count - 1), at once, anywhere that sees the same paths
                  tickforge finish \(features.out)
            """)
    }
}

/// `tickforge shard`: ingests one shard of a plan.
struct Shard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ingest one shard of a plan into tick partitions in the shared run directory.",
        discussion: """
            The shard index is --index, else SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN (a Slurm array task), else \
            JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). Running a shard again, or after it was killed, gives the same \
            files: finished partitions are kept, an interrupted shard resumes from its last one.
            """)

    @Argument(help: "The run directory of `tickforge plan` (its --out).")
    var directory: String

    @Option(help: "The shard to run, from 0.")
    var index: Int?

    @Option(help: "Parallel workers for this shard (default: the plan's --workers, else this machine's cores).")
    var workers: Int?

    @Option(help: "Peak memory to plan this shard for (default: the plan's --memory-limit).", transform: ByteSize.parse)
    var memoryLimit: Int?

    @Flag(help: "Print what the shard did as JSON (index, files, bytes, partitions, seconds, peak memory).")
    var json = false

    func validate() throws {
        if let index, index < 0 { throw ValidationError("--index must be 0 or more") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    func run() throws {
        let index: Int
        do {
            index = try PlannedRun.shardIndex(flag: self.index, environment: ProcessInfo.processInfo.environment)
        } catch let error as ValidationError {
            try PlannedRun.refuse(error.message)
        }
        let (plan, features) = try PlannedRun.load(directory)
        var options = try features.options()
        PlannedRun.override(&options, workers: workers, memoryLimit: memoryLimit)
        let fragment = try reportingErrors { try FeaturesJob(options: options).runShard(plan, index: index) }
        let bytes = plan.shards[index].bytes
        if json {
            let summary: [String: Any] = ["index": index, "shards": plan.shards.count, "files": fragment.files.count, "bytes": bytes,
                                          "bytes_parsed": fragment.bytesParsed, "partitions_written": fragment.partitionsWritten,
                                          "partitions_reused": fragment.partitionsReused, "wall_seconds": fragment.wallSeconds,
                                          "peak_resident_bytes": fragment.peakResidentBytes]
            print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
            return
        }
        print("shard \(index) of \(plan.shards.count): \(fragment.files.count) file\(fragment.files.count == 1 ? "" : "s") (\(String(format: "%.1f", Double(bytes) / 1e6)) MB), "
              + "\(fragment.partitionsWritten) tick partitions written, \(fragment.partitionsReused) reused, "
              + String(format: "%.2f s, peak RSS %.1f MiB", fragment.wallSeconds, Double(fragment.peakResidentBytes) / 1_048_576))
    }
}

/// `tickforge finish`: completes a planned run once its shards are done.
struct Finish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Complete a planned run: take every shard's partitions and write the outputs `tickforge features` would.",
        discussion: """
            Refuses while a shard has not finished, naming it. Merges the files into one stream, makes the bars, features \
            and targets, splits and regimes, and publishes the outputs, exactly as `tickforge features` with the plan's \
            options; a file that changed since its shard ran is read again here.
            """)

    @Argument(help: "The run directory of `tickforge plan` (its --out).")
    var directory: String

    @Option(help: "Parallel workers (default: the plan's --workers, else this machine's cores).")
    var workers: Int?

    @Option(help: "Peak memory to plan for (default: the plan's --memory-limit).", transform: ByteSize.parse)
    var memoryLimit: Int?

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    func run() throws {
        let (plan, features) = try PlannedRun.load(directory)
        var options = try features.options()
        PlannedRun.override(&options, workers: workers, memoryLimit: memoryLimit)
        // The plan discarded the earlier run's state already; the shards' partitions stay.
        options.fresh = false
        options.shardPlan = plan
        let summary = try reportingErrors { try FeaturesJob(options: options).run() }
        features.report(summary, reusedFrom: "the shards and earlier runs")
    }
}

/// What `shard` and `finish` share: the planned `features` command, on this machine.
enum PlannedRun {
    /// The `features` command of `arguments`, validated as `features` validates its flags.
    static func parseFeatures(_ arguments: [String]) throws -> Features {
        do {
            return try Features.parse(arguments)
        } catch {
            try refuse("the features options: \(Features.message(for: error))")
        }
    }

    /// The plan in `directory` and its features command, parsed in the plan's working
    /// directory (which this process moves to, so relative paths name the same files).
    static func load(_ directory: String) throws -> (ShardPlan, Features) {
        let absolute = InputFingerprint.absolute(directory)
        let plan = try reportingErrors { try ShardPlan.load(directory: absolute) }
        guard FileManager.default.changeCurrentDirectoryPath(plan.workingDirectory) else {
            try refuse("the plan was made in \(plan.workingDirectory), which this machine does not have: every machine must see the inputs and the run directory at the paths the plan was made with")
        }
        let features = try parseFeatures(plan.arguments)
        guard let planned = Syscall.realPath(features.out), planned == Syscall.realPath(absolute) else {
            try refuse("the plan in \(directory) is for --out \(features.out) (in \(plan.workingDirectory)), which is not this directory")
        }
        return (plan, features)
    }

    /// The shard index: the flag, else a Slurm array task's (`SLURM_ARRAY_TASK_ID` −
    /// `SLURM_ARRAY_TASK_MIN`), else a Kubernetes Indexed Job's (`JOB_COMPLETION_INDEX`).
    static func shardIndex(flag: Int?, environment: [String: String]) throws -> Int {
        if let flag { return flag }
        if let text = environment["SLURM_ARRAY_TASK_ID"] {
            guard let id = Int(text) else { throw ValidationError("SLURM_ARRAY_TASK_ID '\(text)' is not a number") }
            let low = environment["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
            guard id >= low else {
                throw ValidationError("SLURM_ARRAY_TASK_ID \(id) is below SLURM_ARRAY_TASK_MIN \(low): the shard index is their difference, from 0")
            }
            return id - low
        }
        if let text = environment["JOB_COMPLETION_INDEX"] {
            guard let index = Int(text) else { throw ValidationError("JOB_COMPLETION_INDEX '\(text)' is not a number") }
            return index
        }
        throw ValidationError("give --index K, or run it as a Slurm array task (SLURM_ARRAY_TASK_ID) or in a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)")
    }

    /// Prints `error: message` and exits with the usage-error status: these are mistakes in
    /// what the command was given, but the usage to show is not this command's (ArgumentParser
    /// would print the top-level one).
    static func refuse(_ message: String) throws -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        throw ExitCode.validationFailure
    }

    /// The resources this machine gives the work (they do not change what is written).
    static func override(_ options: inout FeaturesOptions, workers: Int?, memoryLimit: Int?) {
        if let workers { options.read.workers = workers }
        if let memoryLimit { options.memoryLimit = memoryLimit }
    }
}
