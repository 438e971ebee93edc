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
            let metadata = try readMetadata(metadataPath, expecting: name + ".csv")
            let csv = generation + "/" + name + ".csv"
            try checkHeader(csv, against: metadata)
            tables.append(SqlTableSource(metadata: metadata, csvPath: csv))
        }
        let runPath = Syscall.realPath(directory) ?? directory
        let origin = generation == runPath ? runPath : "\(runPath) (outputs in \(generation))"
        return try SqlSchema.script(tables: tables, table: table, timescale: timescale, origin: origin)
    }

    static func readMetadata(_ path: String, expecting file: String) throws -> OutputTableMetadata {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TickError.invalidArgument("\(path) is missing or unreadable: the run's outputs are incomplete; `tickforge inspect` on the run directory tells more, a rerun of `tickforge features` publishes a whole set")
        }
        let metadata: OutputTableMetadata
        do {
            metadata = try JSONDecoder.snakeCase.decode(OutputTableMetadata.self, from: data)
        } catch {
            throw TickError.unreadable(path: path, reason: "not the column metadata tickforge writes (no format_version, file, interval_ms, row_count or columns with index, name, description, unit and type)")
        }
        guard metadata.formatVersion == OutputMetadata.formatVersion else {
            throw TickError.unreadable(path: path, reason: "metadata format version \(metadata.formatVersion); this tickforge reads version \(OutputMetadata.formatVersion)")
        }
        guard (metadata.files ?? [metadata.file]).contains(file) else {
            if metadata.files?.contains(where: { $0.hasSuffix(".parquet") }) == true {
                throw TickError.invalidArgument("the run wrote no \(file) (--format parquet), and COPY loads CSV: rerun `tickforge features` with --format csv or both")
            }
            throw TickError.unreadable(path: path, reason: "describes \(metadata.file), not \(file)")
        }
        return metadata
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
