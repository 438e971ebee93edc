import Foundation
import Testing
import TickCore
@testable import TickIO

/// ByteSource's zip container, checksum sidecars, the containers it refuses and standard input.
@Suite struct ZipSourceTests {
    let text = csvText(bytes: 300_000)

    // MARK: Zips that read

    @Test func storedZipReadsBackExactly() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let path = dir + "/t.zip"
        try writeFile(path, makeZip([TestZipMember(name: "t.csv", data: text)]))
        let source = try ByteSource(path: path)
        #expect(source.compression == .zip)
        #expect(source.checksum == .noSidecar)
        #expect(!source.isPipe)
        #expect(try readAll(source, chunk: 4096) == text)
        // Progress: past the member's data, within the file.
        #expect(source.fileBytesRead >= Int64(text.count) && source.fileBytesRead <= source.fileSize)
    }

    @Test func deflatedZipReadsBackExactly() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let path = dir + "/t.zip"
        // Over 1 MiB compressed would take long to make: 3 MB of text crosses the output
        // buffers many times and the input buffer at least once at small chunk sizes.
        let big = csvText(bytes: 3_000_000, seed: 3)
        try pythonZip(at: path, name: "BTCUSDT-trades-2024-08-08.csv", data: big)
        let source = try ByteSource(path: path)
        #expect(source.compression == .zip)
        #expect(try readAll(source, chunk: 10_000) == big)
        #expect(source.fileBytesRead < Int64(big.count) / 2, "progress counts compressed bytes")
    }

    @Test func dataDescriptorsAreRead() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        // Stored, by hand: zeros in the local header, the sizes after the data.
        let stored = dir + "/stored.zip"
        try writeFile(stored, makeZip([TestZipMember(name: "t.csv", data: text, dataDescriptor: true)]))
        #expect(try readAll(ByteSource(path: stored)) == text)
        // Deflated, by a streaming writer (Python's zipfile on an unseekable file).
        let deflated = dir + "/deflated.zip"
        try pythonZip(at: deflated, name: "t.csv", data: text, streamed: true)
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: deflated)))
        #expect(bytes[6] & 8 != 0, "the writer used a data descriptor (flag bit 3)")
        #expect(try readAll(ByteSource(path: deflated)) == text)
    }

    @Test func zip64FieldsAreRead() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        for (name, member, end) in [
            ("extra", TestZipMember(name: "t.csv", data: text, zip64: true), false),
            ("end", TestZipMember(name: "t.csv", data: text), true),
            ("both", TestZipMember(name: "t.csv", data: text, zip64: true), true),
            ("descriptor", TestZipMember(name: "t.csv", data: text, dataDescriptor: true, zip64: true), true),
        ] {
            let path = dir + "/\(name).zip"
            let zip = makeZip([member], zip64End: end)
            try writeFile(path, zip)
            #expect(try readAll(ByteSource(path: path)) == text, "\(name)")
            // The classic fields really are the 0xFFFFFFFF markers (the test would prove
            // nothing if the 32-bit values were there too).
            if member.zip64 { #expect(zip[18..<26].allSatisfy { $0 == 0xFF }, "\(name)") }
        }
    }

    @Test func aDirectoryEntryBesideTheFileIsIgnored() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let path = dir + "/t.zip"
        try writeFile(path, makeZip([TestZipMember(name: "data/", data: []), TestZipMember(name: "data/t.csv", data: text)]))
        #expect(try readAll(ByteSource(path: path)) == text)
    }

    @Test func skipGivesTheSameBytesAsReadingThrough() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let stored = dir + "/stored.zip", deflated = dir + "/deflated.zip"
        try writeFile(stored, makeZip([TestZipMember(name: "t.csv", data: text)]))
        try pythonZip(at: deflated, name: "t.csv", data: text)
        for path in [stored, deflated] {
            for offset in [1, 4095, 65_536, 123_457, text.count - 1, text.count] {
                let source = try ByteSource(path: path)
                try source.skip(to: Int64(offset))
                #expect(try readAll(source, chunk: 7_000) == Array(text[offset...]), "\(path) from \(offset)")
            }
            let source = try ByteSource(path: path)
            #expect(throws: TickError.self) { try source.skip(to: Int64(text.count + 1)) }
        }
    }

    // MARK: Zips that do not read

    @Test func severalFilesAreAnErrorListingThem() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let path = dir + "/x.zip"
        try writeFile(path, makeZip(["a.csv", "b.csv", "c.csv"].map { TestZipMember(name: $0, data: Array("x\n".utf8)) }))
        let reason = unreadableReason(path: path) { _ = try ByteSource(path: path) }
        #expect(isProperReason(reason))
        #expect(reason?.contains("holds 3 files (a.csv, b.csv, c.csv)") == true, "\(reason ?? "")")
        #expect(reason?.contains("unzip") == true)
    }

    @Test func anEmptyZipIsAnError() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        for (name, zip) in [("empty", makeZip([])), ("dir-only", makeZip([TestZipMember(name: "d/", data: [])]))] {
            let path = dir + "/\(name).zip"
            try writeFile(path, zip)
            let reason = unreadableReason(path: path) { _ = try readAll(ByteSource(path: path)) }
            #expect(reason?.contains("holds no file") == true, "\(name): \(reason ?? "no error")")
        }
    }

    @Test func otherMethodsAndEncryptionAreNamed() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        for (method, word) in [(UInt16(12), "bzip2"), (14, "LZMA"), (93, "zstd"), (9, "Deflate64")] {
            let path = dir + "/m\(method).zip"
            try writeFile(path, makeZip([TestZipMember(name: "t.csv", data: text, method: method)]))
            let reason = unreadableReason(path: path) { _ = try ByteSource(path: path) }
            #expect(reason?.contains(word) == true && reason?.contains("method \(method)") == true, "\(reason ?? "no error")")
        }
        let path = dir + "/secret.zip"
        try writeFile(path, makeZip([TestZipMember(name: "t.csv", data: text, flags: 1)]))
        #expect(unreadableReason(path: path) { _ = try ByteSource(path: path) }?.contains("encrypted") == true)
    }

    @Test func everyCutOfAZipIsAClearError() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let small = Array(csvText(bytes: 1_500).prefix(1_500))
        let stored = makeZip([TestZipMember(name: "t.csv", data: small)])
        let streamed = makeZip([TestZipMember(name: "t.csv", data: small, dataDescriptor: true, zip64: true)], zip64End: true)
        let deflatedPath = dir + "/deflated.zip"
        try pythonZip(at: deflatedPath, name: "t.csv", data: small, streamed: true)
        let deflated = try Array(Data(contentsOf: URL(fileURLWithPath: deflatedPath)))
        let path = dir + "/cut.zip"
        for (name, zip) in [("stored", stored), ("zip64", streamed), ("deflated", deflated)] {
            // Below 4 bytes the zip signature is not there: such a file is not recognised as a zip
            // at all (and is no CSV either, which the layout detection says).
            for cut in 4..<zip.count {
                try writeFile(path, Array(zip[0..<cut]))
                let reason = unreadableReason(path: path) { _ = try readAll(ByteSource(path: path), chunk: 333) }
                #expect(isProperReason(reason), "\(name) cut at \(cut) of \(zip.count): \(reason ?? "no error")")
            }
        }
        // Without the end record, which is how most truncations look, the message says so.
        try writeFile(path, Array(stored[0..<stored.count / 2]))
        let reason = unreadableReason(path: path) { _ = try ByteSource(path: path) }
        #expect(reason?.contains("truncated or not a complete zip") == true, "\(reason ?? "")")
    }

    @Test func aWrongCRCOrSizeIsDamage() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let path = dir + "/t.zip"
        try writeFile(path, makeZip([TestZipMember(name: "t.csv", data: text, crc: Checksum.crc32(text) ^ 1)]))
        var reason = unreadableReason(path: path) { _ = try readAll(ByteSource(path: path)) }
        #expect(reason?.contains("CRC-32") == true && reason?.contains("damaged") == true, "\(reason ?? "no error")")

        // Stored data whose declared uncompressed size is not its size.
        try writeFile(path, makeZip([TestZipMember(name: "t.csv", data: text, declaredSize: text.count + 1)]))
        reason = unreadableReason(path: path) { _ = try readAll(ByteSource(path: path)) }
        #expect(reason?.contains("decompresses to \(text.count) bytes") == true, "\(reason ?? "no error")")

        // A flipped byte in the middle of deflated data.
        try pythonZip(at: path, name: "t.csv", data: text)
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x55
        try writeFile(path, bytes)
        reason = unreadableReason(path: path) { _ = try readAll(ByteSource(path: path)) }
        #expect(isProperReason(reason) && reason?.contains("damaged") == true, "\(reason ?? "no error")")
    }

    // MARK: Checksum sidecars

    @Test func aMatchingSidecarIsVerifiedAtTheEnd() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let path = dir + "/BTCUSDT-trades-2024-08-08.zip"
        try pythonZip(at: path, name: "BTCUSDT-trades-2024-08-08.csv", data: text)
        let digest = try ContentDigest.sha256(path: path)
        try writeText(path + ".CHECKSUM", "\(digest)  BTCUSDT-trades-2024-08-08.zip\n")
        let source = try ByteSource(path: path)
        #expect(source.checksum == .pending)
        #expect(try readAll(source) == text)
        #expect(source.checksum == .verified)
        // The central directory after the member was read for the digest.
        #expect(source.fileBytesRead == source.fileSize)

        // `sha256sum -b` writes `*NAME`; upper-case hex is the same digest.
        try writeText(path + ".CHECKSUM", "\(digest.uppercased()) *BTCUSDT-trades-2024-08-08.zip")
        let binary = try ByteSource(path: path)
        _ = try readAll(binary)
        #expect(binary.checksum == .verified)
    }

    @Test func aMismatchIsThrownBeforeTheEnd() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let path = dir + "/t.zip"
        try pythonZip(at: path, name: "t.csv", data: text)
        let wrong = String(repeating: "ab", count: 32)
        try writeText(path + ".CHECKSUM", "\(wrong)  t.zip\n")
        let source = try ByteSource(path: path)
        var buffer = [UInt8](repeating: 0, count: 50_000)
        var sawEnd = false
        var total = 0
        let reason = unreadableReason(path: path) {
            while true {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { sawEnd = true; return }
                total += n
            }
        }
        #expect(!sawEnd, "read(into:) reported a clean end of a file whose checksum is wrong")
        #expect(total == text.count, "the data itself was all delivered")
        let actual = try ContentDigest.sha256(path: path)
        for part in [wrong, actual, path + ".CHECKSUM", "--no-verify-checksums"] {
            #expect(reason?.contains(part) == true, "\(part) missing from: \(reason ?? "no error")")
        }
        #expect(source.checksum == .pending)
    }

    @Test func theCheckCanBeTurnedOff() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let path = dir + "/t.zip"
        try pythonZip(at: path, name: "t.csv", data: text)
        try writeText(path + ".CHECKSUM", String(repeating: "0", count: 64) + "  t.zip\n")
        let source = try ByteSource(path: path, verifyChecksum: false)
        #expect(source.checksum == .skipped)
        #expect(try readAll(source) == text)
        #expect(source.checksum == .skipped)
        // Even a malformed sidecar does not matter then.
        try writeText(path + ".CHECKSUM", "garbage")
        #expect(try readAll(ByteSource(path: path, verifyChecksum: false)) == text)
    }

    @Test func aMalformedOrForeignSidecarIsAnErrorNamingIt() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let path = dir + "/t.zip"
        try pythonZip(at: path, name: "t.csv", data: text)
        let sidecar = path + ".CHECKSUM"
        let digest = try ContentDigest.sha256(path: path)
        for (content, expected) in [
            ("", "is empty"),
            ("not a checksum\n", "does not start with a SHA-256"),
            ("\(digest.dropLast())  t.zip\n", "does not start with a SHA-256"),
            ("\(digest) t.zip\n", "does not start with a SHA-256"),
            ("\(digest)  t.zip\n\(digest)  u.zip\n", "has 2 lines"),
            ("\(digest)  other.zip\n", "is the checksum of other.zip, not of t.zip"),
        ] {
            try writeText(sidecar, content)
            let reason = unreadableReason(path: sidecar) { _ = try ByteSource(path: path) }
            #expect(reason?.contains(expected) == true, "\(content.debugDescription): \(reason ?? "no error")")
        }
    }

    @Test func sidecarsWorkOnPlainAndGzipFiles() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let plain = dir + "/t.csv", gz = dir + "/t.csv.gz"
        try writeFile(plain, text)
        try pythonGzip(at: gz, data: text)
        for path in [plain, gz] {
            let name = String(path.split(separator: "/").last!)
            try writeText(path + ".CHECKSUM", "\(try ContentDigest.sha256(path: path))  \(name)\n")
            let source = try ByteSource(path: path)
            #expect(try readAll(source) == text)
            #expect(source.checksum == .verified, "\(name)")

            // A resumed read still hashes every byte: the skipped ones are read, not seeked over.
            let resumed = try ByteSource(path: path)
            try resumed.skip(to: 100_000)
            #expect(try readAll(resumed) == Array(text[100_000...]))
            #expect(resumed.checksum == .verified, "\(name) resumed")

            try writeText(path + ".CHECKSUM", String(repeating: "e", count: 64) + "  \(name)\n")
            let reason = unreadableReason(path: path) { _ = try readAll(ByteSource(path: path)) }
            #expect(reason?.contains("SHA-256") == true, "\(name): \(reason ?? "no error")")
        }
    }

    @Test func withoutASidecarAPlainResumeStillSeeks() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let plain = dir + "/t.csv"
        try writeFile(plain, text)
        let source = try ByteSource(path: plain)
        try source.skip(to: 250_000)
        #expect(source.fileBytesRead == 250_000)
        #expect(try readAll(source) == Array(text[250_000...]))
    }

    // MARK: Containers that are refused

    @Test func otherCompressorsAreRefusedWithAWayOut() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        for (name, magic, expected) in [
            ("t.csv.bz2", Array("BZh91AY&SY".utf8), "bzip2 -dc \(dir)/t.csv.bz2 | zstd -o \(dir)/t.csv.zst"),
            ("t.csv.xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00, 0x04], "xz -dc \(dir)/t.csv.xz | tickforge … -"),
            ("t.7z", [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0x00, 0x04], "7-Zip"),
            ("t.rar", [0x52, 0x61, 0x72, 0x21, 0x1A, 0x07, 0x01, 0x00], "RAR"),
        ] as [(String, [UInt8], String)] {
            let path = dir + "/" + name
            try writeFile(path, magic + [UInt8](repeating: 0x41, count: 100))
            let reason = unreadableReason(path: path) { _ = try ByteSource(path: path) }
            #expect(reason?.contains(expected) == true && reason?.contains("does not read") == true, "\(name): \(reason ?? "no error")")
        }
        // A CSV that merely starts with "BZh" is still a CSV.
        let path = dir + "/bzh.csv"
        try writeText(path, "BZhx,1\n")
        #expect(try readAll(ByteSource(path: path)) == Array("BZhx,1\n".utf8))
    }

    // MARK: Standard input

    /// A pipe holding `bytes` (under the 64 KiB a pipe buffers) and closed for writing.
    private func pipeHolding(_ bytes: [UInt8]) throws -> Int32 {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        try bytes.withUnsafeBytes { try Syscall.writeAll(fds[1], $0, path: "pipe") }
        close(fds[1])
        return fds[0]
    }

    @Test func aPipeIsReadWithItsFirstBytesHandedBack() throws {
        let small = Array(text.prefix(50_000))
        let fd = try pipeHolding(small)
        defer { close(fd) }
        let source = try ByteSource(standardInput: fd)
        #expect(source.isPipe && source.fileSize == 0 && source.path == "-")
        #expect(source.compression == .none)
        // 3-byte reads: the 8 looked-at bytes come back across several reads.
        #expect(try readAll(source, chunk: 3) == small)
        #expect(source.fileBytesRead == Int64(small.count))

        // Shorter than the look-ahead.
        let tiny = try pipeHolding(Array("a,b".utf8))
        defer { close(tiny) }
        #expect(try readAll(ByteSource(standardInput: tiny)) == Array("a,b".utf8))
        let empty = try pipeHolding([])
        defer { close(empty) }
        #expect(try readAll(ByteSource(standardInput: empty)).isEmpty)
    }

    @Test func gzipThroughAPipeIsDecompressed() throws {
        let dir = try temporaryDirectory(); defer { removeDirectory(dir) }
        let gz = dir + "/t.csv.gz"
        let part = Array(text.prefix(150_000))
        try pythonGzip(at: gz, data: part)
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: gz)))
        try #require(bytes.count < 60_000)
        let fd = try pipeHolding(bytes)
        defer { close(fd) }
        let source = try ByteSource(standardInput: fd)
        #expect(source.compression == .gzip)
        #expect(try readAll(source, chunk: 5_000) == part)
        #expect(source.fileBytesRead == Int64(bytes.count))
    }

    @Test func aZipOrAResumeThroughAPipeIsAClearError() throws {
        let zip = try pipeHolding(makeZip([TestZipMember(name: "t.csv", data: Array(text.prefix(1000)))]))
        defer { close(zip) }
        let reason = unreadableReason(path: "standard input") { _ = try ByteSource(standardInput: zip) }
        #expect(reason?.contains("unzip -p") == true, "\(reason ?? "no error")")

        let plain = try pipeHolding(Array(text.prefix(1000)))
        defer { close(plain) }
        let source = try ByteSource(standardInput: plain)
        let skip = unreadableReason(path: "standard input") { try source.skip(to: 10) }
        #expect(skip?.contains("cannot be resumed") == true, "\(skip ?? "no error")")

        let bz = try pipeHolding(Array("BZh91AY&SY".utf8))
        defer { close(bz) }
        let refused = unreadableReason(path: "standard input") { _ = try ByteSource(standardInput: bz) }
        #expect(refused?.contains("before the pipe") == true, "\(refused ?? "no error")")
    }
}
