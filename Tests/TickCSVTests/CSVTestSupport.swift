import Foundation
import TickCSV
import TickCore

/// Paths of the real market-data samples, found from this file's location so the tests run from
/// any working directory.
enum RealFixture: String, CaseIterable, Sendable, CustomStringConvertible {
    case binanceTrades = "binance-um-BTCUSDT-trades-2024-08-08T2354Z-2400Z.from-ws.csv"
    case binanceBookTicker = "binance-um-BTCUSDT-bookTicker-2024-08-08T2354Z-2400Z.from-ws.csv"
    case ethTrades = "binance-um-ETHUSDT-trades-2024-08-08T2354Z-2400Z.from-ws.csv"
    case ethBookTicker = "binance-um-ETHUSDT-bookTicker-2024-08-08T2354Z-2400Z.from-ws.csv"
    case tardisTrades = "tardis-binance-futures-BTCUSDT-trades-2020-02-22.sample.csv"
    case tardisQuotes = "tardis-binance-futures-BTCUSDT-quotes-2020-02-22.sample.csv"
    case freqtrade = "binance-um-ETHUSDT-trades-2023-02-02T0920Z.freqtrade-ccxt.csv"

    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TickCSVTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository
        .appendingPathComponent("Fixtures/real")

    var path: String { Self.directory.appendingPathComponent(rawValue).path }
    var description: String { rawValue }

    /// The first `count` lines of the file, without line ends.
    func firstLines(_ count: Int) throws -> [[UInt8]] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let head = [UInt8](try handle.read(upToCount: 64 * 1024) ?? Data())
        return head.split(separator: UInt8(ascii: "\n"), maxSplits: count, omittingEmptySubsequences: false)
            .prefix(count)
            .map { line in
                var l = Array(line)
                if l.last == UInt8(ascii: "\r") { l.removeLast() }
                return l
            }
    }
}

/// Parses `text` as one chunk.
func parseChunk(_ text: String, layout: Layout, skipHeader: Bool = false) -> ParsedChunk {
    ChunkParser(layout: layout).parse(Array(text.utf8), skipFirstLine: skipHeader)
}

func parseChunk(bytes: [UInt8], layout: Layout, skipHeader: Bool = false) -> ParsedChunk {
    ChunkParser(layout: layout).parse(bytes, skipFirstLine: skipHeader)
}

/// A trades layout for probing one field at a time: `id,price,qty,time,side`.
func probeLayout(timeUnit: TimeUnit = .milliseconds, sides: SideEncoding = .buyerIsMaker) -> Layout {
    Layout(name: "probe", kind: .trades, roles: [.id, .price, .quantity, .time, .side], header: nil,
           timeUnit: timeUnit, sideEncoding: sides)
}

/// A probe row with every field valid except the ones given.
func probeRow(id: String = "7", price: String = "1.5", qty: String = "2", time: String = "1723161256322",
              side: String = "true") -> String {
    "\(id),\(price),\(qty),\(time),\(side)\n"
}

