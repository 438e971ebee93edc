import Foundation
import TickCore
import TickIO
#if canImport(Glibc)
import Glibc
#endif

/// The output directory of a features run: its lock, its manifest, its partition folders, the
/// generations of outputs and the links that publish one of them.
///
/// ```
/// DIR/features.csv …                 links to .tickforge/current/features.csv … (the outputs)
/// DIR/.tickforge/lock                held (flock) while a run is active
/// DIR/.tickforge/manifest.json       finished partitions, and the output links tickforge made
/// DIR/.tickforge/ticks/*.tfp         tick partitions (and *.rejects.csv in quarantine mode)
/// DIR/.tickforge/features/*.tfp      feature partitions
/// DIR/.tickforge/generations/N/      one complete set of outputs per successful run
/// DIR/.tickforge/plan.json           the shards of a distributed run (`tickforge plan`)
/// DIR/.tickforge/shards/shard-K.json what shard K ingested (`tickforge shard`), and its .lock
/// DIR/.tickforge/current             link to the published generation
/// ```
///
/// Ownership: the directory itself may hold the user's files. tickforge creates, replaces or
/// removes there only the output links its manifest lists; inside `.tickforge` only names that
/// `RunFileName` parses as its own. A run that would need a path held by anything else refuses
/// before doing any work, naming the path.
///
/// Outputs change as a set: a run writes a new generation and publishes it by renaming one link,
/// `.tickforge/current`, so a reader opening `DIR/features.csv` gets the old file or the new
/// one, whole, and a failed or killed run leaves the previous set in place.
public final class RunDirectory {
    public let path: String
    /// `DIR/.tickforge`.
    public let state: String
    public var ticks: String { state + "/" + RunFileName.ticksFolder }
    public var featureParts: String { state + "/" + RunFileName.featuresFolder }
    var generations: String { state + "/" + RunFileName.generationsFolder }
    /// `DIR/.tickforge/shards`: the states and locks of `tickforge shard`.
    var shards: String { state + "/" + RunFileName.shardsFolder }
    var planPath: String { state + "/" + RunFileName.plan }
    var manifestPath: String { state + "/" + RunFileName.manifest }
    var currentLink: String { state + "/" + RunFileName.current }
    private let lockFD: Int32

    /// Opens (creating if needed) the run directory. Before it creates anything it refuses a
    /// `.tickforge` that is not tickforge's and what `claim` refuses; then it takes the lock
    /// (failing at once if another run holds it) and removes the debris of interrupted runs:
    /// temporary files and generations never published. With `fresh`, the partitions the
    /// manifest lists are removed and the manifest starts empty (the published outputs stay
    /// until a new set replaces them).
    ///
    /// - Parameters:
    ///   - outputs: the names in `DIR` this run will publish.
    ///   - inputs: the run's input files, each with its option's name for messages.
    public init(path: String, fresh: Bool, outputs: [String], inputs: [(role: String, path: String)]) throws {
        self.path = path
        state = path + "/" + RunFileName.stateFolder
        try Self.checkStateFolder(state)
        try Self.claim(directory: path, outputs: outputs, inputs: inputs)
        try Syscall.makeDirectories(state)
        lockFD = try Syscall.lock(state + "/" + RunFileName.lock, exclusive: true,
                                  held: "\(path) is in use by another tickforge run (lock \(state)/\(RunFileName.lock) is held); wait for it or use another --out")
        try Syscall.makeDirectories(ticks)
        try Syscall.makeDirectories(featureParts)
        try Syscall.makeDirectories(generations)
        if fresh {
            // The manifest forgets the partitions before they are removed (it never lists a
            // file that is not there).
            let manifest = loadManifest()
            try save(Manifest(links: manifest.links), force: true)
            for input in manifest.inputs {
                for entry in input.partitions {
                    try Syscall.remove(ticks + "/" + entry.name)
                    if let rejects = entry.rejects { try Syscall.remove(ticks + "/" + rejects) }
                }
            }
            for entry in manifest.features?.partitions ?? [] { try Syscall.remove(featureParts + "/" + entry.name) }
        }
        try removeDebris()
    }

    deinit { Syscall.unlock(lockFD) }

