import TickCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A run of whole lines cut from the input, with where it starts.
public struct Chunk: Sendable {
    /// 0-based sequence number.
    public var index: Int
    /// Byte offset of the first byte in the (decompressed) input.
    public var byteOffset: Int64
    public var bytes: [UInt8]
}

/// Cuts a byte stream into chunks of about `chunkSize` bytes that end at a line end.
///
/// A resumable state machine: the bytes after the last newline of one read stay in the buffer
/// for the next chunk, and only newly read bytes are searched for line ends. A line longer than
/// `maxRecordSize` stops the run with an error instead of growing the buffer without bound.
public final class LineChunker {
    public let chunkSize: Int
    public let maxRecordSize: Int
    private let read: (UnsafeMutableRawBufferPointer) throws -> Int
    private let path: String
    /// Owned read buffer; bytes `0..<filled` are read and not yet handed out.
    private var storage: UnsafeMutableRawBufferPointer
    private var filled = 0
    /// Bytes `0..<searched` are known to hold no newline.
    private var searched = 0
    private var nextIndex = 0
    private var offset: Int64 = 0
    private var atEnd = false
    private var finished = false
    /// Bytes read from the source so far (decompressed).
    public private(set) var bytesRead: Int64 = 0

    /// - Parameters:
    ///   - read: fills the buffer and returns the byte count, 0 at the end of input.
    ///   - startOffset: byte offset in the input of the first byte `read` returns (when resuming).
    public init(path: String, chunkSize: Int, maxRecordSize: Int, startOffset: Int64 = 0,
                read: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        precondition(chunkSize > 0)
        offset = startOffset
        self.path = path
        self.chunkSize = chunkSize
        self.maxRecordSize = max(maxRecordSize, 1)
        self.read = read
        storage = .allocate(byteCount: chunkSize, alignment: 64)
    }

    deinit { storage.deallocate() }

    /// The next chunk, or nil at the end of input. The last chunk may lack a final newline.
    public func next() throws -> Chunk? {
        if finished { return nil }
        while true {
            try fill()
            if let lastNewline = lastNewline() {
                return emit(count: lastNewline + 1)
            }
            searched = filled
            if atEnd {
                finished = true
                return filled == 0 ? nil : emit(count: filled)
            }
            // No line end in a full buffer: one line is longer than a chunk. Grow, up to the
            // limit plus room for the line's own `\r\n` (a line of exactly maxRecordSize is fine).
            let limit = maxRecordSize + 2
            if storage.count >= limit {
                throw TickError.limitExceeded("\(path): the line starting at byte \(offset) is longer than the maximum record size of \(maxRecordSize) bytes; raise --max-record-size if this is really one record")
            }
            grow(to: min(limit, storage.count * 2))
        }
    }

    /// Reads until the buffer is full or the input ends.
    private func fill() throws {
        while filled < storage.count && !atEnd {
            let got = try read(UnsafeMutableRawBufferPointer(rebasing: storage[filled...]))
            if got == 0 { atEnd = true } else { filled += got; bytesRead += Int64(got) }
        }
    }

    /// Index of the last newline among the filled bytes not yet searched.
    private func lastNewline() -> Int? {
        var i = filled - 1
        while i >= searched {
            if storage[i] == UInt8(ascii: "\n") { return i }
            i -= 1
        }
        return nil
    }

    private func emit(count: Int) -> Chunk {
        let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: storage[0..<count]))
        let rest = filled - count
        if rest > 0, let base = storage.baseAddress {
            memmove(base, base + count, rest)
        }
        filled = rest
        searched = 0
        let chunk = Chunk(index: nextIndex, byteOffset: offset, bytes: bytes)
        nextIndex += 1
        offset += Int64(count)
        return chunk
    }

    private func grow(to size: Int) {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[0..<filled]))
        storage.deallocate()
        storage = bigger
    }
}
