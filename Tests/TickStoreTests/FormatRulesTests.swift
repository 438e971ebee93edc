import Testing
import TickCore
import TickIO
import TickStore

/// The document and the implementation agree, and files that break the format's rules (but carry
/// valid checksums, so only the rule checks can catch them) get clear errors.
@Suite struct FormatRulesTests {
    let path = "crafted.tfp"

    func reason(_ bytes: [UInt8]) -> String {
        unreadableReason(path: path) { _ = try PartitionFormat.decode(bytes, path: path) } ?? "accepted"
    }

    @Test func documentedLayoutMatchesTheWriterByteForByte() throws {
        // The writer's choices, worked by hand (docs/PARTITION-FORMAT.md, "Choosing an encoding"):
        // time [10 000, 11 000, 12 000, 13 000]: differences 10 000, 1 000, 1 000, 1 000, divisor
        //   1 000 → 10, 1, 1, 1 → zigzag bytes 20, 2, 2, 2 (entropy 3.2 bits) against the values'
        //   20, 22, 24, 26 (8 bits) → delta-varint, divisor 1 000 (E8 03 00 00 00 00 00 00).
        // qty [100 000, 300 000, 100 000, 300 000]: divisor 100 000 → 1, 3, 1, 3 → bytes 2, 6, 2, 6
        //   (4 bits) against differences 1, 2, -2, 2 → 2, 4, 3, 4 (6 bits) → varint.
        // ret [1.0, -0.0, 2.0, 0.5]: byte 0 of each value, …, byte 7 of each value.
        // side [1, 0, 1, 1]: bits 0…3 of one byte → 0b1101.
        // sum [0, -1, 2^64, 5]: high halves 0, -1, 1, 0 → bytes 0, 1, 2, 0 (6 bits; differences
        //   give 0, 1, 4, 1, also 6 bits: a tie goes to varint); low halves 0, -1, 0, 5 → 0, 1, 0, 10.
        let bits = [1.0, -0.0, 2.0, 0.5].map(\.bitPattern)
        var bss: [UInt8] = []
        for b in 0..<8 { for v in bits { bss.append(UInt8(truncatingIfNeeded: v >> (8 * b))) } }
        let spec = SpecFileBuilder(
            rowCount: 4, minTime: 9, maxTime: 11, kind: "trades", metadata: [("a", "1"), ("b", "2")],
            columns: [
                .init(name: "time", type: 1, encoding: 2, encoded: divisor(1_000) + [20, 2, 2, 2]),
                .init(name: "qty", type: 1, encoding: 1, encoded: divisor(100_000) + [2, 6, 2, 6]),
                .init(name: "ret", type: 3, encoding: 3, encoded: bss),
                .init(name: "side", type: 4, encoding: 4, encoded: [0b1101]),
                .init(name: "sum", type: 2, encoding: 0x11, encoded: divisor(1) + [0, 1, 2, 0] + divisor(1) + [0, 1, 0, 10]),
            ])
        let contents = PartitionContents(
            kind: "trades", rowCount: 4, minTime: 9, maxTime: 11, metadata: ["b": "2", "a": "1"],
            columns: [
                StoredColumn(name: "time", payload: .int64([10_000, 11_000, 12_000, 13_000])),
                StoredColumn(name: "qty", payload: .int64([100_000, 300_000, 100_000, 300_000])),
                StoredColumn(name: "ret", payload: .float64([1.0, -0.0, 2.0, 0.5])),
                StoredColumn(name: "side", payload: .uint8([1, 0, 1, 1])),
                StoredColumn(name: "sum", payload: .int128([0, -1, Int128(1) << 64, 5])),
            ])
        let specBytes = try spec.build()
        #expect(try encode(contents) == specBytes)
        #expect(try PartitionFormat.decode(specBytes, path: path) == contents)
    }

