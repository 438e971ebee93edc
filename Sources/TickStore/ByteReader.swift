/// Reads little-endian integers and length-prefixed strings from a range of a byte array,
/// throwing — never trapping — when a field runs past the end of the range.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    let end: Int
    /// Names the structure being read in error messages, e.g. `header`.
    let part: String

    init(_ bytes: [UInt8], range: Range<Int>, part: String) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count)
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
        self.part = part
    }

    var remaining: Int { end - position }

    private mutating func take(_ n: Int, _ field: String) throws(FormatError) -> Int {
        guard n >= 0, n <= remaining else {
            throw FormatError("\(part) ends inside \(field) (needs \(n) bytes, \(remaining) left)")
        }
        defer { position += n }
        return position
    }

    mutating func u8(_ field: String) throws(FormatError) -> UInt8 {
        bytes[try take(1, field)]
    }

    mutating func u32(_ field: String) throws(FormatError) -> UInt32 {
        let p = try take(4, field)
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[p + i]) << (8 * i) }
        return v
    }

    mutating func u64(_ field: String) throws(FormatError) -> UInt64 {
        let p = try take(8, field)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[p + i]) << (8 * i) }
        return v
    }

    mutating func i64(_ field: String) throws(FormatError) -> Int64 {
        Int64(bitPattern: try u64(field))
    }

    /// A u32 count of items that each take at least `minimumItemBytes`: checked against the bytes
    /// left so that a damaged count cannot make the caller reserve absurd amounts of memory.
    mutating func count(_ field: String, minimumItemBytes: Int) throws(FormatError) -> Int {
        let n = Int(try u32(field))
        guard n <= remaining / minimumItemBytes else {
            throw FormatError("\(part): \(field) \(n) cannot fit in the \(remaining) bytes left")
        }
        return n
    }

    /// A u32 byte length, then that many bytes of valid UTF-8.
    mutating func string(_ field: String) throws(FormatError) -> String {
        let length = Int(try u32("\(field) length"))
        let p = try take(length, field)
        guard let s = String(validating: bytes[p..<p + length], as: UTF8.self) else {
            throw FormatError("\(part): \(field) is not valid UTF-8")
        }
        return s
    }
}