    /// Refuses a `.tickforge` that tickforge did not make: one that is not a folder, or a folder
    /// with neither a manifest of tickforge's nor only names tickforge writes there.
    static func checkStateFolder(_ state: String) throws {
        guard let kind = Syscall.entryKind(state) else { return }
        let advice = "move it away or choose another --out"
        guard kind == .directory else {
            throw TickError.invalidArgument("\(state) exists and is not tickforge's state folder (it is not a folder); \(advice)")
        }
        if let data = FileManager.default.contents(atPath: state + "/" + RunFileName.manifest),
           (try? JSONDecoder.snakeCase.decode(Manifest.self, from: data)) != nil { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []
        let folders: Set = [RunFileName.ticksFolder, RunFileName.featuresFolder, RunFileName.generationsFolder, RunFileName.shardsFolder]
        let foreign = names.filter { !RunFileName.isStateFile($0) && !folders.contains($0) }
        if !foreign.isEmpty {
            throw TickError.invalidArgument("\(state) exists but has no tickforge manifest and holds files tickforge did not write (\(foreign.sorted().prefix(3).joined(separator: ", "))); \(advice)")
        }
    }

    /// Refuses a run that would have to replace or remove what tickforge did not write: an
    /// input that is one of the outputs or lies in `.tickforge`, or an output name held by a
    /// file or link that the manifest does not list as tickforge's.
    static func claim(directory: String, outputs names: [String], inputs: [(role: String, path: String)]) throws {
        // A run directory inside another's state folder would put its links and its own state
        // among files that the other run removes or replaces.
        var existing = directory
        while Syscall.entryKind(existing) == nil, existing != "/", existing != "." { existing = AtomicFileWriter.directory(of: existing) }
        if let real = Syscall.realPath(existing), real.split(separator: "/").contains(Substring(RunFileName.stateFolder)) {
            throw TickError.invalidArgument("--out \(directory) lies inside a tickforge state folder (\(RunFileName.stateFolder)), whose files another run replaces or removes; choose a directory outside it")
        }
        let state = directory + "/" + RunFileName.stateFolder
        let manifest = loadManifest(state + "/" + RunFileName.manifest)
        let stateReal = Syscall.realPath(state).map { $0 + "/" }
        for input in inputs {
            if let stateReal, let real = Syscall.realPath(input.path), real.hasPrefix(stateReal) {
                throw TickError.invalidArgument("the \(input.role) input \(input.path) lies in \(state), tickforge's own folder, whose files a run replaces or removes; copy it elsewhere first")
            }
            guard let identity = Syscall.identity(input.path) else { continue }
            for name in RunFileName.outputs where Syscall.identity(directory + "/" + name) == identity {
                throw TickError.invalidArgument("the \(input.role) input \(input.path) is the file this run would replace with its \(name) (\(directory)/\(name)); move the input elsewhere or choose another --out")
            }
        }
        for name in names {
            let output = directory + "/" + name
            guard let kind = Syscall.entryKind(output), !isOwnLink(name, in: directory, manifest: manifest) else { continue }
            let what = kind == .link ? "a link" : kind == .directory ? "a folder" : "a file"
            var message = "\(output) is \(what) that tickforge did not write, and this run publishes its \(name) there; move it away or choose another --out"
            if Syscall.exists(directory + "/" + RunFileName.manifest) {
                message += " (\(directory)/\(RunFileName.manifest) suggests an earlier tickforge version wrote its outputs there as plain files: remove them, that manifest.json, ticks/ and features/ yourself if you no longer need them)"
            }
            throw TickError.invalidArgument(message)
        }
    }

    /// Whether `DIR/name` is an output link the manifest says tickforge made.
    static func isOwnLink(_ name: String, in directory: String, manifest: Manifest) -> Bool {
        manifest.links.contains(name) && Syscall.readLink(directory + "/" + name) == linkText(name)
    }

    func isOwnLink(_ name: String, manifest: Manifest) -> Bool { Self.isOwnLink(name, in: path, manifest: manifest) }

    /// What an output link says: relative, so the directory can be moved or copied whole.
    static func linkText(_ name: String) -> String { RunFileName.stateFolder + "/" + RunFileName.current + "/" + name }

    /// The manifest of an earlier run, or an empty one (also when it is unreadable: then
    /// nothing is reused, which is always safe, and no output link counts as tickforge's).
    public func loadManifest() -> Manifest { Self.loadManifest(manifestPath) }

    /// When the manifest is missing or damaged but a generation is published, the output
    /// links are still known to be tickforge's by what they say (a link into this state
    /// folder's `current`): a rerun then rebuilds everything else and keeps the links.
    static func loadManifest(_ path: String) -> Manifest {
        if let data = FileManager.default.contents(atPath: path),
           let manifest = try? JSONDecoder.snakeCase.decode(Manifest.self, from: data),
           manifest.formatVersion == Manifest.formatVersion {
            return manifest
        }
        let state = AtomicFileWriter.directory(of: path)
        let directory = AtomicFileWriter.directory(of: state)
        guard Syscall.readLink(state + "/" + RunFileName.current)?.hasPrefix(RunFileName.generationsFolder + "/") == true else {
            return Manifest()
        }
        return Manifest(links: RunFileName.outputs.filter { Syscall.readLink(directory + "/" + $0) == linkText($0) })
    }

    private var throttle = SaveThrottle()

    /// Writes the manifest atomically. Unforced saves are skipped when one was written just
    /// before (`SaveThrottle`): a partition missing from the manifest is only recomputed on
    /// resume, and saving after each of thousands of small partitions would cost a rename and
    /// two fsyncs each.
    public func save(_ manifest: Manifest, force: Bool = false) throws {
        guard throttle.allows(force: force) else { return }
        try throttle.measure { try AtomicFileWriter.write(Array(try JSON.encode(manifest).utf8) + [10], to: manifestPath) }
    }

    /// Whether `name` in `folder` exists with exactly `bytes` bytes and CRC-32 `checksum`.
    public static func isIntact(_ path: String, bytes: Int, checksum: UInt32) -> Bool {
        guard let info = try? Syscall.stat(path), info.size == Int64(bytes),
              let data = FileManager.default.contents(atPath: path) else { return false }
        return data.withUnsafeBytes { Checksum.crc32($0) } == checksum
    }

    // MARK: - Generations

    /// The number of the published generation, if any.
    var currentGeneration: Int? {
        guard let text = Syscall.readLink(currentLink), text.hasPrefix(RunFileName.generationsFolder + "/") else { return nil }
        return RunFileName.parseNumber(text.dropFirst(RunFileName.generationsFolder.count + 1))
    }

    func generationPath(_ number: Int) -> String { generations + "/" + RunFileName.generation(number) }

    /// A new, empty generation after every existing one (so a number is never reused while a
    /// reader may still hold files of the old one).
    func beginGeneration() throws -> OutputGeneration {
        let numbers = ((try? FileManager.default.contentsOfDirectory(atPath: generations)) ?? [])
            .compactMap { RunFileName.parseNumber(Substring($0)) }
        let number = max(numbers.max() ?? 0, currentGeneration ?? 0) + 1
        let folder = generationPath(number)
        try Syscall.makeDirectories(folder)
        return OutputGeneration(number: number, path: folder)
    }

    /// Makes `generation` the published set: records its files' sizes and checksums, creates
    /// the output links it needs (listing each in the manifest first), renames the one link
    /// `current` to point at it, then removes the links it does not need and every older
    /// generation. A kill before the rename leaves the previous set; after it, the new one.
    func publish(_ generation: OutputGeneration, manifest: inout Manifest) throws {
        try generation.sealRecord()
        let names = generation.files.map(\.name)
        let missing = names.filter { !isOwnLink($0, manifest: manifest) }
        let unlisted = missing.filter { !manifest.links.contains($0) }
        if !unlisted.isEmpty {
            manifest.links += unlisted
            try save(manifest, force: true)
        }
        for name in missing { try Syscall.symlink(Self.linkText(name), at: path + "/" + name) }
        try Syscall.fsyncDirectory(path)
        let temporary = currentLink + AtomicFileWriter.temporaryMarker + String(getpid())
        Syscall.unlinkIfPresent(temporary)
        do {
            try Syscall.symlink(RunFileName.generationsFolder + "/" + RunFileName.generation(generation.number), at: temporary)
        } catch TickError.io(_, _, let code, let message) {
            // The temporary name means nothing to the user: name the link being replaced.
            throw TickError.io(path: currentLink, operation: "create link", errno: code, message: message)
        }
        try Syscall.rename(temporary, currentLink)
        try Syscall.fsyncDirectory(state)
        generation.published = true

        let unneeded = manifest.links.filter { !names.contains($0) }
        for name in unneeded where isOwnLink(name, manifest: manifest) { try Syscall.remove(path + "/" + name) }
        if !unneeded.isEmpty {
            manifest.links.removeAll { unneeded.contains($0) }
            try save(manifest, force: true)
        }
        try removeUnpublishedGenerations()
    }

    // MARK: - Debris

    /// Removes temporary files of tickforge's in its folders, and generations other than the
    /// published one.
    private func removeDebris() throws {
        for (folder, isOwn) in [(state, RunFileName.isStateFile), (ticks, { RunFileName.isTickFile($0) }),
                                (featureParts, RunFileName.isFeatureFile), (shards, RunFileName.isShardFile)] as [(String, (String) -> Bool)] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            where RunFileName.isTemporary(name) && isOwn(name) {
                try Syscall.remove(folder + "/" + name)
            }
        }
        try removeUnpublishedGenerations()
    }

