/// The parts of parquet-format's `parquet.thrift` this writer emits, with the field ids of that
/// file. Each `encode` writes the fields it has in increasing id order; optional fields that are
/// `nil` are left out.
enum Thrift {
    /// `Type`.
    enum PhysicalType: Int32 { case int64 = 2, double = 5 }
    /// `FieldRepetitionType`.
    enum Repetition: Int32 { case required = 0, optional = 1 }
    /// `ConvertedType` (the deprecated annotation old readers know).
    enum ConvertedType: Int32 { case timestampMillis = 9 }
    /// `Encoding`.
    enum Encoding: Int32 { case plain = 0, rle = 3, byteStreamSplit = 9 }
    /// `CompressionCodec`.
    enum Codec: Int32 { case zstd = 6 }
    /// `PageType`.
    enum PageType: Int32 { case dataPage = 0 }

    /// `Statistics`. `min`/`max` (ids 2/1) are the deprecated signed-order copies that old
    /// readers look at; they equal `minValue`/`maxValue` for the signed types written here.
    struct Statistics: Equatable {
        var max: [UInt8]?
        var min: [UInt8]?
        var nullCount: Int64?
        var maxValue: [UInt8]?
        var minValue: [UInt8]?
        var isMaxValueExact: Bool?
        var isMinValueExact: Bool?
        var nanCount: Int64?

        func encode(_ w: inout ThriftCompactWriter) {
            if let max { w.binary(1, max) }
            if let min { w.binary(2, min) }
            if let nullCount { w.i64(3, nullCount) }
            if let maxValue { w.binary(5, maxValue) }
            if let minValue { w.binary(6, minValue) }
            if let isMaxValueExact { w.bool(7, isMaxValueExact) }
            if let isMinValueExact { w.bool(8, isMinValueExact) }
            if let nanCount { w.i64(9, nanCount) }
        }
    }

    /// `LogicalType` (a union) holding `TimestampType`.
    struct TimestampType: Equatable {
        var isAdjustedToUTC: Bool
        /// Only MILLIS (union field 1 of `TimeUnit`) is written.
        func encodeAsLogicalType(_ w: inout ThriftCompactWriter) {
            w.structField(8) { t in  // LogicalType.TIMESTAMP
                t.bool(1, isAdjustedToUTC)
                t.structField(2) { unit in  // TimestampType.unit: TimeUnit
                    unit.structField(1) { _ in }  // TimeUnit.MILLIS: MilliSeconds {}
                }
            }
        }
    }

    /// `SchemaElement`.
    struct SchemaElement: Equatable {
        var type: PhysicalType?
        var repetition: Repetition?
        var name: String
        var numChildren: Int32?
        var convertedType: ConvertedType?
        var logicalTimestamp: TimestampType?

        func encode(_ w: inout ThriftCompactWriter) {
            if let type { w.i32(1, type.rawValue) }
            if let repetition { w.i32(3, repetition.rawValue) }
            w.string(4, name)
            if let numChildren { w.i32(5, numChildren) }
            if let convertedType { w.i32(6, convertedType.rawValue) }
            if let logicalTimestamp { w.structField(10) { logicalTimestamp.encodeAsLogicalType(&$0) } }
        }
    }

    /// `DataPageHeader` (v1).
    struct DataPageHeader: Equatable {
        var numValues: Int32
        var encoding: Encoding
        var definitionLevelEncoding: Encoding = .rle
        var repetitionLevelEncoding: Encoding = .rle

        func encode(_ w: inout ThriftCompactWriter) {
            w.i32(1, numValues)
            w.i32(2, encoding.rawValue)
            w.i32(3, definitionLevelEncoding.rawValue)
            w.i32(4, repetitionLevelEncoding.rawValue)
        }
    }

    /// `PageHeader` of a v1 data page.
    struct PageHeader: Equatable {
        var type: PageType = .dataPage
        var uncompressedPageSize: Int32
        var compressedPageSize: Int32
        var dataPageHeader: DataPageHeader

