import Foundation
import TickCore
import TickCSV
import TickIO

/// What `tickforge scan` reports about one file.
public struct ScanReport: Sendable, Codable {
    public var path: String
    public var layout: String
    public var kind: String
    public var timeUnit: String
    public var compression: String
    /// Rows kept (read − rejected − duplicates − filtered).
    public var rows: Int64
    public var rowsRead: Int64
    public var duplicates: Int64
    public var rejected: Int64
    /// Rows of other symbols than `--symbol`'s, skipped.
    public var filtered: Int64
    /// Rows with a price or quantity rounded to 8 decimals (mapped layouts).
    public var rounded: Int64
    public var firstTimeMs: Int64?
    public var lastTimeMs: Int64?
    public var firstTime: String?
    public var lastTime: String?
    /// Bytes of the file on disk.
    public var bytes: Int64
    /// Bytes parsed (decompressed).
    public var bytesParsed: Int64
    public var seconds: Double
    public var megabytesPerSecond: Double
    public var peakResidentBytes: Int64
}

/// Reads a whole tick file through the parallel tokenizer and validator and reports on it.
public enum ScanJob {
    public static func run(path: String, options: ReadOptions, rejectsPath: String? = nil, showProgress: Bool = false) throws -> ScanReport {
        let started = DispatchTime.now()
        MemoryBudget.configureAllocator(limit: MemoryBudget.defaultLimit)
        let pool = WorkPool(workers: options.workers)
        let rejectsPath = rejectsPath ?? "rejects.csv"
        if options.badRows == .quarantine { try checkRejectsPath(rejectsPath, input: path) }
        let rejects = options.badRows == .quarantine ? try AtomicFileWriter(path: rejectsPath) : nil
        try rejects?.write(RejectsFormat.header)
        let stream = try TickStream(path: path, options: options, pool: pool)
        let progress = ProgressLine(label: "scan", totalBytes: stream.fileSize, enabled: showProgress)
        var first: Int64?
        var last: Int64?
        while let event = try stream.nextEvent() {
            for record in stream.drainRejects() { try rejects?.write(RejectsFormat.line(record)) }
            if case .rows(let batch) = event {
                if first == nil { first = batch.times.first }
                last = batch.times.last ?? last
            }
            progress.update(doneBytes: stream.fileBytesRead)
        }
        progress.finish()
        for record in stream.drainRejects() { try rejects?.write(RejectsFormat.line(record)) }
        try rejects?.commit()
        let seconds = StageClock.seconds(since: started)
        let counts = stream.counts
        return ScanReport(
            path: path, layout: stream.layout?.name ?? "empty", kind: stream.layout?.kind.rawValue ?? "",
            timeUnit: stream.layout?.timeUnit.rawValue ?? "", compression: stream.compression.rawValue,
            rows: counts.used, rowsRead: counts.read, duplicates: counts.duplicates, rejected: counts.rejected,
            filtered: counts.filtered, rounded: counts.rounded,
            firstTimeMs: first.map { Time.floorDiv($0, 1000) }, lastTimeMs: last.map { Time.floorDiv($0, 1000) },
            firstTime: first.map { Time.iso8601(micros: $0) }, lastTime: last.map { Time.iso8601(micros: $0) },
            bytes: stream.fileSize, bytesParsed: stream.bytesChunked, seconds: seconds,
            megabytesPerSecond: Double(stream.bytesChunked) / 1e6 / max(seconds, 1e-9),
            peakResidentBytes: Syscall.peakResidentBytes())
    }

    public static func json(_ report: ScanReport) throws -> String { try JSON.encode(report) }

    /// Refuses a rejects path that is the input itself, or that holds anything but a rejects
    /// file of tickforge's (recognised by its header line): scan replaces only what it wrote.
    static func checkRejectsPath(_ rejects: String, input: String) throws {
        if let identity = Syscall.identity(rejects), identity == Syscall.identity(input) {
            throw TickError.invalidArgument("--rejects \(rejects) is the file being scanned; name another file for the quarantined rows")
        }
        guard let kind = Syscall.entryKind(rejects) else { return }
        if kind != .file || !OwnedFile.starts(rejects, with: RejectsFormat.header) {
            throw TickError.invalidArgument("--rejects \(rejects) exists and is not a rejects file tickforge wrote; move it away or name another file")
        }
    }
}
