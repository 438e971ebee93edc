import Testing
import TickCore
import TickIO
import TickStore

@Suite struct RoundTripTests {
    @Test(arguments: [0, 1, 2, 7, 8, 9, 63, 64, 65, 200, 1_000, 4_099])
    func randomContentsRoundTripExactly(rowCount: Int) throws {
        let contents = randomContents(rowCount: rowCount, seed: UInt64(rowCount) &+ 7)
        let compressor = Zstd.Compressor()
        let bytes = try PartitionFormat.encode(contents, compressor: compressor)
        let decoded = try PartitionFormat.decode(bytes, path: "mem.tfp")
        #expect(decoded == contents)
        // Bit-exact doubles, checked directly (not through ColumnPayload's ==).
        for (a, b) in zip(contents.columns, decoded.columns) {
            if case .float64(let x) = a.payload, case .float64(let y) = b.payload {
                #expect(x.map(\.bitPattern) == y.map(\.bitPattern), "column \(a.name)")
            }
        }
        // The whole-file checksum combined from the pieces is the file's CRC-32.
        let withChecksum = try PartitionFormat.encodeWithChecksum(contents, compressor: compressor)
        #expect(withChecksum.bytes == bytes)
        #expect(withChecksum.checksum == Checksum.crc32(bytes))
        // Deterministic: same compressor again, and a fresh one.
        #expect(try PartitionFormat.encode(contents, compressor: compressor) == bytes)
        #expect(try encode(contents) == bytes)
    }

    /// The encoder takes its divisors from a column's first 65,536 values and checks the rest
    /// while writing: a later value off that grid must still come back exactly, and the stored
    /// divisor must still be the column's GCD. A set low bit (which the sample's divisor would
    /// drop) and a value its odd part does not divide, in a varint and in a delta-varint
    /// column, just past the sample, inside, and last.
    @Test(arguments: [65_536, 65_537, 80_000, 99_999])
    func aValuePastTheSampledDivisorStillRoundTrips(position: Int) throws {
        let n = 100_000
        var lots = (0..<n).map { Int64($0 % 7 + 1) * 4 }
        var thirds = (0..<n).map { Int64($0 % 5) * 3 }
        var times = (0..<n).map { 1_723_161_256_322_000 + Int64($0) * 1_000 }
        var steps = (0..<n).map { Int64($0) * 15 }  // deltas of 15 = 3 × 5
        lots[position] = 13
        thirds[position] = 7
        times[position] += 1
        steps[position] += 5
        let contents = PartitionContents(
            kind: "trades", rowCount: n, minTime: times.min()!, maxTime: times.max()!, metadata: [:],
            columns: [
                StoredColumn(name: "lots", payload: .int64(lots)),
                StoredColumn(name: "thirds", payload: .int64(thirds)),
                StoredColumn(name: "time", payload: .int64(times)),
                StoredColumn(name: "steps", payload: .int64(steps)),
            ])
        let bytes = try encode(contents)
        #expect(try PartitionFormat.decode(bytes, path: "x.tfp") == contents)
        // The divisor is the whole column's GCD (here 1 and 5), so every quotient stays one
        // byte: the sample's divisor (3, 15) would have written the odd value as a 10-byte one,
        // which decodes just as exactly.
        let summary = try PartitionFormat.summarize(bytes, path: "x.tfp", verify: false)
        for name in ["thirds", "steps"] {
            #expect(summary.columns.first { $0.name == name }?.encodedBytes == 8 + n, "\(name)")
        }
    }

    @Test func extremeValuesRoundTrip() throws {
        let n = Extremes.int64.count
        func cycle<T>(_ pool: [T]) -> [T] { (0..<n).map { pool[$0 % pool.count] } }
        let contents = PartitionContents(
            kind: "features", rowCount: n, minTime: .min, maxTime: .max, metadata: ["k": "v"],
            columns: [
                StoredColumn(name: "i64", payload: .int64(Extremes.int64)),
                StoredColumn(name: "i64_reversed", payload: .int64(Extremes.int64.reversed())),
                StoredColumn(name: "i128", payload: .int128(cycle(Extremes.int128))),
                StoredColumn(name: "f64", payload: .float64(cycle(Extremes.float64))),
                StoredColumn(name: "u8", payload: .uint8(cycle(Extremes.uint8))),
                StoredColumn(name: "all_min", payload: .int64(Array(repeating: .min, count: n))),
                StoredColumn(name: "all_min_128", payload: .int128(Array(repeating: .min, count: n))),
            ])
        let decoded = try PartitionFormat.decode(try encode(contents), path: "x.tfp")
        #expect(decoded == contents)
        #expect(decoded.minTime == .min && decoded.maxTime == .max)
    }

    @Test func nanPayloadsAndNegativeZeroKeepTheirBits() throws {
        let values: [Double] = [-0.0, .nan, Double(bitPattern: 0x7FF8_0000_0000_0123), Double(bitPattern: 0xFFF0_0000_0000_0001)]
        let contents = PartitionContents(kind: "f", rowCount: 4, minTime: 0, maxTime: 0,
                                         columns: [StoredColumn(name: "v", payload: .float64(values))])
        let decoded = try PartitionFormat.decode(try encode(contents), path: "p")
        guard case .float64(let out) = decoded.columns[0].payload else {
            Issue.record("wrong payload type"); return
        }
        #expect(out.map(\.bitPattern) == values.map(\.bitPattern))
        // ColumnPayload compares bits: -0.0 and 0.0 differ, identical NaNs are equal.
        #expect(ColumnPayload.float64([-0.0]) != ColumnPayload.float64([0.0]))
        #expect(ColumnPayload.float64([.nan]) == ColumnPayload.float64([.nan]))
    }

