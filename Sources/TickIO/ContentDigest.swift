import Crypto
import TickCore
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 of a whole file's bytes, read in pieces.
public enum ContentDigest {
    /// Lower-case hex SHA-256 of the file at `path` as it is on disk (not decompressed).
    public static func sha256(path: String) throws -> String {
        var hasher = SHA256()
        try OwnedFile(path: path, flags: O_RDONLY).forEachPiece { hasher.update(bufferPointer: $0) }
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