    @Test func everyDocumentedEncodingDecodes() throws {
        // Encodings the writer picks only for other data, written by hand from the document.
        var plain: [UInt8] = []; plain.le(UInt64(bitPattern: -2)); plain.le(UInt64(300))
        var int128Plain: [UInt8] = []
        int128Plain.le(UInt64.max); int128Plain.le(UInt64(0))          // high halves: -1, 0
        int128Plain.le(UInt64(bitPattern: -5)); int128Plain.le(UInt64(7))  // low halves
        let spec = SpecFileBuilder(rowCount: 2, columns: [
            .init(name: "p", type: 1, encoding: 0, encoded: plain),
            .init(name: "v", type: 1, encoding: 1, encoded: divisor(1) + [3, 0xD8, 0x04]),  // zigzag(-2)=3, zigzag(300)=600
            .init(name: "d", type: 1, encoding: 2, encoded: divisor(5) + [2, 4]),  // 5, 5 + 2×5
            .init(name: "u", type: 4, encoding: 0, encoded: [7, 200]),
            .init(name: "w", type: 2, encoding: 0x00, encoded: int128Plain),
            .init(name: "m", type: 2, encoding: 0x12, encoded: divisor(1) + [1, 0] + divisor(1 << 63) + [1, 1]),
        ])
        let decoded = try PartitionFormat.decode(try spec.build(), path: path)
        #expect(decoded.columns.map(\.payload) == [
            .int64([-2, 300]), .int64([-2, 300]), .int64([5, 15]), .uint8([7, 200]), .int128([-5, 7]),
            // high -1, 0; low: Int64.min, then Int64.min + Int64.min = 0 (wrapping)
            .int128([-(Int128(1) << 64) | Int128(UInt64(1) << 63), 0]),
        ])
    }

    @Test func wrongMagic() throws {
        var bytes = try encode(smallContents())
        bytes[0] = UInt8(ascii: "X")
        #expect(reason(bytes) == "not a tickforge partition: bad magic 58 46 50 41 52 54 48 44, expected \"TFPARTHD\"")
        #expect(reason(Array("date,price\n1,2\n".utf8)).hasPrefix("not a tickforge partition: bad magic"))
    }

    @Test func unknownFutureVersion() throws {
        var spec = SpecFileBuilder(rowCount: 1, columns: [.init(name: "t", type: 1, encoding: 2, encoded: divisor(1) + [2])])
        spec.version = 2  // checksums valid: only the version check can object
        #expect(reason(try spec.build()) == "unsupported format version 2 (this reader reads version 1)")
        // The same file as version 1 is fine.
        spec.version = 1
        #expect(try PartitionFormat.decode(try spec.build(), path: path).columns[0].payload == .int64([1]))
    }

    @Test func rowCountMismatches() throws {
        // Four varints for three rows.
        let extra = SpecFileBuilder(rowCount: 3, columns: [.init(name: "qty", type: 1, encoding: 2, encoded: divisor(1) + [2, 2, 2, 2])])
        #expect(reason(try extra.build()) == "column 'qty': 1 bytes left over after 3 values (row count mismatch)")
        // Four plain values for five rows.
        let short = SpecFileBuilder(rowCount: 5, columns: [.init(name: "price", type: 1, encoding: 0, encoded: Array(repeating: 0, count: 32))])
        #expect(reason(try short.build()).hasPrefix("column 'price': encoded size 32 is impossible for 5 rows in plain"))
        // A varint stream that stops early.
        let stops = SpecFileBuilder(rowCount: 3, columns: [.init(name: "id", type: 1, encoding: 2, encoded: divisor(1) + [2, 0x80, 0x80])])
        #expect(reason(try stops.build()) == "column 'id': varint stream ends inside value 1")
        // Split Int128 whose low stream is short.
        let split = SpecFileBuilder(rowCount: 2, columns: [.init(name: "notional", type: 2, encoding: 0x22, encoded: divisor(1) + [0, 0] + divisor(1) + [0, 0x81])])
        #expect(reason(try split.build()).hasPrefix("column 'notional': varint stream ends"))
    }

    @Test func columnCountMismatch() throws {
        var spec = SpecFileBuilder(rowCount: 1, columns: [
            .init(name: "a", type: 1, encoding: 2, encoded: divisor(1) + [2]), .init(name: "b", type: 4, encoding: 4, encoded: [1]),
        ])
        spec.footerColumnLimit = 1
        #expect(reason(try spec.build()) == "footer lists 1 columns but the header has 2")
    }

    @Test func schemaErrors() throws {
        func one(_ type: UInt8, _ encoding: UInt8, _ encoded: [UInt8], name: String = "c") throws -> String {
            reason(try SpecFileBuilder(rowCount: 1, columns: [.init(name: name, type: type, encoding: encoding, encoded: encoded)]).build())
        }
        #expect(try one(9, 0, [0]) == "header: column 'c' has unknown type code 9")
        #expect(try one(3, 0, Array(repeating: 0, count: 8)) == "header: column 'c' has unknown encoding code 0 for type float64")
        #expect(try one(1, 3, [0]) == "header: column 'c' has unknown encoding code 3 for type int64")
        #expect(try one(2, 0x23, [0, 0]) == "header: column 'c' has unknown encoding code 35 for type int128")
        // Ten-byte varint whose last byte carries more than bit 63.
        #expect(try one(1, 1, divisor(1) + Array(repeating: 0xFF, count: 9) + [0x02]) == "column 'c': varint value 0 overflows 64 bits")
        #expect(try one(1, 2, divisor(0) + [2]) == "column 'c': delta-varint stream has divisor 0, outside 1...2^63")
        #expect(try one(1, 1, divisor((1 << 63) + 1) + [2]) == "column 'c': varint stream has divisor 9223372036854775809, outside 1...2^63")
        // The largest legal ten-byte varint is fine: zigzag(Int64.min) = 2⁶⁴ − 1.
        let legal = try SpecFileBuilder(rowCount: 1, columns: [.init(name: "c", type: 1, encoding: 1, encoded: divisor(1) + Array(repeating: 0xFF, count: 9) + [0x01])]).build()
        #expect(try PartitionFormat.decode(legal, path: path).columns[0].payload == .int64([.min]))
        // Bit-packed with a padding bit set; plain uint8 is fine with any value.
        #expect(reason(try SpecFileBuilder(rowCount: 3, columns: [.init(name: "s", type: 4, encoding: 4, encoded: [0b1000_0101])]).build())
                == "column 's': bit-packed data has non-zero padding bits")
        let duplicate = SpecFileBuilder(rowCount: 1, columns: [
            .init(name: "x", type: 4, encoding: 0, encoded: [1]), .init(name: "x", type: 4, encoding: 0, encoded: [1]),
        ])
        #expect(reason(try duplicate.build()) == "header: duplicate column name 'x'")
    }

    @Test func headerErrors() throws {
        var unsorted = SpecFileBuilder(rowCount: 0)
        unsorted.metadata = [("b", "1"), ("a", "2")]
        #expect(reason(try unsorted.build()) == "header: metadata keys not in strictly increasing order at 'a'")
        var repeated = SpecFileBuilder(rowCount: 0)
        repeated.metadata = [("a", "1"), ("a", "2")]
        #expect(reason(try repeated.build()).hasPrefix("header: metadata keys not in strictly increasing order"))
        // Canonically equal keys with different bytes: sorted on bytes, but one Swift key.
        var canonical = SpecFileBuilder(rowCount: 0)
        canonical.metadata = [("e\u{301}", "1"), ("\u{E9}", "2")]
        #expect(reason(try canonical.build()) == "header: duplicate metadata key 'é'")
        var invalidUTF8 = try SpecFileBuilder(rowCount: 0, kind: "ab").build()
        invalidUTF8[16 + 24 + 4] = 0xFF  // first byte of kind
        invalidUTF8.setU32(Checksum.crc32(Array(invalidUTF8[8..<(16 + Int(invalidUTF8.u32(at: 12)))])), at: 16 + Int(invalidUTF8.u32(at: 12)))
        #expect(reason(invalidUTF8) == "header: kind is not valid UTF-8")
        let huge = SpecFileBuilder(rowCount: UInt64(PartitionFormat.maxRowCount) + 1)
        #expect(reason(try huge.build()).hasPrefix("header: row count 2147483649 exceeds the limit"))
    }
}

/// The 8-byte little-endian divisor that starts every varint stream.
func divisor(_ d: UInt64) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.le(d)
    return bytes
}
