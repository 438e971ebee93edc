import Foundation
import TickCore
import TickIO
#if canImport(Glibc)
import Glibc
#endif

/// `tickforge sql-schema`: reads a finished run's metadata and prints the psql script of
/// `SqlSchema` that creates its tables and loads its CSVs. Only reads the run directory.
public enum SqlSchemaJob {
    /// Longest CSV header read to check it against the metadata.
    static let maxHeaderBytes = 1 << 20

    /// The script for the run in `directory`.
    ///
    /// The files are taken from the published generation that `directory/features.json` leads
    /// to (`.tickforge/generations/N`), not through the output links: the script then loads the
    /// CSVs its schema was made from, as a set, even when another run publishes a new set later
    /// (the `\copy` of a removed generation fails instead of loading other columns).
    public static func run(directory: String, table: String, timescale: Bool) throws -> String {
        try SqlSchema.validateTableName(table)
        let generation = try RunDirectory.publishedGeneration(of: directory, command: "tickforge sql-schema")
        var tables: [SqlTableSource] = []
        for name in ["features", "targets"] {
            let metadataPath = generation + "/" + name + ".json"
            let metadata = try OutputTableMetadata.read(metadataPath, listing: name + ".csv", command: "tickforge sql-schema")
            let csv = generation + "/" + name + ".csv"
            try checkHeader(csv, against: metadata)
            tables.append(SqlTableSource(metadata: metadata, csvPath: csv))
        }
        let runPath = Syscall.realPath(directory) ?? directory
        let origin = generation == runPath ? runPath : "\(runPath) (outputs in \(generation))"
        return try SqlSchema.script(tables: tables, table: table, timescale: timescale, origin: origin)
    }

    /// The CSV's header must be the metadata's column names in order: the `\copy` column list is
    /// made from the metadata and matched to the file by position.
    static func checkHeader(_ path: String, against metadata: OutputTableMetadata) throws {
        let file: OwnedFile
        do { file = try OwnedFile(path: path, flags: O_RDONLY) } catch {
            throw TickError.invalidArgument("\(path) is missing or unreadable (\(error)): the run's outputs are incomplete; a rerun of `tickforge features` publishes a whole set")
        }
        var head: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while head.count < maxHeaderBytes, !head.contains(10) {
            let n = try buffer.withUnsafeMutableBytes { try Syscall.pread(file.fd, into: $0, offset: Int64(head.count), path: path) }
            if n == 0 { break }
            head += buffer[0..<n]
        }
        let line = head.split(separator: 10, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        let header = String(decoding: line.last == 13 ? line.dropLast() : line, as: UTF8.self)
        let expected = metadata.columns.map(\.name).joined(separator: ",")
        guard header == expected else {
            throw TickError.unreadable(path: path, reason: "its header (\(printableText(line))) is not the column names of its metadata (\(printableText(expected.utf8)))")
        }
    }
}

extension OutputTableMetadata: OutputMetadataFile {}
