import Testing
import TickCore
import TickIO
import TickStore

@Suite struct CompressionTests {
    @Test func realisticTradesTakeFarLessThan16BytesPerRow() throws {
        let n = 100_000
        let contents = realisticTrades(n)
        let bytes = try encode(contents)
        #expect(try PartitionFormat.decode(bytes, path: "trades.tfp") == contents)
        let summary = try PartitionFormat.summarize(bytes, path: "trades.tfp", verify: true)
        let perRow = Double(bytes.count) / Double(n)
        print("realistic trades: \(n) rows, \(bytes.count) bytes, \(String(format2(perRow))) bytes/row (raw 33 bytes/row)")
        for c in summary.columns {
            print("  \(c.name.padding(16)) \(c.type.padding(7)) \(c.encoding.padding(18)) raw \(c.rawBytes) encoded \(c.encodedBytes) compressed \(c.compressedBytes) (\(format2(Double(c.compressedBytes) / Double(n))) B/row)")
        }
        #expect(perRow < 8, "expected well under 16 bytes per row, got \(perRow)")
        // Each shaped column picked the encoding made for it.
        let encodings = summary.columns.map(\.encoding)
        #expect(encodings == ["delta-varint", "delta-varint", "varint", "bit-packed", "delta-varint"])
        // The ids (+1 each) cost almost nothing.
        #expect(summary.columns[4].compressedBytes < n / 100)
    }

    @Test func encodingsBeatPlainZstd() throws {
        // The point of the type encodings: zstd of the encoded columns is smaller than zstd of
        // the raw little-endian values.
        let contents = realisticTrades(50_000, seed: 9)
        let summary = try PartitionFormat.summarize(try encode(contents), path: "t", verify: false)
        let compressor = Zstd.Compressor()
        for (column, stats) in zip(contents.columns, summary.columns) {
            let raw: [UInt8]
            switch column.payload {
            case .int64(let v): raw = v.withUnsafeBytes { Array($0) }
            case .uint8(let v): raw = v
            default: continue
            }
            let plainZstd = try compressor.compress(raw).count
            #expect(stats.compressedBytes <= plainZstd, "\(column.name): \(stats.compressedBytes) vs plain zstd \(plainZstd)")
        }
    }
}

func format2(_ x: Double) -> String {
    let scaled = (x * 100).rounded()
    let whole = Int(scaled) / 100, frac = Int(scaled) % 100
    return "\(whole).\(frac < 10 ? "0" : "")\(frac)"
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
