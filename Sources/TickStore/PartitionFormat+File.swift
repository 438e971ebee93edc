import TickCore
import TickIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PartitionFormat {
    /// Reads the whole file at `path` and decodes it. I/O failures throw `TickError.io`, damage
    /// `TickError.unreadable`, both naming `path`.
    public static func read(path: String) throws -> PartitionContents {
        try decode(readWholeFile(path), path: path)
    }

    /// Reads the whole file at `path` and summarizes it (see `summarize(_:path:verify:)`).
    public static func summarize(path: String, verify: Bool) throws -> PartitionSummary {
        try summarize(readWholeFile(path), path: path, verify: verify)
    }

    /// Every byte of the file. Partition files are written once and renamed into place, so the
    /// size from `stat` is the size to read; a shorter read (a file cut meanwhile) returns what
    /// is there and the format checks then report it as truncated.
    static func readWholeFile(_ path: String) throws -> [UInt8] {
        let file = try OwnedFile(path: path, flags: O_RDONLY)
        let info = try Syscall.stat(path)
        guard !info.isDirectory else {
            throw TickError.unreadable(path: path, reason: "is a directory, not a partition file")
        }
        guard let size = Int(exactly: info.size) else {
            throw TickError.limitExceeded("\(path): file size \(info.size) is too large to read")
        }
        return try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            while initialized < size {
                let rest = UnsafeMutableBufferPointer(rebasing: buffer[initialized...])
                let n = try file.read(into: UnsafeMutableRawBufferPointer(rest))
                if n == 0 { break }
                initialized += n
            }
        }
    }
}
