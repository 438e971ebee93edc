/// The header: what the partition holds and its schema.
///
/// ```
/// u64 row count | i64 min time | i64 max time | str kind
/// u32 metadata count | (str key, str value) × count, keys in strictly increasing UTF-8 byte order
/// u32 column count   | (str name, u8 type, u8 encoding) × count
/// ```
/// `str` is a u32 byte length followed by that many bytes of UTF-8.
struct PartitionHeader: Equatable {
    var rowCount: Int
    var minTime: Int64
    var maxTime: Int64
    var kind: String
    /// Sorted by the keys' UTF-8 bytes: the order on disk, so encoding is deterministic.
    var metadata: [(key: String, value: String)]
    var columns: [ColumnDescriptor]

    static func == (a: PartitionHeader, b: PartitionHeader) -> Bool {
        a.rowCount == b.rowCount && a.minTime == b.minTime && a.maxTime == b.maxTime && a.kind == b.kind
            && a.metadata.elementsEqual(b.metadata, by: { $0.key == $1.key && $0.value == $1.value })
            && a.columns == b.columns
    }

    /// Metadata in the on-disk order.
    static func sortedMetadata(_ metadata: [String: String]) -> [(key: String, value: String)] {
        metadata.map { (key: $0.key, value: $0.value) }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    func write(to out: inout ByteWriter) {
        out.u64(UInt64(rowCount))
        out.i64(minTime)
        out.i64(maxTime)
        out.string(kind)
        out.u32(UInt32(metadata.count))
        for entry in metadata {
            out.string(entry.key)
            out.string(entry.value)
        }
        out.u32(UInt32(columns.count))
        for column in columns {
            out.string(column.name)
            out.u8(column.type.rawValue)
            out.u8(column.encoding.code)
        }
    }

    /// Reads and checks a header that must fill the reader's range exactly.
    static func read(from reader: inout ByteReader) throws(FormatError) -> PartitionHeader {
        let rows = try reader.u64("row count")
        guard rows <= UInt64(PartitionLayout.maxRowCount) else {
            throw FormatError("header: row count \(rows) exceeds the limit \(PartitionLayout.maxRowCount)")
        }
        let minTime = try reader.i64("min time")
        let maxTime = try reader.i64("max time")
        let kind = try reader.string("kind")

        let metadataCount = try reader.count("metadata count", minimumItemBytes: 8)
        var metadata: [(key: String, value: String)] = []
        metadata.reserveCapacity(metadataCount)
        for i in 0..<metadataCount {
            let key = try reader.string("metadata key \(i)")
            let value = try reader.string("metadata value \(i)")
            if let previous = metadata.last, !previous.key.utf8.lexicographicallyPrecedes(key.utf8) {
                throw FormatError("header: metadata keys not in strictly increasing order at '\(key)'")
            }
            metadata.append((key, value))
        }

        let columnCount = try reader.count("column count", minimumItemBytes: 6)
        var columns: [ColumnDescriptor] = []
        columns.reserveCapacity(columnCount)
        var names = Set<String>()
        for i in 0..<columnCount {
            let name = try reader.string("column \(i) name")
            let typeCode = try reader.u8("column \(i) type")
            let encodingCode = try reader.u8("column \(i) encoding")
            guard let type = ColumnType(rawValue: typeCode) else {
                throw FormatError("header: column '\(name)' has unknown type code \(typeCode)")
            }
            guard let encoding = ColumnEncoding(code: encodingCode, type: type) else {
                throw FormatError("header: column '\(name)' has unknown encoding code \(encodingCode) for type \(type.name)")
            }
            guard names.insert(name).inserted else {
                throw FormatError("header: duplicate column name '\(name)'")
            }
            columns.append(ColumnDescriptor(name: name, type: type, encoding: encoding))
        }
        guard reader.remaining == 0 else {
            throw FormatError("header: \(reader.remaining) unexpected bytes after the schema")
        }
        return PartitionHeader(rowCount: Int(rows), minTime: minTime, maxTime: maxTime, kind: kind,
                               metadata: metadata, columns: columns)
    }

    /// The metadata as a dictionary; keys that Swift considers equal (canonically equivalent
    /// Unicode) are refused rather than trapping in `Dictionary(uniqueKeysWithValues:)`.
    func metadataDictionary() throws(FormatError) -> [String: String] {
        var dictionary: [String: String] = [:]
        for entry in metadata {
            guard dictionary.updateValue(entry.value, forKey: entry.key) == nil else {
                throw FormatError("header: duplicate metadata key '\(entry.key)'")
            }
        }
        return dictionary
    }
}
