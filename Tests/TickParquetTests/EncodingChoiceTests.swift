import Foundation
import Testing
import TickCore
@testable import TickParquet

/// The DOUBLE layout: `.adaptive` (the default) picks, per column chunk, whichever of PLAIN and
/// BYTE_STREAM_SPLIT compresses the chunk's first page smaller. Neither fixed layout wins on
/// feature data: BYTE_STREAM_SPLIT is 10–37% smaller on smooth full-precision values (rolling
/// means, volatilities, sin/cos of time), PLAIN 2–3.6 times smaller on values from a small set
/// (quantities with 3 decimals, spreads on a tick grid).
struct EncodingChoiceTests {
    func size(_ table: FeatureLikeTable, _ encoding: ParquetDoubleEncoding) throws -> Int {
        try writeParquet(columns: table.columns, batches: [table.values], rowGroupRows: 1 << 20, pageRows: 1 << 16,
                         doubleEncoding: encoding, keyValueMetadata: []).bytes.count
    }

    @Test func adaptiveIsNoLargerThanEitherLayoutOnFeatureData() throws {
        let table = FeatureLikeTable.generate(rows: 1 << 16, seed: 3)
        let plain = try size(table, .plain)
        let split = try size(table, .byteStreamSplit)
        let adaptive = try size(table, .adaptive)
        print("feature-like table, \(table.rowCount) rows x \(table.columns.count) columns: plain \(plain), byte-stream-split \(split), adaptive \(adaptive) bytes")
        // One page per chunk: adaptive is exactly the better layout of every column.
        #expect(adaptive <= plain && adaptive <= split)
        #expect(Double(adaptive) < 0.97 * Double(min(plain, split)), "adaptive saves little: \(adaptive) vs \(plain) / \(split)")
    }

    @Test func eachChunkChoosesOnItsFirstPage() throws {
        // Column q: quantities from a small set, then smooth values; column s: always smooth.
        let rows = 8_192
        var q: [Double] = [], s: [Double] = []
        for i in 0..<rows {
            let x = Double(i)
            q.append(i < 4_096 ? Double(i * 7_919 % 20) * 0.001 : sin(x / 1_000))
            s.append(60_000 + sin(x / 500) * 100)
        }
        let columns = [ParquetColumn(name: "q", kind: .double), ParquetColumn(name: "s", kind: .double)]
        let file = try writeParquet(columns: columns, batches: [[.double(q), .double(s)]], rowGroupRows: 4_096, pageRows: 1_024,
                                    doubleEncoding: .adaptive).bytes
        let parsed = try ParsedParquet(file)
        let encodings: [[[Int64]]] = parsed.groups.map { group in group.chunks.map { $0.encodings } }
        #expect(encodings == [[[0, 3], [3, 9]], [[3, 9], [3, 9]]])
        let expected: [[UInt64?]] = [q.map { $0.bitPattern }, s.map { $0.bitPattern }]
        #expect(parsed.values == expected)
    }

    /// Sizes and write speed of every layout and zstd level on a feature-like table of
    /// `TICKPARQUET_MEASURE` rows (2^20 when not a number; the defaults were chosen on 2^20).
    /// Speeds mean something only optimised, e.g.
    /// `TICKPARQUET_MEASURE=1 swift test -c release -Xswiftc -enable-testing --filter EncodingChoiceTests`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TICKPARQUET_MEASURE"] != nil))
    func measure() throws {
        final class CountingSink: ParquetSink {
            var count = 0
            func write(_ bytes: [UInt8]) throws { count += bytes.count }
        }
        let rows = Int(ProcessInfo.processInfo.environment["TICKPARQUET_MEASURE"] ?? "") ?? 1 << 20
        let table = FeatureLikeTable.generate(rows: rows, seed: 1)
        let clock = ContinuousClock()
        print("\(table.rowCount) rows x \(table.columns.count) columns, \(table.rawBytes) bytes raw; best of 3")
        for level: Int32 in [-1, 1, 3, 6] {
            for encoding in [ParquetDoubleEncoding.plain, .byteStreamSplit, .adaptive] {
                var best = Duration.seconds(1_000_000), size = 0
                for _ in 0..<3 {
                    let sink = CountingSink()
                    let started = clock.now
                    let writer = try ParquetFileWriter(sink: sink, columns: table.columns, doubleEncoding: encoding, zstdLevel: level,
                                                       memoryBudget: 1 << 40, spillDirectory: "/tmp", spillPrefix: "measure")
                    for start in stride(from: 0, to: table.rowCount, by: 65_536) {
                        try writer.append(table.values.map {
                            switch $0 {
                            case .int64(let v): .int64(Array(v[start..<min(v.count, start + 65_536)]))
                            case .double(let v): .double(Array(v[start..<min(v.count, start + 65_536)]))
                            }
                        })
                    }
                    try writer.finish()
                    best = min(best, clock.now - started)
                    size = sink.count
                }
                let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) * 1e-18
                print("level \(level) \(encoding): \(size) bytes, \(Int(Double(table.rawBytes) / seconds / 1e6)) MB/s")
            }
        }
    }
}
