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
    /// The chunk being filled; bytes `0..<filled` are read and not yet handed out. Its array
    /// is handed out as the chunk itself (cut at the last line end), so a chunk's bytes are
    /// copied once, by `read`, and only the partial line after the cut moves to the next one.
    private var storage: [UInt8]
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
        storage = LineChunker.uninitializedBytes(chunkSize)
    }

    /// An array of `count` bytes whose contents are not set (they are read into before use).
    private static func uninitializedBytes(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

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
            let got = try storage.withUnsafeMutableBytes { try read(UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if got == 0 { atEnd = true } else { filled += got; bytesRead += Int64(got) }
        }
    }

    /// Index of the last newline among the filled bytes not yet searched.
    private func lastNewline() -> Int? {
        storage.withUnsafeBufferPointer { bytes in
            var i = filled - 1
            while i >= searched {
                if bytes[i] == UInt8(ascii: "\n") { return i }
                i -= 1
            }
            return nil
        }
    }

    private func emit(count: Int) -> Chunk {
        // The next buffer starts with the bytes after the cut.
        let rest = filled - count
        var bytes = storage
        storage = buffer(capacity: max(chunkSize, rest), startingWith: count..<filled)
        bytes.removeLast(bytes.count - count)
        filled = rest
        searched = 0
        let chunk = Chunk(index: nextIndex, byteOffset: offset, bytes: bytes)
        nextIndex += 1
        offset += Int64(count)
        return chunk
    }

    private func grow(to size: Int) {
        storage = buffer(capacity: size, startingWith: 0..<filled)
    }

    /// A new buffer of `capacity` bytes that starts with `storage[range]`.
    private func buffer(capacity: Int, startingWith range: Range<Int>) -> [UInt8] {
        var buffer = LineChunker.uninitializedBytes(capacity)
        if !range.isEmpty {
            buffer.withUnsafeMutableBufferPointer { to in
                storage.withUnsafeBufferPointer { from in
                    to.baseAddress!.update(from: from.baseAddress! + range.lowerBound, count: range.count)
                }
            }
        }
        return buffer
    }
}
