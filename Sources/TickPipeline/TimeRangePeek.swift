import TickCore
import TickCSV
import TickIO
#if canImport(Glibc)
import Glibc
#endif

/// Reads the last data row of a plain (uncompressed) file without reading the rest, to check
/// flags against the data's time span before any work.
enum TimeRangePeek {
    /// The time of the last row of a probed plain file, or nil when it cannot be told cheaply.
    static func lastTime(of file: ProbedFile) throws -> Int64? {
        guard file.compression == .none, !file.isStandardInput, file.bytes > 0, let layout = file.layout else { return nil }
        let handle = try OwnedFile(path: file.path, flags: O_RDONLY)
        let window = Int(min(file.bytes, 64 << 10))
        var tail = [UInt8](repeating: 0, count: window)
        let count = try tail.withUnsafeMutableBytes { try Syscall.pread(handle.fd, into: $0, offset: file.bytes - Int64(window), path: file.path) }
        tail.removeLast(tail.count - count)
        // The tail's first line may be cut; the last complete non-empty line is whole.
        guard let lastLine = tail.split(separator: UInt8(ascii: "\n")).last(where: { !$0.isEmpty && $0 != [13] }).map(Array.init) else { return nil }
        if layout.hasHeader && file.bytes <= window && tail.split(separator: UInt8(ascii: "\n")).filter({ !$0.isEmpty }).count < 2 { return nil }
        let parsed = ChunkParser(layout: layout).parse(lastLine + [10], skipFirstLine: false)
        return layout.kind.hasQuoteColumns ? parsed.quotes.time.first : parsed.trades.time.first
    }
}
