import TickCore
#if canImport(Glibc)
import Glibc
#endif

/// A file that appears whole or not at all: bytes go to `name.tmp-PID`, and `commit()` fsyncs
/// it, renames it over `name` and fsyncs the directory (LevelDB's `SetCurrentFile` pattern).
/// A writer dropped without `commit()` removes its temporary file.
public final class AtomicFileWriter {
    public let path: String
    public let temporaryPath: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let bufferLimit: Int
    private var committed = false
    private var closed = false
    /// Bytes handed to `write` so far.
    public private(set) var bytesWritten: Int64 = 0

    /// Suffix of temporary files; anything in an output directory ending with it is debris of
    /// an interrupted run and may be removed.
    public static let temporaryMarker = ".tmp-"

    public init(path: String, bufferSize: Int = 1 << 20) throws {
        self.path = path
        temporaryPath = path + Self.temporaryMarker + String(getpid())
        bufferLimit = bufferSize
        buffer.reserveCapacity(bufferSize)
        do {
            fd = try Syscall.open(temporaryPath, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        } catch TickError.io(_, let operation, let code, let message) {
            // The temporary name means nothing to the user: name the file being written.
            throw TickError.io(path: path, operation: "create", errno: code, message: message + (operation == "open" ? "" : " (\(operation))"))
        }
    }

    deinit {
        if !closed { Syscall.close(fd) }
        if !committed { Syscall.unlinkIfPresent(temporaryPath) }
    }

    public func write(_ bytes: [UInt8]) throws {
        bytesWritten += Int64(bytes.count)
        if buffer.count + bytes.count > bufferLimit { try flush() }
        if bytes.count >= bufferLimit {
            try bytes.withUnsafeBytes { raw throws in try Syscall.writeAll(fd, raw, path: path) }
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { raw throws in try Syscall.writeAll(fd, raw, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Makes the file durable and visible under its final name.
    public func commit() throws {
        precondition(!committed)
        try flush()
        try Syscall.fsync(fd, path: path)
        Syscall.close(fd)
        closed = true
        try Syscall.rename(temporaryPath, path)
        committed = true
        try Syscall.fsyncDirectory(Self.directory(of: path))
    }

    /// Writes a whole small file atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let writer = try AtomicFileWriter(path: path, bufferSize: max(bytes.count, 1))
        try writer.write(bytes)
        try writer.commit()
    }

    /// The folder of `path` (`.` for a bare name).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }
}
