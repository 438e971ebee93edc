import Foundation
import TickCore
import TickIO

/// A features run cut into shards (`ShardPlan`): `plan` lists the input files and gives each a
/// shard, `runShard` ingests one shard's files into the shared run directory, and a run with
/// `FeaturesOptions.shardPlan` (`tickforge finish`) takes the shards' partitions and does the
/// rest. What is distributed is the ingest (tokenizing, parsing, validating, compressing: the
/// work that grows with the input bytes); the merge into one stream, the bars, the features and
/// the outputs run once, in `finish`, so they are exactly what `tickforge features` computes.
extension FeaturesJob {
    /// Writes `DIR/.tickforge/plan.json`: every input file, probed and checked as `features`
    /// checks them, packed into shards of at most `shardBytes`. Holds the run directory's lock
    /// while it plans; with `--fresh` it discards the earlier run's state here, once. What an
    /// earlier plan's shards finished is taken into the manifest (without `--fresh`), and their
    /// state files are removed.
    public func plan(arguments: [String], workingDirectory: String, shardBytes: Int64) throws -> ShardPlan {
        if (tradeFiles + quoteFiles + liquidationFiles + bookFiles).contains(InputFiles.standardInput) {
            throw TickError.invalidArgument("a plan cannot read standard input (-): its shards run as other processes, perhaps on other machines; save the data to a file first")
        }
        let opened = try openInputs()
        let directory = try RunDirectory(path: options.outputDirectory, fresh: options.fresh, outputs: outputNames,
                                         inputs: claimedInputs)
        var manifest = directory.loadManifest()
        // What the shards of an earlier plan finished is kept (the new plan's shards reuse it),
        // unless the run starts over.
        if !options.fresh, let earlier = try? ShardPlan.load(directory: options.outputDirectory) {
            Self.merge(Self.fragments(of: earlier, in: directory.shards).entries, into: &manifest)
        }
        var files: [ShardPlan.File] = []
        for group in opened.all {
            for file in group.files {
                // A file an earlier run read keeps its number, so its partitions are reused.
                let path = InputFingerprint.absolute(file.path)
                let number: Int
                if let known = manifest[group.role].first(where: { !$0.fromPipe && $0.fingerprint.path == path }) {
                    number = known.fileNumber
                } else {
                    number = manifest.nextFileNumber
                    manifest.nextFileNumber += 1
                }
                files.append(.init(role: group.role, path: file.path, fileNumber: number, bytes: file.bytes, shard: 0))
            }
        }
        // The numbers are reserved in the manifest: a `features` run before `finish` gives
        // its new files others.
        try directory.save(manifest, force: true)
        let (planned, shards) = ShardPlan.pack(files, shardBytes: max(1, shardBytes))
        let plan = ShardPlan(id: ShardPlan.newID(), workingDirectory: workingDirectory, arguments: arguments,
                             files: planned, shards: shards, nextFileNumber: manifest.nextFileNumber,
                             bytes: files.reduce(0) { $0 + $1.bytes })
        try Syscall.makeDirectories(directory.shards)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.shards)) ?? [] where RunFileName.isShardFile(name) {
            try Syscall.remove(directory.shards + "/" + name)
        }
        try AtomicFileWriter.write(Array(try JSON.encode(plan).utf8) + [10], to: directory.planPath)
        return plan
    }

    /// Ingests the files of shard `index` of `plan` into tick partitions, recording its
    /// progress in its own fragment (`shards/shard-K.json`) under its own lock. Idempotent:
    /// a shard run again reuses every intact partition it made; one killed resumes from its
    /// last partition. Returns the complete fragment.
    public func runShard(_ plan: ShardPlan, index: Int) throws -> ShardFragment {
        MemoryBudget.configureAllocator(limit: budget.limit)
        guard plan.shards.indices.contains(index) else {
            throw TickError.invalidArgument("the plan has no shard \(index): its shards are 0 to \(plan.shards.count - 1)")
        }
        let clock = StageClock()
        clock.start("ingest")
        let locks = try ShardLocks(directory: options.outputDirectory, index: index)
        defer { withExtendedLifetime(locks) {} }
        let fragmentPath = locks.shards + "/" + RunFileName.shardFragment(index)
        let previous = ShardFragment.load(path: fragmentPath).flatMap { $0.planId == plan.id ? $0 : nil }
        let manifest = RunDirectory.loadManifest(locks.state + "/" + RunFileName.manifest)
        let files = plan.shards[index].files.map { plan.files[$0] }
        let saver = FragmentSaver(path: fragmentPath, fragment: ShardFragment(planId: plan.id, index: index, files: []))
        try saver.save(force: true)
        do {
            return try ingest(files, plan: plan, index: index, previous: previous, manifest: manifest, saver: saver, locks: locks, clock: clock)
        } catch let error as TickError {
            saver.fragment.error = "\(error)"
            try? saver.save(force: true)
            throw error
        }
    }

    /// The body of `runShard`: the shard's files into partitions, its fragment kept up to date.
    private func ingest(_ files: [ShardPlan.File], plan: ShardPlan, index: Int, previous: ShardFragment?, manifest: Manifest,
                        saver: FragmentSaver, locks: ShardLocks, clock: StageClock) throws -> ShardFragment {
        let queue = PartitionWriteQueue(pool: pool)
        let listing = TickFolderListing(folder: locks.ticks)
        var stages: [IngestStage] = []
        let progress = ProgressLine(label: "shard \(index)", totalBytes: plan.shards[index].bytes, enabled: options.showProgress)
        defer { progress.finish() }
        var bytesBefore: Int64 = 0
        for (place, file) in files.enumerated() {
            let read = readOptions(role: file.role)
            let group = try InputGroup(role: file.role, paths: [file.path], kind: file.role == "quotes" ? .quotes : file.role == "book" ? .book : .trades,
                                       options: read, symbol: options.read.symbol, fingerprint: options.fingerprint)
            let path = InputFingerprint.absolute(file.path)
            let earlier = previous?.files.first { $0.role == file.role && $0.state.fingerprint.path == path && $0.state.fileNumber == file.fileNumber }?.state
                ?? manifest[file.role].first { !$0.fromPipe && $0.fingerprint.path == path && $0.fileNumber == file.fileNumber }
            let offset = bytesBefore
            let stage = IngestStage(role: file.role, file: group.files[0], fileNumber: file.fileNumber, options: read,
                                    partitionRows: budget.tickPartitionRows, pool: pool, ticks: locks.ticks, listing: listing) { progress.update(doneBytes: offset + $0) }
            try stage.run(previous: earlier, queue: queue) { state, force in
                try saver.record(state, role: file.role, place: place, force: force)
            }
            if let state = stage.state { try saver.record(state, role: file.role, place: place, force: false) }
            stages.append(stage)
            bytesBefore += file.bytes
        }
        try queue.completeAll()
        clock.stop()
        for (place, stage) in stages.enumerated() { try saver.record(stage.state!, role: stage.role, place: place, force: false) }
        saver.fragment.complete = true
        saver.fragment.partitionsReused = stages.reduce(0) { $0 + $1.reused }
        saver.fragment.partitionsWritten = stages.reduce(0) { $0 + $1.written }
        saver.fragment.bytesParsed = stages.reduce(0) { $0 + $1.bytesParsed }
        saver.fragment.wallSeconds = clock.wallSeconds
        saver.fragment.peakResidentBytes = Syscall.peakResidentBytes()
        try saver.save(force: true)
        return saver.fragment
    }

    /// `finish`: puts the ingest states of every shard of `plan` into the manifest, in place of
    /// what it said of the same files, so that the ingest that follows reuses their partitions.
    /// Refuses, before changing anything, when a shard has not finished.
    func adoptShards(_ plan: ShardPlan, inputs: [InputGroup], directory: RunDirectory, store: ManifestStore) throws {
        let (entries, unfinished, failed) = Self.fragments(of: plan, in: directory.shards)
        guard unfinished.isEmpty else {
            if let (index, error) = failed.first {
                throw TickError.invalidArgument("shard \(index) failed\(failed.count > 1 ? " (and \(failed.count - 1) more)" : ""): \(error); fix the input (or plan again with other options, such as --bad-rows quarantine) and run the shard again")
            }
            let list = unfinished.prefix(10).map(String.init).joined(separator: ", ") + (unfinished.count > 10 ? ", …" : "")
            throw TickError.invalidArgument("\(unfinished.count) of the plan's \(plan.shards.count) shards have not finished (\(list)): run `tickforge shard \(options.outputDirectory) --index K` for each, then finish again")
        }
        Self.merge(entries, into: &store.manifest)
        store.manifest.nextFileNumber = max(store.manifest.nextFileNumber, plan.nextFileNumber)
        try store.save(force: true)
        let planned = Set(plan.files.map { InputFingerprint.absolute($0.path) })
        let unplanned = inputs.flatMap(\.files).map(\.path).filter { !planned.contains(InputFingerprint.absolute($0)) }
        if !unplanned.isEmpty {
            adoptionWarnings.append("\(unplanned.count) input file\(unplanned.count == 1 ? " was" : "s were") not in the plan (added since it was made, e.g. \(unplanned[0])) and read by finish itself; plan again to shard them")
        }
    }

    /// The ingest states the shards of `plan` recorded (finished or not), the shards that have
    /// not finished, and the errors of those whose last run failed.
    static func fragments(of plan: ShardPlan, in folder: String) -> (entries: [ShardFragment.Entry], unfinished: [Int], failed: [(Int, String)]) {
        var entries: [ShardFragment.Entry] = []
        var unfinished: [Int] = []
        var failed: [(Int, String)] = []
        for shard in plan.shards {
            let fragment = ShardFragment.load(path: folder + "/" + RunFileName.shardFragment(shard.index)).flatMap { $0.planId == plan.id ? $0 : nil }
            entries += fragment?.files ?? []
            if fragment?.complete != true || fragment?.files.count != shard.files.count { unfinished.append(shard.index) }
            if let error = fragment?.error { failed.append((shard.index, error)) }
        }
        return (entries, unfinished, failed)
    }

    /// Puts ingest states into `manifest`, in place of what it said of the same files (the
    /// last state of a file number wins), each role's list rebuilt once.
    static func merge(_ entries: [ShardFragment.Entry], into manifest: inout Manifest) {
        for role in ["trades", "quotes", "liquidations", "book"] {
            let incoming = Dictionary(entries.filter { $0.role == role }.map { ($0.state.fileNumber, $0.state) }) { _, last in last }
            guard !incoming.isEmpty else { continue }
            let paths = Set(incoming.values.map(\.fingerprint.path))
            manifest[role] = manifest[role].filter { incoming[$0.fileNumber] == nil && !paths.contains($0.fingerprint.path) }
                + incoming.keys.sorted().map { incoming[$0]! }
            manifest.nextFileNumber = max(manifest.nextFileNumber, incoming.keys.max()! + 1)
        }
    }
}

