import Foundation

/// When an unforced save of a state file (the manifest, a shard's fragment) may be skipped:
/// within 0.2 s of the last save, or within twenty times as long as the last save took. A
/// partition missing from the state is only recomputed on resume, and a manifest that lists
/// thousands of files takes long enough to encode that saving it after every partition would
/// make a run's time grow with the square of its files.
struct SaveThrottle {
    private var lastEnd: UInt64?
    private var lastCost: UInt64 = 0

    /// Whether a save asked for now should be written.
    func allows(force: Bool) -> Bool {
        guard !force, let lastEnd else { return true }
        return DispatchTime.now().uptimeNanoseconds - lastEnd >= max(200_000_000, 20 * lastCost)
    }

    /// Runs `save` and records how long it took.
    mutating func measure(_ save: () throws -> Void) rethrows {
        let start = DispatchTime.now().uptimeNanoseconds
        try save()
        let end = DispatchTime.now().uptimeNanoseconds
        lastEnd = end
        lastCost = end - start
    }
}
