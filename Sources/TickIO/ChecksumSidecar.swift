import TickCore
#if canImport(Glibc)
import Glibc
#endif

/// A `NAME.CHECKSUM` file next to an input, as data.binance.vision publishes one beside each
/// zip: one line `<sha256>  NAME`, the format `sha256sum` writes and `sha256sum -c` reads.
struct ChecksumSidecar: Equatable {
    /// The sidecar's own path, for messages.
    let path: String
    /// The expected SHA-256 of the input, lower-case hex.
    let sha256: String

    /// The sidecar of the input at `inputPath`, nil when there is none. A sidecar that is there
    /// but unusable is an error rather than no sidecar: silently skipping it would silently skip
    /// the check the user put it there for.
    static func load(for inputPath: String) throws -> ChecksumSidecar? {
        let path = path(for: inputPath)
        guard Syscall.exists(path) else { return nil }
        let file = try OwnedFile(path: path, flags: O_RDONLY)
        // A checksum line is under 200 bytes: read a little more to tell a real one from some
        // large file that happens to have the name.
        var bytes = [UInt8](repeating: 0, count: 4096)
        var got = 0
        while got < bytes.count {
            let n = try bytes.withUnsafeMutableBytes { try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) }
            if n == 0 { break }
            got += n
        }
        return try parse(Array(bytes[0..<got]), path: path, inputPath: inputPath)
    }

    /// Where the sidecar of `inputPath` lies: next to it, named after it.
    static func path(for inputPath: String) -> String { inputPath + ".CHECKSUM" }

    static func parse(_ bytes: [UInt8], path: String, inputPath: String) throws -> ChecksumSidecar {
        let name = baseName(inputPath)
        let expected = "`<64 hex digits>  \(name)`, as sha256sum writes it"
        let remedy = "fix or remove it, or pass --no-verify-checksums to skip the check"
        func malformed(_ what: String) -> TickError {
            .unreadable(path: path, reason: "\(what); a checksum file holds one line \(expected): \(remedy)")
        }
        guard bytes.count < 4096, let text = String(validating: bytes, as: UTF8.self) else {
            throw malformed("is not a checksum line (too long or not text)")
        }
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
        guard lines.count == 1, let line = lines.first else {
            throw malformed(lines.isEmpty ? "is empty" : "has \(lines.count) lines")
        }
        let utf8 = Array(line.utf8)
        let isHex: (UInt8) -> Bool = { (0x30...0x39).contains($0) || (0x61...0x66).contains($0 | 0x20) }
        // `<hex>  NAME` (text mode) or `<hex> *NAME` (binary mode): both mean the same file bytes.
        guard utf8.count > 66, utf8[0..<64].allSatisfy(isHex), utf8[64] == 0x20, utf8[65] == 0x20 || utf8[65] == 0x2A else {
            throw malformed("does not start with a SHA-256 (64 hex digits) followed by two spaces and a file name")
        }
        var listed = String(decoding: utf8[66...], as: UTF8.self)
        while listed.last == " " || listed.last == "\t" { listed.removeLast() }
        guard baseName(listed) == name else {
            throw TickError.unreadable(path: path, reason: "is the checksum of \(listed), not of \(name): put the matching checksum file next to \(name), or pass --no-verify-checksums to skip the check")
        }
        return ChecksumSidecar(path: path, sha256: String(decoding: utf8[0..<64].map { $0 | 0x20 }, as: UTF8.self))
    }

    private static func baseName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
    }
}
