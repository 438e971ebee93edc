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

    public static func rename(_ from: String, _ to: String) throws {
        try FaultInjection.check(.rename, path: to)
        if Glibc.rename(from, to) != 0 { throw fail(to, "rename from \(from)") }
    }

    /// Removes a file; a missing file is not an error.
    public static func unlinkIfPresent(_ path: String) {
        _ = Glibc.unlink(path)
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
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int64(usage.ru_maxrss) * 1024
    }

    /// Whether standard error is a terminal (progress is shown only then).
    public static var stderrIsTerminal: Bool { isatty(2) == 1 }
}
