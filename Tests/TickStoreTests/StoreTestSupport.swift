import Foundation
import TickCore
import TickIO
import TickStore

/// Values that sit on every edge an encoding could get wrong.
enum Extremes {
    static let int64: [Int64] = {
        var v: [Int64] = [0, 1, -1, .min, .max, .min + 1, .max - 1, .min, .max, 0, .min]
        for k in 0..<63 { v += [Int64(1) << k, (Int64(1) << k) - 1, -(Int64(1) << k), -(Int64(1) << k) - 1] }
        return v
    }()
    static let int128: [Int128] = [0, 1, -1, .min, .max, .min + 1, .max - 1, Int128(Int64.max) + 1,
                                   Int128(Int64.min) - 1, Int128(UInt64.max), -Int128(UInt64.max), .min, 0, .max]
    static let float64: [Double] = [
        0.0, -0.0, .nan, -.nan, .signalingNaN, Double(bitPattern: 0x7FF0_0000_0000_0001),
        Double(bitPattern: 0xFFF8_DEAD_BEEF_0001), Double(bitPattern: 0x7FF4_0000_0000_0000), .infinity, -.infinity,
        .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
        -.greatestFiniteMagnitude, 1.0, -1.0, .pi, 1e-300, 61_800.3,
    ]
    static let uint8: [UInt8] = [0, 1, 255, 128, 127, 2, 0, 1]
}

/// `count` values cycling through `pool` then mixed with random ones.
func mixed<T>(_ count: Int, pool: [T], random: (inout SplitMix64) -> T, rng: inout SplitMix64) -> [T] {
    (0..<count).map { i in
        if i < pool.count { return pool[i] }
        return Int.random(in: 0..<4, using: &rng) == 0 ? pool.randomElement(using: &rng)! : random(&rng)
    }
}

/// Contents with every payload type, shaped (increasing times, small deltas) and unshaped (random
/// bits, extremes) columns, so every encoding choice is exercised.
func randomContents(rowCount n: Int, seed: UInt64) -> PartitionContents {
    var rng = SplitMix64(seed: seed)
    var time: Int64 = 1_723_161_256_322_000
    let times: [Int64] = (0..<n).map { _ in time += Int64.random(in: 0...3_000, using: &rng); return time }
    let prices: [Int64] = mixed(n, pool: [6_000_000_000_000, 6_000_010_000_000], random: {
        Int64.random(in: 5_990_000_000_000...6_010_000_000_000, using: &$0)
    }, rng: &rng)
    let smallSigned: [Int64] = (0..<n).map { _ in Int64.random(in: -60...60, using: &rng) }
    let wild: [Int64] = mixed(n, pool: Extremes.int64, random: { Int64(bitPattern: $0.next()) }, rng: &rng)
    let sums: [Int128] = mixed(n, pool: Extremes.int128, random: {
        Int128(Int64(bitPattern: $0.next())) * Int128(Int64.random(in: -1_000_000...1_000_000, using: &$0))
    }, rng: &rng)
    let smallSums: [Int128] = (0..<n).map { _ in Int128(Int64.random(in: 0...1_000_000_000_000, using: &rng)) }
    let features: [Double] = mixed(n, pool: Extremes.float64, random: { Double(bitPattern: $0.next()) }, rng: &rng)
    let smooth: [Double] = (0..<n).map { i in 60_000 + Double(i) * 0.1 + Double.random(in: -1...1, using: &rng) }
    let sides: [UInt8] = (0..<n).map { _ in UInt8.random(in: 0...1, using: &rng) }
    let flags: [UInt8] = mixed(n, pool: Extremes.uint8, random: { UInt8.random(in: 0...255, using: &$0) }, rng: &rng)
    return PartitionContents(
        kind: "test", rowCount: n, minTime: times.first ?? 0, maxTime: times.last ?? 0,
        metadata: ["seed": String(seed), "symbol": "BTCUSDT", "ünïcode": "✓ 値", "": "empty key"],
        columns: [
            StoredColumn(name: "time", payload: .int64(times)),
            StoredColumn(name: "price", payload: .int64(prices)),
            StoredColumn(name: "small", payload: .int64(smallSigned)),
            StoredColumn(name: "wild", payload: .int64(wild)),
            StoredColumn(name: "sum", payload: .int128(sums)),
            StoredColumn(name: "small_sum", payload: .int128(smallSums)),
            StoredColumn(name: "feature", payload: .float64(features)),
            StoredColumn(name: "smooth", payload: .float64(smooth)),
            StoredColumn(name: "side", payload: .uint8(sides)),
            StoredColumn(name: "flags", payload: .uint8(flags)),
        ])
}

