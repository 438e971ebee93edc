import Crypto
import TickCore
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 of a whole file's bytes, read in pieces (memory stays at one piece).
public enum ContentDigest {
    /// Lower-case hex SHA-256 of the file at `path` as it is on disk (not decompressed).
    public static func sha256(path: String) throws -> String {
        let file = try OwnedFile(path: path, flags: O_RDONLY)
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try file.read(into: $0) }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return hex(hasher.finalize())
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
