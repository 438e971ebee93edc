import TickCore
import TickIO

/// Lays out a partition file: prefix, header, frames, footer, trailer.
enum PartitionWriter {
    /// The file's bytes and the CRC-32 of all of them, assembled from the checksums the file
    /// carries anyway (the frames' are combined, not recomputed: a second pass over every byte
    /// written was 1–2 % of a run).
    static func encode(_ contents: PartitionContents, compressor: Zstd.Compressor) throws -> (bytes: [UInt8], checksum: UInt32) {
        try validate(contents)
        typealias L = PartitionLayout

        // Encode and compress one column at a time, so only one encoded column is alive.
        var descriptors: [ColumnDescriptor] = []
        var frames: [[UInt8]] = []
        var encodedSizes: [Int] = []
        for column in contents.columns {
            let encoded = ColumnCodec.encode(column.payload)
            descriptors.append(ColumnDescriptor(name: column.name, type: encoded.type, encoding: encoded.encoding))
            encodedSizes.append(encoded.bytes.count)
            frames.append(try compressor.compress(encoded.bytes))
        }

        let header = PartitionHeader(
            rowCount: contents.rowCount, minTime: contents.minTime, maxTime: contents.maxTime, kind: contents.kind,
            metadata: PartitionHeader.sortedMetadata(contents.metadata), columns: descriptors)
        var headerBytes = ByteWriter()
        header.write(to: &headerBytes)
        guard headerBytes.count <= L.maxHeaderBytes else {
            throw TickError.invalidArgument("partition header would be \(headerBytes.count) bytes, more than the \(L.maxHeaderBytes) allowed (too much metadata or too many columns)")
        }

        let footerBytesCount = L.smallestFooterBytes + frames.count * L.footerEntryBytes
        let total = L.prefixBytes + headerBytes.count + L.checksumBytes + frames.reduce(0) { $0 + $1.count }
            + footerBytesCount + L.checksumBytes + L.trailerBytes
        var out = ByteWriter(capacity: total)

        out.append(L.headMagic)
        out.u32(UInt32(PartitionFormat.version))
        out.u32(UInt32(headerBytes.count))
        out.append(headerBytes.bytes)
        out.u32(out.crc32(from: L.headMagic.count))  // covers version, header length, header

        var fileChecksum = out.crc32(from: 0)
        var locations: [FrameLocation] = []
        for (frame, encodedSize) in zip(frames, encodedSizes) {
            let checksum = frame.withUnsafeBytes { Checksum.crc32($0) }
            locations.append(FrameLocation(offset: out.count, compressedSize: frame.count,
                                           encodedSize: encodedSize, checksum: checksum))
            out.append(frame)
            fileChecksum = Checksum.combine(fileChecksum, checksum, secondLength: frame.count)
        }

        let footerOffset = out.count
        PartitionFooter(frames: locations).write(to: &out)
        let footerLength = out.count - footerOffset
        out.u32(out.crc32(from: footerOffset))
        out.u64(UInt64(footerOffset))
        out.u32(UInt32(footerLength))
        out.append(L.tailMagic)
        precondition(out.count == total, "partition layout size mismatch")
        fileChecksum = out.bytes.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[footerOffset...]), seed: fileChecksum) }
        return (out.bytes, fileChecksum)
    }

    /// The rules a reader enforces, checked before any work so a bad call fails with a clear message.
    static func validate(_ contents: PartitionContents) throws {
        guard contents.rowCount >= 0, contents.rowCount <= PartitionLayout.maxRowCount else {
            throw TickError.invalidArgument("partition row count \(contents.rowCount) is outside 0...\(PartitionLayout.maxRowCount)")
        }
        var names = Set<String>()
        for column in contents.columns {
            guard column.count == contents.rowCount else {
                throw TickError.invalidArgument("column '\(column.name)' has \(column.count) values but the partition has \(contents.rowCount) rows")
            }
            guard names.insert(column.name).inserted else {
                throw TickError.invalidArgument("duplicate column name '\(column.name)' in a \(contents.kind) partition")
            }
        }
    }
}
