import Foundation
import TickCore
import TickIO

/// `DIR/.tickforge/plan.json`, written by `tickforge plan`: a features run cut into shards that
/// any engine (Dask, a Slurm array, a Kubernetes Indexed Job) can run at once on many machines.
/// A shard is a group of whole input files; `tickforge shard DIR --index K` turns shard K's
/// files into tick partitions in the shared run directory, and `tickforge finish DIR` takes
/// them and does everything after the ingest (merge, bars, features, outputs, splits, regimes)
/// exactly as `tickforge features` would.
public struct ShardPlan: Sendable, Codable, Equatable {
    public static let formatVersion = 1
    public var formatVersion = ShardPlan.formatVersion
    /// Names this plan: a shard's state written for another plan is never taken for this one's.
    public var id: String
    /// Where `tickforge plan` ran. Shards and `finish` work from there, so relative paths in
    /// the arguments mean the same files on every machine (which must see the same paths).
    public var workingDirectory: String
    /// The `tickforge features` arguments, as given.
    public var arguments: [String]
    /// Every input file read, trades then quotes, in the order `features` lists them.
    public var files: [File]
    public var shards: [Shard]
    /// The input file numbers the plan gave out are below this.
    public var nextFileNumber: Int
    public var bytes: Int64

    /// One input file and the shard that reads it.
    public struct File: Sendable, Codable, Equatable {
        /// `trades` or `quotes`.
        public var role: String
        /// As `InputFiles.expand` listed it (relative to `workingDirectory` if relative).
        public var path: String
        /// The number in its partitions' names (kept from an earlier run of the directory).
        public var fileNumber: Int
        public var bytes: Int64
        public var shard: Int
    }

    /// One shard: the files it reads, by their place in `files`.
    public struct Shard: Sendable, Codable, Equatable {
        public var index: Int
        public var files: [Int]
        public var bytes: Int64
    }

    /// Packs the files, in their order, into shards of at most `shardBytes` input bytes; a
    /// larger file is a shard of its own (a file is never split between shards).
    static func pack(_ files: [File], shardBytes: Int64) -> (files: [File], shards: [Shard]) {
        var files = files
        var shards: [Shard] = []
        for place in files.indices {
            if let last = shards.last, last.bytes + files[place].bytes <= shardBytes {
                shards[shards.count - 1].files.append(place)
                shards[shards.count - 1].bytes += files[place].bytes
            } else {
                shards.append(Shard(index: shards.count, files: [place], bytes: files[place].bytes))
            }
            files[place].shard = shards.count - 1
        }
        return (files, shards)
    }

    /// The plan in run directory `directory`, or an error that says what to do.
    public static func load(directory: String) throws -> ShardPlan {
        let path = directory + "/" + RunFileName.stateFolder + "/" + RunFileName.plan
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TickError.invalidArgument("\(directory) has no plan (\(path)): make one with `tickforge plan --out \(directory) <features options>` first")
        }
        let plan: ShardPlan
        do {
            plan = try JSONDecoder.snakeCase.decode(ShardPlan.self, from: data)
        } catch {
            throw TickError.invalidArgument("\(path) is not a plan this tickforge can read (\(error)); make a new one with `tickforge plan`")
        }
        guard plan.formatVersion == formatVersion else {
            throw TickError.invalidArgument("\(path) is a plan of format \(plan.formatVersion), this tickforge reads \(formatVersion); make a new one with `tickforge plan`")
        }
        return plan
    }

    /// A random name for a new plan.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 16)
    }
}

/// `DIR/.tickforge/shards/shard-K.json`: what shard K has ingested so far. Each shard writes its
/// own (no lock is shared between machines, and `flock` cannot be trusted on NFS); `finish`
/// merges them into the run's manifest.
public struct ShardFragment: Sendable, Codable, Equatable {
    public static let formatVersion = 1
    public var formatVersion = ShardFragment.formatVersion
    /// The plan (`ShardPlan.id`) this state belongs to.
    public var planId: String
    public var index: Int
    /// The ingest state of each of the shard's files started so far, in the shard's order.
    public var files: [Entry]
    /// Set when every file of the shard is in partitions.
    public var complete = false
    /// Why the shard's last run failed, if it did (`finish` names it instead of asking for a
    /// run that would fail the same way).
    public var error: String?
    /// What the shard's last run did: partitions taken from earlier runs and written, input
    /// bytes parsed, time and peak memory.
    public var partitionsReused = 0
    public var partitionsWritten = 0
    public var bytesParsed: Int64 = 0
    public var wallSeconds: Double = 0
    public var peakResidentBytes: Int64 = 0

    public struct Entry: Sendable, Codable, Equatable {
        public var role: String
        public var state: InputState
    }

    /// The fragment at `path`, if there is a readable one of this format.
    static func load(path: String) -> ShardFragment? {
        guard let data = FileManager.default.contents(atPath: path),
              let fragment = try? JSONDecoder.snakeCase.decode(ShardFragment.self, from: data),
              fragment.formatVersion == formatVersion else { return nil }
        return fragment
    }
}
