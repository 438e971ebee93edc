import Testing
import TickCore
import TickIO
import TickStore

/// Prints encode/decode speed in MB/s of raw column data. Debug builds are far slower than
/// release: measure with `swift test -c release --filter ThroughputTests`.
@Suite struct ThroughputTests {
    @Test func encodeAndDecodeThroughput() throws {
        let trades = realisticTrades(1_000_000, seed: 1)
        var rng = SeededGenerator(seed: 8)
        let n = 1_000_000
        let features = PartitionContents(kind: "features", rowCount: n, minTime: 0, maxTime: 0, columns: [
            StoredColumn(name: "close", payload: .float64((0..<n).map { 60_000 + Double($0 % 1000) * 0.1 })),
            StoredColumn(name: "ret", payload: .float64((0..<n).map { _ in Double.random(in: -0.01...0.01, using: &rng) })),
            StoredColumn(name: "volume", payload: .int128((0..<n).map { _ in Int128(Int64.random(in: 0...10_000_000_000, using: &rng)) })),
        ])
        let compressor = Zstd.Compressor(level: 3)
        for (name, contents, rawPerRow) in [("trades", trades, 33), ("features", features, 32)] {
            let rawMB = Double(rawPerRow * contents.rowCount) / 1e6
            let clock = ContinuousClock()
            var bytes: [UInt8] = []
            let encodeTime = try clock.measure { bytes = try PartitionFormat.encode(contents, compressor: compressor) }
            var decoded: PartitionContents?
            let decodeTime = try clock.measure { decoded = try PartitionFormat.decode(bytes, path: name) }
            #expect(decoded == contents)
            func mbps(_ d: Duration) -> String {
                let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                return format2(rawMB / seconds)
            }
            print("\(name): \(format2(rawMB)) MB raw → \(bytes.count) bytes; encode \(mbps(encodeTime)) MB/s, decode \(mbps(decodeTime)) MB/s (zstd level 3, one thread)")
        }
    }
}
