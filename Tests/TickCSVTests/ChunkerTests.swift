import Testing
import TickCSV
import TickCore

/// A source that hands out `bytes` in reads of varying, seeded sizes (as pipes and decoders do).
final class ScriptedSource {
    let bytes: [UInt8]
    var position = 0
    var random: SplitMix64
    let maxRead: Int

    init(_ bytes: [UInt8], seed: UInt64 = 1, maxRead: Int = .max) {
        self.bytes = bytes; random = SplitMix64(seed: seed); self.maxRead = maxRead
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let remaining = bytes.count - position
        guard remaining > 0, buffer.count > 0 else { return 0 }
        let limit = min(buffer.count, remaining, maxRead)
        let n = maxRead == .max ? limit : 1 + Int(random.next() % UInt64(limit))
        bytes.withUnsafeBytes { all in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: all[position..<position + n]))
        }
        position += n
        return n
    }
}

/// Drains a chunker.
func allChunks(_ chunker: LineChunker) throws -> [Chunk] {
    var chunks: [Chunk] = []
    while let chunk = try chunker.next() { chunks.append(chunk) }
    return chunks
}

func makeChunker(_ bytes: [UInt8], chunkSize: Int, maxRecordSize: Int = 1 << 20, maxRead: Int = .max,
                 seed: UInt64 = 1) -> LineChunker {
    let source = ScriptedSource(bytes, seed: seed, maxRead: maxRead)
    return LineChunker(path: "input.csv", chunkSize: chunkSize, maxRecordSize: maxRecordSize) { buffer in
        source.read(into: buffer)
    }
}

/// Lines of varied lengths, some empty, some with CR.
func sampleText(lines: Int, seed: UInt64) -> [UInt8] {
    var random = SplitMix64(seed: seed)
    var out: [UInt8] = []
    for k in 0..<lines {
        let length = Int(random.next() % 90)
        out += Array("\(k):".utf8)
        out += (0..<length).map { _ in UInt8(ascii: "a") + UInt8(random.next() % 26) }
        if random.next() % 5 == 0 { out.append(UInt8(ascii: "\r")) }
        out.append(UInt8(ascii: "\n"))
        if random.next() % 10 == 0 { out.append(UInt8(ascii: "\n")) }
    }
    return out
}

@Suite("Line chunker")
struct ChunkerTests {
    @Test("chunks are whole lines, in order, and add up to the input",
          arguments: [1, 2, 7, 31, 64, 1031, 1 << 16], [Int.max, 1, 13])
    func wholeLines(chunkSize: Int, maxRead: Int) throws {
        let input = sampleText(lines: 400, seed: UInt64(chunkSize))
        let chunks = try allChunks(makeChunker(input, chunkSize: chunkSize, maxRead: maxRead, seed: UInt64(maxRead)))
        #expect(chunks.flatMap(\.bytes) == input)
        #expect(chunks.map(\.index) == Array(0..<chunks.count))
        var offset: Int64 = 0
        for chunk in chunks {
            #expect(chunk.byteOffset == offset)
            #expect(chunk.bytes.last == UInt8(ascii: "\n"))
            #expect(!chunk.bytes.isEmpty)
            offset += Int64(chunk.bytes.count)
        }
        if chunkSize >= 1031 {
            // Big chunks hold many lines; small ones hold what one line needs.
            #expect(chunks.count < 400)
        }
    }

    @Test("chunks never exceed the chunk size unless one line is longer", arguments: [100, 257, 4096])
    func chunkBound(chunkSize: Int) throws {
        let input = sampleText(lines: 300, seed: 9)
        let chunks = try allChunks(makeChunker(input, chunkSize: chunkSize))
        for chunk in chunks {
            #expect(chunk.bytes.count <= chunkSize)
        }
        #expect(chunks.flatMap(\.bytes) == input)
    }

    @Test("the last chunk keeps a line without a final newline", arguments: [1, 5, 64])
    func noFinalNewline(chunkSize: Int) throws {
        let input = Array("a,b\nc,d\nlast".utf8)
        let chunks = try allChunks(makeChunker(input, chunkSize: chunkSize))
        #expect(chunks.flatMap(\.bytes) == input)
        #expect(chunks.last.map { Array($0.bytes.suffix(4)) } == Array("last".utf8))
    }

    @Test("an empty input has no chunks, and next() stays nil")
    func empty() throws {
        let chunker = makeChunker([], chunkSize: 16)
        #expect(try chunker.next() == nil)
        #expect(try chunker.next() == nil)
        #expect(chunker.bytesRead == 0)
    }

    @Test("next() stays nil after the end")
    func afterEnd() throws {
        let input = Array("x\ny\n".utf8)
        let chunker = makeChunker(input, chunkSize: 3)
        _ = try allChunks(chunker)
        #expect(try chunker.next() == nil)
        #expect(chunker.bytesRead == Int64(input.count))
    }

    @Test("a line longer than the maximum record size stops the run with its byte offset",
          arguments: [16, 100, 1000])
    func maxRecordSize(chunkSize: Int) throws {
        let head = Array("short,line\nanother,one\n".utf8)
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 2000) + [UInt8(ascii: "\n")]
        let input = head + long + Array("tail\n".utf8)
        let chunker = makeChunker(input, chunkSize: chunkSize, maxRecordSize: 1024)
        var seen: [UInt8] = []
        do {
            while let chunk = try chunker.next() { seen += chunk.bytes }
            Issue.record("expected the long line to be refused")
        } catch let error as TickError {
            guard case let .limitExceeded(message) = error else { Issue.record("wrong error \(error)"); return }
            #expect(message.contains("input.csv"))
            #expect(message.contains("byte \(head.count) "))
            #expect(message.contains("1024"))
        }
        #expect(seen == head)
    }

    @Test("a line of exactly the maximum record size is accepted")
    func maxRecordSizeFits() throws {
        let line = [UInt8](repeating: UInt8(ascii: "y"), count: 63) + [UInt8(ascii: "\n")]
        let input = Array("a\n".utf8) + line + line
        let chunks = try allChunks(makeChunker(input, chunkSize: 8, maxRecordSize: 64))
        #expect(chunks.flatMap(\.bytes) == input)
    }

    @Test("errors of the source are passed on")
    func readError() {
        struct Boom: Error {}
        let chunker = LineChunker(path: "p", chunkSize: 8, maxRecordSize: 64) { _ in throw Boom() }
        #expect(throws: Boom.self) { try chunker.next() }
    }
}
