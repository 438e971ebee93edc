import Foundation
import TickCore
import TickCSV
import TickIO
import TickStore

/// Merges a sorted file's runs in passes until few enough overlap at once (sort mode).
///
/// The final merge holds a block of every run whose time range overlaps the others', so a file
/// shuffled from end to end would hold a block of all of them. Here groups of `fanIn`
/// consecutive runs that overlap are merged into one run, written as blocks, and listed in the
/// manifest in their place (then their files go); passes repeat until no more than `fanIn`
/// runs overlap. Merged rows keep the order the final merge would give them (time, id, then
/// run order), so the outputs do not change. A pass killed on the way leaves the old runs
/// listed: the next run merges again.
struct SortedRunMerger {
    let role: String
    let directory: RunDirectory
    let pool: WorkPool
    /// Runs merged at once, and rows per block written.
    let fanIn: Int
    let blockRows: Int

    /// The most runs of `state` whose time ranges overlap at one instant.
    static func overlap(_ runs: [[TickPartitionEntry]]) -> Int {
        var events: [(time: Int64, delta: Int)] = []
        for run in runs {
            guard let first = run.map(\.firstTime).min(), let last = run.map(\.lastTime).max() else { continue }
            events.append((first, 1))
            events.append((last, -1))
        }
        // At equal times a run starting counts before one ending: both hold rows of that instant.
        events.sort { $0.time != $1.time ? $0.time < $1.time : $0.delta > $1.delta }
        var open = 0, most = 0
        for event in events {
            open += event.delta
            most = max(most, open)
        }
        return most
    }

    /// The file's runs, in run order.
    static func runs(_ state: InputState) -> [[TickPartitionEntry]] {
        Dictionary(grouping: state.partitions) { $0.run ?? 0 }.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Merges `state`'s runs until at most `fanIn` overlap; `save` records each pass.
    func reduce(_ state: InputState, path: String, save: (InputState) throws -> Void) throws -> InputState {
        var state = state
        while Self.overlap(Self.runs(state)) > fanIn {
            let runs = Self.runs(state)
            var merged: [TickPartitionEntry] = []
            var nextIndex = (state.partitions.compactMap { RunFileName.tickPartitionIndex($0.name) }.max() ?? -1) + 1
            for group in stride(from: 0, to: runs.count, by: fanIn).map({ Array(runs[$0..<min($0 + fanIn, runs.count)]) }) {
                guard group.count > 1 else {
                    merged += group[0]
                    continue
                }
                merged += try merge(group, path: path, fileNumber: state.fileNumber, nextIndex: &nextIndex)
            }
            func files(_ entries: [TickPartitionEntry]) -> Set<String> { Set(entries.flatMap { [$0.name] + ($0.rejects.map { [$0] } ?? []) }) }
            let old = files(state.partitions)
            state.partitions = merged
            // The manifest lists the merged runs before the runs they replace go.
            try save(state)
            for name in old.subtracting(files(merged)) { try Syscall.remove(directory.ticks + "/" + name) }
        }
        return state
    }

    /// Merges consecutive runs into one, written as blocks named from `nextIndex` on.
    private func merge(_ group: [[TickPartitionEntry]], path: String, fileNumber: Int, nextIndex: inout Int) throws -> [TickPartitionEntry] {
        let run = group[0].first!.run ?? 0
        let sources = group.enumerated().map { place, entries in
            MergeSource(path: path, partitions: entries, firstTime: entries.map(\.firstTime).min()!, lastTime: entries.map(\.lastTime).max()!,
                        rank: place)
        }
        // No rule here: the final merge applies them to the whole stream.
        let reader = MergedTickReader(directory: directory, sources: sources, kind: role == "quotes" ? .quotes : .trades,
                                      compareIds: false, inferSides: false, badRows: .quarantine, pool: pool) { _ in
            fatalError("a merge without rules finds no conflict")
        }
        var entries: [TickPartitionEntry] = []
        let firstIndex = nextIndex
        var pending: TickBatchBuilder?
        var firstRow: Int64 = group[0].first!.firstRow
        func writeBlock(_ batch: TickBatch) throws {
            let name = RunFileName.tickPartition(role: role, file: fileNumber, index: nextIndex)
            nextIndex += 1
            let contents = try PartitionCodec.contents(batch)
            let file = try PartitionFormat.encodeWithChecksum(contents, compressor: Zstd.Compressor(level: PartitionCompression.tickLevel))
            try AtomicFileWriter.write(file.bytes, to: directory.ticks + "/" + name)
            entries.append(TickPartitionEntry(name: name, firstRow: firstRow, rows: contents.rowCount, bytes: file.bytes.count,
                                              checksum: file.checksum, firstTime: contents.minTime, lastTime: contents.maxTime,
                                              resume: nil, rejects: nil, run: run, runEnd: false))
            firstRow += Int64(contents.rowCount)
        }
        while let batch = try reader.next() {
            for row in 0..<batch.count {
                if pending == nil { pending = TickBatchBuilder(like: batch) }
                pending!.append(batch, row: row)
                if pending!.count == blockRows {
                    try writeBlock(pending!.batch)
                    pending = nil
                }
            }
        }
        if let pending, pending.count > 0 { try writeBlock(pending.batch) }
        if entries.isEmpty { try writeBlock(role == "quotes" ? .quotes(QuoteColumns()) : .trades(TradeColumns())) }
        entries[entries.count - 1].runEnd = nil
        // The runs' quarantined rows, in run order, in one sidecar beside the merged run's
        // first block (copied piece by piece: a sidecar may hold most of a file).
        let sidecars = group.flatMap { $0.compactMap(\.rejects) }
        if !sidecars.isEmpty {
            let name = RunFileName.tickRejects(role: role, file: fileNumber, index: firstIndex)
            let writer = try AtomicFileWriter(path: directory.ticks + "/" + name, bufferSize: 256 << 10)
            for sidecar in sidecars {
                try OwnedFile(path: directory.ticks + "/" + sidecar, flags: O_RDONLY).forEachPiece { try writer.write(Array($0)) }
            }
            try writer.commit()
            entries[0].rejects = name
        }
        return entries
    }
}
