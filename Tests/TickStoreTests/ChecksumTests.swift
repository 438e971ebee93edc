import CCRC32C
import Testing
import TickCore
import TickIO

/// CRC-32C, whichever path computes it (the CPU's instruction or the table), against a
/// bit-by-bit reference written from the definition; and the combination of two CRCs against
/// the CRC of the concatenation.
struct ChecksumTests {
    /// Reflected Castagnoli polynomial, initial and final XOR with all ones, one bit at a time.
    static func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func knownValue() {
        #expect(Checksum.crc32c(Array("123456789".utf8)) == 0xE306_9283)
        #expect(Checksum.crc32c([UInt8]()) == 0)
    }

    @Test func everyLengthAndAlignmentMatchesTheReference() {
        var random = SplitMix64(seed: 17)
        let data = (0..<4_200).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        for start in 0..<9 {
            for length in [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 255, 1_000, 4_096] where start + length <= data.count {
                let slice = data[start..<(start + length)]
                let got = slice.withUnsafeBytes { Checksum.crc32c($0) }
                let table = slice.withUnsafeBytes { tickforge_crc32c_table(0, $0.baseAddress, $0.count) }
                #expect(got == Self.reference(slice), "start \(start), length \(length)")
                #expect(table == got, "the table path, start \(start), length \(length)")
            }
        }
        // Continuing from a seed is the CRC of the whole.
        let whole = Checksum.crc32c(data)
        let split = Checksum.crc32c(Array(data[1_234...]), seed: Checksum.crc32c(Array(data[..<1_234])))
        #expect(whole == split)
    }

    @Test func combiningTwoCRCsGivesTheCRCOfBoth() {
        var random = SplitMix64(seed: 3)
        let data = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        for cut in [0, 1, 7, 8, 100, 4_097, 9_999, 10_000] {
            let first = Checksum.crc32c(Array(data[..<cut])), second = Checksum.crc32c(Array(data[cut...]))
            #expect(Checksum.combineCRC32C(first, second, secondLength: data.count - cut) == Checksum.crc32c(data), "cut at \(cut)")
        }
    }
}
