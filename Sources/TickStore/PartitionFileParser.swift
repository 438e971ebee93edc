import TickIO

/// A partition whose structure has been checked: magics, version, header and footer checksums,
/// and every frame's position and sizes. The frames themselves are not read yet.
struct ParsedPartition {
    var version: Int
    var header: PartitionHeader
    var footer: PartitionFooter
}

/// Checks the structure of a partition file, in the order a reader must (docs/PARTITION-FORMAT.md,
/// "Reading"). Every length, offset and count is checked against the file size before it is used.
enum PartitionFileParser {
    static func parse(_ bytes: [UInt8]) throws(FormatError) -> ParsedPartition {
        typealias L = PartitionLayout
        let size = bytes.count
        guard size > 0 else { throw FormatError("truncated: empty file (0 bytes)") }

        // 1. Head magic (a shorter file must at least start like one to be called truncated).
        let magicLength = min(size, L.headMagic.count)
        guard bytes[0..<magicLength].elementsEqual(L.headMagic[0..<magicLength]) else {
            throw FormatError("not a tickforge partition: bad magic \(hex(bytes.prefix(8))), expected \"TFPARTHD\"")
        }
        guard size >= L.prefixBytes else {
            throw FormatError("truncated: \(size) bytes, header missing")
        }

        // 2. Version, before anything whose layout a future version may change.
        var prefix = ByteReader(bytes, range: L.headMagic.count..<L.prefixBytes, part: "prefix")
        let version = try prefix.u32("version")
        guard version == UInt32(PartitionFormat.version) else {
            throw FormatError("unsupported format version \(version) (this reader reads version \(PartitionFormat.version))")
        }
        let headerLength = Int(try prefix.u32("header length"))

        // 3. Tail magic: a file cut anywhere loses it.
        guard size >= L.smallestFileBytes, bytes[(size - L.tailMagic.count)...].elementsEqual(L.tailMagic) else {
            throw FormatError("truncated: footer missing (the \(size)-byte file does not end with the end magic \"TFPARTFT\")")
        }

        // 4. Header: length within the file, checksum, then its fields.
        let headerEnd = L.prefixBytes + headerLength
        let smallestTail = L.checksumBytes + L.smallestFooterBytes + L.checksumBytes + L.trailerBytes
        guard headerLength >= L.smallestHeaderBytes, headerLength <= L.maxHeaderBytes,
              headerEnd + smallestTail <= size else {
            throw FormatError("header length \(headerLength) does not fit in the \(size)-byte file")
        }
        try checkCRC(bytes, covering: L.headMagic.count..<headerEnd, storedAt: headerEnd, part: "header")
        var headerReader = ByteReader(bytes, range: L.prefixBytes..<headerEnd, part: "header")
        let header = try PartitionHeader.read(from: &headerReader)

        // 5. Trailer: the footer's offset and length must agree with each other and the file size.
        let trailerStart = size - L.trailerBytes
        var trailer = ByteReader(bytes, range: trailerStart..<size - L.tailMagic.count, part: "trailer")
        let footerOffsetField = try trailer.u64("footer offset")
        let footerLength = Int(try trailer.u32("footer length"))
        let dataStart = headerEnd + L.checksumBytes
        guard footerOffsetField >= UInt64(dataStart), footerOffsetField <= UInt64(trailerStart),
              Int(footerOffsetField) + footerLength + L.checksumBytes == trailerStart else {
            throw FormatError("trailer: footer offset \(footerOffsetField) and length \(footerLength) do not match the \(size)-byte file (truncated or damaged)")
        }
        let footerOffset = Int(footerOffsetField)
        let footerEnd = footerOffset + footerLength

        // 6. Footer: checksum, fields, agreement with the header.
        try checkCRC(bytes, covering: footerOffset..<footerEnd, storedAt: footerEnd, part: "footer")
        var footerReader = ByteReader(bytes, range: footerOffset..<footerEnd, part: "footer")
        let footer = try PartitionFooter.read(from: &footerReader, fileSize: size)
        guard footer.frames.count == header.columns.count else {
            throw FormatError("footer lists \(footer.frames.count) columns but the header has \(header.columns.count)")
        }

        // 7. Frames: back to back from the end of the header to the footer, sizes possible.
        var expectedOffset = dataStart
        for (column, frame) in zip(header.columns, footer.frames) {
            let context = "column '\(column.name)'"
            guard frame.offset == expectedOffset else {
                throw FormatError("\(context): frame at offset \(frame.offset), expected \(expectedOffset)")
            }
            guard frame.compressedSize > 0, frame.compressedSize <= footerOffset - frame.offset else {
                throw FormatError("\(context): compressed size \(frame.compressedSize) does not fit before the footer")
            }
            let possible = column.encoding.encodedSizeRange(count: header.rowCount)
            guard possible.contains(frame.encodedSize) else {
                throw FormatError("\(context): encoded size \(frame.encodedSize) is impossible for \(header.rowCount) rows in \(column.encoding.name) (row count mismatch?)")
            }
            guard frame.encodedSize <= frame.compressedSize * L.maxZstdExpansion else {
                throw FormatError("\(context): encoded size \(frame.encodedSize) cannot come from a \(frame.compressedSize)-byte zstd frame")
            }
            expectedOffset += frame.compressedSize
        }
        guard expectedOffset == footerOffset else {
            throw FormatError("column frames end at offset \(expectedOffset) but the footer starts at \(footerOffset)")
        }
        return ParsedPartition(version: Int(version), header: header, footer: footer)
    }

    /// Compares the CRC-32 of `range` with the u32 stored at `storedAt`.
    private static func checkCRC(_ bytes: [UInt8], covering range: Range<Int>, storedAt: Int,
                                 part: String) throws(FormatError) {
        var reader = ByteReader(bytes, range: storedAt..<storedAt + PartitionLayout.checksumBytes, part: part)
        let stored = try reader.u32("checksum")
        let computed = bytes.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[range])) }
        guard stored == computed else {
            throw FormatError("\(part) checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))")
        }
    }
}

/// `0x1234abcd`.
func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}

/// `54 46 50 41` for a few bytes in an error message.
func hex(_ bytes: some Collection<UInt8>) -> String {
    bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
}
