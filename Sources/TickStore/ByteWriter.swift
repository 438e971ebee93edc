import TickIO

/// Appends little-endian integers and length-prefixed strings to a byte array.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    var count: Int { bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u32(_ v: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> shift)) }
    }

    mutating func u64(_ v: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> shift)) }
    }

    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    /// u32 byte length, then the UTF-8 bytes (no terminator).
    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// CRC-32 of the bytes from `start` to the current end.
    func crc32(from start: Int) -> UInt32 {
        bytes.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }
}
