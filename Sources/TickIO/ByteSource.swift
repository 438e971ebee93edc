import CZlib
import CZstd
import TickCore
#if canImport(Glibc)
import Glibc
#endif

/// A stream of input bytes: a plain file, a gzip or zstd file or the one member of a zip,
/// decompressed on the fly, or standard input. The compression is recognised by the first bytes,
/// not by the name. When a `NAME.CHECKSUM` sidecar lies next to the file, the SHA-256 of the
/// file's bytes is checked as they are read, before the end of the data is reported.
public final class ByteSource {
    public enum Compression: String, Sendable { case none, gzip, zstd, zip }

    /// Whether the file's bytes were checked against a `NAME.CHECKSUM` sidecar.
    public enum ChecksumCheck: String, Sendable {
        /// No sidecar next to the file (or the input is a pipe): nothing to check.
        case noSidecar = "none"
        /// A sidecar is there but the check was turned off.
        case skipped
        /// A sidecar is there and the file is being checked: settled when the data ends.
        case pending
        /// Every byte of the file was read and its SHA-256 is the sidecar's.
        case verified
    }

    /// The path given, `-` for standard input.
    public let path: String
    public let compression: Compression
    /// Size of the file on disk (compressed size for compressed inputs); 0 for a pipe, whose
    /// size is unknown until it ends.
    public let fileSize: Int64
    /// Standard input or another pipe: read once, so it cannot be resumed (`skip(to:)`), and a
    /// zip, whose directory is at its end, cannot be read from it.
    public let isPipe: Bool
    /// The sidecar check: `.pending` until `read(into:)` reaches the end, then `.verified` (a
    /// mismatch is thrown instead).
    public private(set) var checksum: ChecksumCheck
    private let sidecar: ChecksumSidecar?
    private let input: RawInput
    private let decoder: Decoder?
    private var ended = false
    /// Compressed bytes consumed so far: the progress measure for every kind of input.
    public var fileBytesRead: Int64 { input.consumed }

    /// Opens the file at `path`, or standard input when `path` is `-`. With `verifyChecksum`
    /// (the default), a `path.CHECKSUM` sidecar, when there is one, is parsed now (a malformed
    /// one or one naming another file is an error) and checked as the file is read.
    public convenience init(path: String, verifyChecksum: Bool = true) throws {
        if path == "-" {
            try self.init(standardInput: 0)
            return
        }
        let info = try Syscall.stat(path)
        if info.isDirectory { throw TickError.unreadable(path: path, reason: "is a directory, not a file") }
        let file = try OwnedFile(path: path, flags: O_RDONLY)
        // A named pipe (`<(zcat x.gz)`) is read like standard input: it cannot be read twice.
        let regular = Syscall.isRegularFile(file.fd)
        let hasSidecar = Syscall.exists(ChecksumSidecar.path(for: path))
        let sidecar = hasSidecar && verifyChecksum ? try ChecksumSidecar.load(for: path) : nil
        let check: ChecksumCheck = sidecar != nil ? .pending : hasSidecar ? .skipped : .noSidecar
        try self.init(path: path, input: RawInput(file: file), fileSize: regular ? info.size : 0, isPipe: !regular,
                      sidecar: sidecar, checksum: check)
    }

    /// Reads the descriptor `fd` (standard input; a pipe in tests) to its end, without closing it.
    convenience init(standardInput fd: Int32) throws {
        try self.init(path: "-", input: RawInput(borrowing: fd, path: "standard input"), fileSize: 0, isPipe: true,
                      sidecar: nil, checksum: .noSidecar)
    }

    private init(path: String, input: RawInput, fileSize: Int64, isPipe: Bool, sidecar: ChecksumSidecar?, checksum: ChecksumCheck) throws {
        self.path = path
        self.input = input
        self.fileSize = fileSize
        self.isPipe = isPipe
        self.sidecar = sidecar
        self.checksum = checksum
        if sidecar != nil { input.startHashing() }
        let magic: [UInt8]
        if isPipe {
            // A pipe cannot be read twice: the bytes looked at are handed back by the first reads.
            magic = try input.peek(8)
        } else {
            var head = [UInt8](repeating: 0, count: 8)
            let got = try head.withUnsafeMutableBytes { try Syscall.pread(input.fd, into: $0, offset: 0, path: input.path) }
            magic = Array(head[0..<got])
        }
        compression = try ContainerMagic.compression(of: magic, path: input.path, isPipe: isPipe)
        switch compression {
        case .none: decoder = nil
        case .gzip: decoder = try GzipDecoder(input: input)
        case .zstd: decoder = try ZstdDecoder(input: input)
        case .zip:
            guard !isPipe else {
                throw TickError.unreadable(path: input.path, reason: "is a zip, which tickforge reads only from a file: its directory is at its end, out of reach of a pipe; pass the zip's path, or stream its member (`unzip -p x.zip | tickforge … -`)")
            }
            let member = try ZipDirectory.member(fd: input.fd, path: input.path, fileSize: fileSize)
            decoder = try ZipDecoder(input: input, member: member)
        }
    }

