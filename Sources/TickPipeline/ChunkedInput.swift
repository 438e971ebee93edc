import TickCSV
import TickIO

/// An input's decompressed bytes cut into line-aligned chunks, with a UTF-8 byte-order mark
/// removed from the start.
final class ChunkedInput {
    let source: ByteSource
    let chunker: LineChunker
    /// Chunks read ahead (to see the first lines) and not yet handed out.
    private var readAhead: [Chunk] = []

    /// Opens `path` at decompressed byte `offset` (a resume point) or at its start.
    init(path: String, chunkSize: Int, maxRecordSize: Int, verifyChecksum: Bool, offset: Int64 = 0) throws {
        let source = try ByteSource(path: path, verifyChecksum: verifyChecksum)
        try source.skip(to: offset)
        self.source = source
        chunker = LineChunker(path: path, chunkSize: chunkSize, maxRecordSize: maxRecordSize, startOffset: offset) {
            try source.read(into: $0)
        }
        if offset == 0 { try readHead() }
    }

    /// The next chunk, or nil at the end.
    func next() throws -> Chunk? {
        readAhead.isEmpty ? try chunker.next() : readAhead.removeFirst()
    }

    /// The first (at most) two non-empty lines, without line ends.
    private(set) var firstLines: [[UInt8]] = []

    /// Reads until the first two lines are in hand (joining the chunks read into one) and strips
    /// a byte-order mark.
    private func readHead() throws {
        guard var chunk = try chunker.next() else { return }
        while Self.lineCount(chunk.bytes, atMost: 2) < 2, let more = try chunker.next() { chunk.bytes += more.bytes }
        if chunk.bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            chunk.bytes.removeFirst(3)
            chunk.byteOffset = 3
        }
        firstLines = Self.firstLines(chunk.bytes, count: 2)
        readAhead = [chunk]
    }

    static func lineCount(_ bytes: [UInt8], atMost limit: Int) -> Int {
        var n = 0
        for b in bytes where b == UInt8(ascii: "\n") {
            n += 1
            if n >= limit { break }
        }
        return n
    }

    /// The first `count` non-empty lines, without line ends.
    static func firstLines(_ bytes: [UInt8], count: Int) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        while lines.count < count && start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            if contentEnd > start { lines.append(Array(bytes[start..<contentEnd])) }
            start = end + 1
        }
        return lines
    }
}
