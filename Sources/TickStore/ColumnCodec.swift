/// A column after its type encoding, ready for zstd.
struct EncodedColumn {
    var type: ColumnType
    var encoding: ColumnEncoding
    var bytes: [UInt8]
}

/// Turns column payloads into encoded bytes and back, choosing the encoding per column.
/// The pointer work lives in `Int64StreamCodec`, `ByteStreamSplit` and `BitPacking`.
enum ColumnCodec {
    // MARK: Encoding

    static func encode(_ payload: ColumnPayload) -> EncodedColumn {
        switch payload {
        case .int64(let values):
            return values.withUnsafeBufferPointer { v in
                var encoding = Int64StreamEncoding.plain
                let bytes = writtenBytes(capacity: Int64StreamCodec.maximumSize(count: v.count)) { out in
                    let stream = Int64StreamCodec.encode(v, into: out)
                    encoding = stream.encoding
                    return stream.size
                }
                return EncodedColumn(type: .int64, encoding: .int64(encoding), bytes: bytes)
            }

        case .int128(let values):
            // Sums are usually far below 2⁶³: the high halves are all 0 (or −1) and delta-encode
            // to one byte each, the low halves behave like any Int64 column.
            let high = values.map { Int64(truncatingIfNeeded: $0 >> 64) }
            let low = values.map { Int64(truncatingIfNeeded: $0) }
            return high.withUnsafeBufferPointer { h in
                low.withUnsafeBufferPointer { l in
                    var encodings = (high: Int64StreamEncoding.plain, low: Int64StreamEncoding.plain)
                    let bytes = writtenBytes(capacity: 2 * Int64StreamCodec.maximumSize(count: values.count)) { out in
                        let highStream = Int64StreamCodec.encode(h, into: out)
                        let lowStream = Int64StreamCodec.encode(l, into: UnsafeMutableRawBufferPointer(rebasing: out[highStream.size...]))
                        encodings = (highStream.encoding, lowStream.encoding)
                        return highStream.size + lowStream.size
                    }
                    return EncodedColumn(type: .int128, encoding: .int128Split(high: encodings.high, low: encodings.low),
                                         bytes: bytes)
                }
            }

        case .float64(let values):
            let bytes = values.withUnsafeBufferPointer { v in
                filledBytes(count: 8 * v.count) { ByteStreamSplit.encode(v, into: $0); return 8 * v.count }
            }
            return EncodedColumn(type: .float64, encoding: .byteStreamSplit, bytes: bytes)

        case .uint8(let values):
            return values.withUnsafeBufferPointer { v in
                guard BitPacking.isBinary(v) else {
                    return EncodedColumn(type: .uint8, encoding: .uint8Plain, bytes: values)
                }
                let size = (v.count + 7) / 8
                let bytes = filledBytes(count: size) { BitPacking.encode(v, into: $0); return size }
                return EncodedColumn(type: .uint8, encoding: .bitPacked, bytes: bytes)
            }
        }
    }

    /// The bytes `fill` writes into room for `capacity` and says it wrote (pages it does not
    /// touch are never made resident).
    private static func writtenBytes(capacity: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            initialized = fill(UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// An array of exactly `count` bytes written by `fill`, which returns how many it wrote.
    private static func filledBytes(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Int) -> [UInt8] {
        let bytes = writtenBytes(capacity: count, fill)
        precondition(bytes.count == count, "encoder wrote \(bytes.count) bytes, planned \(count)")
        return bytes
    }

    // MARK: Decoding

    /// Decodes exactly `count` values; the bytes must be used up exactly.
    static func decode(_ bytes: UnsafeRawBufferPointer, type: ColumnType, encoding: ColumnEncoding,
                       count: Int) throws(FormatError) -> ColumnPayload {
        switch (type, encoding) {
        case let (.int64, .int64(streamEncoding)):
            let values: [Int64] = try makeArray(count: count) { (out) throws(FormatError) in
                let used = try Int64StreamCodec.decode(bytes, as: streamEncoding, into: out)
                try expectAllUsed(used, of: bytes.count, values: count)
            }
            return .int64(values)

        case let (.int128, .int128Split(highEncoding, lowEncoding)):
            var used = 0
            let high: [Int64] = try makeArray(count: count) { (out) throws(FormatError) in
                used = try Int64StreamCodec.decode(bytes, as: highEncoding, into: out)
            }
            let rest = UnsafeRawBufferPointer(rebasing: bytes[used...])
            let low: [Int64] = try makeArray(count: count) { (out) throws(FormatError) in
                let lowUsed = try Int64StreamCodec.decode(rest, as: lowEncoding, into: out)
                try expectAllUsed(used + lowUsed, of: bytes.count, values: count)
            }
            var values = [Int128]()
            values.reserveCapacity(count)
            for i in 0..<count {
                values.append(Int128(high[i]) << 64 | Int128(UInt64(bitPattern: low[i])))
            }
            return .int128(values)

        case (.float64, .byteStreamSplit):
            let values: [Double] = try makeArray(count: count) { (out) throws(FormatError) in
                try ByteStreamSplit.decode(bytes, into: out)
            }
            return .float64(values)

        case (.uint8, .bitPacked):
            let values: [UInt8] = try makeArray(count: count) { (out) throws(FormatError) in
                try BitPacking.decode(bytes, into: out)
            }
            return .uint8(values)

        case (.uint8, .uint8Plain):
            guard bytes.count == count else {
                throw FormatError("plain uint8 data is \(bytes.count) bytes, expected \(count)")
            }
            return .uint8(Array(bytes))

        default:
            throw FormatError("encoding \(encoding.name) is not defined for type \(type.name)")
        }
    }

    private static func expectAllUsed(_ used: Int, of total: Int, values: Int) throws(FormatError) {
        guard used == total else {
            throw FormatError("\(total - used) bytes left over after \(values) values (row count mismatch)")
        }
    }

    /// An array of `count` values written by `fill`; nothing is kept if `fill` throws.
    private static func makeArray<T: BitwiseCopyable>(
        count: Int, _ fill: (UnsafeMutableBufferPointer<T>) throws(FormatError) -> Void
    ) throws(FormatError) -> [T] {
        var failure: FormatError?
        let array = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(FormatError) {
                try fill(buffer)
                initialized = count
            } catch {
                failure = error
                initialized = 0  // trivial values: nothing to deinitialize
            }
        }
        if let failure { throw failure }
        return array
    }
}