        func encode(_ w: inout ThriftCompactWriter) {
            w.i32(1, type.rawValue)
            w.i32(2, uncompressedPageSize)
            w.i32(3, compressedPageSize)
            w.structField(5) { dataPageHeader.encode(&$0) }
        }

        func serialized() -> [UInt8] { ThriftCompactWriter.encodeStruct { encode(&$0) } }
    }

    /// `ColumnMetaData`.
    struct ColumnMetaData: Equatable {
        var type: PhysicalType
        var encodings: [Encoding]
        var pathInSchema: [String]
        var codec: Codec
        var numValues: Int64
        var totalUncompressedSize: Int64
        var totalCompressedSize: Int64
        var dataPageOffset: Int64
        var statistics: Statistics?

        func encode(_ w: inout ThriftCompactWriter) {
            w.i32(1, type.rawValue)
            w.i32List(2, encodings.map(\.rawValue))
            w.stringList(3, pathInSchema)
            w.i32(4, codec.rawValue)
            w.i64(5, numValues)
            w.i64(6, totalUncompressedSize)
            w.i64(7, totalCompressedSize)
            w.i64(9, dataPageOffset)
            if let statistics { w.structField(12) { statistics.encode(&$0) } }
        }
    }

    /// `ColumnChunk`: the metadata lives in the footer only, so `file_offset` is 0 as the
    /// format asks of such writers.
    struct ColumnChunk: Equatable {
        var fileOffset: Int64 = 0
        var metaData: ColumnMetaData

        func encode(_ w: inout ThriftCompactWriter) {
            w.i64(2, fileOffset)
            w.structField(3) { metaData.encode(&$0) }
        }
    }

    /// `RowGroup`.
    struct RowGroup: Equatable {
        var columns: [ColumnChunk]
        var totalByteSize: Int64
        var numRows: Int64
        var fileOffset: Int64?
        var totalCompressedSize: Int64?
        var ordinal: Int16?

        func encode(_ w: inout ThriftCompactWriter) {
            w.structList(1, columns) { $1.encode(&$0) }
            w.i64(2, totalByteSize)
            w.i64(3, numRows)
            if let fileOffset { w.i64(5, fileOffset) }
            if let totalCompressedSize { w.i64(6, totalCompressedSize) }
            if let ordinal { w.i16(7, ordinal) }
        }
    }

    /// `KeyValue`.
    struct KeyValue: Equatable {
        var key: String
        var value: String?

        func encode(_ w: inout ThriftCompactWriter) {
            w.string(1, key)
            if let value { w.string(2, value) }
        }
    }

    /// `FileMetaData`. Every leaf column gets `ColumnOrder.TYPE_ORDER`: without a column order
    /// the meaning of `min_value`/`max_value` is undefined and readers may ignore them.
    struct FileMetaData: Equatable {
        var version: Int32 = 1
        var schema: [SchemaElement]
        var numRows: Int64
        var rowGroups: [RowGroup]
        var keyValueMetadata: [KeyValue]?
        var createdBy: String?
        var typeOrderColumns: Int

        func encode(_ w: inout ThriftCompactWriter) {
            w.i32(1, version)
            w.structList(2, schema) { $1.encode(&$0) }
            w.i64(3, numRows)
            w.structList(4, rowGroups) { $1.encode(&$0) }
            if let keyValueMetadata { w.structList(5, keyValueMetadata) { $1.encode(&$0) } }
            if let createdBy { w.string(6, createdBy) }
            // ColumnOrder is a union; TYPE_ORDER (1) is the empty TypeDefinedOrder struct.
            w.structList(7, Array(repeating: (), count: typeOrderColumns)) { order, _ in order.structField(1) { _ in } }
        }

        func serialized() -> [UInt8] { ThriftCompactWriter.encodeStruct { encode(&$0) } }
    }
}