/// `n` trades shaped like a busy Binance futures stream.
func realisticTrades(_ n: Int, seed: UInt64 = 42) -> PartitionContents {
    var rng = SplitMix64(seed: seed)
    var times: [Int64] = [], prices: [Int64] = [], quantities: [Int64] = [], sides: [UInt8] = [], ids: [Int64] = []
    times.reserveCapacity(n); prices.reserveCapacity(n); quantities.reserveCapacity(n)
    sides.reserveCapacity(n); ids.reserveCapacity(n)
    var time: Int64 = 1_723_161_256_322_000
    var price: Int64 = 6_180_030_000_000  // 61 800.3 in 10⁻⁸ units
    let tick: Int64 = 10_000_000  // 0.1
    var side: UInt8 = 1
    for i in 0..<n {
        // Bursts: 40% of trades share the previous time (one taker order hitting several makers).
        if Int.random(in: 0..<10, using: &rng) >= 4 { time += Int64.random(in: 1...5_000, using: &rng) }
        // Inside a burst the price walks one way; otherwise it mostly stays.
        let move = Int.random(in: 0..<100, using: &rng)
        if move < 8 { price -= tick } else if move < 16 { price += tick } else if move < 18 { price += 3 * tick * (side == 1 ? 1 : -1) }
        if Int.random(in: 0..<10, using: &rng) < 3 { side ^= 1 }
        // Quantities: small multiples of 0.001 BTC, mostly tiny.
        let lots = Int64.random(in: 1...20, using: &rng) * (Int.random(in: 0..<10, using: &rng) == 0 ? 50 : 1)
        times.append(time); prices.append(price); quantities.append(lots * 100_000); sides.append(side)
        ids.append(5_141_325_000 + Int64(i))
    }
    return PartitionContents(
        kind: "trades", rowCount: n, minTime: times.first ?? 0, maxTime: times.last ?? 0,
        metadata: ["symbol": "BTCUSDT"],
        columns: [
            StoredColumn(name: "time", payload: .int64(times)),
            StoredColumn(name: "price", payload: .int64(prices)),
            StoredColumn(name: "quantity", payload: .int64(quantities)),
            StoredColumn(name: "buyer_aggressor", payload: .uint8(sides)),
            StoredColumn(name: "id", payload: .int64(ids)),
        ])
}

/// A small file of a few hundred bytes with every type, for exhaustive corruption tests.
func smallContents() -> PartitionContents {
    PartitionContents(
        kind: "trades", rowCount: 5, minTime: 100, maxTime: 140, metadata: ["symbol": "BTCUSDT"],
        columns: [
            StoredColumn(name: "time", payload: .int64([100, 110, 110, 120, 140])),
            StoredColumn(name: "price", payload: .int64([6_000_000_000_000, 6_000_010_000_000, .min, .max, 6_000_000_000_000])),
            StoredColumn(name: "sum", payload: .int128([0, .min, .max, -1, 12_345])),
            StoredColumn(name: "ret", payload: .float64([.nan, -0.0, 1.5, .infinity, -Double.leastNonzeroMagnitude * 3])),
            StoredColumn(name: "side", payload: .uint8([1, 0, 0, 1, 1])),
        ])
}

/// The reason of the `TickError.unreadable` thrown by `body`, checking that it names `path`;
/// nil if `body` did not throw; a description of any other error.
func unreadableReason(path: String, _ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch TickError.unreadable(let errorPath, let reason) {
        return errorPath == path ? reason : "WRONG PATH \(errorPath): \(reason)"
    } catch {
        return "UNEXPECTED ERROR \(error)"
    }
}

/// Whether a reason came from a proper `unreadable` error naming the path.
func isProperReason(_ reason: String?) -> Bool {
    guard let reason else { return false }
    return !reason.hasPrefix("WRONG PATH") && !reason.hasPrefix("UNEXPECTED ERROR") && !reason.isEmpty
}

func encode(_ contents: PartitionContents, level: Int32 = 3) throws -> [UInt8] {
    try PartitionFormat.encode(contents, compressor: Zstd.Compressor(level: level))
}

/// A fresh empty directory for file tests.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("tickstore-tests-\(UUID().uuidString)").path
    try Syscall.makeDirectories(path)
    return path
}

func removeDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}
