import Testing
import TickCore
import TickIO
@testable import TickParquet
#if canImport(Glibc)
import Glibc
#endif

/// The file's layout and bytes: values read back exactly, the same bytes however rows arrive
/// and whatever the memory budget, fixed row groups and pages, statistics, spill files.
struct WriterTests {
    static let data = FeatureData(rows: 2_600, seed: 42)

    @Test func valuesReadBackExactlyWithEveryDoubleEncoding() throws {
        for encoding in [ParquetDoubleEncoding.plain, .byteStreamSplit, .adaptive] {
            let file = try writeParquet(columns: Self.data.columns, batches: [Self.data.values], doubleEncoding: encoding).bytes
            let parsed = try ParsedParquet(file)
            #expect(parsed.values == Self.data.expectedBits, "\(encoding)")
            #expect(parsed.groups.map(\.numRows) == [1_000, 1_000, 600])
            #expect(parsed.groups[0].chunks[0].pageRowCounts == [256, 256, 256, 232])
            #expect(parsed.groups[2].chunks[4].pageRowCounts == [256, 256, 88])
            let doubleEncodings = parsed.groups[0].chunks[1].encodings
            switch encoding {
            case .plain: #expect(doubleEncodings == [0, 3])
            case .byteStreamSplit: #expect(doubleEncodings == [3, 9])
            case .adaptive: #expect(doubleEncodings == [0, 3] || doubleEncodings == [3, 9])
            }
            #expect(parsed.groups[0].chunks[0].encodings == [0])
            #expect(parsed.footer[3]?.int == 2_600)
        }
    }

    @Test func batchingDoesNotChangeTheBytes() throws {
        let data = Self.data
        let whole = try writeParquet(columns: data.columns, batches: [data.values]).bytes
        let oneByOne = try writeParquet(columns: data.columns, batches: (0..<data.rowCount).map { data.slice($0..<($0 + 1)) }).bytes
        #expect(oneByOne == whole)
        var rng = SplitMix64(seed: 7)
        for trial in 0..<5 {
            var batches: [[ParquetValues]] = []
            var start = 0
            while start < data.rowCount {
                // Empty batches, tiny ones, and ones longer than a row group.
                let length = min(data.rowCount - start, [0, 1, 3, 255, 1_001, 2_000][Int.random(in: 0..<6, using: &rng)])
                batches.append(data.slice(start..<(start + length)))
                start += length
            }
            #expect(try writeParquet(columns: data.columns, batches: batches).bytes == whole, "random split \(trial)")
        }
    }

    @Test func memoryBudgetDoesNotChangeTheBytesAndSpillFilesGo() throws {
        let data = Self.data
        let directory = try TemporaryDirectory("budget")
        defer { directory.remove() }
        let (inMemory, roomy) = try writeParquet(columns: data.columns, batches: [data.values],
                                                 spillDirectory: directory.path, spillPrefix: "features.parquet")
        #expect(roomy.spillCount == 0)
        for budget in [0, 1, 2_000, 10_000] {
            var rng = SplitMix64(seed: UInt64(budget))
            var batches: [[ParquetValues]] = []
            var start = 0
            while start < data.rowCount {
                let length = min(data.rowCount - start, Int.random(in: 1...700, using: &rng))
                batches.append(data.slice(start..<(start + length)))
                start += length
            }
            let (spilled, writer) = try writeParquet(columns: data.columns, batches: batches, memoryBudget: budget,
                                                     spillDirectory: directory.path, spillPrefix: "features.parquet")
            #expect(spilled == inMemory, "budget \(budget)")
            #expect(writer.spillCount > 0, "budget \(budget) never spilled")
            #expect(writer.peakBufferedBytes <= budget)
            #expect(directory.entries.isEmpty, "left behind: \(directory.entries)")
        }
    }

