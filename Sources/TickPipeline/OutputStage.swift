import Foundation
import TickCore
import TickFeatures
import TickIO
import TickStore
#if canImport(Glibc)
import Glibc
#endif

/// Stage 3: completes a generation's outputs. When every feature partition was taken from an
/// earlier run (otherwise `FeatureStage` hands the rows over as it computes them), their rows
/// go to the outputs in order, decoded and prepared ahead on the pool; in quarantine mode, the
/// quarantined rows of every tick partition and of the merge are joined into `rejects.csv`.
struct OutputStage {
    let calculator: FeatureCalculator
    let directory: RunDirectory
    let pool: WorkPool
    let options: OutputOptions

    /// Hands the rows of the stored feature partitions, in order, to `output`.
    func writeStoredRows(_ state: FeatureState, into output: FeatureOutputs) throws {
        _ = try Self.storedPartitionPaths(state, directory: directory)
        let tasks = OrderedTasks<PreparedRows>(pool: pool)
        let calculator = self.calculator
        let options = self.options
        let featureParts = directory.featureParts
        var next = 0
        while next < state.partitions.count || tasks.pending > 0 {
            while next < state.partitions.count && tasks.pending <= pool.workers {
                let path = featureParts + "/" + state.partitions[next].name
                next += 1
                tasks.submit { try FeatureStage.prepareStored(path: path, calculator: calculator, options: options) }
            }
            try output.append(try tasks.takeNext())
        }
    }

    /// The paths of the stored feature partitions in order, after checking that they are
    /// consecutive partitions of the epoch grid that hold every bar.
    static func storedPartitionPaths(_ state: FeatureState, directory: RunDirectory) throws -> [String] {
        let indices = state.partitions.map(\.index)
        let rows = state.partitions.reduce(0) { $0 + $1.rows }
        guard let first = indices.first, indices == Array(first..<(first + indices.count)), rows == state.bars ?? -1 else {
            throw TickError.unreadable(path: directory.featureParts, reason: "feature partitions are incomplete (\(rows) of \(state.bars ?? 0) bars)")
        }
        return state.partitions.map { directory.featureParts + "/" + $0.name }
    }

    /// Joins the quarantine sidecars of the tick partitions into the generation's `rejects.csv`.
    /// - Parameter extra: the sidecar of rows the merge of files rejected, in the features folder.
    func joinRejects(_ inputs: [InputState], extra: [String], into generation: OutputGeneration) throws {
        let name = "rejects.csv"
        let writer = try AtomicFileWriter(path: generation.filePath(name))
        try writer.write(RejectsFormat.header)
        var checksum = Checksum.crc32c(RejectsFormat.header)
        // Copied piece by piece: a sidecar holds every bad row of a partition, which may be most
        // of a file.
        let sidecars = inputs.flatMap { $0.partitions.compactMap(\.rejects).map { directory.ticks + "/" + $0 } }
            + extra.map { directory.featureParts + "/" + $0 }
        for path in sidecars {
            try OwnedFile(path: path, flags: O_RDONLY).forEachPiece { piece in
                checksum = Checksum.crc32c(piece, seed: checksum)
                try writer.write(Array(piece))
            }
        }
        try writer.commit()
        generation.record(name, bytes: writer.bytesWritten, checksum: checksum)
    }
}
