import TickCSV

/// Bugs in Sources that the fuzzers found and that are not fixed yet. While fuzzing (`-D FUZZING`)
/// the harness steps around them so that a long run can find other bugs instead of the same one
/// again; the regression tests (Fixtures/fuzz/) never do. Remove an entry when its fix lands.
enum KnownIssues {
    /// Inputs that crash `ChunkParser.parse` with `layout`.
    static func crashesParser(_ data: [UInt8], layout: Layout) -> Bool {
        false
    }

    /// `LineChunker` stopping at a line within the limit.
    static func chunkerRejectsLineAtLimit(length: Int, lineEnd: Int, dataCount: Int, maxRecordSize: Int) -> Bool {
        false
    }
}
