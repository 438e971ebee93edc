import CCRC32C
import CZlib

/// Checksums: CRC-32 (the zlib/gzip polynomial) of partition files and their frames, and CRC-32C
/// of the published outputs.
public enum Checksum {
    public static func crc32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return seed }
        var crc = UInt(seed)
        var offset = 0
        // zlib takes a UInt32 length: feed huge buffers in pieces.
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, base.assumingMemoryBound(to: Bytef.self) + offset, uInt(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    public static func crc32(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32($0, seed: seed) }
    }

    /// The CRC-32 of `A` followed by `B` from the CRC-32s of each and `B`'s length, without
    /// reading either again (zlib's `crc32_combine`: a few dozen operations per call).
    public static func combine(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32_combine(UInt(first), UInt(second), secondLength))
    }

    /// CRC-32C (Castagnoli) of `bytes`, continuing from `seed`: the checksum of the published
    /// outputs, computed with the CPU's CRC32 instruction at several times zlib's CRC-32 speed.
    public static func crc32c(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return seed }
        return tickforge_crc32c(seed, base, bytes.count)
    }

    public static func crc32c(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { crc32c($0, seed: seed) }
    }

    /// The CRC-32C of `A` followed by `B` from the CRC-32Cs of each and `B`'s length.
    public static func combineCRC32C(_ first: UInt32, _ second: UInt32, secondLength: Int) -> UInt32 {
        tickforge_crc32c_combine(first, second, UInt64(secondLength))
    }
}
