/// The value type of a column, as stored in the schema (one byte).
enum ColumnType: UInt8, Sendable, CaseIterable {
    case int64 = 1
    case int128 = 2
    case float64 = 3
    case uint8 = 4

    var name: String {
        switch self {
        case .int64: return "int64"
        case .int128: return "int128"
        case .float64: return "float64"
        case .uint8: return "uint8"
        }
    }

    /// Bytes per value before encoding.
    var width: Int {
        switch self {
        case .int64, .float64: return 8
        case .int128: return 16
        case .uint8: return 1
        }
    }

    init(of payload: ColumnPayload) {
        switch payload {
        case .int64: self = .int64
        case .int128: self = .int128
        case .float64: self = .float64
        case .uint8: self = .uint8
        }
    }
}

/// How one stream of Int64 values is laid out (also each half of an Int128 column).
enum Int64StreamEncoding: UInt8, Sendable, CaseIterable {
    /// 8 bytes little-endian per value.
    case plain = 0
    /// A u64 divisor d, then each value / d as zigzag LEB128.
    case varint = 1
    /// A u64 divisor d, then each difference from the previous value (the first from 0,
    /// wrapping) / d as zigzag LEB128.
    case deltaVarint = 2

    var name: String {
        switch self {
        case .plain: return "plain"
        case .varint: return "varint"
        case .deltaVarint: return "delta-varint"
        }
    }

    /// The smallest and largest encoded size of `count` values.
    func sizeRange(count: Int) -> ClosedRange<Int> {
        switch self {
        case .plain: return 8 * count...8 * count
        case .varint, .deltaVarint: return Int64StreamCodec.divisorBytes + count...Int64StreamCodec.divisorBytes + 10 * count
        }
    }
}

/// A column's encoding as recorded in the schema byte. Which codes are valid depends on the type:
///
/// | type    | code                    | encoding                                     |
/// |---------|-------------------------|----------------------------------------------|
/// | int64   | 0, 1, 2                 | an `Int64StreamEncoding`                      |
/// | int128  | `high << 4 \| low`      | two Int64 streams, each 0, 1 or 2             |
/// | float64 | 3                       | byte-stream-split                             |
/// | uint8   | 0 or 4                  | plain or bit-packed                           |
enum ColumnEncoding: Equatable, Sendable {
    case int64(Int64StreamEncoding)
    case int128Split(high: Int64StreamEncoding, low: Int64StreamEncoding)
    case byteStreamSplit
    case uint8Plain
    case bitPacked

    static let byteStreamSplitCode: UInt8 = 3
    static let bitPackedCode: UInt8 = 4

    /// The schema byte.
    var code: UInt8 {
        switch self {
        case .int64(let e): return e.rawValue
        case let .int128Split(high, low): return high.rawValue << 4 | low.rawValue
        case .byteStreamSplit: return Self.byteStreamSplitCode
        case .uint8Plain: return 0
        case .bitPacked: return Self.bitPackedCode
        }
    }

    /// Reads a schema byte; nil when `code` is not defined for `type`.
    init?(code: UInt8, type: ColumnType) {
        switch type {
        case .int64:
            guard let e = Int64StreamEncoding(rawValue: code) else { return nil }
            self = .int64(e)
        case .int128:
            guard let high = Int64StreamEncoding(rawValue: code >> 4),
                  let low = Int64StreamEncoding(rawValue: code & 0x0F) else { return nil }
            self = .int128Split(high: high, low: low)
        case .float64:
            guard code == Self.byteStreamSplitCode else { return nil }
            self = .byteStreamSplit
        case .uint8:
            switch code {
            case 0: self = .uint8Plain
            case Self.bitPackedCode: self = .bitPacked
            default: return nil
            }
        }
    }

    var name: String {
        switch self {
        case .int64(let e): return e.name
        case let .int128Split(high, low): return "split(\(high.name)/\(low.name))"
        case .byteStreamSplit: return "byte-stream-split"
        case .uint8Plain: return "plain"
        case .bitPacked: return "bit-packed"
        }
    }

    /// The sizes the encoded bytes of `count` values can have; anything else is damage.
    func encodedSizeRange(count: Int) -> ClosedRange<Int> {
        switch self {
        case .int64(let e):
            return e.sizeRange(count: count)
        case let .int128Split(high, low):
            let h = high.sizeRange(count: count), l = low.sizeRange(count: count)
            return (h.lowerBound + l.lowerBound)...(h.upperBound + l.upperBound)
        case .byteStreamSplit:
            return 8 * count...8 * count
        case .uint8Plain:
            return count...count
        case .bitPacked:
            let n = (count + 7) / 8
            return n...n
        }
    }
}
