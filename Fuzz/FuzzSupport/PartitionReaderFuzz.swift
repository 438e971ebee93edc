import TickCore
import TickIO
import TickStore

/// The checks of the `FuzzPartitionReader` target: `PartitionFormat.decode` and `summarize` on
/// arbitrary bytes must return or throw `TickError.unreadable`, agree with each other, and what
/// decodes must survive an encode/decode round trip. Every input is tried twice: as given, and
/// with its checksums recomputed so that mutations reach the frames and column decoders.
public enum PartitionReaderFuzz {
    public static let path = "fuzz.tfp"

    /// What reading a file gave.
    public enum Outcome: Equatable, CustomStringConvertible {
        case decoded(rows: Int, columns: Int)
        case rejected(reason: String)

        public var description: String {
            switch self {
            case let .decoded(rows, columns): return "decoded \(rows) rows × \(columns) columns"
            case let .rejected(reason): return "rejected: \(reason)"
            }
        }
    }

    /// `decode` of `bytes`, as an outcome.
    public static func outcome(_ bytes: [UInt8]) -> Outcome {
        do {
            let contents = try PartitionFormat.decode(bytes, path: path)
            return .decoded(rows: contents.rowCount, columns: contents.columns.count)
        } catch let TickError.unreadable(_, reason) {
            return .rejected(reason: reason)
        } catch {
            return .rejected(reason: "unexpected error: \(error)")
        }
    }

    /// Every violated invariant for `data`; empty when all hold.
    public static func violations(_ data: [UInt8]) -> [String] {
        if KnownIssues.stepAround && KnownIssues.readerOutOfScope(data) { return [] }
        var found: [String] = []
        check(data, label: "as given", into: &found)
        if let fixed = PartitionBytes.fixingChecksums(data), fixed != data {
            check(fixed, label: "checksums fixed", into: &found)
        }
        return found
    }

    static func check(_ bytes: [UInt8], label: String, into found: inout [String]) {
        func fail(_ message: String) { found.append("\(label): \(message)") }
        /// Errors must be `unreadable` naming the path.
        func result<T>(_ name: String, _ body: () throws -> T) -> T? {
            do {
                return try body()
            } catch let TickError.unreadable(p, reason) {
                if p != path { fail("\(name): error names '\(p)', not '\(path)'") }
                if reason.isEmpty { fail("\(name): empty reason") }
                return nil
            } catch {
                fail("\(name): threw \(error), not TickError.unreadable")
                return nil
            }
        }
        let decoded = result("decode") { try PartitionFormat.decode(bytes, path: path) }
        let verified = result("summarize(verify: true)") { try PartitionFormat.summarize(bytes, path: path, verify: true) }
        let shallow = result("summarize(verify: false)") { try PartitionFormat.summarize(bytes, path: path, verify: false) }

        if (decoded == nil) != (verified == nil) {
            fail("decode \(decoded == nil ? "failed" : "succeeded") but summarize(verify: true) \(verified == nil ? "failed" : "succeeded")")
        }
        if verified != nil && shallow == nil { fail("summarize(verify: false) failed where verify: true succeeded") }

        if let shallow {
            if shallow.fileBytes != bytes.count { fail("summary fileBytes \(shallow.fileBytes), file has \(bytes.count)") }
            if shallow.formatVersion != PartitionFormat.version { fail("summary of format version \(shallow.formatVersion)") }
            if shallow.rowCount < 0 || shallow.rowCount > PartitionFormat.maxRowCount { fail("summary row count \(shallow.rowCount)") }
            if shallow.fileChecksum != Checksum.crc32(bytes) { fail("summary file checksum differs") }
            if shallow.columns.contains(where: { $0.checksumOK != nil }) { fail("unverified summary claims checksums") }
            if let verified {
                if verified.rowCount != shallow.rowCount || verified.columns.map(\.name) != shallow.columns.map(\.name)
                    || verified.kind != shallow.kind || verified.metadata != shallow.metadata {
                    fail("verified and unverified summaries differ")
                }
                if verified.columns.contains(where: { $0.checksumOK != true }) { fail("verified summary without checksumOK") }
            }
        }

        guard let decoded else { return }
        if let verified {
            if decoded.rowCount != verified.rowCount { fail("decoded \(decoded.rowCount) rows, summary \(verified.rowCount)") }
            if decoded.columns.map(\.name) != verified.columns.map(\.name) { fail("decoded columns differ from the summary's") }
            if decoded.kind != verified.kind || decoded.minTime != verified.minTime || decoded.maxTime != verified.maxTime
                || decoded.metadata != verified.metadata {
                fail("decoded header fields differ from the summary's")
            }
        }
        for column in decoded.columns where column.count != decoded.rowCount {
            fail("column '\(column.name)' has \(column.count) values for \(decoded.rowCount) rows")
        }
        if Set(decoded.columns.map(\.name)).count != decoded.columns.count { fail("duplicate column names decoded") }

        // What decodes must encode again (any values: this also fuzzes the encoder's choices) and
        // decode to the same contents.
        do {
            let again = try PartitionFormat.encode(decoded, compressor: Zstd.Compressor(level: 1))
            let back = try PartitionFormat.decode(again, path: path)
            if back != decoded { fail("encode/decode round trip changed the contents") }
        } catch {
            fail("re-encoding decoded contents failed: \(error)")
        }
    }
}
