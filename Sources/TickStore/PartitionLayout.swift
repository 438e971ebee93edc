/// Fixed sizes and limits of the partition file layout (see docs/PARTITION-FORMAT.md).
///
/// ```
/// head magic "TFPARTHD" | u32 version | u32 header length H | header (H bytes) | u32 header CRC
/// column frames (one zstd frame per column, back to back)
/// footer (F bytes) | u32 footer CRC | u64 footer offset | u32 F | tail magic "TFPARTFT"
/// ```
enum PartitionLayout {
    static let headMagic: [UInt8] = Array("TFPARTHD".utf8)
    static let tailMagic: [UInt8] = Array("TFPARTFT".utf8)

    /// Head magic, version, header length.
    static let prefixBytes = 16
    static let checksumBytes = 4
    /// Footer offset (u64), footer length (u32), tail magic.
    static let trailerBytes = 20
    /// Offset, compressed size, encoded size (u64 each), CRC-32 (u32).
    static let footerEntryBytes = 28
    /// Row count, min time, max time, kind length, metadata count, column count.
    static let smallestHeaderBytes = 8 + 8 + 8 + 4 + 4 + 4
    /// A footer's column count.
    static let smallestFooterBytes = 4
    /// A file with no columns.
    static let smallestFileBytes = prefixBytes + smallestHeaderBytes + checksumBytes
        + smallestFooterBytes + checksumBytes + trailerBytes

    /// More rows than this are refused on both sides, so a damaged or hostile file cannot ask
    /// for an absurd allocation (2³¹ Int128 values are already 32 GiB).
    static let maxRowCount = 1 << 31
    /// Headers hold names and a little metadata; anything bigger is not a partition.
    static let maxHeaderBytes = 16 << 20
    /// zstd cannot expand data more than this: a block is at most 128 KiB and the smallest block
    /// (RLE) takes 4 bytes. An encoded size beyond `ratio × frame size` is damage.
    static let maxZstdExpansion = 32_768
}

/// One column's entry in the schema.
struct ColumnDescriptor: Equatable {
    var name: String
    var type: ColumnType
    var encoding: ColumnEncoding
}

/// One column's entry in the footer.
struct FrameLocation: Equatable {
    /// From the start of the file.
    var offset: Int
    var compressedSize: Int
    var encodedSize: Int
    /// CRC-32 of the compressed frame's bytes.
    var checksum: UInt32

    var range: Range<Int> { offset..<offset + compressedSize }
}
