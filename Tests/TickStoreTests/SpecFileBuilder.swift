import TickIO

/// An independent writer of the layout in docs/PARTITION-FORMAT.md, written from the document
/// rather than from TickStore's code. Tests use it to check that the document and the
/// implementation agree, and to build files a correct writer would never produce.
struct SpecFileBuilder {
    struct Column {
        var name: String
        var type: UInt8       // 1 int64, 2 int128, 3 float64, 4 uint8
        var encoding: UInt8
        var encoded: [UInt8]  // bytes after the type encoding, before zstd
    }

    var rowCount: UInt64
    var minTime: Int64 = 0
    var maxTime: Int64 = 0
    var kind = "trades"
    var metadata: [(String, String)] = []
    var columns: [Column] = []
    var version: UInt32 = 1
    /// Footer entries to write; nil: one per column.
    var footerColumnLimit: Int?

    func build(level: Int32 = 3) throws -> [UInt8] {
        var header: [UInt8] = []
        header.le(rowCount); header.le(UInt64(bitPattern: minTime)); header.le(UInt64(bitPattern: maxTime))
        header.str(kind)
        header.le(UInt32(metadata.count))
        for (k, v) in metadata { header.str(k); header.str(v) }
        header.le(UInt32(columns.count))
        for c in columns { header.str(c.name); header.append(c.type); header.append(c.encoding) }

        var file = Array("TFPARTHD".utf8)
        file.le(version)
        file.le(UInt32(header.count))
        file += header
        file.le(Checksum.crc32(Array(file[8...])))

        let compressor = Zstd.Compressor(level: level)
        var entries: [(UInt64, UInt64, UInt64, UInt32)] = []
        for c in columns {
            let frame = try compressor.compress(c.encoded)
            entries.append((UInt64(file.count), UInt64(frame.count), UInt64(c.encoded.count), Checksum.crc32(frame)))
            file += frame
        }
        let footerOffset = file.count
        var footer: [UInt8] = []
        let listed = entries.prefix(footerColumnLimit ?? entries.count)
        footer.le(UInt32(listed.count))
        for e in listed { footer.le(e.0); footer.le(e.1); footer.le(e.2); footer.le(e.3) }
        file += footer
        file.le(Checksum.crc32(footer))
        file.le(UInt64(footerOffset))
        file.le(UInt32(footer.count))
        file += Array("TFPARTFT".utf8)
        return file
    }
}

extension [UInt8] {
    mutating func le(_ v: UInt32) { for i in 0..<4 { append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func le(_ v: UInt64) { for i in 0..<8 { append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
    mutating func str(_ s: String) { le(UInt32(s.utf8.count)); append(contentsOf: s.utf8) }

    func u32(at p: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(self[p + $1]) << (8 * $1) } }
    func u64(at p: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(self[p + $1]) << (8 * $1) } }
    mutating func setU32(_ v: UInt32, at p: Int) { for i in 0..<4 { self[p + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
}

/// Where things are in a valid file, read the way the document says to.
struct FileMap {
    let headerLength: Int
    let dataStart: Int
    let footerOffset: Int
    let footerLength: Int
    let frameOffsets: [Int]
    let frameSizes: [Int]

    init(_ file: [UInt8]) {
        headerLength = Int(file.u32(at: 12))
        dataStart = 16 + headerLength + 4
        let footer = Int(file.u64(at: file.count - 20))
        footerOffset = footer
        footerLength = Int(file.u32(at: file.count - 12))
        let count = Int(file.u32(at: footer))
        frameOffsets = (0..<count).map { Int(file.u64(at: footer + 4 + 28 * $0)) }
        frameSizes = (0..<count).map { Int(file.u64(at: footer + 4 + 28 * $0 + 8)) }
    }
}