    @Test func rowGroupBoundaries() throws {
        let rowGroupRows = 100
        for k in 1...3 {
            for rows in [k * rowGroupRows - 1, k * rowGroupRows, k * rowGroupRows + 1] {
                let data = FeatureData(rows: rows, seed: UInt64(rows))
                let file = try writeParquet(columns: data.columns, batches: [data.values], rowGroupRows: rowGroupRows, pageRows: 32).bytes
                let parsed = try ParsedParquet(file)
                var expected = Array(repeating: rowGroupRows, count: rows / rowGroupRows)
                if rows % rowGroupRows > 0 { expected.append(rows % rowGroupRows) }
                #expect(parsed.groups.map(\.numRows) == expected, "\(rows) rows")
                for (group, count) in zip(parsed.groups, expected) {
                    var pages = Array(repeating: 32, count: count / 32)
                    if count % 32 > 0 { pages.append(count % 32) }
                    #expect(group.chunks.allSatisfy { $0.pageRowCounts == pages && $0.numValues == count }, "\(rows) rows")
                }
                #expect(parsed.values == data.expectedBits)
                // A row group of one page when pages are longer than row groups.
                let big = try ParsedParquet(try writeParquet(columns: data.columns, batches: [data.values], rowGroupRows: rowGroupRows, pageRows: 5_000).bytes)
                #expect(big.groups.allSatisfy { $0.chunks.allSatisfy { $0.pageRowCounts == [$0.numValues] } })
                #expect(big.values == data.expectedBits)
            }
        }
    }

    @Test func emptyFileIsValid() throws {
        for batches in [[], [FeatureData(rows: 0, seed: 1).values]] {
            let file = try writeParquet(columns: FeatureData.schema, batches: batches).bytes
            let parsed = try ParsedParquet(file)
            #expect(parsed.groups.isEmpty)
            #expect(parsed.footer[3]?.int == 0)
            #expect(parsed.footer[2]?.list?.count == 6)
            #expect(parsed.keyValues.map(\.0) == ["tickforge.metadata"])
        }
    }

    @Test func allNullColumns() throws {
        let n = 1_500
        let columns = [ParquetColumn(name: "t", kind: .timestampMillis), ParquetColumn(name: "x", kind: .double), ParquetColumn(name: "n", kind: .int64)]
        let values: [ParquetValues] = [.int64((0..<n).map(Int64.init)), .double(Array(repeating: .nan, count: n)),
                                       .int64(Array(repeating: Int64.min, count: n))]
        let file = try writeParquet(columns: columns, batches: [values], rowGroupRows: 1_000).bytes
        let parsed = try ParsedParquet(file)
        #expect(parsed.values[1].allSatisfy { $0 == nil } && parsed.values[1].count == n)
        #expect(parsed.values[2].allSatisfy { $0 == nil } && parsed.values[2].count == n)
        for (group, rows) in zip(parsed.groups, [1_000, 500]) {
            for chunk in group.chunks.dropFirst() {
                let stats = try #require(chunk.statistics)
                #expect(stats[3]?.int == Int64(rows))
                #expect(stats[1] == nil && stats[2] == nil && stats[5] == nil && stats[6] == nil)
            }
            // Every page is one RLE run of zeros and no values: tiny.
            #expect(group.chunks[1].compressedSize < 200)
        }
        // Signalling and quiet NaNs with payloads are all null.
        let nans = [Double.nan, -Double.nan, Double.signalingNaN, Double(bitPattern: 0x7FF0_0000_0000_0001), Double(bitPattern: 0xFFFF_FFFF_FFFF_FFFF)]
        let few = try ParsedParquet(try writeParquet(columns: [ParquetColumn(name: "x", kind: .double)], batches: [[.double(nans)]]).bytes)
        #expect(few.values[0] == Array(repeating: nil, count: nans.count))
    }

    func statistics(_ kind: ParquetColumn.Kind, _ values: ParquetValues) throws -> ThriftValue {
        let file = try writeParquet(columns: [ParquetColumn(name: "c", kind: kind)], batches: [[values]]).bytes
        return try #require(try ParsedParquet(file).groups.first?.chunks.first?.statistics)
    }

