import Foundation
import TickCore
import TickFeatures
import TickIO
import TickStore

/// Stage 3: feature partitions, in order, → `features.csv` and `targets.csv`. Partitions are
/// decoded and formatted ahead on the pool; the files are written by one writer each and
/// appear whole (renamed into place) only when complete.
struct MergeStage {
    let calculator: FeatureCalculator
    let directory: RunDirectory
    let pool: WorkPool

    struct Result {
        var rows = 0
        var firstDefinedFeature: [Int?]
        var firstDefinedTarget: [Int?]
    }

    func run(_ state: FeatureState, progress: (Int) -> Void) throws -> Result {
        let catalog = calculator.catalog
        let expected = ((state.bars ?? 0) + state.partitionBars - 1) / state.partitionBars
        guard state.partitions.map(\.index) == Array(0..<expected) else {
            throw TickError.unreadable(path: directory.featureParts, reason: "feature partitions are incomplete (\(state.partitions.count) of \(expected))")
        }
        let featuresFile = try AtomicFileWriter(path: directory.path + "/features.csv")
        let targetsFile = try AtomicFileWriter(path: directory.path + "/targets.csv")
        try featuresFile.write((["timestamp"] + catalog.features.map(\.name)).joined(separator: ",") + "\n")
        try targetsFile.write((["timestamp"] + catalog.targets.map(\.name)).joined(separator: ",") + "\n")
        var result = Result(firstDefinedFeature: Array(repeating: nil, count: catalog.features.count),
                            firstDefinedTarget: Array(repeating: nil, count: catalog.targets.count))
        let tasks = OrderedTasks<PartitionOutput>(pool: pool)
        let calculator = self.calculator
        var next = 0
        while next < state.partitions.count || tasks.pending > 0 {
            while next < state.partitions.count && tasks.pending <= pool.workers {
                let path = directory.featureParts + "/" + state.partitions[next].name
                next += 1
                tasks.submit {
                    let contents = try PartitionFormat.read(path: path)
                    return calculator.format(try PartitionCodec.featureColumns(contents, catalog: calculator.catalog, path: path))
                }
            }
            let part = try tasks.takeNext()
            try featuresFile.write(part.features)
            try targetsFile.write(part.targets)
            for (c, first) in part.firstDefinedFeature.enumerated() where result.firstDefinedFeature[c] == nil {
                result.firstDefinedFeature[c] = first.map { $0 + result.rows }
            }
            for (c, first) in part.firstDefinedTarget.enumerated() where result.firstDefinedTarget[c] == nil {
                result.firstDefinedTarget[c] = first.map { $0 + result.rows }
            }
            result.rows += part.rowCount
            progress(next - tasks.pending)
        }
        try targetsFile.commit()
        try featuresFile.commit()
        return result
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
