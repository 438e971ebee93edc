import TickCore
import TickFeatures
import TickIO
#if canImport(Glibc)
import Glibc
#endif

/// The bar starts of the rows a run wrote, kept as runs of consecutive bars (one run for a
/// dense raster; `--complete-rows-only` cuts it wherever a row was dropped), for the splits.
///
/// A run costs 16 bytes. A long series whose rows drop here and there can have millions, so
/// beyond `bufferedRuns` they go to a scratch file (in the generation being written, removed
/// by `discard` or with the generation), and lookups read it front to back.
final class WrittenRowTimeline: RowTimeline {
    let intervalMs: Int64
    private let scratchPath: String
    private var scratch: OwnedFile?
    /// Runs not yet spilled: (first row, its bar start) pairs, flattened.
    private var buffered: [Int64] = []
    private var spilledRuns = 0
    private(set) var rowCount = 0
    private var lastTimestamp: Int64?

    static let bufferedRuns = 32_768

    init(intervalMs: Int64, scratchPath: String) {
        self.intervalMs = intervalMs
        self.scratchPath = scratchPath
    }

    deinit { discard() }

    /// Appends the next rows, given by their bar starts in increasing order.
    func append(_ timestamps: [Int64]) throws {
        for t in timestamps {
            if lastTimestamp.map({ t != $0 + intervalMs }) ?? true {
                buffered.append(Int64(rowCount))
                buffered.append(t)
                if buffered.count >= 2 * Self.bufferedRuns { try spill() }
            }
            lastTimestamp = t
            rowCount += 1
        }
    }

    private func spill() throws {
        if scratch == nil { scratch = try OwnedFile(path: scratchPath, flags: O_WRONLY | O_CREAT | O_TRUNC) }
        try buffered.withUnsafeBytes { try Syscall.writeAll(scratch!.fd, $0, path: scratchPath) }
        spilledRuns += buffered.count / 2
        buffered.removeAll(keepingCapacity: true)
    }

    /// Removes the scratch file, if there is one.
    func discard() {
        guard scratch != nil else { return }
        scratch = nil
        Syscall.unlinkIfPresent(scratchPath)
    }

    /// Every run in order, as (first row, its bar start, the row after its last): the spilled
    /// ones read back piece by piece, then the buffered ones.
    private func forEachRun(_ body: (_ row: Int, _ time: Int64, _ end: Int) -> Void) throws {
        var previous: (row: Int, time: Int64)?
        func take(_ row: Int, _ time: Int64) {
            if let p = previous { body(p.row, p.time, row) }
            previous = (row, time)
        }
        if spilledRuns > 0 {
            let file = try OwnedFile(path: scratchPath, flags: O_RDONLY)
            var pending: [UInt8] = []
            try file.forEachPiece(size: 1 << 20) { piece in
                pending += piece
                let whole = pending.count / 16 * 16
                pending.withUnsafeBytes { raw in
                    for k in stride(from: 0, to: whole, by: 16) {
                        take(Int(raw.loadUnaligned(fromByteOffset: k, as: Int64.self)), raw.loadUnaligned(fromByteOffset: k + 8, as: Int64.self))
                    }
                }
                pending.removeFirst(whole)
            }
        }
        for k in stride(from: 0, to: buffered.count, by: 2) { take(Int(buffered[k]), buffered[k + 1]) }
        if let p = previous { body(p.row, p.time, rowCount) }
    }

    func timestamps(ofRows rows: [Int]) throws -> [Int64] {
        let order = rows.indices.sorted { rows[$0] < rows[$1] }
        var result = [Int64](repeating: 0, count: rows.count)
        var next = 0
        try forEachRun { row, time, end in
            while next < order.count && rows[order[next]] < end {
                result[order[next]] = time + Int64(rows[order[next]] - row) * intervalMs
                next += 1
            }
        }
        return result
    }

    func firstRows(atOrAfter times: [Int64]) throws -> [Int] {
        let order = times.indices.sorted { times[$0] < times[$1] }
        var result = [Int](repeating: rowCount, count: times.count)
        var next = 0
        try forEachRun { row, time, end in
            // Times up to this run's last bar find their row in it (the run's first row for
            // times before it: they fell between the previous run and this one).
            let last = time + Int64(end - 1 - row) * intervalMs
            while next < order.count && times[order[next]] <= last {
                let t = times[order[next]]
                result[order[next]] = t <= time ? row : row + Int((t - time + intervalMs - 1) / intervalMs)
                next += 1
            }
        }
        return result
    }
}
