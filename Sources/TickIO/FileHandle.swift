import TickCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor with one owner, closed when the owner goes away.
public final class OwnedFile {
    public let fd: Int32
    public let path: String

    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws {
        self.path = path
        self.fd = try Syscall.open(path, flags: flags, mode: mode)
    }

    deinit { Syscall.close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try Syscall.read(fd, into: buffer, path: path)
    }

    /// Whether the file at `path` can be read and begins with `prefix`.
    public static func starts(_ path: String, with prefix: [UInt8]) -> Bool {
        guard let file = try? OwnedFile(path: path, flags: O_RDONLY) else { return false }
        var head = [UInt8](repeating: 0, count: prefix.count)
        let n = (try? head.withUnsafeMutableBytes { try Syscall.pread(file.fd, into: $0, offset: 0, path: path) }) ?? 0
        return n == prefix.count && head == prefix
    }

    /// Reads the rest of the file piece by piece (memory stays at one piece), handing each to
    /// `body`.
    public func forEachPiece(size: Int = 1 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try read(into: buffer)
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}
