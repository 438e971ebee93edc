import TickCore

/// Recognises an input's container by its first bytes (its name may lie or be missing, as on a
/// pipe), and turns the containers tickforge does not read into an error that says how to feed
/// them, rather than letting them be parsed as a CSV of garbage.
enum ContainerMagic {
    /// The compression of an input starting with `magic` (up to 8 bytes; fewer for a short
    /// input). `path` names the input in errors ("standard input" for a pipe).
    static func compression(of magic: [UInt8], path: String, isPipe: Bool) throws -> ByteSource.Compression {
        func starts(_ prefix: [UInt8]) -> Bool { magic.starts(with: prefix) }
        if starts([0x1F, 0x8B]) { return .gzip }
        if starts([0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        // A local file header, or the end record alone: an empty zip, reported as such.
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return .zip }
        // bzip2: "BZh" and the block size digit, which no CSV header begins with.
        if starts([0x42, 0x5A, 0x68]) && magic.count >= 4 && (0x31...0x39).contains(magic[3]) {
            throw unsupported("bzip2", path: path, isPipe: isPipe, extensions: [".bz2"]) { "bzip2 -dc \($0)" }
        }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) {
            throw unsupported("xz", path: path, isPipe: isPipe, extensions: [".xz"]) { "xz -dc \($0)" }
        }
        if starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) {
            throw unsupported("a 7-Zip archive", path: path, isPipe: isPipe, extensions: [".7z"]) { "7z e -so \($0)" }
        }
        if starts([0x52, 0x61, 0x72, 0x21, 0x1A, 0x07]) {
            throw unsupported("a RAR archive", path: path, isPipe: isPipe, extensions: [".rar"]) { "unrar p -inul \($0)" }
        }
        return .none
    }

    /// "x.bz2 is bzip2-compressed, which tickforge does not read: recompress it …".
    private static func unsupported(_ format: String, path: String, isPipe: Bool, extensions: [String],
                                    decompress: (String) -> String) -> TickError {
        let what = format.hasPrefix("a ") ? "is \(format)" : "is \(format)-compressed"
        if isPipe {
            return .unreadable(path: path, reason: "\(what), which tickforge does not read: decompress it before the pipe (`\(decompress("FILE")) | tickforge … -`)")
        }
        let stem = extensions.first { path.hasSuffix($0) }.map { String(path.dropLast($0.count)) } ?? path
        return .unreadable(path: path, reason: "\(what), which tickforge does not read: recompress it with `\(decompress(path)) | zstd -o \(stem).zst` or pass it through standard input (`\(decompress(path)) | tickforge … -`)")
    }
}
