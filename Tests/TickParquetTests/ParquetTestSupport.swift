import Testing
import TickCore
import TickIO
@testable import TickParquet
#if canImport(Glibc)
import Glibc
#endif

/// A sink that keeps the file in memory.
final class MemorySink: ParquetSink {
    var bytes: [UInt8] = []
    var writes = 0
    func write(_ more: [UInt8]) throws {
        bytes.append(contentsOf: more)
        writes += 1
    }
}

/// A fresh, empty directory under the system's temporary directory, removed with its files by
/// `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String) throws {
        var template = Array("/tmp/tickparquet-\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw TickError.io(path: "/tmp", operation: "mkdtemp", errno: errno, message: "") }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var entries: [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    func remove() {
        for name in entries { Syscall.unlinkIfPresent(path + "/" + name) }
        _ = Syscall.removeEmptyDirectory(path)
    }
}

// MARK: A reader for the tests

/// A decoded Thrift compact value (enough to read back what the writer writes).
indirect enum ThriftValue: Equatable {
    case bool(Bool)
    case int(Int64)
    case binary([UInt8])
    case list([ThriftValue])
    case structure([Int16: ThriftValue])

    subscript(_ id: Int16) -> ThriftValue? {
        if case .structure(let fields) = self { return fields[id] }
        return nil
    }
    var int: Int64? { if case .int(let v) = self { return v }; return nil }
    var bytes: [UInt8]? { if case .binary(let v) = self { return v }; return nil }
    var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
    var list: [ThriftValue]? { if case .list(let v) = self { return v }; return nil }
    var boolValue: Bool? { if case .bool(let v) = self { return v }; return nil }
}

struct TestFailure: Error, CustomStringConvertible { var description: String }

/// Reads Thrift compact structs; throws on anything malformed.
struct ThriftCompactReader {
    let bytes: [UInt8]
    var position: Int

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw TestFailure(description: "thrift: truncated at \(position)") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = try byte()
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            guard shift < 64 else { throw TestFailure(description: "thrift: varint too long") }
        }
    }

    mutating func zigzag() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    mutating func value(type: UInt8, inList: Bool = false) throws -> ThriftValue {
        switch type {
        case 1: return .bool(inList ? try byte() == 1 : true)
        case 2: return .bool(inList ? try byte() == 1 : false)
        case 3: return .int(Int64(Int8(bitPattern: try byte())))
        case 4, 5, 6: return .int(try zigzag())
        case 8:
            let n = Int(try varint())
            guard position + n <= bytes.count else { throw TestFailure(description: "thrift: binary past the end") }
            defer { position += n }
            return .binary(Array(bytes[position..<(position + n)]))
        case 9:
            let header = try byte()
            var count = Int(header >> 4)
            if count == 15 { count = Int(try varint()) }
            return .list(try (0..<count).map { _ in try value(type: header & 0x0F, inList: true) })
        case 12: return try structure()
        default: throw TestFailure(description: "thrift: type \(type) not expected")
        }
    }

    mutating func structure() throws -> ThriftValue {
        var fields: [Int16: ThriftValue] = [:]
        var last: Int16 = 0
        while true {
            let header = try byte()
            if header == 0 { return .structure(fields) }
            let delta = header >> 4
            let id = delta == 0 ? Int16(try zigzag()) : last + Int16(delta)
            guard fields[id] == nil else { throw TestFailure(description: "thrift: field \(id) twice") }
            fields[id] = try value(type: header & 0x0F)
            last = id
        }
    }
}

/// A Parquet file as the writer's tests read it: footer, chunk statistics, and every value of
/// every column decoded from its pages.
struct ParsedParquet {
    struct Chunk {
        var offset: Int
        var compressedSize: Int
        var uncompressedSize: Int
        var numValues: Int
        var encodings: [Int64]
        var statistics: ThriftValue?
        var pageRowCounts: [Int]
    }
    struct Group {
        var numRows: Int
        var chunks: [Chunk]
    }
    var footer: ThriftValue
    var groups: [Group]
    /// Per column: the values as bit patterns, nil for null.
    var values: [[UInt64?]]
    var keyValues: [(String, String)]

