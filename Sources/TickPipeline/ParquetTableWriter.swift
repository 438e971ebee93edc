import TickCore
import TickFeatures
import TickIO
import TickParquet

/// A partition's rows as the columns of `features.parquet` and `targets.parquet` (contract,
/// Files): `timestamp` as epoch milliseconds, integer columns as INT64, every other column as
/// the DOUBLE its CSV cell reads back to. Laid out by the task that computed them.
struct ParquetRows: Sendable {
    var timestamps: [Int64]
    var features: [ParquetValues]
    var targets: [ParquetValues]

    init(_ columns: FeatureColumns) {
        timestamps = columns.timestamps
        features = columns.features.map(Self.values)
        targets = columns.targets.map(Self.values)
    }

    static func values(_ column: ColumnValues) -> ParquetValues {
        switch column {
        case .integer(let v): .int64(v)
        case .real(let v): .double(v)
        case .decimal(let v): .double(v.map { $0 == ColumnValues.undefinedDecimal ? .nan : csvDouble($0) })
        }
    }

    /// The double that the exact decimal text of `raw / 10⁸` reads back to (the nearest one).
    /// Below 2⁵³ the raw value is an exact double and one division by 10⁸ (also exact) rounds
    /// correctly; beyond, the text is read back as a CSV reader would read it.
    static func csvDouble(_ raw: Int128) -> Double {
        if raw.magnitude < 1 << 53 { return Double(Int64(raw)) / FixedPoint.doubleScale }
        return Double(FixedPoint.string(raw))!
    }
}

/// `features.parquet` and `targets.parquet` of a generation being written: fixed row groups
/// and pages (the bytes depend on the values and the column count only, never on the memory
/// limit), each file's JSON metadata under `tickforge.metadata`.
final class ParquetTableWriter: FeatureTableWriter {
    /// Rows per row group: fixed, so the bytes never depend on the memory limit.
    static let rowGroupRows = ParquetFileWriter.defaultRowGroupRows
    /// What the pending pages of one file may hold (8 bytes a cell): its pages have as many
    /// rows as fit, a power of two from 1,024 to 65,536, so the bytes depend on the column
    /// count alone. 1 MiB keeps a run under `--memory-limit 64MiB` within its limit with CSV
    /// and Parquet both written; 4 MiB would make the default columns' file 3.5 % smaller.
    static let pageBufferTarget = 1 << 20

    static func pageRows(columns: Int) -> Int {
        var rows = 1 << 16
        while rows > 1 << 10 && ParquetFileWriter.pageBufferBytes(columnCount: columns, pageRows: rows) > pageBufferTarget { rows /= 2 }
        return rows
    }

    /// The memory both files' writers hold besides the compressed chunks their budget bounds.
    static func fixedBytes(featureColumns: Int, targetColumns: Int) -> Int {
        [featureColumns, targetColumns].reduce(0) { sum, c in
            sum + ParquetFileWriter.pageBufferBytes(columnCount: c + 1, pageRows: pageRows(columns: c + 1))
        }
    }

    /// An output file that keeps the CRC-32C of what is written (recorded in the generation,
    /// as every output's is).
    private final class ChecksummedFile: ParquetSink {
        let file: AtomicFileWriter
        private(set) var checksum: UInt32 = 0

        init(path: String) throws { file = try AtomicFileWriter(path: path) }

        func write(_ bytes: [UInt8]) throws {
            checksum = Checksum.crc32c(bytes, seed: checksum)
            try file.write(bytes)
        }
    }

    private let generation: OutputGeneration
    private let features: (sink: ChecksummedFile, writer: ParquetFileWriter)
    private let targets: (sink: ChecksummedFile, writer: ParquetFileWriter)

    /// - Parameter chunkBudget: compressed bytes of a row group each file holds in memory
    ///   before spilling column chunks to the generation's folder.
    init(generation: OutputGeneration, catalog: ColumnCatalog, chunkBudget: Int) throws {
        self.generation = generation
        func open(_ name: String, _ specs: [ColumnSpec]) throws -> (ChecksummedFile, ParquetFileWriter) {
            let columns = [ParquetColumn(name: "timestamp", kind: .timestampMillis)]
                + specs.map { ParquetColumn(name: $0.name, kind: $0.kind == .integer ? .int64 : .double) }
            let sink = try ChecksummedFile(path: generation.filePath(name))
            let writer = try ParquetFileWriter(sink: sink, columns: columns, rowGroupRows: Self.rowGroupRows,
                                               pageRows: Self.pageRows(columns: columns.count), memoryBudget: chunkBudget,
                                               spillDirectory: generation.path, spillPrefix: name)
            return (sink, writer)
        }
        features = try open("features.parquet", catalog.features)
        targets = try open("targets.parquet", catalog.targets)
    }

    func append(_ rows: PreparedRows) throws {
        guard let parquet = rows.parquet else { preconditionFailure("rows prepared without Parquet columns for a Parquet output") }
        try features.writer.append([.int64(parquet.timestamps)] + parquet.features)
        try targets.writer.append([.int64(parquet.timestamps)] + parquet.targets)
    }

    /// Writes both footers with their JSON metadata, puts the files in place and records them.
    func commit(documents: OutputDocuments) throws {
        for (file, document, name) in [(features, documents.features, "features.parquet"), (targets, documents.targets, "targets.parquet")] {
            try file.writer.finish(keyValueMetadata: [(ParquetFileWriter.tickforgeMetadataKey, String(decoding: document, as: UTF8.self))])
            try file.sink.file.commit()
            generation.record(name, bytes: file.sink.file.bytesWritten, checksum: file.sink.checksum)
        }
    }
}
