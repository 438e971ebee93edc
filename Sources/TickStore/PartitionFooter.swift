/// The footer: where each column's frame is, and the sizes and checksum to verify it by.
///
/// ```
/// u32 column count | (u64 offset, u64 compressed size, u64 encoded size, u32 CRC-32) × count
/// ```
struct PartitionFooter: Equatable {
    var frames: [FrameLocation]

    var byteCount: Int { PartitionLayout.smallestFooterBytes + frames.count * PartitionLayout.footerEntryBytes }

    func write(to out: inout ByteWriter) {
        out.u32(UInt32(frames.count))
        for frame in frames {
            out.u64(UInt64(frame.offset))
            out.u64(UInt64(frame.compressedSize))
            out.u64(UInt64(frame.encodedSize))
            out.u32(frame.checksum)
        }
    }

    /// Reads a footer that must fill the reader's range exactly. Sizes are only range-checked
    /// against `fileSize` here; `PartitionFileParser` checks them against the header.
    static func read(from reader: inout ByteReader, fileSize: Int) throws(FormatError) -> PartitionFooter {
        let count = try reader.count("column count", minimumItemBytes: PartitionLayout.footerEntryBytes)
        var frames: [FrameLocation] = []
        frames.reserveCapacity(count)
        func fileRange(_ value: UInt64, _ field: String) throws(FormatError) -> Int {
            guard value <= UInt64(fileSize) else {
                throw FormatError("footer: \(field) \(value) exceeds the file size \(fileSize)")
            }
            return Int(value)
        }
        for i in 0..<count {
            let offset = try fileRange(try reader.u64("column \(i) offset"), "column \(i) offset")
            let compressed = try fileRange(try reader.u64("column \(i) compressed size"), "column \(i) compressed size")
            let encodedRaw = try reader.u64("column \(i) encoded size")
            // The largest encoding: Int128 as two varint streams (divisor + 10 bytes per value).
            guard encodedRaw <= UInt64(20 * PartitionLayout.maxRowCount + 2 * Int64StreamCodec.divisorBytes) else {
                throw FormatError("footer: column \(i) encoded size \(encodedRaw) is impossibly large")
            }
            let checksum = try reader.u32("column \(i) checksum")
            frames.append(FrameLocation(offset: offset, compressedSize: compressed, encodedSize: Int(encodedRaw),
                                        checksum: checksum))
        }
        guard reader.remaining == 0 else {
            throw FormatError("footer: \(reader.remaining) unexpected bytes after the column entries")
        }
        return PartitionFooter(frames: frames)
    }
}
