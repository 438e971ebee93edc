import TickCore
import TickFeatures
import TickIO

/// The formats of `features` and `targets` a run writes (`--format`).
public enum OutputFormat: String, Sendable, Codable, CaseIterable {
    case csv
    case parquet
    case both

    var writesCSV: Bool { self != .parquet }
    var writesParquet: Bool { self != .csv }
}

/// What a run's outputs need of each partition's rows.
struct OutputOptions: Sendable {
    var format: OutputFormat
    /// Whether the bar starts of the rows are kept (for `splits.json`).
    var keepsRowTimes: Bool
    /// Compressed bytes of a Parquet row group each Parquet file holds in memory before it
    /// spills column chunks (`MemoryBudget.parquetChunkBudget`).
    var parquetChunkBudget = 0
}

/// The rows one feature partition writes, prepared on the pool for every format the run
/// writes, so that the writing thread only appends.
struct PreparedRows: Sendable {
    var rowCount: Int
    /// Per column, the first row (within these rows) where it is defined.
    var firstDefinedFeature: [Int?]
    var firstDefinedTarget: [Int?]
    var csv: CSVRows?
    var parquet: ParquetRows?
    /// The rows' bar starts, when `OutputOptions.keepsRowTimes`.
    var timestamps: [Int64]?

    /// Selects the rows of `columns` this run writes (`FeatureCalculator.writtenRows`) and
    /// lays them out for each format the run writes.
    init(_ columns: FeatureColumns, calculator: FeatureCalculator, options: OutputOptions) {
        self.init(written: calculator.writtenRows(columns), options: options)
    }

    /// Lays out rows already selected for writing (the regime stage adds its columns to them
    /// first).
    init(written: FeatureColumns, options: OutputOptions) {
        let format = options.format
        rowCount = written.rowCount
        if options.keepsRowTimes { timestamps = written.timestamps }
        if format.writesParquet { parquet = ParquetRows(written) }
        if format.writesCSV {
            let csv = CSVRows(written)
            self.csv = csv
            firstDefinedFeature = csv.firstDefinedFeature
            firstDefinedTarget = csv.firstDefinedTarget
        } else {
            firstDefinedFeature = written.features.map(\.firstDefinedRow)
            firstDefinedTarget = written.targets.map(\.firstDefinedRow)
        }
    }
}

/// What the run wrote: rows, and per column the first row where it is defined (for the
/// metadata).
struct WrittenRows {
    var rows = 0
    var firstDefinedFeature: [Int?]
    var firstDefinedTarget: [Int?]

    mutating func add(_ part: PreparedRows) {
        for (c, first) in part.firstDefinedFeature.enumerated() where firstDefinedFeature[c] == nil {
            firstDefinedFeature[c] = first.map { $0 + rows }
        }
        for (c, first) in part.firstDefinedTarget.enumerated() where firstDefinedTarget[c] == nil {
            firstDefinedTarget[c] = first.map { $0 + rows }
        }
        rows += part.rowCount
    }
}

/// The metadata documents of a run's outputs, which formats that embed metadata store.
struct OutputDocuments {
    /// `features.json` and `targets.json`, as written beside the data files.
    var features: [UInt8]
    var targets: [UInt8]
}

/// One format's `features` and `targets` files in a generation being written. Rows arrive
/// partition by partition, in order; `commit` completes both files, puts them in place whole
/// and records them in the generation.
protocol FeatureTableWriter: AnyObject {
    func append(_ rows: PreparedRows) throws
    func commit(documents: OutputDocuments) throws
}

/// The output files of a generation being written, in every format of the run, behind one
/// seam: the feature stage hands each partition's prepared rows here, and each format's
/// writer takes them.
final class FeatureOutputs {
    private let writers: [any FeatureTableWriter]
    private(set) var written: WrittenRows
    /// The rows' bar starts, when the options keep them.
    let timeline: WrittenRowTimeline?

    init(generation: OutputGeneration, catalog: ColumnCatalog, options: OutputOptions, intervalMs: Int64) throws {
        let format = options.format
        timeline = options.keepsRowTimes
            ? WrittenRowTimeline(intervalMs: intervalMs, scratchPath: generation.filePath(RunFileName.timelineScratch)) : nil
        var writers: [any FeatureTableWriter] = []
        if format.writesCSV { writers.append(try CSVTableWriter(generation: generation, catalog: catalog)) }
        if format.writesParquet {
            writers.append(try ParquetTableWriter(generation: generation, catalog: catalog, chunkBudget: options.parquetChunkBudget))
        }
        self.writers = writers
        written = WrittenRows(firstDefinedFeature: Array(repeating: nil, count: catalog.features.count),
                              firstDefinedTarget: Array(repeating: nil, count: catalog.targets.count))
    }

    /// Appends the next partition's rows.
    func append(_ rows: PreparedRows) throws {
        for writer in writers { try writer.append(rows) }
        if let timeline, let times = rows.timestamps { try timeline.append(times) }
        written.add(rows)
    }

    /// Completes every file and puts it in place in the generation.
    func commit(documents: OutputDocuments) throws {
        for writer in writers { try writer.commit(documents: documents) }
    }
}