/// Keeps a shard's fragment and writes it atomically: forced, or as `SaveThrottle` allows (a
/// partition the fragment does not list yet is only made again on resume).
final class FragmentSaver {
    let path: String
    var fragment: ShardFragment
    private var byPlace: [Int: ShardFragment.Entry] = [:]
    private var throttle = SaveThrottle()

    init(path: String, fragment: ShardFragment) { self.path = path; self.fragment = fragment }

    func record(_ state: InputState, role: String, place: Int, force: Bool) throws {
        byPlace[place] = .init(role: role, state: state)
        fragment.files = byPlace.keys.sorted().map { byPlace[$0]! }
        try save(force: force)
    }

    func save(force: Bool) throws {
        guard throttle.allows(force: force) else { return }
        try throttle.measure { try AtomicFileWriter.write(Array(try JSON.encode(fragment).utf8) + [10], to: path) }
    }
}

/// The locks of a running shard: the run directory's lock shared (so that a `features`,
/// `plan` or `finish` run, which holds it exclusively, and shards on the same machine never
/// overlap) and the shard's own lock exclusively (so that one shard does not run twice at once
/// there). Across machines on NFS neither can be trusted; then what keeps the files right is
/// that every file is written whole under a new name and renamed, and that two runs of one
/// shard write the same bytes.
final class ShardLocks {
    let state: String
    var ticks: String { state + "/" + RunFileName.ticksFolder }
    var shards: String { state + "/" + RunFileName.shardsFolder }
    private var descriptors: [Int32] = []

    init(directory: String, index: Int) throws {
        state = directory + "/" + RunFileName.stateFolder
        try RunDirectory.checkStateFolder(state)
        guard Syscall.exists(state + "/" + RunFileName.plan) else {
            throw TickError.invalidArgument("\(directory) has no plan: make one with `tickforge plan` first")
        }
        try Syscall.makeDirectories(ticks)
        try Syscall.makeDirectories(shards)
        descriptors.append(try Syscall.lock(state + "/" + RunFileName.lock, exclusive: false,
                                            held: "\(directory) is in use by a features, plan or finish run (lock \(state)/\(RunFileName.lock) is held); wait for it"))
        descriptors.append(try Syscall.lock(shards + "/" + RunFileName.shardLock(index), exclusive: true,
                                            held: "shard \(index) of \(directory) is already running (lock \(shards)/\(RunFileName.shardLock(index)) is held); wait for it"))
    }

    deinit { descriptors.reversed().forEach(Syscall.unlock) }
}