    func le(_ bits: UInt64) -> ThriftValue { .binary((0..<8).map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) }) }

    @Test func statisticsValues() throws {
        // Doubles: NaN is null; a zero minimum is -0.0, a zero maximum +0.0, whichever zeros occur.
        let cases: [([Double], Double, Double, Int64)] = [
            ([1.5, .nan, -2.25, 0.5], -2.25, 1.5, 1),
            ([0.0, 0.0], -0.0, 0.0, 0),
            ([-0.0, -0.0, .nan], -0.0, 0.0, 1),
            ([-3, -0.0], -3, 0.0, 0),
            ([0.0, 7], -0.0, 7, 0),
            ([-.infinity, .infinity, .greatestFiniteMagnitude], -.infinity, .infinity, 0),
            ([.leastNonzeroMagnitude, -.leastNormalMagnitude], -.leastNormalMagnitude, .leastNonzeroMagnitude, 0),
        ]
        for (values, min, max, nulls) in cases {
            let stats = try statistics(.double, .double(values))
            #expect(stats[6] == le(min.bitPattern), "min_value of \(values)")
            #expect(stats[5] == le(max.bitPattern), "max_value of \(values)")
            #expect(stats[2] == stats[6] && stats[1] == stats[5], "deprecated min/max of \(values)")
            #expect(stats[3]?.int == nulls)
            #expect(stats[9]?.int == 0, "nan_count")
            #expect(stats[7]?.boolValue == true && stats[8]?.boolValue == true)
        }
        let ints = try statistics(.int64, .int64([5, Int64.min, -7, Int64.max, Int64.min]))
        #expect(ints[6] == le(UInt64(bitPattern: -7)) && ints[5] == le(UInt64(bitPattern: Int64.max)))
        #expect(ints[3]?.int == 2 && ints[9] == nil)
        // Timestamps are required: Int64.min is a value, and there are no nulls.
        let times = try statistics(.timestampMillis, .int64([0, Int64.min, 1_722_470_400_000]))
        #expect(times[6] == le(UInt64(bitPattern: Int64.min)) && times[5] == le(1_722_470_400_000))
        #expect(times[3]?.int == 0)
        // Per row group: each chunk's own bounds.
        let parsed = try ParsedParquet(try writeParquet(columns: [ParquetColumn(name: "c", kind: .int64)],
                                                        batches: [[.int64((0..<25).map(Int64.init))]], rowGroupRows: 10).bytes)
        #expect(parsed.groups.map { $0.chunks[0].statistics?[6] } == [le(0), le(10), le(20)])
        #expect(parsed.groups.map { $0.chunks[0].statistics?[5] } == [le(9), le(19), le(24)])
    }

    @Test func footerDescribesTheSchema() throws {
        let file = try writeParquet(columns: FeatureData.schema, batches: [Self.data.values],
                                    keyValueMetadata: [("tickforge.metadata", "{\"a\": \"é\"}"), ("other", "x")]).bytes
        let parsed = try ParsedParquet(file)
        let schema = try #require(parsed.footer[2]?.list)
        #expect(schema[0][5]?.int == 5 && schema[0][1] == nil)
        #expect(schema.dropFirst().map { $0[4]?.string } == FeatureData.schema.map(\.name))
        #expect(schema.dropFirst().map { $0[1]?.int } == [2, 5, 5, 5, 2])
        #expect(schema.dropFirst().map { $0[3]?.int } == [0, 1, 1, 1, 1])
        #expect(schema[1][6]?.int == 9)
        #expect(schema[1][10]?[8]?[1]?.boolValue == true)
        #expect(schema[1][10]?[8]?[2]?[1] == .structure([:]))
        #expect(schema[2][10] == nil && schema[2][6] == nil)
        #expect(parsed.keyValues.map(\.0) == ["tickforge.metadata", "other"])
        #expect(parsed.keyValues[0].1 == "{\"a\": \"é\"}")
        #expect(parsed.footer[1]?.int == 1)
        #expect(parsed.footer[6]?.string == "tickforge")
        #expect(parsed.footer[7]?.list == Array(repeating: .structure([1: .structure([:])]), count: 5))
        #expect(parsed.footer[4]?.list?.map { $0[7]?.int } == [0, 1, 2])
    }

    @Test func atomicFileSinkWritesTheSameBytes() throws {
        let directory = try TemporaryDirectory("atomic")
        defer { directory.remove() }
        let path = directory.path + "/features.parquet"
        let sink = try AtomicFileWriter(path: path)
        let writer = try ParquetFileWriter(sink: sink, columns: Self.data.columns, keyValueMetadata: [("tickforge.metadata", "{\"k\":1}")],
                                           rowGroupRows: 1_000, pageRows: 256, memoryBudget: 0,
                                           spillDirectory: directory.path, spillPrefix: "features.parquet")
        try writer.append(Self.data.values)
        try writer.finish()
        // Nothing under the final name before the commit.
        #expect(!Syscall.exists(path))
        try sink.commit()
        #expect(directory.entries == ["features.parquet"])
        let file = try OwnedFile(path: path, flags: O_RDONLY)
        var bytes: [UInt8] = []
        try file.forEachPiece { bytes.append(contentsOf: $0) }
        #expect(bytes == (try writeParquet(columns: Self.data.columns, batches: [Self.data.values]).bytes))
    }

    @Test func abandonedOrFailedWritersRemoveTheirSpillFiles() throws {
        let directory = try TemporaryDirectory("abandon")
        defer { directory.remove() }
        let data = Self.data
        func start() throws -> ParquetFileWriter {
            let writer = try ParquetFileWriter(sink: MemorySink(), columns: data.columns, rowGroupRows: 1_000, pageRows: 256,
                                               memoryBudget: 0, spillDirectory: directory.path, spillPrefix: "p")
            try writer.append(data.slice(0..<600))
            return writer
        }
        // Released without finish().
        do {
            _ = try start()
            let writer = try start()
            #expect(directory.entries == (0..<5).map { "p.col-\($0).tmp" })
            _ = writer
        }
        #expect(directory.entries.isEmpty)
        // A bad batch: the error, the files gone, and the writer refuses more.
        let writer = try start()
        #expect(!directory.entries.isEmpty)
        #expect(throws: TickError.self) { try writer.append([.int64([1])]) }
        #expect(directory.entries.isEmpty)
        #expect(throws: TickError.self) { try writer.append(data.slice(600..<601)) }
        #expect(throws: TickError.self) { try writer.finish() }
        // A sink that fails when the row group is copied out.
        final class FailingSink: ParquetSink {
            func write(_ bytes: [UInt8]) throws {
                if bytes != Array("PAR1".utf8) { throw TickError.io(path: "out", operation: "write", errno: 28, message: "No space left on device") }
            }
        }
        let failing = try ParquetFileWriter(sink: FailingSink(), columns: data.columns, rowGroupRows: 1_000, pageRows: 256,
                                            memoryBudget: 0, spillDirectory: directory.path, spillPrefix: "p")
        try failing.append(data.slice(0..<999))
        #expect(directory.entries.count == 5)
        #expect(throws: TickError.self) { try failing.append(data.slice(999..<1_000)) }
        #expect(directory.entries.isEmpty)
    }

    @Test func anExistingFileIsNeverTakenOver() throws {
        let directory = try TemporaryDirectory("existing")
        defer { directory.remove() }
        let foreign = directory.path + "/p.col-0.tmp"
        try AtomicFileWriter.write(Array("not ours".utf8), to: foreign)
        let writer = try ParquetFileWriter(sink: MemorySink(), columns: Self.data.columns, rowGroupRows: 1_000, pageRows: 256,
                                           memoryBudget: 0, spillDirectory: directory.path, spillPrefix: "p")
        let error = #expect(throws: TickError.self) { try writer.append(Self.data.values) }
        #expect(error?.description.contains("p.col-0.tmp") == true)
        #expect(directory.entries == ["p.col-0.tmp"])
        let file = try OwnedFile(path: foreign, flags: O_RDONLY)
        var bytes: [UInt8] = []
        try file.forEachPiece { bytes.append(contentsOf: $0) }
        #expect(bytes == Array("not ours".utf8))
    }

    @Test func argumentsAreChecked() throws {
        func make(_ columns: [ParquetColumn], rowGroupRows: Int = 10, pageRows: Int = 10, prefix: String = "p") throws {
            _ = try ParquetFileWriter(sink: MemorySink(), columns: columns, rowGroupRows: rowGroupRows, pageRows: pageRows,
                                      memoryBudget: 0, spillDirectory: "/tmp", spillPrefix: prefix)
        }
        let x = ParquetColumn(name: "x", kind: .double)
        #expect(throws: TickError.self) { try make([]) }
        #expect(throws: TickError.self) { try make([x, x]) }
        #expect(throws: TickError.self) { try make([ParquetColumn(name: "", kind: .int64)]) }
        #expect(throws: TickError.self) { try make([x], rowGroupRows: 0) }
        #expect(throws: TickError.self) { try make([x], pageRows: 0) }
        #expect(throws: TickError.self) { try make([x], prefix: "a/b") }
        let writer = try ParquetFileWriter(sink: MemorySink(), columns: [x, ParquetColumn(name: "n", kind: .int64)],
                                           memoryBudget: 0, spillDirectory: "/tmp", spillPrefix: "p")
        #expect(throws: TickError.self) { try writer.append([.double([1, 2]), .int64([1])]) }
        let other = try ParquetFileWriter(sink: MemorySink(), columns: [x], memoryBudget: 0, spillDirectory: "/tmp", spillPrefix: "p")
        #expect(throws: TickError.self) { try other.append([.int64([1])]) }
    }
}
