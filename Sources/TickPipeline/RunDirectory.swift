import Foundation
import TickCore
import TickIO
#if canImport(Glibc)
import Glibc
#endif

/// The output directory of a features run: its lock, its manifest, its partition folders, and
/// the cleanup of debris from interrupted runs.
///
/// ```
/// DIR/.lock               held (flock) while a run is active
/// DIR/manifest.json       finished partitions
/// DIR/ticks/*.tfp         tick partitions (and *.rejects.csv in quarantine mode)
/// DIR/features/*.tfp      feature partitions
/// DIR/features.csv …      final outputs
/// ```
public final class RunDirectory {
    public let path: String
    public var ticks: String { path + "/ticks" }
    public var featureParts: String { path + "/features" }
    public var manifestPath: String { path + "/manifest.json" }
    private let lockFD: Int32

    /// Creates the folders, takes the lock (failing at once if another run holds it), and
    /// removes temporary files left by an interrupted run.
    public init(path: String, fresh: Bool) throws {
        self.path = path
        try Syscall.makeDirectories(path)
        lockFD = try Syscall.open(path + "/.lock", flags: O_RDWR | O_CREAT)
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            Syscall.close(lockFD)
            if code == EWOULDBLOCK {
                throw TickError.invalidArgument("\(path) is in use by another tickforge run (lock \(path)/.lock is held); wait for it or use another --out")
            }
            throw TickError.io(path: path + "/.lock", operation: "flock", errno: code, message: Syscall.errorText(code))
        }
        if fresh {
            for folder in [ticks, featureParts] { try? FileManager.default.removeItem(atPath: folder) }
            Syscall.unlinkIfPresent(manifestPath)
        }
        try Syscall.makeDirectories(ticks)
        try Syscall.makeDirectories(featureParts)
        for folder in [path, ticks, featureParts] { removeTemporaryFiles(in: folder) }
        // Outputs of an earlier run go now, so that a run that fails late never leaves new and
        // old files side by side (features.csv of one run beside targets.csv of another).
        for name in Self.finalOutputs { Syscall.unlinkIfPresent(path + "/" + name) }
    }

    /// The files a finished run leaves in the directory.
    public static let finalOutputs = ["features.csv", "targets.csv", "features.json", "targets.json", "summary.json", "rejects.csv"]

    deinit {
        flock(lockFD, LOCK_UN)
        Syscall.close(lockFD)
    }

    /// The manifest of an earlier run, or an empty one (also when it is unreadable: then
    /// nothing is reused, which is always safe).
    public func loadManifest() -> Manifest {
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let manifest = try? JSONDecoder.snakeCase.decode(Manifest.self, from: data),
              manifest.formatVersion == Manifest.formatVersion else { return Manifest() }
        return manifest
    }

    private var lastSave: DispatchTime?

    /// Writes the manifest atomically. Unforced saves are skipped within 0.2 s of the last one:
    /// a partition missing from the manifest is only recomputed on resume, and saving after
    /// each of thousands of small partitions would cost a rename and two fsyncs each.
    public func save(_ manifest: Manifest, force: Bool = false) throws {
        let now = DispatchTime.now()
        if !force, let lastSave, now.uptimeNanoseconds - lastSave.uptimeNanoseconds < 200_000_000 { return }
        try AtomicFileWriter.write(Array(try JSON.encode(manifest).utf8) + [10], to: manifestPath)
        lastSave = now
    }

    /// Whether `name` in `folder` exists with exactly `bytes` bytes and CRC-32 `checksum`.
    public static func isIntact(_ path: String, bytes: Int, checksum: UInt32) -> Bool {
        guard let info = try? Syscall.stat(path), info.size == Int64(bytes),
              let data = FileManager.default.contents(atPath: path) else { return false }
        return data.withUnsafeBytes { Checksum.crc32($0) } == checksum
    }

    private func removeTemporaryFiles(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.contains(AtomicFileWriter.temporaryMarker) {
            Syscall.unlinkIfPresent(folder + "/" + name)
        }
    }
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
