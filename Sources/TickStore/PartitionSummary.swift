/// What the header and footer say about one column, with the sizes at each stage.
public struct ColumnSummary: Sendable {
    public var name: String
    /// `int64`, `int128`, `float64` or `uint8`.
    public var type: String
    /// The encoding's name, e.g. `delta-varint`, `byte-stream-split`, `split(delta-varint/varint)`.
    public var encoding: String
    /// Bytes of the values before encoding (8 per Int64/Double, 16 per Int128, 1 per UInt8).
    public var rawBytes: Int
    /// Bytes after the type encoding, before zstd.
    public var encodedBytes: Int
    /// Size of the zstd frame on disk.
    public var compressedBytes: Int
    /// `true` when the column was verified (checksum, zstd frame and decoding all good); `nil` when
    /// it was not verified. A damaged column makes verification throw, so it is never `false`
    /// in a summary returned by `PartitionFormat`.
    public var checksumOK: Bool?

    public init(name: String, type: String, encoding: String, rawBytes: Int, encodedBytes: Int,
                compressedBytes: Int, checksumOK: Bool?) {
        self.name = name; self.type = type; self.encoding = encoding
        self.rawBytes = rawBytes; self.encodedBytes = encodedBytes; self.compressedBytes = compressedBytes
        self.checksumOK = checksumOK
    }
}

/// What a partition file holds, read from its header and footer.
public struct PartitionSummary: Sendable {
    public var formatVersion: Int
    public var kind: String
    public var rowCount: Int
    public var minTime: Int64
    public var maxTime: Int64
    public var metadata: [String: String]
    /// Size of the whole file.
    public var fileBytes: Int
    public var columns: [ColumnSummary]
    /// CRC-32 of the whole file (what the manifest records).
    public var fileChecksum: UInt32

    public init(formatVersion: Int, kind: String, rowCount: Int, minTime: Int64, maxTime: Int64,
                metadata: [String: String], fileBytes: Int, columns: [ColumnSummary], fileChecksum: UInt32) {
        self.formatVersion = formatVersion; self.kind = kind; self.rowCount = rowCount
        self.minTime = minTime; self.maxTime = maxTime; self.metadata = metadata
        self.fileBytes = fileBytes; self.columns = columns; self.fileChecksum = fileChecksum
    }
}
