import TickIO

/// Byte-level helpers for partition files (docs/PARTITION-FORMAT.md), written independently of
/// TickStore's reader: little-endian fields, fixing checksums so mutated files get past them,
/// and uncompressed ("raw block") zstd frames.
public enum PartitionBytes {
    public static let headMagic: [UInt8] = Array("TFPARTHD".utf8)
    public static let tailMagic: [UInt8] = Array("TFPARTFT".utf8)
    static let prefixBytes = 16
    static let trailerBytes = 20
    static let footerEntryBytes = 28

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32? {
        guard at >= 0, at <= b.count - 4 else { return nil }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(b[at + i]) << (8 * i) }
        return v
    }

    static func u64(_ b: [UInt8], _ at: Int) -> UInt64? {
        guard at >= 0, at <= b.count - 8 else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[at + i]) << (8 * i) }
        return v
    }

    static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }

    static func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) {
        for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) }
    }

    static func append32(_ b: inout [UInt8], _ v: UInt32) { for i in 0..<4 { b.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    static func append64(_ b: inout [UInt8], _ v: UInt64) { for i in 0..<8 { b.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }

    static func crc(_ b: [UInt8], _ range: Range<Int>) -> UInt32 {
        b.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// One column's footer entry.
    public struct Frame: Equatable {
        public var offset: Int
        public var compressedSize: Int
        public var encodedSize: Int
        public var checksum: UInt32
    }

    /// Where the parts of a partition-shaped file are, if the fixed fields are in range (checksums
    /// and contents are not checked).
    public struct Parts {
        public var headerEnd: Int
        public var footerOffset: Int
        public var footerLength: Int
        public var frames: [Frame]
    }

    /// The parts of `b`, or nil when its fixed fields point outside the file.
    public static func parts(_ b: [UInt8]) -> Parts? {
        let size = b.count
        guard size >= prefixBytes + 4 + 4 + trailerBytes, let headerLength = u32(b, 12) else { return nil }
        let headerEnd = prefixBytes + Int(headerLength)
        guard headerEnd + 4 <= size - trailerBytes,
              let footerOffset64 = u64(b, size - trailerBytes), let footerLength32 = u32(b, size - 12),
              footerOffset64 <= UInt64(size) else { return nil }
        let footerOffset = Int(footerOffset64), footerLength = Int(footerLength32)
        guard footerOffset + footerLength + 4 <= size - trailerBytes, footerLength >= 4,
              let count = u32(b, footerOffset) else { return nil }
        var frames: [Frame] = []
        var at = footerOffset + 4
        for _ in 0..<Int(count) {
            guard at + footerEntryBytes <= footerOffset + footerLength,
                  let offset = u64(b, at), let compressed = u64(b, at + 8), let encoded = u64(b, at + 16),
                  let checksum = u32(b, at + 24) else { break }
            guard offset <= UInt64(size), compressed <= UInt64(size), encoded <= UInt64(Int.max / 2) else { break }
            frames.append(Frame(offset: Int(offset), compressedSize: Int(compressed), encodedSize: Int(encoded), checksum: checksum))
            at += footerEntryBytes
        }
        return Parts(headerEnd: headerEnd, footerOffset: footerOffset, footerLength: footerLength, frames: frames)
    }

    /// `b` with its header, frame and footer checksums recomputed (what a mutation broke), or nil
    /// when it is not partition-shaped enough to locate them.
    public static func fixingChecksums(_ b: [UInt8]) -> [UInt8]? {
        guard let parts = parts(b) else { return nil }
        var out = b
        put32(&out, parts.headerEnd, crc(out, 8..<parts.headerEnd))
        var at = parts.footerOffset + 4
        for frame in parts.frames {
            if frame.offset + frame.compressedSize <= out.count {
                put32(&out, at + 24, crc(out, frame.offset..<frame.offset + frame.compressedSize))
            }
            at += footerEntryBytes
        }
        let footerEnd = parts.footerOffset + parts.footerLength
        put32(&out, footerEnd, crc(out, parts.footerOffset..<footerEnd))
        return out
    }

    // MARK: zstd frames by hand

    /// A zstd frame of raw (stored) blocks without a content checksum: its bytes are the column
    /// data itself, so mutating them reaches the column decoders.
    public static func rawZstdFrame(_ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        out.append(0xE0)  // 8-byte content size, single segment, no checksum, no dictionary
        append64(&out, UInt64(content.count))
        let blockLimit = 128 << 10
        var start = 0
        repeat {
            let n = min(blockLimit, content.count - start)
            let last: UInt32 = start + n == content.count ? 1 : 0
            let header = last | (0 << 1) | (UInt32(n) << 3)
            out += [UInt8(truncatingIfNeeded: header), UInt8(truncatingIfNeeded: header >> 8), UInt8(truncatingIfNeeded: header >> 16)]
            out += content[start..<start + n]
            start += n
        } while start < content.count
        return out
    }

    /// A zstd frame declaring `declaredSize` content bytes, followed by `junk`: not decodable,
    /// but its header passes a content-size check.
    public static func zstdFrameHeader(declaredSize: UInt64, junk: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0]
        append64(&out, declaredSize)
        return out + junk
    }

    /// `b` with every column frame replaced by `frames[i]` (same encoded sizes), offsets and
    /// checksums rewritten.
    public static func replacingFrames(_ b: [UInt8], parts: Parts, with frames: [[UInt8]]) -> [UInt8] {
        var out = Array(b[0..<parts.headerEnd + 4])
        var footer: [UInt8] = []
        append32(&footer, UInt32(frames.count))
        for (frame, old) in zip(frames, parts.frames) {
            append64(&footer, UInt64(out.count))
            append64(&footer, UInt64(frame.count))
            append64(&footer, UInt64(old.encodedSize))
            append32(&footer, crc(frame, 0..<frame.count))
            out += frame
        }
        let footerOffset = out.count
        out += footer
        append32(&out, crc(footer, 0..<footer.count))
        append64(&out, UInt64(footerOffset))
        append32(&out, UInt32(footer.count))
        out += tailMagic
        return out
    }
}
