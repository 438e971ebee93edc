import TickCore

/// Where a zip's one member lies and what it should decompress to, read from the zip's central
/// directory (APPNOTE.TXT 4.3). The central directory, not the member's local header, is the
/// source of truth for sizes and CRC: writers that stream (data descriptors, general-purpose
/// flag bit 3) put zeros in the local header, and Zip64 puts 0xFFFFFFFF there.
struct ZipMember: Equatable {
    var name: String
    /// 0 stored, 8 deflate: the only methods read.
    var method: UInt16
    var crc32: UInt32
    var compressedSize: Int64
    var uncompressedSize: Int64
    /// Offset in the file of the member's first data byte (past its local header).
    var dataOffset: Int64
}

/// Reads a zip's directory from its end with positional reads (the file position, which the
/// streaming read uses, does not move). Only single-disk zips of exactly one file are accepted:
/// that is what data.binance.vision publishes, and streaming one member needs no choice of
/// which.
enum ZipDirectory {
    /// The member of the zip at `path` (open as `fd`, `fileSize` bytes long).
    static func member(fd: Int32, path: String, fileSize: Int64) throws -> ZipMember {
        let reader = PositionalReader(fd: fd, path: path, fileSize: fileSize)
        let end = try findEnd(reader)
        let entries = try readEntries(reader, end: end)
        // Folders, and the resource forks macOS's Finder adds (`__MACOSX/…/._NAME`), are not data.
        let files = entries.filter { entry in
            !entry.name.hasSuffix("/") && !entry.name.hasPrefix("__MACOSX/") && !(entry.name.split(separator: "/").last?.hasPrefix("._") ?? false)
        }
        guard files.count == 1, let entry = files.first else {
            if files.isEmpty {
                throw TickError.unreadable(path: path, reason: "is a zip that holds no file; tickforge reads zips of one CSV, as Binance publishes them")
            }
            let shown = files.prefix(5).map(\.name).joined(separator: ", ") + (files.count > 5 ? ", …" : "")
            let count = entries.count == end.entryCount ? Int64(files.count) : end.entryCount
            throw TickError.unreadable(path: path, reason: "is a zip that holds \(count) files (\(shown)); tickforge reads zips of one CSV, as Binance publishes them: extract the files (`unzip \(path)`) and pass each, or stream one (`unzip -p \(path) NAME | tickforge … -`)")
        }
        if entry.flags & 1 != 0 {
            throw TickError.unreadable(path: path, reason: "is an encrypted (password-protected) zip, which tickforge does not read: stream it with `unzip -p \(path) | tickforge … -`")
        }
        guard entry.method == 0 || entry.method == 8 else {
            throw TickError.unreadable(path: path, reason: "holds \(entry.name) compressed with \(methodName(entry.method)) (zip method \(entry.method)); tickforge reads zips whose member is deflated or stored, as Binance publishes them: stream it with `unzip -p \(path) | tickforge … -`")
        }
        // The local header: its name and extra field lengths may differ from the central ones.
        let local = try reader.bytes(at: entry.localHeaderOffset, count: 30, what: "the local header of \(entry.name)")
        guard local.u32(0) == 0x0403_4B50 else {
            throw TickError.unreadable(path: path, reason: "is a damaged zip: the central directory points at byte \(entry.localHeaderOffset) for \(entry.name), where there is no local file header (a corrupt or incompletely copied file)")
        }
        let dataOffset = entry.localHeaderOffset + 30 + Int64(local.u16(26)) + Int64(local.u16(28))
        guard dataOffset + entry.compressedSize <= end.directoryOffset else {
            throw TickError.unreadable(path: path, reason: "is a damaged zip: \(entry.name)'s \(entry.compressedSize) compressed bytes at byte \(dataOffset) run past the central directory at byte \(end.directoryOffset) (a corrupt or incompletely copied file)")
        }
        return ZipMember(name: entry.name, method: entry.method, crc32: entry.crc32, compressedSize: entry.compressedSize,
                         uncompressedSize: entry.uncompressedSize, dataOffset: dataOffset)
    }

    /// One central directory entry, sizes and offset already widened by its Zip64 extra field.
    struct Entry {
        var name: String
        var flags: UInt16
        var method: UInt16
        var crc32: UInt32
        var compressedSize: Int64
        var uncompressedSize: Int64
        var localHeaderOffset: Int64
    }

