import TickCore
import TickIO

/// The on-disk columnar partition format (`.tfp`): a checked header with the schema, one zstd frame
/// per encoded column, and a checked footer locating the frames. docs/PARTITION-FORMAT.md gives
/// the byte layout.
///
/// Every function is safe to call from several threads at once; only `Zstd.Compressor` is not,
/// so each encoding thread passes its own.
public enum PartitionFormat {
    /// The format version written, and the only one read.
    public static let version: Int = 1
    /// The first bytes of every partition file.
    public static let magic: [UInt8] = PartitionLayout.headMagic
    /// File name extension of partition files, without the dot.
    public static let fileExtension: String = "tfp"
    /// The most rows a partition may hold.
    public static let maxRowCount: Int = PartitionLayout.maxRowCount

    /// Encodes and compresses. Deterministic: the same contents (and compression level) give
    /// the same bytes. Throws `TickError.invalidArgument` for contents that break the format's
    /// rules (a column without `rowCount` values, duplicate column names, too many rows, an
    /// oversized header).
    public static func encode(_ contents: PartitionContents, compressor: Zstd.Compressor) throws -> [UInt8] {
        try PartitionWriter.encode(contents, compressor: compressor).bytes
    }

    /// `encode`, and the CRC-32 of the whole file (what manifests record) at almost no extra
    /// cost: it is combined from the checksums the file holds instead of read again.
    public static func encodeWithChecksum(_ contents: PartitionContents, compressor: Zstd.Compressor) throws -> (bytes: [UInt8], checksum: UInt32) {
        try PartitionWriter.encode(contents, compressor: compressor)
    }

    /// Fully checks and decodes: magic, version, header checksum, footer, every column checksum,
    /// zstd content checksum, sizes, row counts. Any damage throws
    /// `TickError.unreadable(path:reason:)` with a reason naming what is wrong.
    public static func decode(_ bytes: [UInt8], path: String) throws -> PartitionContents {
        try withPath(path) {
            let parsed = try PartitionFileParser.parse(bytes)
            let header = parsed.header
            var columns: [StoredColumn] = []
            columns.reserveCapacity(header.columns.count)
            for (column, frame) in zip(header.columns, parsed.footer.frames) {
                let payload = try decodeColumn(bytes, column: column, frame: frame, rowCount: header.rowCount, path: path)
                columns.append(StoredColumn(name: column.name, payload: payload))
            }
            return PartitionContents(kind: header.kind, rowCount: header.rowCount, minTime: header.minTime,
                                     maxTime: header.maxTime, metadata: try header.metadataDictionary(),
                                     columns: columns)
        }
    }

    /// Reads header and footer (checking their checksums and every frame's position and sizes);
    /// with `verify == true` also checks every column: frame checksum, zstd frame and content
    /// checksum, and a full decode. Damage throws `TickError.unreadable(path:reason:)`.
    public static func summarize(_ bytes: [UInt8], path: String, verify: Bool) throws -> PartitionSummary {
        try withPath(path) {
            let parsed = try PartitionFileParser.parse(bytes)
            let header = parsed.header
            var columns: [ColumnSummary] = []
            for (column, frame) in zip(header.columns, parsed.footer.frames) {
                if verify {
                    _ = try decodeColumn(bytes, column: column, frame: frame, rowCount: header.rowCount, path: path)
                }
                columns.append(ColumnSummary(
                    name: column.name, type: column.type.name, encoding: column.encoding.name,
                    rawBytes: column.type.width * header.rowCount, encodedBytes: frame.encodedSize,
                    compressedBytes: frame.compressedSize, checksumOK: verify ? true : nil))
            }
            return PartitionSummary(
                formatVersion: parsed.version, kind: header.kind, rowCount: header.rowCount,
                minTime: header.minTime, maxTime: header.maxTime, metadata: try header.metadataDictionary(),
                fileBytes: bytes.count, columns: columns, fileChecksum: Checksum.crc32(bytes))
        }
    }

    /// Checks one frame's CRC, decompresses it (zstd checks its content checksum) and decodes it.
    private static func decodeColumn(_ bytes: [UInt8], column: ColumnDescriptor, frame: FrameLocation,
                                     rowCount: Int, path: String) throws -> ColumnPayload {
        let context = "column '\(column.name)'"
        return try bytes.withUnsafeBytes { file in
            let compressed = UnsafeRawBufferPointer(rebasing: file[frame.range])
            let computed = Checksum.crc32(compressed)
            guard computed == frame.checksum else {
                throw FormatError("\(context): checksum mismatch (stored \(hex(frame.checksum)), computed \(hex(computed)))")
            }
            let encoded: [UInt8]
            do {
                encoded = try Zstd.decompress(compressed, expectedSize: frame.encodedSize, path: path)
            } catch TickError.unreadable(_, let reason) {
                throw FormatError("\(context): \(reason)")
            }
            do {
                return try encoded.withUnsafeBytes { raw in
                    try ColumnCodec.decode(raw, type: column.type, encoding: column.encoding, count: rowCount)
                }
            } catch let error as FormatError {
                throw error.inContext(context)
            }
        }
    }

    /// Runs `body`, turning a `FormatError` into `TickError.unreadable` naming `path`.
    private static func withPath<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FormatError {
            throw TickError.unreadable(path: path, reason: error.reason)
        }
    }
}
