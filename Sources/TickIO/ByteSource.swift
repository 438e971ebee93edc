import CZlib
import CZstd
import TickCore
#if canImport(Glibc)
import Glibc
#endif

/// A stream of input bytes: a plain file, or a gzip or zstd file decompressed on the fly.
/// The compression is recognised by the first bytes of the file, not by its name.
public final class ByteSource {
    public enum Compression: String, Sendable { case none, gzip, zstd }

    public let path: String
    public let compression: Compression
    /// Size of the file on disk (compressed size for compressed inputs).
    public let fileSize: Int64
    private let file: OwnedFile
    private var decoder: Decoder?
    /// Compressed bytes consumed so far: the progress measure for every kind of input.
    public var fileBytesRead: Int64 { decoder?.consumed ?? plainRead }
    private var plainRead: Int64 = 0

    public init(path: String) throws {
        self.path = path
        let info = try Syscall.stat(path)
        if info.isDirectory { throw TickError.unreadable(path: path, reason: "is a directory, not a file") }
        fileSize = info.size
        let file = try OwnedFile(path: path, flags: O_RDONLY)
        self.file = file
        var magic = [UInt8](repeating: 0, count: 4)
        let got = try magic.withUnsafeMutableBytes { (raw) throws -> Int in
            try Syscall.pread(file.fd, into: raw, offset: 0, path: path)
        }
        if got >= 2 && magic[0] == 0x1F && magic[1] == 0x8B {
            compression = .gzip
            decoder = try GzipDecoder(file: file)
        } else if got >= 4 && magic == [0x28, 0xB5, 0x2F, 0xFD] {
            compression = .zstd
            decoder = try ZstdDecoder(file: file)
        } else {
            compression = .none
        }
    }

    /// Moves to decompressed byte `offset` from the start (a resume point): a seek for plain
    /// files, a decompress-and-discard for compressed ones.
    public func skip(to offset: Int64) throws {
        guard offset > 0 else { return }
        if decoder == nil {
            guard lseek(file.fd, off_t(offset), SEEK_SET) == offset else {
                throw TickError.io(path: path, operation: "seek to \(offset)", errno: errno, message: Syscall.errorText(errno))
            }
            plainRead = offset
            return
        }
        var left = offset
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { scratch.deallocate() }
        while left > 0 {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<Int(min(left, Int64(scratch.count)))]))
            if n == 0 { throw TickError.unreadable(path: path, reason: "ends before the resume point at byte \(offset); the file changed") }
            left -= Int64(n)
        }
    }

    /// Fills `buffer` with the next decompressed bytes; returns 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let decoder { return try decoder.read(into: buffer) }
        let n = try file.read(into: buffer)
        plainRead += Int64(n)
        return n
    }
}

/// A streaming decompressor reading from a file.
protocol Decoder: AnyObject {
    var consumed: Int64 { get }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

private let compressedBufferSize = 1 << 20

/// gzip (and zlib) through zlib's `inflate`, including files of several concatenated members.
final class GzipDecoder: Decoder {
    private let file: OwnedFile
    private var stream = z_stream()
    /// Compressed bytes; owned here because zlib keeps `next_in` between calls.
    private let input = UnsafeMutablePointer<UInt8>.allocate(capacity: compressedBufferSize)
    private var inputEnd = false
    private(set) var consumed: Int64 = 0
    private var finished = false
    /// True between two gzip members: the end of input there is a clean end of file.
    private var betweenMembers = false

    init(file: OwnedFile) throws {
        self.file = file
        // 15 + 32: maximum window, detect gzip or zlib headers automatically.
        let status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            throw TickError.unreadable(path: file.path, reason: status == Z_MEM_ERROR ? "not enough memory to start gzip decoding" : "cannot start gzip decoding")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let capacity = Int(stream.avail_out)
        while stream.avail_out == UInt32(capacity) {
            if stream.avail_in == 0 && !inputEnd {
                let n = try file.read(into: UnsafeMutableRawBufferPointer(start: input, count: compressedBufferSize))
                consumed += Int64(n)
                if n == 0 { inputEnd = true }
                stream.next_in = input
                stream.avail_in = UInt32(n)
            }
            if betweenMembers && stream.avail_in == 0 && inputEnd {
                finished = true
                break
            }
            betweenMembers = false
            let status = inflate(&stream, Z_NO_FLUSH)
            if status == Z_STREAM_END {
                // Another gzip member may follow (as `cat a.gz b.gz` makes), or the file ends.
                inflateReset(&stream)
                betweenMembers = true
                if capacity - Int(stream.avail_out) > 0 { break }
                continue
            }
            if status == Z_BUF_ERROR && inputEnd && stream.avail_in == 0 {
                throw TickError.unreadable(path: file.path, reason: "gzip data ends early (truncated file?) after \(consumed) compressed bytes")
            }
            if status != Z_OK && status != Z_BUF_ERROR {
                // zlib's own message ("invalid distance too far back") means nothing to a user:
                // say where the damage is instead.
                let at = consumed - Int64(stream.avail_in)
                throw TickError.unreadable(path: file.path, reason: "the gzip data is damaged near compressed byte \(at): it cannot be decompressed past byte \(stream.total_out) of its contents (a corrupt or incompletely copied file)")
            }
        }
        return capacity - Int(stream.avail_out)
    }
}

/// zstd through the streaming decompression API (stable part of libzstd).
final class ZstdDecoder: Decoder {
    private let file: OwnedFile
    private let context: OpaquePointer
    private let inputCapacity = ZSTD_DStreamInSize()
    private let input: UnsafeMutableRawPointer
    private var inputBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var inputEnd = false
    /// Whether the last call ended inside a frame (to detect truncation at the end).
    private var frameOpen = false
    private(set) var consumed: Int64 = 0

    init(file: OwnedFile) throws {
        self.file = file
        guard let context = ZSTD_createDCtx() else { throw TickError.unreadable(path: file.path, reason: "cannot start zstd decoding") }
        self.context = context
        input = UnsafeMutableRawPointer.allocate(byteCount: inputCapacity, alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var output = ZSTD_outBuffer(dst: out, size: buffer.count, pos: 0)
        while output.pos == 0 {
            if inputBuffer.pos == inputBuffer.size {
                if inputEnd { break }
                let n = try file.read(into: UnsafeMutableRawBufferPointer(start: input, count: inputCapacity))
                consumed += Int64(n)
                if n == 0 {
                    inputEnd = true
                    if frameOpen { throw TickError.unreadable(path: file.path, reason: "zstd data ends inside a frame (truncated file?)") }
                    break
                }
                inputBuffer = ZSTD_inBuffer(src: UnsafeRawPointer(input), size: n, pos: 0)
            }
            let hint = ZSTD_decompressStream(context, &output, &inputBuffer)
            if ZSTD_isError(hint) != 0 {
                let at = consumed - Int64(inputBuffer.size - inputBuffer.pos)
                throw TickError.unreadable(path: file.path, reason: "the zstd data is damaged near compressed byte \(at): it cannot be decompressed further (a corrupt or incompletely copied file)")
            }
            frameOpen = hint != 0
        }
        return output.pos
    }
}
