import Foundation
import Testing
import TickCore
import TickIO
@testable import TickParquet

/// Files read back by real readers: Scripts/parquet_readback.py opens each with pyarrow, DuckDB
/// and polars (in a venv it creates once) and checks every value bit for bit, the nulls, the
/// timestamp's type, the key-value metadata and the statistics each reader sees. Never skipped:
/// without python3 or the packages the test fails.
struct ReadbackTests {
    /// The repository's root, from this file's path.
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/TickParquetTests/ReadbackTests.swift
        return parts.joined(separator: "/")
    }()

    /// Extremes in every column besides the feature-like ones: signed zeros, subnormals,
    /// infinities, the largest and smallest doubles and integers, and nulls between them.
    static func extremes(rows: Int) -> (columns: [ParquetColumn], values: [ParquetValues]) {
        let doubles: [Double] = [0.0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
                                 Double(bitPattern: 0x000F_FFFF_FFFF_FFFF), .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                 .infinity, -.infinity, .nan, 1e-300, -1e300, 0.1, 1.0 / 3.0, .pi, -123_456.789_012_345_6]
        let ints: [Int64] = [Int64.max, Int64.min + 1, -1, 0, 1, Int64.min, 1 << 53 + 1, -(1 << 62), 42]
        var rng = SplitMix64(seed: 99)
        var x: [Double] = [], n: [Int64] = [], zeros: [Double] = [], sparse: [Double] = []
        for i in 0..<rows {
            x.append(doubles[Int.random(in: 0..<doubles.count, using: &rng)])
            n.append(ints[Int.random(in: 0..<ints.count, using: &rng)])
            // Only zeros of both signs, and nulls: the statistics' ±0 rule.
            zeros.append([0.0, -0.0, .nan][i % 3])
            // Null everywhere but in the second row group.
            sparse.append(i >= 1_000 && i < 2_000 && i % 7 == 0 ? Double(i) * 0.5 : .nan)
        }
        return ([ParquetColumn(name: "extreme_double", kind: .double), ParquetColumn(name: "extreme_int", kind: .int64),
                 ParquetColumn(name: "zeros", kind: .double), ParquetColumn(name: "sparse", kind: .double)],
                [.double(x), .int64(n), .double(zeros), .double(sparse)])
    }

    /// The expected-values file the script reads: doubles as 16 hex digits of their bit
    /// pattern, integers as decimal strings, nulls as null.
    static func expectedJSON(columns: [ParquetColumn], values: [ParquetValues], rowGroupRows: Int, metadata: [(String, String)]) throws -> Data {
        var columnObjects: [[String: Any]] = []
        for (column, values) in zip(columns, values) {
            let kind: String, cells: [Any]
            switch (column.kind, values) {
            case (.timestampMillis, .int64(let v)): (kind, cells) = ("timestamp_ms", v.map { String($0) })
            case (.int64, .int64(let v)): (kind, cells) = ("int64", v.map { $0 == Int64.min ? NSNull() : String($0) as Any })
            case (.double, .double(let v)):
                kind = "double"
                cells = v.map { $0.isNaN ? NSNull() : Self.hex($0.bitPattern) as Any }
            default: throw TestFailure(description: "kind and values differ")
            }
            columnObjects.append(["name": column.name, "kind": kind, "values": cells])
        }
        let object: [String: Any] = [
            "rows": values.first?.count ?? 0,
            "row_group_rows": rowGroupRows,
            "key_value_metadata": metadata.map { [$0.0, $0.1] },
            "columns": columnObjects,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    static func hex(_ bits: UInt64) -> String {
        let digits = String(bits, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    @Test func pyarrowDuckDBAndPolarsReadEveryValueAndTheStatistics() throws {
        let directory = try TemporaryDirectory("readback")
        defer { if ProcessInfo.processInfo.environment["TICKPARQUET_KEEP"] == nil { directory.remove() } }
        let rows = 2_600, rowGroupRows = 1_000
        let features = FeatureData(rows: rows, seed: 5)
        let extra = Self.extremes(rows: rows)
        let columns = features.columns + extra.columns
        let values = features.values + extra.values
        let json = #"{"format":"tickforge-features","version":1,"note":"é ✓ \"quoted\""}"#
        let metadata = [(ParquetFileWriter.tickforgeMetadataKey, json)]
        let empty = FeatureData(rows: 0, seed: 1)

        var arguments: [String] = []
        let files: [(name: String, columns: [ParquetColumn], values: [ParquetValues], encoding: ParquetDoubleEncoding, budget: Int)] = [
            ("features-default", columns, values, ParquetFileWriter.defaultDoubleEncoding, 1 << 30),
            ("features-bss", columns, values, .byteStreamSplit, 1 << 30),
            ("features-plain-spilled", columns, values, .plain, 0),
            ("empty", empty.columns, empty.values, ParquetFileWriter.defaultDoubleEncoding, 1 << 30),
        ]
        for file in files {
            let path = "\(directory.path)/\(file.name).parquet"
            let sink = try AtomicFileWriter(path: path)
            let writer = try ParquetFileWriter(sink: sink, columns: file.columns, keyValueMetadata: metadata, rowGroupRows: rowGroupRows,
                                               pageRows: 300, doubleEncoding: file.encoding, memoryBudget: file.budget,
                                               spillDirectory: directory.path, spillPrefix: file.name)
            // In uneven batches, as the pipeline would hand them over.
            var start = 0
            while start < file.values[0].count {
                let end = min(file.values[0].count, start + 777)
                try writer.append(file.values.map {
                    switch $0 {
                    case .int64(let v): .int64(Array(v[start..<end]))
                    case .double(let v): .double(Array(v[start..<end]))
                    }
                })
                start = end
            }
            try writer.finish()
            try sink.commit()
            let expectedPath = "\(directory.path)/\(file.name).expected.json"
            try AtomicFileWriter.write(Array(try Self.expectedJSON(columns: file.columns, values: file.values,
                                                                   rowGroupRows: rowGroupRows, metadata: metadata)), to: expectedPath)
            arguments += [path, expectedPath]
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.root + "/Scripts/parquet_readback.py"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print(text)
        #expect(process.terminationStatus == 0, "Scripts/parquet_readback.py failed:\n\(text)")
        // Each reader said what it checked, for each file.
        for file in files {
            for reader in ["pyarrow", "duckdb", "polars"] {
                #expect(text.contains("ok \(reader) \(file.name).parquet"), "no \(reader) verdict for \(file.name)")
            }
        }
    }
}