    /// Moves to decompressed byte `offset` from the start (a resume point): a seek for plain
    /// files, a decompress-and-discard for compressed ones, and a read-through for plain files
    /// being checksummed (the digest must cover every byte). A pipe cannot be resumed.
    public func skip(to offset: Int64) throws {
        guard offset > 0 else { return }
        guard !isPipe else {
            throw TickError.unreadable(path: input.path, reason: "cannot be re-read: the ingest of a pipe cannot be resumed; run it again from the start (or from a file)")
        }
        if decoder == nil && sidecar == nil {
            try input.seek(to: offset)
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

    /// Fills `buffer` with the next decompressed bytes; returns 0 at the end. When a sidecar is
    /// checked, the end is reported only after the whole file was hashed and matched: a checksum
    /// mismatch is thrown instead, so no consumer sees a clean end of a damaged file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !ended, buffer.count > 0 else { return 0 }
        let n = try decoder?.read(into: buffer) ?? input.read(into: buffer)
        if n > 0 { return n }
        try settleChecksum()
        ended = true
        return 0
    }

    /// Reads what is left of the file (a zip's central directory) into the digest and compares
    /// it with the sidecar's.
    private func settleChecksum() throws {
        guard let sidecar, checksum == .pending else { return }
        let actual = try input.finishDigest()
        guard actual == sidecar.sha256 else {
            throw TickError.unreadable(path: path, reason: "its SHA-256 is \(actual) but \(sidecar.path) says \(sidecar.sha256): the file is damaged or was not completely downloaded; download it again (--no-verify-checksums skips the check)")
        }
        checksum = .verified
    }
}

/// A streaming decompressor reading an input's raw bytes.
protocol Decoder: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

let compressedBufferSize = 1 << 20

/// gzip (and zlib) through zlib's `inflate`, including files of several concatenated members.
final class GzipDecoder: Decoder {
    private let input: RawInput
    private var stream = z_stream()
    /// Compressed bytes; owned here because zlib keeps `next_in` between calls.
    private let compressed = UnsafeMutablePointer<UInt8>.allocate(capacity: compressedBufferSize)
    private var inputEnd = false
    private var finished = false
    /// True between two gzip members: the end of input there is a clean end of file.
    private var betweenMembers = false

    init(input: RawInput) throws {
        self.input = input
        // 15 + 32: maximum window, detect gzip or zlib headers automatically.
        let status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            compressed.deallocate()
            throw TickError.unreadable(path: input.path, reason: status == Z_MEM_ERROR ? "not enough memory to start gzip decoding" : "cannot start gzip decoding")
        }
    }

    deinit {
        inflateEnd(&stream)
        compressed.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let capacity = Int(stream.avail_out)
        while stream.avail_out == UInt32(capacity) {
            if stream.avail_in == 0 && !inputEnd {
                let n = try input.read(into: UnsafeMutableRawBufferPointer(start: compressed, count: compressedBufferSize))
                if n == 0 { inputEnd = true }
                stream.next_in = compressed
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
                throw TickError.unreadable(path: input.path, reason: "gzip data ends early (truncated file?) after \(input.consumed) compressed bytes")
            }
            if status != Z_OK && status != Z_BUF_ERROR {
                // zlib's own message ("invalid distance too far back") means nothing to a user:
                // say where the damage is instead.
                let at = input.consumed - Int64(stream.avail_in)
                throw TickError.unreadable(path: input.path, reason: "the gzip data is damaged near compressed byte \(at): it cannot be decompressed past byte \(stream.total_out) of its contents (a corrupt or incompletely copied file)")
            }
        }
        return capacity - Int(stream.avail_out)
    }
}

/// zstd through the streaming decompression API (stable part of libzstd).
final class ZstdDecoder: Decoder {
    private let input: RawInput
    private let context: OpaquePointer
    private let inputCapacity = ZSTD_DStreamInSize()
    private let compressed: UnsafeMutableRawPointer
    private var inputBuffer = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var inputEnd = false
    /// Whether the last call ended inside a frame (to detect truncation at the end).
    private var frameOpen = false

    init(input: RawInput) throws {
        self.input = input
        guard let context = ZSTD_createDCtx() else { throw TickError.unreadable(path: input.path, reason: "cannot start zstd decoding") }
        self.context = context
        compressed = UnsafeMutableRawPointer.allocate(byteCount: inputCapacity, alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        compressed.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var output = ZSTD_outBuffer(dst: out, size: buffer.count, pos: 0)
        while output.pos == 0 {
            if inputBuffer.pos == inputBuffer.size {
                if inputEnd { break }
                let n = try input.read(into: UnsafeMutableRawBufferPointer(start: compressed, count: inputCapacity))
                if n == 0 {
                    inputEnd = true
                    if frameOpen { throw TickError.unreadable(path: input.path, reason: "zstd data ends inside a frame (truncated file?)") }
                    break
                }
                inputBuffer = ZSTD_inBuffer(src: UnsafeRawPointer(compressed), size: n, pos: 0)
            }
            let hint = ZSTD_decompressStream(context, &output, &inputBuffer)
            if ZSTD_isError(hint) != 0 {
                let at = input.consumed - Int64(inputBuffer.size - inputBuffer.pos)
                throw TickError.unreadable(path: input.path, reason: "the zstd data is damaged near compressed byte \(at): it cannot be decompressed further (a corrupt or incompletely copied file)")
            }
            frameOpen = hint != 0
        }
        return output.pos
    }
}
