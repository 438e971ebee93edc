import TickCore
import TickFeatures
import TickIO

/// A partition's rows as the text of `features.csv` and `targets.csv` (no header), with the
/// CRC-32C of each, computed by the task that formatted them so that checksumming the outputs
/// costs the writing thread nothing.
public struct CSVRows: Sendable {
    public private(set) var features: [UInt8]
    public private(set) var targets: [UInt8]
    public private(set) var featuresChecksum: UInt32
    public private(set) var targetsChecksum: UInt32
    /// Per column, the first line where it is defined (noted while formatting).
    public private(set) var firstDefinedFeature: [Int?]
    public private(set) var firstDefinedTarget: [Int?]

    /// Formats every row of `columns`.
    public init(_ columns: FeatureColumns) {
        (features, firstDefinedFeature) = CellTable(columns.features).text(timestamps: columns.timestamps)
        (targets, firstDefinedTarget) = CellTable(columns.targets).text(timestamps: columns.timestamps)
        featuresChecksum = Checksum.crc32c(features)
        targetsChecksum = Checksum.crc32c(targets)
    }
}

/// `features.csv` and `targets.csv` of a generation being written.
final class CSVTableWriter: FeatureTableWriter {
    private let generation: OutputGeneration
    private let featuresFile: AtomicFileWriter
    private let targetsFile: AtomicFileWriter
    private var featuresChecksum: UInt32
    private var targetsChecksum: UInt32

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
    }

    func append(_ rows: PreparedRows) throws {
        guard let csv = rows.csv else { preconditionFailure("rows prepared without CSV text for a CSV output") }
        try featuresFile.write(csv.features)
        try targetsFile.write(csv.targets)
        featuresChecksum = Checksum.combineCRC32C(featuresChecksum, csv.featuresChecksum, secondLength: csv.features.count)
        targetsChecksum = Checksum.combineCRC32C(targetsChecksum, csv.targetsChecksum, secondLength: csv.targets.count)
    }

    /// Puts both files in place in the generation and records them (CSV embeds no metadata).
    func commit(documents: OutputDocuments) throws {
        try targetsFile.commit()
        try featuresFile.commit()
        generation.record("features.csv", bytes: featuresFile.bytesWritten, checksum: featuresChecksum)
        generation.record("targets.csv", bytes: targetsFile.bytesWritten, checksum: targetsChecksum)
    }
}
