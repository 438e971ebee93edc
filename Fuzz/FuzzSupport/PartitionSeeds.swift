import TickCore
import TickIO
import TickStore

/// Small valid partition files for the reader's seed corpus: every column type and encoding the
/// writer chooses, an empty partition, and the same files with uncompressed zstd frames (whose
/// bytes a mutation changes directly, since they carry no zstd checksum).
public enum PartitionSeeds {
    public static func all() throws -> [(name: String, bytes: [UInt8])] {
        let compressor = Zstd.Compressor(level: 3)
        var seeds: [(String, [UInt8])] = []
        for (name, contents) in contents() {
            let encoded = try PartitionFormat.encode(contents, compressor: compressor)
            seeds.append(("\(name).tfp", encoded))
            if let raw = try withRawFrames(encoded), raw != encoded { seeds.append(("\(name)-raw-frames.tfp", raw)) }
        }
        return seeds
    }

    /// The command line of the `FuzzPartitionReader` replay build: `--make-seeds DIR` writes the
    /// seeds, anything else is replayed. Returns the exit status.
    public static func commandLine(_ arguments: [String]) -> Int32 {
        guard arguments.first == "--make-seeds" else {
            return Replay.run(arguments, tool: "FuzzPartitionReader", check: PartitionReaderFuzz.violations)
        }
        guard arguments.count == 2 else {
            print("usage: FuzzPartitionReader --make-seeds DIR")
            return 2
        }
        do {
            for seed in try all() {
                let path = arguments[1] + "/" + seed.name
                guard Replay.writeFile(path, seed.bytes) else {
                    print("\(path): cannot write")
                    return 2
                }
                print("wrote \(path) (\(seed.bytes.count) bytes): \(PartitionReaderFuzz.outcome(seed.bytes))")
            }
            return 0
        } catch {
            print("error: \(error)")
            return 1
        }
    }

    /// `bytes` with each zstd frame replaced by an uncompressed one holding the same data.
    public static func withRawFrames(_ bytes: [UInt8]) throws -> [UInt8]? {
        guard let parts = PartitionBytes.parts(bytes) else { return nil }
        var frames: [[UInt8]] = []
        for frame in parts.frames {
            let compressed = Array(bytes[frame.offset..<frame.offset + frame.compressedSize])
            let encoded = try Zstd.decompress(compressed, expectedSize: frame.encodedSize, path: "seed")
            frames.append(PartitionBytes.rawZstdFrame(encoded))
        }
        return PartitionBytes.replacingFrames(bytes, parts: parts, with: frames)
    }

    static func contents() -> [(String, PartitionContents)] {
        // Trades as the ingest stage writes them, from the first rows of the real BTCUSDT file.
        let time: [Int64] = [1_723_161_256_322_000, 1_723_161_256_344_000, 1_723_161_256_344_000, 1_723_161_256_361_000,
                             1_723_161_256_400_000, 1_723_161_256_400_000, 1_723_161_256_512_000, 1_723_161_256_513_000,
                             1_723_161_256_513_000, 1_723_161_256_600_000, 1_723_161_256_700_000]
        let n = time.count
        let price: [Int64] = (0..<n).map { 6_180_030_000_000 - Int64($0 % 3) * 10_000_000 }
        let quantity: [Int64] = (0..<n).map { Int64([600_000, 19_900_000, 100_000, 2_000_000][$0 % 4]) }
        let side: [UInt8] = (0..<n).map { UInt8($0 % 2) }
        let id: [Int64] = (0..<n).map { 5_266_583_935 + Int64($0) }
        let trades = PartitionContents(
            kind: "trades", rowCount: n, minTime: time.first!, maxTime: time.last!,
            metadata: ["layout": "binance-trades", "source": "binance-um-BTCUSDT-trades.csv"],
            columns: [StoredColumn(name: "time", payload: .int64(time)), StoredColumn(name: "price", payload: .int64(price)),
                      StoredColumn(name: "quantity", payload: .int64(quantity)),
                      StoredColumn(name: "buyer_aggressor", payload: .uint8(side)), StoredColumn(name: "id", payload: .int64(id))])

        let quotes = PartitionContents(
            kind: "quotes", rowCount: 5, minTime: 1_723_161_256_313_000, maxTime: 1_723_161_256_330_000,
            columns: [StoredColumn(name: "time", payload: .int64([1_723_161_256_313_000, 1_723_161_256_322_000, 1_723_161_256_322_000,
                                                                    1_723_161_256_325_000, 1_723_161_256_330_000])),
                      StoredColumn(name: "bid_price", payload: .int64([6_180_020_000_000, 6_180_020_000_000, 6_180_010_000_000,
                                                                         6_180_020_000_000, 6_180_020_000_000])),
                      StoredColumn(name: "bid_quantity", payload: .int64([250_700_000, 250_700_000, 1_000, 0, 7])),
                      StoredColumn(name: "flags", payload: .uint8([0, 3, 255, 1, 2]))])

        // Features: doubles with edge bit patterns, exact Int128 sums, a plain Int64 column.
        let features = PartitionContents(
            kind: "features", rowCount: 6, minTime: 1_723_161_256_000_000, maxTime: 1_723_161_261_000_000,
            metadata: ["bar": "1s", "columns": "6"],
            columns: [StoredColumn(name: "bar_time", payload: .int64((0..<6).map { 1_723_161_256_000_000 + Int64($0) * 1_000_000 })),
                      StoredColumn(name: "ret_1", payload: .float64([.nan, 0.0, -0.0, 1.5e-5, -.infinity, .leastNonzeroMagnitude])),
                      StoredColumn(name: "volume_sum", payload: .int128([0, 1, -1, Int128(Int64.max) + 1, .min, 12_345_678_900_000_000])),
                      StoredColumn(name: "wild", payload: .int64([.min, .max, 0, -1, 0x5555_5555_5555_5555, 7]))])

        let empty = PartitionContents(kind: "trades", rowCount: 0, minTime: 0, maxTime: 0,
                                      columns: [StoredColumn(name: "time", payload: .int64([])),
                                                StoredColumn(name: "side", payload: .uint8([]))])
        let noColumns = PartitionContents(kind: "x", rowCount: 3, minTime: -1, maxTime: 1, columns: [])
        return [("trades", trades), ("quotes", quotes), ("features", features), ("empty", empty), ("no-columns", noColumns)]
    }
}
