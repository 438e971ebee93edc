import Testing
import TickCore
import TickIO
import TickStore

/// The worked example of docs/PARTITION-FORMAT.md, section 9.
@Suite struct DocumentExampleTests {
    /// The 306 bytes printed in the document.
    static let documentBytes: [UInt8] = hexBytes([
        "544650415254484401000000690000000300000000000000d0e392be341f0600",
        "a0eb92be341f060006000000747261646573010000000600000073796d626f6c",
        "0700000042544355534454030000000400000074696d65010205000000707269",
        "636501020f00000062757965725f616767726573736f720404ee77e82328b52f",
        "fd2410810000d00700000000000082c3a8a39332000295e126fa28b52ffd240d",
        "6900008096980000000000a6b84b00029624f05728b52ffd24010900000130e7",
        "211b030000007d000000000000001d0000000000000010000000000000003e3d",
        "56df9a000000000000001a000000000000000d00000000000000c88ce830b400",
        "0000000000000e000000000000000100000000000000196dd694898e89e9c200",
        "000000000000580000005446504152544654",
    ])

    static let contents = PartitionContents(
        kind: "trades", rowCount: 3, minTime: 1_723_161_256_322_000, maxTime: 1_723_161_256_324_000,
        metadata: ["symbol": "BTCUSDT"],
        columns: [
            StoredColumn(name: "time", payload: .int64([1_723_161_256_322_000, 1_723_161_256_322_000, 1_723_161_256_324_000])),
            StoredColumn(name: "price", payload: .int64([6_180_030_000_000, 6_180_030_000_000, 6_180_040_000_000])),
            StoredColumn(name: "buyer_aggressor", payload: .uint8([1, 0, 0])),
        ])

    @Test func documentBytesDecodeToTheExample() throws {
        #expect(Self.documentBytes.count == 306)
        #expect(try PartitionFormat.decode(Self.documentBytes, path: "example.tfp") == Self.contents)
        let summary = try PartitionFormat.summarize(Self.documentBytes, path: "example.tfp", verify: true)
        #expect(summary.columns.map(\.encodedBytes) == [16, 13, 1])
        #expect(summary.columns.map(\.encoding) == ["delta-varint", "delta-varint", "bit-packed"])
    }

    @Test func writerProducesTheDocumentedBytes() throws {
        let bytes = try encode(Self.contents)
        // Prefix, header and header CRC do not depend on the zstd library version.
        #expect(Array(bytes[..<125]) == Array(Self.documentBytes[..<125]))
        // The frames' contents (what zstd decompresses to) are the documented encoded bytes.
        let map = FileMap(bytes)
        #expect(map.frameOffsets.first == 125 && map.footerLength == 88)
        // With the libzstd the document was made with, the whole file is identical.
        if Zstd.libraryVersion == "1.5.4" {
            #expect(bytes == Self.documentBytes)
        }
    }
}

func hexBytes(_ lines: [String]) -> [UInt8] {
    let hex = Array(lines.joined().utf8)
    return stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}
