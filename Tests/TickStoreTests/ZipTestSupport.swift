import Foundation
import TickCore
import TickIO

/// One member of a zip written by `makeZip`: stored (method 0) unless `payload` and `method`
/// say otherwise, with the knobs the reader must cope with.
struct TestZipMember {
    var name: String
    /// The member's contents, uncompressed.
    var data: [UInt8]
    /// The bytes written as the member's data; `data` itself when stored.
    var payload: [UInt8]? = nil
    var method: UInt16 = 0
    var flags: UInt16 = 0
    /// A CRC-32 other than the data's, to fake damage.
    var crc: UInt32? = nil
    /// An uncompressed size other than the data's, to fake damage.
    var declaredSize: Int? = nil
    /// Sizes and CRC in a data descriptor after the data, zeros in the local header (flag bit 3),
    /// as streaming writers do.
    var dataDescriptor = false
    /// Sizes and offset as 0xFFFFFFFF with the real values in a Zip64 extra field, as writers do
    /// for members over 4 GiB: the format does not need a large member to say so.
    var zip64 = false
}

/// A zip of `members`, written by hand so that every field is under the test's control.
/// `zip64End` adds the Zip64 end of central directory record and locator.
func makeZip(_ members: [TestZipMember], zip64End: Bool = false) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    func u16(_ v: Int, _ to: inout [UInt8]) { to += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    func u32(_ v: Int, _ to: inout [UInt8]) { for k in 0..<4 { to.append(UInt8((v >> (8 * k)) & 0xFF)) } }
    func u64(_ v: Int, _ to: inout [UInt8]) { for k in 0..<8 { to.append(UInt8((v >> (8 * k)) & 0xFF)) } }
    for m in members {
        let payload = m.payload ?? m.data
        let crc = Int(m.crc ?? Checksum.crc32(m.data))
        let size = m.declaredSize ?? m.data.count
        let offset = out.count
        let name = Array(m.name.utf8)
        let flags = Int(m.flags) | (m.dataDescriptor ? 8 : 0)
        // Local header.
        var extra: [UInt8] = []
        if m.zip64 { u16(1, &extra); u16(16, &extra); u64(m.dataDescriptor ? 0 : size, &extra); u64(m.dataDescriptor ? 0 : payload.count, &extra) }
        u32(0x0403_4B50, &out); u16(m.zip64 ? 45 : 20, &out); u16(flags, &out); u16(Int(m.method), &out)
        u16(0, &out); u16(0x21, &out)
        if m.dataDescriptor { u32(0, &out); u32(m.zip64 ? 0xFFFF_FFFF : 0, &out); u32(m.zip64 ? 0xFFFF_FFFF : 0, &out) }
        else if m.zip64 { u32(crc, &out); u32(0xFFFF_FFFF, &out); u32(0xFFFF_FFFF, &out) }
        else { u32(crc, &out); u32(payload.count, &out); u32(size, &out) }
        u16(name.count, &out); u16(extra.count, &out)
        out += name + extra + payload
        if m.dataDescriptor {
            u32(0x0807_4B50, &out); u32(crc, &out)
            if m.zip64 { u64(payload.count, &out); u64(size, &out) } else { u32(payload.count, &out); u32(size, &out) }
        }
        // Central directory entry.
        var centralExtra: [UInt8] = []
        if m.zip64 { u16(1, &centralExtra); u16(24, &centralExtra); u64(size, &centralExtra); u64(payload.count, &centralExtra); u64(offset, &centralExtra) }
        u32(0x0201_4B50, &central); u16(0x031E, &central); u16(m.zip64 ? 45 : 20, &central); u16(flags, &central)
        u16(Int(m.method), &central); u16(0, &central); u16(0x21, &central); u32(crc, &central)
        u32(m.zip64 ? 0xFFFF_FFFF : payload.count, &central); u32(m.zip64 ? 0xFFFF_FFFF : size, &central)
        u16(name.count, &central); u16(centralExtra.count, &central); u16(0, &central); u16(0, &central); u16(0, &central)
        u32(0, &central); u32(m.zip64 ? 0xFFFF_FFFF : offset, &central)
        central += name + centralExtra
    }
    let centralOffset = out.count
    out += central
    if zip64End {
        let recordOffset = out.count
        u32(0x0606_4B50, &out); u64(44, &out); u16(0x031E, &out); u16(45, &out); u32(0, &out); u32(0, &out)
        u64(members.count, &out); u64(members.count, &out); u64(central.count, &out); u64(centralOffset, &out)
        u32(0x0706_4B50, &out); u32(0, &out); u64(recordOffset, &out); u32(1, &out)
    }
    u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out)
    u16(zip64End ? 0xFFFF : members.count, &out); u16(zip64End ? 0xFFFF : members.count, &out)
    u32(zip64End ? 0xFFFF_FFFF : central.count, &out); u32(zip64End ? 0xFFFF_FFFF : centralOffset, &out); u16(0, &out)
    return out
}

