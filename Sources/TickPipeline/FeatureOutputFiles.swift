import TickFeatures
import TickIO

/// A partition's CSV rows with the CRC-32C of each file's part, computed by the task that
/// formatted them so that checksumming the outputs costs the writing thread nothing.
struct FormattedRows: Sendable {
    var rows: PartitionOutput
    var featuresChecksum: UInt32
    var targetsChecksum: UInt32

    init(_ rows: PartitionOutput) {
        self.rows = rows
        featuresChecksum = Checksum.crc32c(rows.features)
        targetsChecksum = Checksum.crc32c(rows.targets)
    }
}

/// `features.csv` and `targets.csv` of a generation being written: rows arrive partition by
/// partition, in order; each file appears whole (renamed into place) on `commit`, which also
/// records its size and checksum in the generation.
final class FeatureOutputFiles {
    private let generation: OutputGeneration
    private let featuresFile: AtomicFileWriter
    private let targetsFile: AtomicFileWriter
    private var featuresChecksum: UInt32
    private var targetsChecksum: UInt32
    private var result: MergeStage.Result

    init(generation: OutputGeneration, catalog: ColumnCatalog) throws {
        self.generation = generation
        featuresFile = try AtomicFileWriter(path: generation.filePath("features.csv"))
        targetsFile = try AtomicFileWriter(path: generation.filePath("targets.csv"))
        let featuresHeader = Array(((["timestamp"] + catalog.features.map(\.name)).joined(separator: ",") + "\n").utf8)
        let targetsHeader = Array(((["timestamp"] + catalog.targets.map(\.name)).joined(separator: ",") + "\n").utf8)
        try featuresFile.write(featuresHeader)
        try targetsFile.write(targetsHeader)
        featuresChecksum = Checksum.crc32c(featuresHeader)
        targetsChecksum = Checksum.crc32c(targetsHeader)
        result = MergeStage.Result(firstDefinedFeature: Array(repeating: nil, count: catalog.features.count),
                                   firstDefinedTarget: Array(repeating: nil, count: catalog.targets.count))
    }

    /// Rows written so far.
    var rows: Int { result.rows }

    /// Appends the next partition's rows.
    func append(_ part: FormattedRows) throws {
        let rows = part.rows
        try featuresFile.write(rows.features)
        try targetsFile.write(rows.targets)
        featuresChecksum = Checksum.combineCRC32C(featuresChecksum, part.featuresChecksum, secondLength: rows.features.count)
        targetsChecksum = Checksum.combineCRC32C(targetsChecksum, part.targetsChecksum, secondLength: rows.targets.count)
        for (c, first) in rows.firstDefinedFeature.enumerated() where result.firstDefinedFeature[c] == nil {
            result.firstDefinedFeature[c] = first.map { $0 + result.rows }
        }
        for (c, first) in rows.firstDefinedTarget.enumerated() where result.firstDefinedTarget[c] == nil {
            result.firstDefinedTarget[c] = first.map { $0 + result.rows }
        }
        result.rows += rows.rowCount
    }

    /// Puts both files in place in the generation and records them.
    func commit() throws -> MergeStage.Result {
        try targetsFile.commit()
        try featuresFile.commit()
        generation.record("features.csv", bytes: featuresFile.bytesWritten, checksum: featuresChecksum)
        generation.record("targets.csv", bytes: targetsFile.bytesWritten, checksum: targetsChecksum)
        return result
    }
}