    /// Removes every generation but the published one.
    private func removeUnpublishedGenerations() throws {
        let current = currentGeneration
        for name in (try? FileManager.default.contentsOfDirectory(atPath: generations)) ?? [] {
            guard let number = RunFileName.parseNumber(Substring(name)), number != current,
                  Syscall.entryKind(generations + "/" + name) == .directory else { continue }
            try OutputGeneration.remove(generations + "/" + name)
        }
    }
}

/// One set of outputs being written in `DIR/.tickforge/generations/N`: invisible to readers of
/// `DIR` until `RunDirectory.publish` makes it current.
final class OutputGeneration {
    let number: Int
    let path: String
    /// Each file written, with its size and checksum (what `inspect --verify` checks).
    private(set) var files: [OutputFileRecord] = []
    fileprivate(set) var published = false

    init(number: Int, path: String) { self.number = number; self.path = path }

    deinit {
        // A run that failed before publishing leaves nothing of its outputs behind.
        if !published { try? Self.remove(path) }
    }

    /// Removes a generation folder: the files tickforge writes there, then the folder if
    /// nothing else is left in it.
    static func remove(_ folder: String) throws {
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where RunFileName.isGenerationFile(file) {
            try Syscall.remove(folder + "/" + file)
        }
        Syscall.removeEmptyDirectory(folder)
    }

