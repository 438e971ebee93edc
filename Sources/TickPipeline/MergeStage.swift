import Foundation
import TickCore
import TickFeatures
import TickIO
import TickStore

/// The two CSV files being written: rows arrive partition by partition, in order, and the
/// files appear whole (renamed into place) only on `commit`.
final class FeatureOutputFiles {
    private let featuresFile: AtomicFileWriter
    private let targetsFile: AtomicFileWriter
    private var result: MergeStage.Result

    init(directory: RunDirectory, catalog: ColumnCatalog) throws {
        featuresFile = try AtomicFileWriter(path: directory.path + "/features.csv")
        targetsFile = try AtomicFileWriter(path: directory.path + "/targets.csv")
        try featuresFile.write((["timestamp"] + catalog.features.map(\.name)).joined(separator: ",") + "\n")
        try targetsFile.write((["timestamp"] + catalog.targets.map(\.name)).joined(separator: ",") + "\n")
        result = MergeStage.Result(firstDefinedFeature: Array(repeating: nil, count: catalog.features.count),
                                   firstDefinedTarget: Array(repeating: nil, count: catalog.targets.count))
    }

    /// Rows written so far.
    var rows: Int { result.rows }

    /// Appends the next partition's rows.
    func append(_ part: PartitionOutput) throws {
        try featuresFile.write(part.features)
        try targetsFile.write(part.targets)
        for (c, first) in part.firstDefinedFeature.enumerated() where result.firstDefinedFeature[c] == nil {
            result.firstDefinedFeature[c] = first.map { $0 + result.rows }
        }
        for (c, first) in part.firstDefinedTarget.enumerated() where result.firstDefinedTarget[c] == nil {
            result.firstDefinedTarget[c] = first.map { $0 + result.rows }
        }
        result.rows += part.rowCount
    }

    /// Puts both files in place.
    func commit() throws -> MergeStage.Result {
        try targetsFile.commit()
        try featuresFile.commit()
        return result
    }
}

/// Stage 3: feature partitions, in order, → `features.csv` and `targets.csv`, when they were
/// all taken from an earlier run (otherwise `FeatureStage` writes the rows as it computes
/// them). Partitions are decoded and formatted ahead on the pool; the files are written by one
/// writer each.
struct MergeStage {
    let calculator: FeatureCalculator
    let directory: RunDirectory
    let pool: WorkPool

    struct Result {
        var rows = 0
        var firstDefinedFeature: [Int?]
        var firstDefinedTarget: [Int?]
    }

    func run(_ state: FeatureState, into output: FeatureOutputFiles) throws {
        let expected = ((state.bars ?? 0) + state.partitionBars - 1) / state.partitionBars
        guard state.partitions.map(\.index) == Array(0..<expected) else {
            throw TickError.unreadable(path: directory.featureParts, reason: "feature partitions are incomplete (\(state.partitions.count) of \(expected))")
        }
        let tasks = OrderedTasks<PartitionOutput>(pool: pool)
        let calculator = self.calculator
        let featureParts = directory.featureParts
        var next = 0
        while next < state.partitions.count || tasks.pending > 0 {
            while next < state.partitions.count && tasks.pending <= pool.workers {
                let path = featureParts + "/" + state.partitions[next].name
                next += 1
                tasks.submit { try FeatureStage.formatStored(path: path, calculator: calculator) }
            }
            try output.append(try tasks.takeNext())
        }
    }

    /// Joins the quarantine sidecars of the tick partitions into `DIR/rejects.csv`.
    func mergeRejects(_ inputs: [InputState]) throws {
        let writer = try AtomicFileWriter(path: directory.path + "/rejects.csv")
        try writer.write(RejectsFormat.header)
        for input in inputs {
            for name in input.partitions.compactMap(\.rejects) {
                let path = directory.ticks + "/" + name
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw TickError.io(path: path, operation: "read", errno: ENOENT, message: "quarantine file missing")
                }
                try writer.write([UInt8](data))
            }
        }
        try writer.commit()
    }
}