    init(_ file: [UInt8]) throws {
        let magic = Array("PAR1".utf8)
        guard file.count >= 12, Array(file[0..<4]) == magic, Array(file[(file.count - 4)...]) == magic else {
            throw TestFailure(description: "not a Parquet file")
        }
        let length = (0..<4).reduce(0) { $0 | Int(file[file.count - 8 + $1]) << (8 * $1) }
        var reader = ThriftCompactReader(file, at: file.count - 8 - length)
        footer = try reader.structure()
        guard reader.position == file.count - 8 else { throw TestFailure(description: "footer length mismatch") }
        let schema = footer[2]?.list ?? []
        let leaves = Array(schema.dropFirst())
        values = Array(repeating: [], count: leaves.count)
        keyValues = (footer[5]?.list ?? []).map { ($0[1]?.string ?? "", $0[2]?.string ?? "") }
        groups = []
        var expectedOffset = 4
        for group in footer[4]?.list ?? [] {
            var chunks: [Chunk] = []
            for (index, chunk) in (group[1]?.list ?? []).enumerated() {
                guard let meta = chunk[3] else { throw TestFailure(description: "chunk without meta_data") }
                let offset = Int(meta[9]?.int ?? -1)
                guard offset == expectedOffset else { throw TestFailure(description: "chunk at \(offset), expected \(expectedOffset)") }
                let size = Int(meta[7]?.int ?? 0)
                expectedOffset += size
                let optional = leaves[index][3]?.int == 1
                let isDouble = leaves[index][1]?.int == 5
                var pageRows: [Int] = []
                var position = offset
                var uncompressedTotal = 0
                while position < offset + size {
                    var pageReader = ThriftCompactReader(file, at: position)
                    let header = try pageReader.structure()
                    let compressedSize = Int(header[3]?.int ?? -1), uncompressedSize = Int(header[2]?.int ?? -1)
                    guard let data = header[5] else { throw TestFailure(description: "not a v1 data page") }
                    let rows = Int(data[1]?.int ?? -1)
                    pageRows.append(rows)
                    let start = pageReader.position
                    uncompressedTotal += start - position + uncompressedSize
                    let body = try Zstd.decompress(Array(file[start..<(start + compressedSize)]), expectedSize: uncompressedSize, path: "page")
                    values[index] += try Self.decodePage(body, rows: rows, optional: optional,
                                                         byteStreamSplit: data[2]?.int == 9, isDouble: isDouble)
                    position = start + compressedSize
                }
                guard position == offset + size else { throw TestFailure(description: "pages overrun their chunk") }
                guard uncompressedTotal == Int(meta[6]?.int ?? -1) else { throw TestFailure(description: "total_uncompressed_size mismatch") }
                chunks.append(Chunk(offset: offset, compressedSize: size, uncompressedSize: uncompressedTotal,
                                    numValues: Int(meta[5]?.int ?? -1),
                                    encodings: (meta[2]?.list ?? []).compactMap(\.int), statistics: meta[12], pageRowCounts: pageRows))
            }
            groups.append(Group(numRows: Int(group[3]?.int ?? -1), chunks: chunks))
        }
        guard expectedOffset == file.count - 8 - length else { throw TestFailure(description: "bytes between the chunks and the footer") }
    }

    static func decodePage(_ body: [UInt8], rows: Int, optional: Bool, byteStreamSplit: Bool, isDouble: Bool) throws -> [UInt64?] {
        var position = 0
        var defined = [Bool](repeating: true, count: rows)
        if optional {
            let length = (0..<4).reduce(0) { $0 | Int(body[$1]) << (8 * $1) }
            defined = try decodeHybrid(Array(body[4..<(4 + length)]), count: rows).map { $0 == 1 }
            position = 4 + length
        }
        let present = defined.filter { $0 }.count
        guard body.count - position == 8 * present else { throw TestFailure(description: "page has \(body.count - position) value bytes for \(present) values") }
        var raw: [UInt64] = []
        for i in 0..<present {
            var bits: UInt64 = 0
            for b in 0..<8 {
                let byte = byteStreamSplit ? body[position + b * present + i] : body[position + 8 * i + b]
                bits |= UInt64(byte) << (8 * UInt64(b))
            }
            raw.append(bits)
        }
        var next = 0
        return defined.map { isDefined in
            guard isDefined else { return nil }
            defer { next += 1 }
            return raw[next]
        }
    }

