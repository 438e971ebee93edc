import Testing
import TickCore
import TickIO
import TickStore

/// Damage anywhere must be reported, never crash, hang or be accepted (reliability checklist 2).
@Suite struct CorruptionTests {
    static let path = "/data/out/trades-000042.tfp"

    /// Every way a reader can be asked about a file must reject it, naming the path.
    func expectRejected(_ bytes: [UInt8], _ what: String, includingQuickSummary: Bool = false) {
        let p = Self.path
        let decodeReason = unreadableReason(path: p) { _ = try PartitionFormat.decode(bytes, path: p) }
        #expect(isProperReason(decodeReason), "decode accepted or misreported \(what): \(decodeReason ?? "no error")")
        let verifyReason = unreadableReason(path: p) { _ = try PartitionFormat.summarize(bytes, path: p, verify: true) }
        #expect(isProperReason(verifyReason), "summarize(verify:) accepted or misreported \(what): \(verifyReason ?? "no error")")
        if includingQuickSummary {
            let quickReason = unreadableReason(path: p) { _ = try PartitionFormat.summarize(bytes, path: p, verify: false) }
            #expect(isProperReason(quickReason), "summarize accepted or misreported \(what): \(quickReason ?? "no error")")
        }
    }

    @Test func smallFileIsSmallEnoughForExhaustiveTests() throws {
        let bytes = try encode(smallContents())
        #expect(bytes.count > 150 && bytes.count < 600, "small file is \(bytes.count) bytes")
        #expect(try PartitionFormat.decode(bytes, path: Self.path) == smallContents())
    }

    @Test func truncationAtEveryLengthIsRejected() throws {
        let bytes = try encode(smallContents())
        for length in 0..<bytes.count {
            expectRejected(Array(bytes[..<length]), "truncation to \(length) bytes", includingQuickSummary: true)
        }
    }

    @Test func everySingleBitFlipIsRejected() throws {
        let bytes = try encode(smallContents())
        for bit in 0..<bytes.count * 8 {
            var damaged = bytes
            damaged[bit / 8] ^= 1 << UInt8(bit % 8)
            expectRejected(damaged, "flip of bit \(bit % 8) of byte \(bit / 8)")
        }
    }

    @Test func sampledBitFlipsInALargerFileAreRejected() throws {
        let bytes = try encode(randomContents(rowCount: 3_000, seed: 5))
        #expect(bytes.count > 20_000)
        var rng = SplitMix64(seed: 2024)
        for _ in 0..<2_000 {
            let bit = Int.random(in: 0..<bytes.count * 8, using: &rng)
            var damaged = bytes
            damaged[bit / 8] ^= 1 << UInt8(bit % 8)
            expectRejected(damaged, "flip of bit \(bit % 8) of byte \(bit / 8)")
        }
    }

    @Test func sampledTruncationsOfALargerFileAreRejected() throws {
        let bytes = try encode(randomContents(rowCount: 3_000, seed: 6))
        var rng = SplitMix64(seed: 77)
        let map = FileMap(bytes)
        var lengths = map.frameOffsets + [map.footerOffset, map.footerOffset + map.footerLength, bytes.count - 1]
        lengths += (0..<200).map { _ in Int.random(in: 0..<bytes.count, using: &rng) }
        for length in lengths {
            expectRejected(Array(bytes[..<length]), "truncation to \(length) bytes", includingQuickSummary: true)
        }
    }

    // MARK: Named cases, with the reasons a user would read

    func reason(_ bytes: [UInt8]) -> String {
        unreadableReason(path: Self.path) { _ = try PartitionFormat.decode(bytes, path: Self.path) } ?? "accepted"
    }

    @Test func zeroBytes() {
        #expect(reason([]) == "truncated: empty file (0 bytes)")
        let error = #expect(throws: TickError.self) { try PartitionFormat.decode([], path: Self.path) }
        #expect(error?.description.hasPrefix(Self.path + ": truncated") == true)
    }

    @Test func midHeader() throws {
        let bytes = try encode(smallContents())
        #expect(reason(Array(bytes[..<12])) == "truncated: 12 bytes, header missing")
        #expect(reason(Array(bytes[..<40])).hasPrefix("truncated: footer missing"))
    }

    @Test func midFrameAndAtFrameBoundaries() throws {
        let bytes = try encode(smallContents())
        let map = FileMap(bytes)
        #expect(map.frameOffsets.count == 5)
        for (offset, size) in zip(map.frameOffsets, map.frameSizes) {
            #expect(reason(Array(bytes[..<offset])).hasPrefix("truncated: footer missing"), "at frame start \(offset)")
            #expect(reason(Array(bytes[..<(offset + size / 2)])).hasPrefix("truncated: footer missing"), "mid-frame")
        }
    }

    @Test func footerMissing() throws {
        let bytes = try encode(smallContents())
        let map = FileMap(bytes)
        #expect(reason(Array(bytes[..<map.footerOffset])).hasPrefix("truncated: footer missing"))
        // Only the end magic gone.
        #expect(reason(Array(bytes.dropLast(8))).hasPrefix("truncated: footer missing"))
    }

    @Test func damageIsNamedByWhereItIs() throws {
        let bytes = try encode(smallContents())
        let map = FileMap(bytes)
        func flipped(_ byte: Int) -> [UInt8] { var d = bytes; d[byte] ^= 0x10; return d }
        #expect(reason(flipped(0)).hasPrefix("not a tickforge partition: bad magic"))
        #expect(reason(flipped(20)).hasPrefix("header checksum mismatch"))
        #expect(reason(flipped(map.dataStart - 1)).hasPrefix("header checksum mismatch"))
        #expect(reason(flipped(map.frameOffsets[1] + 3)).hasPrefix("column 'price': checksum mismatch"))
        #expect(reason(flipped(map.frameOffsets[4] + map.frameSizes[4] - 1)).hasPrefix("column 'side': checksum mismatch"))
        #expect(reason(flipped(map.footerOffset + 5)).hasPrefix("footer checksum mismatch"))
        #expect(reason(flipped(bytes.count - 15)).hasPrefix("trailer: footer offset"))
        #expect(reason(flipped(bytes.count - 1)).hasPrefix("truncated: footer missing"))
        // A damaged frame is invisible to a quick summary (it reads only header and footer) …
        let damagedFrame = flipped(map.frameOffsets[2] + 2)
        #expect(try PartitionFormat.summarize(damagedFrame, path: Self.path, verify: false).rowCount == 5)
        // … and caught by a verifying one.
        #expect(throws: TickError.unreadable(path: Self.path, reason: "column 'sum': checksum mismatch (stored \(hexString(Checksum.crc32(Array(bytes[map.frameOffsets[2]..<map.frameOffsets[3]])))), computed \(hexString(Checksum.crc32(Array(damagedFrame[map.frameOffsets[2]..<map.frameOffsets[3]])))))")) {
            try PartitionFormat.summarize(damagedFrame, path: Self.path, verify: true)
        }
    }

    @Test func extraBytesAfterTheEndAreRejected() throws {
        let bytes = try encode(smallContents())
        expectRejected(bytes + [0], "one extra byte", includingQuickSummary: true)
        expectRejected(bytes + bytes, "a file written twice", includingQuickSummary: true)
    }
}

func hexString(_ v: UInt32) -> String {
    let digits = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