    func filePath(_ name: String) -> String { path + "/" + name }

    /// Writes a whole small file and records it.
    func write(_ bytes: [UInt8], as name: String) throws {
        try AtomicFileWriter.write(bytes, to: filePath(name))
        record(name, bytes: Int64(bytes.count), checksum: Checksum.crc32c(bytes))
    }

    /// Records a file written through its own writer.
    func record(_ name: String, bytes: Int64, checksum: UInt32) {
        files.removeAll { $0.name == name }
        files.append(OutputFileRecord(name: name, bytes: bytes, crc32c: checksum))
    }

    /// Writes `outputs.json`, the record of every file, in output order.
    fileprivate func sealRecord() throws {
        let order = RunFileName.outputs
        files.sort { (order.firstIndex(of: $0.name) ?? order.count) < (order.firstIndex(of: $1.name) ?? order.count) }
        let record = OutputsRecord(generation: number, files: files)
        try AtomicFileWriter.write(Array(try JSON.encode(record).utf8) + [10], to: filePath(RunFileName.outputsRecord))
    }
}

/// One published file: what `inspect --verify` compares it with.
public struct OutputFileRecord: Sendable, Codable, Equatable {
    public var name: String
    public var bytes: Int64
    /// CRC-32C (Castagnoli): computed in hardware, it costs the run almost nothing.
    public var crc32c: UInt32
}

/// `outputs.json` of a generation.
public struct OutputsRecord: Sendable, Codable, Equatable {
    public static let formatVersion = 1
    public var formatVersion = OutputsRecord.formatVersion
    public var generation: Int
    public var files: [OutputFileRecord]
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

extension RunDirectory {
    /// The published generation folder of the finished run in `directory` (where its
    /// `features.json` link leads), for commands that read a run's outputs as one set; or an
    /// error that says why `directory` is not such a run. `command` names the caller in the
    /// message (`tickforge report`).
    static func publishedGeneration(of directory: String, command: String) throws -> String {
        let usage = "`\(command)` takes the --out directory of a finished `tickforge features` run"
        guard let kind = Syscall.entryKind(directory) else {
            throw TickError.invalidArgument("\(directory): no such directory; \(usage)")
        }
        guard (try? Syscall.stat(directory))?.isDirectory == true else {
            throw TickError.invalidArgument("\(directory) is not a directory (\(kind)); \(usage)")
        }
        let featuresJSON = directory + "/features.json"
        guard let real = Syscall.realPath(featuresJSON) else {
            if Syscall.entryKind(featuresJSON) == .link {
                throw TickError.invalidArgument("\(featuresJSON) leads to no file: a run is publishing a new set, or the directory is damaged (`tickforge inspect \(directory)` tells)")
            }
            if Syscall.entryKind(directory + "/" + RunFileName.stateFolder) == .directory {
                throw TickError.invalidArgument("\(directory) holds no finished run yet (no features.json): let `tickforge features --out \(directory)` finish first")
            }
            throw TickError.invalidArgument("\(directory) is not a tickforge run directory (no features.json, no \(RunFileName.stateFolder) folder); \(usage)")
        }
        return AtomicFileWriter.directory(of: real)
    }
}