    /// What the end of central directory record (and its Zip64 twin) says.
    struct End {
        var entryCount: Int64
        var directoryOffset: Int64
        var directorySize: Int64
        /// Where the directory must end: the Zip64 record or the classic one, whichever comes first.
        var directoryLimit: Int64
    }

    static func truncated(_ path: String, _ detail: String) -> TickError {
        .unreadable(path: path, reason: "is truncated or not a complete zip (\(detail)); a partly downloaded file? Download it again")
    }

    private static func findEnd(_ reader: PositionalReader) throws -> End {
        let path = reader.path
        // The record is 22 bytes plus a comment of at most 65535: search that much of the tail,
        // from the end, for the signature of a record whose comment reaches the end of the file.
        let tailLength = min(reader.fileSize, 22 + 65535)
        guard tailLength >= 22 else { throw truncated(path, "\(reader.fileSize) bytes, too short for a zip's directory") }
        let tailStart = reader.fileSize - tailLength
        let tail = try reader.bytes(at: tailStart, count: Int(tailLength), what: "the end of the zip")
        var found: Int?
        var candidate = tail.count - 22
        while candidate >= 0 {
            if tail.u32(candidate) == 0x0605_4B50 {
                let commentLength = Int(tail.u16(candidate + 20))
                if candidate + 22 + commentLength == tail.count { found = candidate; break }
                // Trailing bytes after the comment: keep it as a fallback, prefer an exact one.
                if found == nil && candidate + 22 + commentLength <= tail.count { found = candidate }
            }
            candidate -= 1
        }
        guard let at = found else { throw truncated(path, "no end of central directory record") }
        let recordOffset = tailStart + Int64(at)
        let disk = tail.u16(at + 4), directoryDisk = tail.u16(at + 6)
        var end = End(entryCount: Int64(tail.u16(at + 10)), directoryOffset: Int64(tail.u32(at + 16)),
                      directorySize: Int64(tail.u32(at + 12)), directoryLimit: recordOffset)
        // Zip64: a locator just before the classic record points at the Zip64 record, whose
        // 64-bit counts replace the classic ones (which hold 0xFFFF/0xFFFFFFFF then).
        let locator = recordOffset >= 20 ? try reader.bytes(at: recordOffset - 20, count: 20, what: "the Zip64 locator") : []
        if !locator.isEmpty && locator.u32(0) == 0x0706_4B50 {
            let recordAt = Int64(bitPattern: locator.u64(8))
            guard recordAt >= 0, recordAt + 56 <= recordOffset - 20 else { throw truncated(path, "the Zip64 locator points outside the file") }
            let record = try reader.bytes(at: recordAt, count: 56, what: "the Zip64 end of central directory record")
            guard record.u32(0) == 0x0606_4B50 else { throw truncated(path, "no Zip64 end of central directory record where the locator points") }
            guard record.u32(16) == 0, record.u32(20) == 0 else { throw splitZip(path) }
            end = End(entryCount: Int64(bitPattern: record.u64(32)), directoryOffset: Int64(bitPattern: record.u64(48)),
                      directorySize: Int64(bitPattern: record.u64(40)), directoryLimit: recordAt)
        } else if disk != 0 || directoryDisk != 0 {
            throw splitZip(path)
        }
        guard end.directoryOffset >= 0, end.directorySize >= 0, end.entryCount >= 0,
              end.directoryOffset + end.directorySize <= end.directoryLimit else {
            throw truncated(path, "the central directory lies outside the file")
        }
        return end
    }

    private static func splitZip(_ path: String) -> TickError {
        .unreadable(path: path, reason: "is one part of a split (multi-volume) zip, which tickforge does not read: join the parts (`zip -s 0 \(path) --out whole.zip`)")
    }

