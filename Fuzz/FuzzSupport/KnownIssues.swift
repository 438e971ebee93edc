import TickCSV
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bugs in Sources that the fuzzers found and that are not fixed yet. While fuzzing (`-D FUZZING`)
/// the harness steps around them so that a long run can find other bugs instead of the same one
/// again; the regression tests (Fixtures/fuzz/) never do. Remove an entry when its fix lands.
public enum KnownIssues {
    /// Whether the checks step around the issues below: only while fuzzing (`-D FUZZING`); the
    /// regression tests and the replay build always check everything.
    /// `TICKFORGE_FUZZ_STRICT=1` turns it off in a fuzz build too (to check a fix with the fuzzer).
    public static let stepAround: Bool = {
        #if FUZZING
        return getenv("TICKFORGE_FUZZ_STRICT") == nil
        #else
        return false
        #endif
    }()

    /// Inputs that crash `ChunkParser.parse` with `layout`.
    ///
    /// 1. `FieldParsers.time` (FieldParsers.swift:146), fractional seconds: `integerPart *
    ///    microsPerUnit + fractionMicros` overflows and traps for 13 to 15 integer digits from
    ///    9223372036854.775808 up (e.g. `9999999999999.5` in a seconds layout), instead of
    ///    returning `.outOfRange`. Fixtures/fuzz/FuzzTokenizer/time-seconds-fraction-overflow.csv.
    static func crashesParser(_ data: [UInt8], layout: Layout) -> Bool {
        layout.timeUnit == .seconds && hasLongIntegerBeforePoint(data, digits: 13)
    }

    /// Whether `data` has a run of at least `digits` ASCII digits followed by `.`.
    static func hasLongIntegerBeforePoint(_ data: [UInt8], digits: Int) -> Bool {
        var run = 0
        for b in data {
            if b >= 48 && b <= 57 {
                run += 1
            } else {
                if b == UInt8(ascii: ".") && run >= digits { return true }
                run = 0
            }
        }
        return false
    }

    /// `LineChunker` stopping at a line within the limit.
    ///
    /// 2. `LineChunker.next()` (LineChunker.swift:72) throws "longer than the maximum record
    ///    size" when its buffer, grown to `maxRecordSize`, holds no newline: a line of exactly
    ///    `maxRecordSize` bytes needs one more byte for its `\n` (two with `\r\n`), so lines of
    ///    `maxRecordSize` bytes (`maxRecordSize - 1` before `\r\n`, or `maxRecordSize` at the end
    ///    of the input without a line end) are refused although `ChunkParser` accepts them. Only
    ///    when `chunkSize < maxRecordSize`. Fixtures/fuzz/FuzzTokenizer/chunker-line-at-limit.csv.
    /// `rawLength`: the line's bytes before its `\n` (a `\r` included).
    static func chunkerRejectsLineAtLimit(rawLength: Int, maxRecordSize: Int) -> Bool {
        rawLength + 1 >= maxRecordSize
    }

    /// Partition files the reader is not given while fuzzing.
    ///
    /// 3. `Zstd.decompress` (TickIO/Zstd.swift:50) allocates (and zero-fills) the frame's declared
    ///    content size before decompressing, and the reader only bounds that size by 32768 × the
    ///    frame's size: a damaged 40 KB file whose frame header declares 1.3 GB makes decode
    ///    allocate 1.3 GB before zstd finds the frame is garbage (a 1.3 MB file: 43 GB).
    ///    Fixtures/fuzz/FuzzPartitionReader/zstd-declared-size-bomb.tfp.
    ///
    /// Also skipped: contents declared so large (more than 2^23 rows) that decoding a *valid*
    /// file of that size would pass libFuzzer's memory limit — not a bug, just out of scope.
    static func readerOutOfScope(_ data: [UInt8]) -> Bool {
        guard let parts = PartitionBytes.parts(data) else { return false }
        if parts.frames.contains(where: { $0.encodedSize > 64 << 20 }) { return true }
        let rows = PartitionBytes.u64(data, 16) ?? 0
        return rows > 1 << 23
    }
}