    /// The RLE/bit-packed hybrid with bit width 1, written from the format's description.
    static func decodeHybrid(_ data: [UInt8], count: Int) throws -> [UInt8] {
        var reader = ThriftCompactReader(data)
        var out: [UInt8] = []
        while out.count < count {
            let header = try reader.varint()
            if header & 1 == 0 {
                let run = Int(header >> 1)
                guard run > 0 else { throw TestFailure(description: "empty RLE run") }
                let value = try reader.byte()
                guard value <= 1 else { throw TestFailure(description: "RLE value \(value) for bit width 1") }
                out += repeatElement(value, count: run)
            } else {
                let groups = Int(header >> 1)
                for _ in 0..<groups {
                    let byte = try reader.byte()
                    for bit in 0..<8 { out.append((byte >> UInt8(bit)) & 1) }
                }
            }
        }
        guard reader.position == data.count else { throw TestFailure(description: "levels have trailing bytes") }
        // Only a last bit-packed run may pad; the padding must be zero.
        guard out[count...].allSatisfy({ $0 == 0 }) else { throw TestFailure(description: "non-zero padding") }
        return Array(out[..<count])
    }
}

// MARK: Data

/// Feature-like columns: a timestamp every second, a price random walk, a ratio, a volume and
/// a count, with runs of nulls at the start (windows filling) and scattered nulls.
struct FeatureData {
    var columns: [ParquetColumn]
    var values: [ParquetValues]

    static let schema = [
        ParquetColumn(name: "timestamp", kind: .timestampMillis),
        ParquetColumn(name: "close", kind: .double),
        ParquetColumn(name: "return_10", kind: .double),
        ParquetColumn(name: "volume", kind: .double),
        ParquetColumn(name: "trades", kind: .int64),
    ]

    init(rows: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var ts: [Int64] = [], close: [Double] = [], ret: [Double] = [], volume: [Double] = [], trades: [Int64] = []
        var price = 64_123.5
        for i in 0..<rows {
            ts.append(1_722_470_400_000 + Int64(i) * 1_000)
            price += Double(Int.random(in: -20...20, using: &rng)) * 0.1
            price = (price * 10).rounded() / 10
            close.append(price)
            ret.append(i < 10 ? .nan : Double.random(in: -0.002...0.002, using: &rng))
            let hasTrades = Int.random(in: 0..<10, using: &rng) != 0
            volume.append(hasTrades ? (Double(Int.random(in: 1...50_000, using: &rng)) * 0.001) : .nan)
            trades.append(hasTrades ? Int64.random(in: 1...400, using: &rng) : Int64.min)
        }
        columns = Self.schema
        values = [.int64(ts), .double(close), .double(ret), .double(volume), .int64(trades)]
    }

    var rowCount: Int { values[0].count }

    /// Rows `range` of every column.
    func slice(_ range: Range<Int>) -> [ParquetValues] {
        values.map {
            switch $0 {
            case .int64(let v): .int64(Array(v[range]))
            case .double(let v): .double(Array(v[range]))
            }
        }
    }

    /// The values as the test reader returns them: bit patterns, nil for null.
    var expectedBits: [[UInt64?]] {
        zip(values, columns).map { values, column in
            switch values {
            case .int64(let v): v.map { column.kind == .int64 && $0 == Int64.min ? nil : UInt64(bitPattern: $0) }
            case .double(let v): v.map { $0.isNaN ? nil : $0.bitPattern }
            }
        }
    }
}

/// Writes `batches` (each a list of per-column values) to memory and returns the file.
func writeParquet(
    columns: [ParquetColumn], batches: [[ParquetValues]], rowGroupRows: Int = 1_000, pageRows: Int = 256,
    doubleEncoding: ParquetDoubleEncoding = ParquetFileWriter.defaultDoubleEncoding,
    memoryBudget: Int = 1 << 30, spillDirectory: String = "/tmp", spillPrefix: String = "unused",
    keyValueMetadata: [(String, String)] = [("tickforge.metadata", "{\"k\":1}")]
) throws -> (bytes: [UInt8], writer: ParquetFileWriter) {
    let sink = MemorySink()
    let writer = try ParquetFileWriter(
        sink: sink, columns: columns, keyValueMetadata: keyValueMetadata, rowGroupRows: rowGroupRows, pageRows: pageRows,
        doubleEncoding: doubleEncoding, memoryBudget: memoryBudget, spillDirectory: spillDirectory, spillPrefix: spillPrefix
    )
    for batch in batches { try writer.append(batch) }
    try writer.finish()
    #expect(writer.bytesWritten == Int64(sink.bytes.count))
    return (sink.bytes, writer)
}
