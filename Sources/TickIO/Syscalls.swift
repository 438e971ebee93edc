import TickCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the POSIX calls tickforge uses. Each retries `EINTR` and turns a failure
/// into a `TickError.io` naming the path and the operation.
public enum Syscall {
    public static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    static func fail(_ path: String, _ operation: String, _ code: Int32 = errno) -> TickError {
        .io(path: path, operation: operation, errno: code, message: errorText(code))
    }

    public static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw fail(path, "open") }
        }
    }

    /// Reads up to `buffer.count` bytes; 0 means end of file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        try FaultInjection.check(.read, path: path)
        while true {
            let n = Glibc.read(fd, base, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw fail(path, "read") }
        }
    }

    /// Reads from `offset` without moving the file position.
    public static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: Int64, path: String) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = Glibc.pread(fd, base, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw fail(path, "read") }
        }
    }

    /// Writes all of `buffer`, looping over short writes.
    public static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
        guard var base = buffer.baseAddress else { return }
        try FaultInjection.check(.write, path: path)
        var left = buffer.count
        while left > 0 {
            let n = Glibc.write(fd, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(path, "write")
            }
            left -= n
            base += n
        }
    }

    /// Flushes file data to stable storage. An error here means the data may be lost: it is
    /// never treated as success.
    public static func fsync(_ fd: Int32, path: String) throws {
        try FaultInjection.check(.fsync, path: path)
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw fail(path, "fsync") }
        }
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Opens (creating if needed) the lock file `path` and takes an `flock` on it, exclusive or
    /// shared, without waiting; returns the descriptor to `unlock`. When another process holds
    /// it, throws `invalidArgument(held)`.
    public static func lock(_ path: String, exclusive: Bool, held: @autoclosure () -> String) throws -> Int32 {
        let fd = try open(path, flags: O_RDWR | O_CREAT)
        if flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { throw TickError.invalidArgument(held()) }
            throw TickError.io(path: path, operation: "flock", errno: code, message: errorText(code))
        }
        return fd
    }

    /// Releases a lock taken with `lock`, and its descriptor.
    public static func unlock(_ fd: Int32) {
        flock(fd, LOCK_UN)
        close(fd)
    }

    public static func rename(_ from: String, _ to: String) throws {
        try FaultInjection.check(.rename, path: to)
        // Named by the destination only: the source is a temporary name, meaningless to a user.
        if Glibc.rename(from, to) != 0 { throw fail(to, "rename into place") }
    }

    /// Removes a file; a missing file is not an error.
    public static func unlinkIfPresent(_ path: String) {
        _ = Glibc.unlink(path)
    }

    /// Removes a file or link, counted as a durable step; a missing file is not an error.
    public static func remove(_ path: String) throws {
        try FaultInjection.check(.remove, path: path)
        if Glibc.unlink(path) != 0 && errno != ENOENT { throw fail(path, "remove") }
    }

    /// Removes an empty directory; false when it is not empty or cannot be removed.
    @discardableResult
    public static func removeEmptyDirectory(_ path: String) -> Bool { Glibc.rmdir(path) == 0 }

    /// Creates the symbolic link `path` whose text is `target`; fails if `path` exists.
    public static func symlink(_ target: String, at path: String) throws {
        try FaultInjection.check(.link, path: path)
        if Glibc.symlink(target, path) != 0 { throw fail(path, "create link to \(target)") }
    }

    /// The text of the symbolic link at `path`, or nil when it is not a link.
    public static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = Glibc.readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// What is at `path` itself (a link is not followed); nil when nothing is.
    public static func entryKind(_ path: String) -> EntryKind? {
        var s = Glibc.stat()
        guard lstat(path, &s) == 0 else { return nil }
        switch s.st_mode & S_IFMT {
        case S_IFLNK: return .link
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        default: return .other
        }
    }

    public enum EntryKind: Sendable { case file, directory, link, other }

    /// The device and inode `path` leads to (links followed): two paths with the same identity
    /// are the same file, whatever their spelling, links or hard links.
    public static func identity(_ path: String) -> FileIdentity? {
        var s = Glibc.stat()
        guard fstatat(AT_FDCWD, path, &s, 0) == 0 else { return nil }
        return FileIdentity(device: UInt64(s.st_dev), inode: UInt64(s.st_ino))
    }

    /// The absolute path without links, `.` or `..`; nil when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = Glibc.realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// fsyncs a directory so that a rename inside it survives a crash.
    public static func fsyncDirectory(_ path: String) throws {
        let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// Size and modification time of a file.
    public static func stat(_ path: String) throws -> (size: Int64, mtimeNanos: Int64, isDirectory: Bool) {
        var s = Glibc.stat()
        if fstatat(AT_FDCWD, path, &s, 0) != 0 { throw fail(path, "stat") }
        let mtime = Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec)
        return (Int64(s.st_size), mtime, (s.st_mode & S_IFMT) == S_IFDIR)
    }

    /// Whether `fd` is a regular file (not a pipe, socket or terminal): only those can be read
    /// at an offset or read twice.
    public static func isRegularFile(_ fd: Int32) -> Bool {
        var s = Glibc.stat()
        return fstat(fd, &s) == 0 && (s.st_mode & S_IFMT) == S_IFREG
    }

    public static func exists(_ path: String) -> Bool {
        var s = Glibc.stat()
        return fstatat(AT_FDCWD, path, &s, 0) == 0
    }

    /// Creates a directory and its parents.
    public static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if Glibc.mkdir(current, 0o755) != 0 && errno != EEXIST { throw fail(current, "mkdir") }
        }
        if let info = try? stat(path), !info.isDirectory {
            throw TickError.invalidArgument("\(path) exists and is not a directory")
        }
    }

    /// Peak resident set size of this process in bytes.
    public static func peakResidentBytes() -> Int64 {
        // VmHWM is this process's own high-water mark. getrusage's ru_maxrss also keeps the
        // parent's mark across fork and exec, so a run started by a big process (a test runner,
        // a notebook) would report that process's memory as its own.
        if let kib = ownHighWaterKiB() { return kib * 1024 }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int64(usage.ru_maxrss) * 1024
    }

    /// `VmHWM` of `/proc/self/status` in KiB (Linux), or nil.
    private static func ownHighWaterKiB() -> Int64? {
        #if canImport(Glibc)
        let fd = Glibc.open("/proc/self/status", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var bytes = [UInt8](repeating: 0, count: 8192)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n <= 0 { break }
            count += n
        }
        let text = String(decoding: bytes[0..<count], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        let digits = line.drop { !$0.isNumber }.prefix { $0.isNumber }
        return Int64(digits)
        #else
        return nil
        #endif
    }

    /// Whether standard error is a terminal (progress is shown only then).
    public static var stderrIsTerminal: Bool { isatty(2) == 1 }
}

/// A file's device and inode.
public struct FileIdentity: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64
}
