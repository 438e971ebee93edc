import TickCSV
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bugs in Sources that a fuzzer found and that are not fixed yet, and inputs out of the
/// fuzzers' scope. While fuzzing (`-D FUZZING`) the checks step around them, so that a long run
/// finds other bugs instead of the same one again; the regression tests (Fixtures/fuzz/) and
/// the replay build never do. Add an entry with its fixture when a finding cannot be fixed at
/// once; remove it when the fix lands. docs/FUZZING.md lists the findings so far (all fixed).
public enum KnownIssues {
    /// Whether the checks step around the issues below: only while fuzzing (`-D FUZZING`);
    /// `TICKFORGE_FUZZ_STRICT=1` turns it off in a fuzz build too.
    public static let stepAround: Bool = {
        #if FUZZING
        return getenv("TICKFORGE_FUZZ_STRICT") == nil
        #else
        return false
        #endif
    }()

    /// Inputs known to crash `ChunkParser.parse` with `layout`. None open.
    static func crashesParser(_ data: [UInt8], layout: Layout) -> Bool {
        false
    }

    /// Partition files not given to the reader while fuzzing: contents declared so large (frames
    /// of more than 64 MiB decoded, more than 2^23 rows) that decoding a *valid* file of that
    /// size would pass libFuzzer's -malloc_limit_mb. Not a bug: zstd legitimately expands up to
    /// 32768×, so a small valid file can hold that much. Damaged frames that only *declare* a
    /// large size are a bug (finding 3 in docs/FUZZING.md, fixed; its regression test checks it).
    static func readerOutOfScope(_ data: [UInt8]) -> Bool {
        guard let parts = PartitionBytes.parts(data) else { return false }
        if parts.frames.contains(where: { $0.encodedSize > 64 << 20 }) { return true }
        let rows = PartitionBytes.u64(data, 16) ?? 0
        return rows > 1 << 23
    }
}
