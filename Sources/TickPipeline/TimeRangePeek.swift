import TickCore
import TickCSV
import TickIO
#if canImport(Glibc)
import Glibc
#endif

/// Reads the first and last data rows of a plain (uncompressed) file without reading the rest,
/// to check flags against the data's time span before any work.
enum TimeRangePeek {
    static func peek(path: String, options: ReadOptions) throws -> (first: Int64, last: Int64)? {
        let source = try ByteSource(path: path)
        guard source.compression == .none, source.fileSize > 0 else { return nil }
        let file = try OwnedFile(path: path, flags: O_RDONLY)
        let window = Int(min(source.fileSize, 64 << 10))
        var head = [UInt8](repeating: 0, count: window)
        var tail = [UInt8](repeating: 0, count: window)
        let headCount = try head.withUnsafeMutableBytes { try Syscall.pread(file.fd, into: $0, offset: 0, path: path) }
        let tailCount = try tail.withUnsafeMutableBytes { try Syscall.pread(file.fd, into: $0, offset: source.fileSize - Int64(window), path: path) }
        head.removeLast(head.count - headCount)
        tail.removeLast(tail.count - tailCount)
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { head.removeFirst(3) }
        let headLines = head.split(separator: UInt8(ascii: "\n")).map { Array($0.last == 13 ? $0.dropLast() : $0) }.filter { !$0.isEmpty }
        guard headLines.count >= 2 || (headLines.count == 1 && source.fileSize <= window) else { return nil }
        let layout = try LayoutDetector.detect(path: path, firstLine: headLines[0], secondLine: headLines.count > 1 ? headLines[1] : nil,
                                               mapping: options.mapping, timeUnit: options.timeUnit)
        let parser = ChunkParser(layout: layout)
        let firstLine = layout.hasHeader ? (headLines.count > 1 ? headLines[1] : nil) : headLines[0]
        // The tail's first line may be cut; the last complete non-empty line is whole.
        guard let lastLine = tail.split(separator: UInt8(ascii: "\n")).last(where: { !$0.isEmpty && $0 != [13] }).map(Array.init),
              let firstLine else { return nil }
        func time(_ line: [UInt8]) -> Int64? {
            let parsed = parser.parse(line + [10], skipFirstLine: false)
            return layout.kind == .trades ? parsed.trades.time.first : parsed.quotes.time.first
        }
        guard let first = time(firstLine), let last = time(lastLine), last >= first else { return nil }
        return (first, last)
    }
}