    @Test func emptyPartitionAndNoColumns() throws {
        let empty = PartitionContents(kind: "quotes", rowCount: 0, minTime: 99, maxTime: -99, columns: [
            StoredColumn(name: "time", payload: .int64([])), StoredColumn(name: "s", payload: .uint8([])),
            StoredColumn(name: "w", payload: .int128([])), StoredColumn(name: "f", payload: .float64([])),
        ])
        #expect(try PartitionFormat.decode(try encode(empty), path: "e") == empty)
        let noColumns = PartitionContents(kind: "", rowCount: 12, minTime: 1, maxTime: 2, columns: [])
        #expect(try PartitionFormat.decode(try encode(noColumns), path: "n") == noColumns)
    }

    @Test func metadataOrderDoesNotChangeTheBytes() throws {
        var a: [String: String] = [:]
        var b: [String: String] = [:]
        let keys = (0..<40).map { "key\($0)" } + ["Z", "a", "é", "e\u{301}x", "~"]
        for k in keys { a[k] = "value of \(k)" }
        for k in keys.reversed() { b[k] = "value of \(k)" }
        let columns = [StoredColumn(name: "t", payload: .int64([1, 2]))]
        let first = try encode(PartitionContents(kind: "k", rowCount: 2, minTime: 1, maxTime: 2, metadata: a, columns: columns))
        let second = try encode(PartitionContents(kind: "k", rowCount: 2, minTime: 1, maxTime: 2, metadata: b, columns: columns))
        #expect(first == second)
        #expect(try PartitionFormat.decode(first, path: "m").metadata == a)
    }

    @Test func encodingIsChosenPerColumn() throws {
        let contents = randomContents(rowCount: 3_000, seed: 3)
        let summary = try PartitionFormat.summarize(try encode(contents), path: "s", verify: false)
        let encodings = Dictionary(uniqueKeysWithValues: summary.columns.map { ($0.name, $0.encoding) })
        #expect(encodings["time"] == "delta-varint")
        #expect(encodings["small"] == "varint")
        #expect(encodings["wild"] == "plain")
        // High halves all 0: a tie, so varint. (Low halves are random: either varint fits.)
        #expect(encodings["small_sum"]?.hasPrefix("split(varint/") == true)
        #expect(encodings["sum"]?.hasPrefix("split(") == true)
        #expect(encodings["feature"] == "byte-stream-split")
        #expect(encodings["side"] == "bit-packed")
        #expect(encodings["flags"] == "plain")
        let types = Dictionary(uniqueKeysWithValues: summary.columns.map { ($0.name, $0.type) })
        #expect(types == ["time": "int64", "price": "int64", "small": "int64", "wild": "int64", "sum": "int128",
                          "small_sum": "int128", "feature": "float64", "smooth": "float64", "side": "uint8", "flags": "uint8"])
    }

    @Test func summaryDescribesTheFile() throws {
        let contents = randomContents(rowCount: 500, seed: 11)
        let bytes = try encode(contents)
        let quick = try PartitionFormat.summarize(bytes, path: "s.tfp", verify: false)
        let full = try PartitionFormat.summarize(bytes, path: "s.tfp", verify: true)
        #expect(quick.formatVersion == 1 && PartitionFormat.version == 1 && PartitionFormat.fileExtension == "tfp")
        #expect(quick.kind == "test" && quick.rowCount == 500 && quick.metadata == contents.metadata)
        #expect(quick.minTime == contents.minTime && quick.maxTime == contents.maxTime)
        #expect(quick.fileBytes == bytes.count && quick.fileChecksum == Checksum.crc32(bytes))
        #expect(quick.columns.map(\.name) == contents.columns.map(\.name))
        #expect(quick.columns.allSatisfy { $0.checksumOK == nil })
        #expect(full.columns.allSatisfy { $0.checksumOK == true })
        let raw = Dictionary(uniqueKeysWithValues: quick.columns.map { ($0.name, $0.rawBytes) })
        #expect(raw["time"] == 4_000 && raw["sum"] == 8_000 && raw["feature"] == 4_000 && raw["side"] == 500)
        let side = quick.columns.first { $0.name == "side" }!
        #expect(side.encodedBytes == 63)  // 500 bits
        // The frames plus the fixed parts make up the file.
        let map = FileMap(bytes)
        #expect(quick.columns.map(\.compressedBytes) == map.frameSizes)
        #expect(map.dataStart + quick.columns.reduce(0) { $0 + $1.compressedBytes } == map.footerOffset)
    }

    @Test func encodeRefusesContentsThatBreakTheRules() throws {
        let short = PartitionContents(kind: "trades", rowCount: 3, minTime: 0, maxTime: 0, columns: [
            StoredColumn(name: "time", payload: .int64([1, 2, 3])), StoredColumn(name: "price", payload: .int64([1, 2])),
        ])
        #expect(throws: TickError.invalidArgument("column 'price' has 2 values but the partition has 3 rows")) {
            try encode(short)
        }
        let duplicate = PartitionContents(kind: "trades", rowCount: 1, minTime: 0, maxTime: 0, columns: [
            StoredColumn(name: "a", payload: .int64([1])), StoredColumn(name: "a", payload: .uint8([1])),
        ])
        #expect(throws: TickError.self) { try encode(duplicate) }
        let negative = PartitionContents(kind: "t", rowCount: -1, minTime: 0, maxTime: 0, columns: [])
        #expect(throws: TickError.self) { try encode(negative) }
    }
}
