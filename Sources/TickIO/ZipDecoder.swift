import CZlib
import TickCore

/// The one member of a zip, decompressed as it is read: raw deflate through zlib's `inflate`
/// (the same code that reads `.gz`, so a zip reads as fast as the same data gzipped) or stored
/// bytes copied through. Nothing is extracted to disk and the member is never held in memory:
/// compressed bytes pass through a 1 MiB buffer. At the member's end its CRC-32 and size are
/// checked against the central directory's, before the end is reported.
final class ZipDecoder: Decoder {
    private let input: RawInput
    private let member: ZipMember
    private var stream = z_stream()
    /// Compressed bytes; owned here because zlib keeps `next_in` between calls.
    private let buffer: UnsafeMutablePointer<UInt8>
    /// Compressed bytes of the member not yet read from the file.
    private var compressedLeft: Int64
    private var produced: Int64 = 0
    private var crc: UInt = 0
    private var streamEnded = false
    private var finished = false

    init(input: RawInput, member: ZipMember) throws {
        self.input = input
        self.member = member
        compressedLeft = member.compressedSize
        buffer = .allocate(capacity: compressedBufferSize)
        if member.method == 8 {
            // Negative window bits: raw deflate, no zlib or gzip wrapper (zip has its own).
            let status = inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else {
                buffer.deallocate()
                throw TickError.unreadable(path: input.path, reason: status == Z_MEM_ERROR ? "not enough memory to start zip decoding" : "cannot start zip decoding")
            }
        }
        // The local header (and anything before it) is read, not skipped, so that a checksum
        // of the file covers it and the reads stay sequential.
        let header = member.dataOffset - input.consumed
        if try input.discard(header) < header { throw truncated(at: input.consumed) }
    }

    deinit {
        if member.method == 8 { inflateEnd(&stream) }
        buffer.deallocate()
    }

    func read(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, let base = out.baseAddress, out.count > 0 else { return 0 }
        let n = member.method == 8 ? try inflate(into: base, count: out.count) : try copyStored(into: out)
        if n > 0 {
            crc = CZlib.crc32(crc, base.assumingMemoryBound(to: Bytef.self), uInt(n))
            produced += Int64(n)
            return n
        }
        try finish()
        return 0
    }

    private func copyStored(into out: UnsafeMutableRawBufferPointer) throws -> Int {
        guard compressedLeft > 0 else { return 0 }
        let want = Int(min(Int64(out.count), compressedLeft))
        let n = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: out[0..<want]))
        if n == 0 { throw truncated(at: input.consumed) }
        compressedLeft -= Int64(n)
        return n
    }

    private func inflate(into out: UnsafeMutableRawPointer, count: Int) throws -> Int {
        let capacity = min(count, Int(UInt32.max))
        stream.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(capacity)
        while !streamEnded && stream.avail_out == UInt32(capacity) {
            if stream.avail_in == 0 {
                // The deflate stream has not ended but its bytes have: cut short or damaged.
                guard compressedLeft > 0 else { throw damaged("its deflate data ends before the deflate stream does") }
                let want = Int(min(Int64(compressedBufferSize), compressedLeft))
                let n = try input.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: want))
                if n == 0 { throw truncated(at: input.consumed) }
                compressedLeft -= Int64(n)
                stream.next_in = buffer
                stream.avail_in = UInt32(n)
            }
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            if status == Z_STREAM_END { streamEnded = true; break }
            if status != Z_OK && status != Z_BUF_ERROR {
                // zlib's own message ("invalid distance too far back") means nothing to a user:
                // say where the damage is instead.
                let at = input.consumed - Int64(stream.avail_in)
                throw damaged("the deflate data is damaged near byte \(at) of the zip: it cannot be decompressed past byte \(produced + Int64(capacity) - Int64(stream.avail_out)) of \(member.name)")
            }
        }
        return capacity - Int(stream.avail_out)
    }

    /// At the member's end: its size and CRC-32 must be the central directory's, or the file is
    /// damaged (a flipped bit in the data, a member cut short).
    private func finish() throws {
        finished = true
        // Compressed bytes after the end of the deflate stream: part of the member, read so the
        // file position (and a checksum) move past them.
        if compressedLeft > 0 {
            let n = try input.discard(compressedLeft)
            if n < compressedLeft { throw truncated(at: input.consumed) }
            compressedLeft = 0
        }
        guard produced == member.uncompressedSize else {
            throw damaged("\(member.name) decompresses to \(produced) bytes but the zip's directory says \(member.uncompressedSize)")
        }
        guard UInt32(truncatingIfNeeded: crc) == member.crc32 else {
            throw damaged("the CRC-32 of \(member.name) is \(hex8(UInt32(truncatingIfNeeded: crc))) but the zip's directory says \(hex8(member.crc32))")
        }
    }

    private func damaged(_ detail: String) -> TickError {
        .unreadable(path: input.path, reason: "is a damaged or truncated zip: \(detail) (a corrupt or incompletely copied file; download it again)")
    }

    private func truncated(at offset: Int64) -> TickError {
        .unreadable(path: input.path, reason: "is truncated: the file ends at byte \(offset), inside the data of \(member.name) (the file changed while it was read?)")
    }

    private func hex8(_ value: UInt32) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