/// Runs a Python 3 program (always present where the tests run; the stdlib's zipfile and gzip
/// make the deflated files, which the test target cannot make without zlib) with `arguments`.
func runPython(_ program: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", program] + arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TickError.invalidArgument("python3 failed (\(process.terminationStatus))") }
}

/// A deflated one-member zip of `data` named `name`, made by Python's zipfile; with
/// `streamed`, written to an unseekable stream so that zipfile uses a data descriptor.
func pythonZip(at path: String, name: String, data: [UInt8], streamed: Bool = false) throws {
    let source = path + ".member"
    try writeFile(source, data)
    defer { Syscall.unlinkIfPresent(source) }
    try runPython("""
    import sys, zipfile
    out, name, src = sys.argv[1], sys.argv[2], sys.argv[3]
    data = open(src, 'rb').read()
    class Unseekable:
        def __init__(self, f): self.f = f
        def write(self, b): return self.f.write(b)
        def flush(self): self.f.flush()
    with open(out, 'wb') as f:
        target = Unseekable(f) if sys.argv[4] == '1' else f
        with zipfile.ZipFile(target, 'w', compression=zipfile.ZIP_DEFLATED) as z:
            with z.open(name, 'w') as m:
                m.write(data)
    """, [path, name, source, streamed ? "1" : "0"])
}

/// `data` gzipped by Python's gzip module.
func pythonGzip(at path: String, data: [UInt8]) throws {
    let source = path + ".plain"
    try writeFile(source, data)
    defer { Syscall.unlinkIfPresent(source) }
    try runPython("import sys, gzip; open(sys.argv[1], 'wb').write(gzip.compress(open(sys.argv[2], 'rb').read()))", [path, source])
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    Syscall.unlinkIfPresent(path)
    let file = try OwnedFile(path: path, flags: O_WRONLY | O_CREAT | O_TRUNC)
    try bytes.withUnsafeBytes { try Syscall.writeAll(file.fd, $0, path: path) }
}

func writeText(_ path: String, _ text: String) throws { try writeFile(path, Array(text.utf8)) }

/// Everything `source` yields, read `chunk` bytes at a time (small chunks exercise the loops).
func readAll(_ source: ByteSource, chunk: Int = 1 << 16) throws -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: chunk)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { return out }
        out += buffer[0..<n]
    }
}

/// CSV-like text of about `bytes` bytes, varied enough that deflate works for its living.
func csvText(bytes: Int, seed: UInt64 = 7) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    var out: [UInt8] = []
    out.reserveCapacity(bytes + 100)
    var id = 1_000_000
    var time = 1_723_161_256_322
    while out.count < bytes {
        id += 1
        time += Int(rng.next() % 50)
        let price = 60_000 + Int(rng.next() % 2_000)
        out += Array("\(id),\(price).\(rng.next() % 100),0.\(rng.next() % 100_000),\(time),\(rng.next() % 2 == 0 ? "true" : "false")\n".utf8)
    }
    return out
}