    /// The directory's entries, at most a few thousand: a directory larger than 4 MiB is not one
    /// CSV, and listing a few of its names is enough to say so.
    private static func readEntries(_ reader: PositionalReader, end: End) throws -> [Entry] {
        let path = reader.path
        let bytes = try reader.bytes(at: end.directoryOffset, count: Int(min(end.directorySize, 4 << 20)), what: "the central directory")
        var entries: [Entry] = []
        var at = 0
        while entries.count < end.entryCount && at + 46 <= bytes.count {
            guard bytes.u32(at) == 0x0201_4B50 else {
                throw TickError.unreadable(path: path, reason: "is a damaged zip: its central directory is not where the end record says (a corrupt or incompletely copied file)")
            }
            let nameLength = Int(bytes.u16(at + 28)), extraLength = Int(bytes.u16(at + 30)), commentLength = Int(bytes.u16(at + 32))
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= bytes.count else { break }
            var entry = Entry(
                name: String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self),
                flags: bytes.u16(at + 8), method: bytes.u16(at + 10), crc32: bytes.u32(at + 16),
                compressedSize: Int64(bytes.u32(at + 20)), uncompressedSize: Int64(bytes.u32(at + 24)),
                localHeaderOffset: Int64(bytes.u32(at + 42)))
            let diskStart = bytes.u16(at + 34)
            try widenZip64(&entry, diskStart: diskStart, extra: Array(bytes[(at + 46 + nameLength)..<(at + 46 + nameLength + extraLength)]), path: path)
            entries.append(entry)
            at = next
        }
        if entries.count < end.entryCount && end.directorySize <= 4 << 20 {
            throw truncated(path, "the central directory lists \(entries.count) of its \(end.entryCount) entries")
        }
        return entries
    }

    /// Replaces the 32-bit fields that hold 0xFFFFFFFF by the Zip64 extra field's (header 0x0001)
    /// 64-bit values, which appear in a fixed order, each only when its 32-bit field is full.
    private static func widenZip64(_ entry: inout Entry, diskStart: UInt16, extra: [UInt8], path: String) throws {
        let needsUncompressed = entry.uncompressedSize == 0xFFFF_FFFF
        let needsCompressed = entry.compressedSize == 0xFFFF_FFFF
        let needsOffset = entry.localHeaderOffset == 0xFFFF_FFFF
        var at = 0
        while at + 4 <= extra.count {
            let id = extra.u16(at), size = Int(extra.u16(at + 2))
            guard at + 4 + size <= extra.count else { break }
            if id == 0x0001 {
                var field = at + 4
                func next64() throws -> Int64 {
                    guard field + 8 <= at + 4 + size else {
                        throw TickError.unreadable(path: path, reason: "is a damaged zip: the Zip64 sizes of \(entry.name) are missing (a corrupt file)")
                    }
                    defer { field += 8 }
                    return Int64(bitPattern: extra.u64(field))
                }
                if needsUncompressed { entry.uncompressedSize = try next64() }
                if needsCompressed { entry.compressedSize = try next64() }
                if needsOffset { entry.localHeaderOffset = try next64() }
                if diskStart == 0xFFFF, field + 4 <= at + 4 + size, extra.u32(field) != 0 { throw splitZip(path) }
                break
            }
            at += 4 + size
        }
        if entry.compressedSize < 0 || entry.uncompressedSize < 0 || entry.localHeaderOffset < 0 {
            throw TickError.unreadable(path: path, reason: "is a damaged zip: the sizes of \(entry.name) are out of range (a corrupt file)")
        }
        if diskStart != 0 && diskStart != 0xFFFF { throw splitZip(path) }
    }

    static func methodName(_ method: UInt16) -> String {
        switch method {
        case 1...6: return "a legacy method (shrink/reduce/implode)"
        case 9: return "Deflate64"
        case 12: return "bzip2"
        case 14: return "LZMA"
        case 93: return "zstd"
        case 95: return "xz"
        case 98: return "PPMd"
        case 99: return "AES encryption"
        default: return "an unknown method"
        }
    }
}

/// `pread` of exact ranges of a file whose size is known, with a truncation error for ranges
/// past the end.
private struct PositionalReader {
    let fd: Int32
    let path: String
    let fileSize: Int64

    func bytes(at offset: Int64, count: Int, what: String) throws -> [UInt8] {
        guard offset >= 0, offset + Int64(count) <= fileSize else {
            throw ZipDirectory.truncated(path, "\(what) would lie past the end of the file at byte \(fileSize)")
        }
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = try out.withUnsafeMutableBytes {
                try Syscall.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: $0[got...]), offset: offset + Int64(got), path: path)
            }
            if n == 0 { throw ZipDirectory.truncated(path, "the file ends while reading \(what)") }
            got += n
        }
        return out
    }
}

/// Little-endian integers at byte offsets, as every zip field is.
private extension Array where Element == UInt8 {
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
}
