import TickCore

/// How a `--memory-limit` is shared between the stages. Every size that decides how much is in
/// memory at once derives from it, so peak memory follows the limit, not the input size.
///
/// The costs it is based on, from peak RSS measured from outside (Scripts/stress-memory.sh,
/// Scripts/peak-rss.py): a chunk in flight holds its bytes plus about as much in parsed columns;
/// tick partitions about 300 bytes a row at the peak (filling one, encoding up to two); a feature
/// partition about 1.2 KB a bar with its columns and text; about 32 MiB for the runtime.
public struct MemoryBudget: Sendable, Equatable {
    public let limit: Int
    public let chunkSize: Int
    public let maxRecordSize: Int
    public let tickPartitionRows: Int
    public let featurePartitionBars: Int

    /// Below this nothing useful fits beside the runtime itself.
    public static let minimum = 64 << 20
    /// Resident memory of the process before any data: code, Swift runtime, Foundation, thread
    /// stacks, allocator slack (measured about 25 MiB; rounded up).
    public static let runtimeOverhead = 32 << 20
    public static let defaultLimit = 1 << 30

    /// - Parameters:
    ///   - chunkSize, maxRecordSize: explicit flags, checked against the limit.
    ///   - workers: chunks in flight are `workers + 2` per input.
    public init(limit: Int, workers: Int, chunkSize: Int?, maxRecordSize: Int?, partitionBars: Int?, tickPartitionRows: Int? = nil) throws {
        guard limit >= Self.minimum else {
            throw TickError.invalidArgument("--memory-limit \(limit >> 20) MiB is below the minimum of \(Self.minimum >> 20) MiB")
        }
        self.limit = limit
        let usable = limit - Self.runtimeOverhead
        let inFlight = workers + 2
        // A quarter for chunks in flight (bytes + parsed columns ≈ 2× the chunk).
        let chunkShare = usable / 4
        // Past 2 MiB a chunk only costs memory: parsing one already takes far longer than cutting it.
        let derivedChunk = min(2 << 20, max(64 << 10, chunkShare / (2 * inFlight)))
        let chunk = chunkSize ?? derivedChunk
        if 2 * inFlight * chunk > chunkShare + chunkShare / 2 {
            throw TickError.invalidArgument("--chunk-size \(chunk) with \(workers) workers needs about \(2 * inFlight * chunk >> 20) MiB in flight, more than --memory-limit \(limit >> 20) MiB allows; use a smaller chunk size or fewer workers")
        }
        self.chunkSize = chunk
        // One record must fit in a chunk buffer beside the others.
        let recordCap = chunkShare / 4
        let record = maxRecordSize ?? min(1 << 20, recordCap)
        if record > recordCap {
            throw TickError.invalidArgument("--max-record-size \(record >> 20) MiB does not fit in --memory-limit \(limit >> 20) MiB (at most \(recordCap >> 20) MiB)")
        }
        self.maxRecordSize = record
        // A quarter for the tick partition being filled and encoded.
        // About 300 bytes a row at the peak: the columns being filled, plus up to two finished
        // partitions and their encoding buffers waiting for the pool (measured on bookTicker rows).
        self.tickPartitionRows = tickPartitionRows ?? min(1 << 20, max(16 << 10, (usable / 4) / 300))
        // A quarter for feature partitions in flight (workers + 1 of them). About 2,600 bytes a
        // bar at the peak of a task: its bars with halos, the computed columns, the encoded
        // partition and the CSV text (with its scratch) — measured on the default columns.
        // Small enough that every worker has partitions to compute and format in parallel.
        featurePartitionBars = partitionBars ?? min(8_192, max(1_024, (usable / 4) / (2_600 * (workers + 1))))
    }
}

extension MemoryBudget {
    /// Tunes glibc's allocator for a run under `limit`. Call before the pool starts.
    ///
    /// - Arenas: glibc gives each thread that allocates its own arena and keeps freed memory
    ///   there; with the pool's threads that slack alone can be tens of MiB. Two arenas keep
    ///   the peak close to what the budget plans (measured: −6 MiB at a 64 MiB limit).
    /// - Large blocks: chunks, column buffers and encoded partitions are megabytes each and are
    ///   freed and allocated again all run long. Above glibc's default thresholds they are
    ///   mapped fresh or trimmed away and every page faults in again, which was a tenth of a
    ///   1 GiB run's CPU, nearly all of it system time. Serving them from the heap, keeping up
    ///   to twice as much free at its top, halved the system time (1.0–1.4 s → 0.55–0.7 s
    ///   over five alternating runs) for 5–20 MiB more peak RSS at the default limit; the
    ///   thresholds scale with the limit (4 MiB at 64 MiB, 64 MiB from 1 GiB up) so small
    ///   limits keep their headroom.
    public static func configureAllocator(limit: Int) {
        _ = glibcMallopt(glibcArenaMax, 2)
        let threshold = min(64 << 20, max(4 << 20, limit / 16))
        _ = glibcMallopt(glibcMmapThreshold, Int32(threshold))
        _ = glibcMallopt(glibcTrimThreshold, Int32(2 * threshold))
    }
}

/// glibc's `mallopt` (not exported by the Glibc module, whose headers omit malloc.h).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
/// `M_ARENA_MAX`, `M_MMAP_THRESHOLD` and `M_TRIM_THRESHOLD` from glibc's malloc.h.
private let glibcArenaMax: Int32 = -8
private let glibcMmapThreshold: Int32 = -3
private let glibcTrimThreshold: Int32 = -1
