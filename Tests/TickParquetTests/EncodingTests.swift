import Testing
import TickCore
@testable import TickParquet

/// Thrift compact bytes and definition levels against bytes derived by hand from the specs
/// (Thrift's compact protocol, parquet.thrift's field ids, Parquet's Encodings.md).
struct ThriftCompactTests {
    @Test func varintsAndZigzag() {
        var w = ThriftCompactWriter()
        w.i32(1, 0)  // 0x15 0x00
        w.i32(2, -1)  // zigzag 1
        w.i64(3, 64)  // zigzag 128: 0x80 0x01
        w.i64(4, -64)  // zigzag 127
        w.i64(5, Int64.min)  // zigzag UInt64.max: nine 0xFF then 0x01
        w.i16(6, 300)  // zigzag 600: 0xD8 0x04
        #expect(w.bytes == [0x15, 0x00, 0x15, 0x01, 0x16, 0x80, 0x01, 0x16, 0x7F,
                            0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x14, 0xD8, 0x04])
        #expect(ThriftCompactWriter.zigzag(Int64.max) == UInt64.max - 1)
    }

    @Test func fieldIdDeltasAndLongJumps() {
        var w = ThriftCompactWriter()
        w.bool(1, true)  // delta 1, type 1
        w.bool(2, false)  // delta 1, type 2
        w.i32(17, 5)  // delta 15 still fits the nibble
        w.i32(40, 5)  // delta 23: type byte then zigzag id 80
        #expect(w.bytes == [0x11, 0x12, 0xF5, 0x0A, 0x05, 0x50, 0x0A])
    }

    @Test func listsShortAndLong() {
        var w = ThriftCompactWriter()
        w.i32List(1, [0, 3])  // 0x19, header 0x25, 0x00, 0x06
        w.i32List(2, Array(repeating: 1, count: 15))  // header 0xF5 then size 15
        w.stringList(3, ["ab"])
        #expect(w.bytes == [0x19, 0x25, 0x00, 0x06, 0x19, 0xF5, 0x0F] + Array(repeating: 0x02, count: 15)
                + [0x19, 0x18, 0x02, 0x61, 0x62])
    }

    @Test func statistics() {
        let stats = Thrift.Statistics(max: [9], min: [1], nullCount: 3, maxValue: [9], minValue: [1],
                                      isMaxValueExact: true, isMinValueExact: true, nanCount: 0)
        let bytes = ThriftCompactWriter.encodeStruct { stats.encode(&$0) }
        #expect(bytes == [
            0x18, 0x01, 0x09,  // 1 max
            0x18, 0x01, 0x01,  // 2 min
            0x16, 0x06,  // 3 null_count = 3
            0x28, 0x01, 0x09,  // 5 max_value (delta 2)
            0x18, 0x01, 0x01,  // 6 min_value
            0x11,  // 7 is_max_value_exact = true
            0x11,  // 8 is_min_value_exact = true
            0x16, 0x00,  // 9 nan_count = 0
            0x00,
        ])
    }

    @Test func dataPageHeader() {
        let header = Thrift.PageHeader(uncompressedPageSize: 100, compressedPageSize: 50,
                                       dataPageHeader: .init(numValues: 10, encoding: .byteStreamSplit))
        #expect(header.serialized() == [
            0x15, 0x00,  // 1 type DATA_PAGE
            0x15, 0xC8, 0x01,  // 2 uncompressed_page_size 100
            0x15, 0x64,  // 3 compressed_page_size 50
            0x2C,  // 5 data_page_header (delta 2, struct)
            0x15, 0x14,  // 1 num_values 10
            0x15, 0x12,  // 2 encoding BYTE_STREAM_SPLIT (9)
            0x15, 0x06,  // 3 definition_level_encoding RLE (3)
            0x15, 0x06,  // 4 repetition_level_encoding RLE
            0x00, 0x00,
        ])
    }

    @Test func timestampSchemaElement() {
        let element = Thrift.SchemaElement(type: .int64, repetition: .required, name: "ts",
                                           convertedType: .timestampMillis, logicalTimestamp: .init(isAdjustedToUTC: true))
        #expect(ThriftCompactWriter.encodeStruct { element.encode(&$0) } == [
            0x15, 0x04,  // 1 type INT64 (2)
            0x25, 0x00,  // 3 repetition_type REQUIRED
            0x18, 0x02, 0x74, 0x73,  // 4 name "ts"
            0x25, 0x12,  // 6 converted_type TIMESTAMP_MILLIS (9)
            0x4C,  // 10 logicalType
            0x8C,  //   8 TIMESTAMP
            0x11,  //     1 isAdjustedToUTC = true
            0x1C,  //     2 unit
            0x1C,  //       1 MILLIS
            0x00, 0x00, 0x00, 0x00, 0x00,  // MilliSeconds, TimeUnit, TimestampType, LogicalType, SchemaElement
        ])
    }

    @Test func fileMetaDataWithOneRowGroup() {
        let meta = Thrift.FileMetaData(
            schema: [.init(name: "s", numChildren: 1), .init(type: .double, repetition: .optional, name: "x")],
            numRows: 2,
            rowGroups: [.init(columns: [.init(metaData: .init(
                type: .double, encodings: [.plain, .rle], pathInSchema: ["x"], codec: .zstd, numValues: 2,
                totalUncompressedSize: 40, totalCompressedSize: 30, dataPageOffset: 4, statistics: nil))],
                totalByteSize: 40, numRows: 2, fileOffset: 4, totalCompressedSize: 30, ordinal: 0)],
            keyValueMetadata: [.init(key: "k", value: "v")], createdBy: "t", typeOrderColumns: 1
        )
        #expect(meta.serialized() == [
            0x15, 0x02,  // 1 version 1
            0x19, 0x2C,  // 2 schema: list of 2 structs
            0x48, 0x01, 0x73, 0x15, 0x02, 0x00,  //   name "s" (field 4), num_children 1
            0x15, 0x0A, 0x25, 0x02, 0x18, 0x01, 0x78, 0x00,  //   DOUBLE, OPTIONAL, "x"
            0x16, 0x04,  // 3 num_rows 2
            0x19, 0x1C,  // 4 row_groups: list of 1 struct
            0x19, 0x1C,  //   1 columns: list of 1 struct
            0x26, 0x00,  //     2 file_offset 0
            0x1C,  //     3 meta_data
            0x15, 0x0A,  //       1 type DOUBLE
            0x19, 0x25, 0x00, 0x06,  //       2 encodings [PLAIN, RLE]
            0x19, 0x18, 0x01, 0x78,  //       3 path ["x"]
            0x15, 0x0C,  //       4 codec ZSTD (6)
            0x16, 0x04,  //       5 num_values 2
            0x16, 0x50,  //       6 total_uncompressed_size 40
            0x16, 0x3C,  //       7 total_compressed_size 30
            0x26, 0x08,  //       9 data_page_offset 4
            0x00, 0x00,  //     end meta_data, end column chunk
            0x16, 0x50,  //   2 total_byte_size 40
            0x16, 0x04,  //   3 num_rows 2
            0x26, 0x08,  //   5 file_offset 4
            0x16, 0x3C,  //   6 total_compressed_size 30
            0x14, 0x00,  //   7 ordinal 0 (i16)
            0x00,
            0x19, 0x1C, 0x18, 0x01, 0x6B, 0x18, 0x01, 0x76, 0x00,  // 5 key_value_metadata [("k", "v")]
            0x18, 0x01, 0x74,  // 6 created_by "t"
            0x19, 0x1C, 0x1C, 0x00, 0x00,  // 7 column_orders [TYPE_ORDER {}]
            0x00,
        ])
        // The test reader reads it back as written.
        var reader = ThriftCompactReader(meta.serialized())
        let parsed = try? reader.structure()
        #expect(parsed?[6]?.string == "t")
        #expect(parsed?[4]?.list?.first?[1]?.list?.first?[3]?[9]?.int == 4)
    }
}

struct LevelEncodingTests {
    func encode(_ levels: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        levels.withUnsafeBufferPointer { LevelEncoding.appendHybrid($0, to: &out) }
        return out
    }

    @Test func handDerived() {
        #expect(encode([]) == [])
        // A run of ten: RLE header 10 << 1, then the value in one byte.
        #expect(encode(Array(repeating: 1, count: 10)) == [0x14, 0x01])
        #expect(encode(Array(repeating: 0, count: 200)) == [0x90, 0x03, 0x00])
        // Alternating: one bit-packed group (header 1 << 1 | 1), first level in the lowest bit.
        #expect(encode([1, 0, 1, 0, 1, 0, 1, 0]) == [0x03, 0x55])
        // A short page: one padded group.
        #expect(encode([1, 0, 1]) == [0x03, 0x05])
        // A group, then the rest of a long run as an RLE run of 14.
        #expect(encode([0] + Array(repeating: 1, count: 21)) == [0x03, 0xFE, 0x1C, 0x01])
        // Seven equal levels are not worth a run: 9 levels, two groups.
        #expect(encode(Array(repeating: 1, count: 7) + [0, 1]) == [0x05, 0x7F, 0x01])
    }

    @Test func randomPatternsDecodeBack() throws {
        var rng = SplitMix64(seed: 11)
        for trial in 0..<400 {
            let n = Int.random(in: 0...3_000, using: &rng)
            // From almost all nulls to almost none, in runs of random lengths.
            let density = Double.random(in: 0...1, using: &rng)
            let meanRun = [1, 3, 8, 50][trial % 4]
            var levels: [UInt8] = []
            while levels.count < n {
                let value: UInt8 = Double.random(in: 0..<1, using: &rng) < density ? 1 : 0
                levels += repeatElement(value, count: min(n - levels.count, Int.random(in: 1...(2 * meanRun), using: &rng)))
            }
            let encoded = encode(levels)
            #expect(try ParsedParquet.decodeHybrid(encoded, count: n) == levels, "trial \(trial)")
            // At worst 2 bytes per 8 levels (runs of exactly 8), plus a header.
            #expect(encoded.count <= n / 4 + 3, "trial \(trial): \(encoded.count) bytes for \(n) levels")
        }
    }
}
