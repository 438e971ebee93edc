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
    /// Kept trades whose id is more than one above the previous kept trade's, and the most
    /// ids skipped at once (trades layouts with integer ids; nil otherwise). A gap is not a
    /// loss: exchanges skip ids and stop for hours with contiguous ids alike.
    public var idGaps: Int64?
    public var largestIdGap: Int64?
    /// The first and last kept trade ids (where id gaps are counted).
    public var firstId: Int64?
    public var lastId: Int64?
    /// Pauses of at least the scan's minimum gap between consecutive kept rows, and the longest
    /// pause between any two (ms).
    public var timeGaps: Int64 = 0
    public var longestTimeGapMs: Int64 = 0
    /// From the previous file's last row to this file's first (ms), in a scan of many files
    /// ordered by time; negative when they overlap.
    public var gapToPreviousMs: Int64?
}

/// What `tickforge scan` reports about many files: each file, and the files together.
public struct MultiScanReport: Sendable, Codable {
    public var files: [ScanReport]
    /// The files' rows added up (each file's own counts: the merge `features` does is not applied).
    public var total: ScanReport
    /// What to know before reading the files as one input: overlaps, mixed kinds or symbols.
    public var notes: [String]
}

/// Reads a whole tick file through the parallel tokenizer and validator and reports on it.
public enum ScanJob {
    /// Scans every file, ordered by their first row's time (ties by path), and totals them.
    /// Quarantined rows of all files go to one rejects file.
    public static func run(paths: [String], options: ReadOptions, minimumGapMs: Int64 = 60_000, rejectsPath: String? = nil,
                           showProgress: Bool = false) throws -> MultiScanReport {
        let started = DispatchTime.now()
        MemoryBudget.configureAllocator(limit: MemoryBudget.defaultLimit)
        let pool = WorkPool(workers: options.workers)
        let rejectsPath = rejectsPath ?? "rejects.csv"
        if options.badRows == .quarantine { for path in paths { try checkRejectsPath(rejectsPath, input: path) } }
        let rejects = options.badRows == .quarantine ? try AtomicFileWriter(path: rejectsPath) : nil
        try rejects?.write(RejectsFormat.header)
        // With --symbol, files whose names say another symbol are left out, as features does.
        let selected = paths.filter { path in options.symbol.map { DatasetName(path: path)?.symbol ?? $0 == $0 } ?? true }
        guard !selected.isEmpty else {
            throw TickError.invalidArgument("no file is of symbol \(options.symbol ?? "")")
        }
        let probes = try selected.map { try InputProbe.probe(path: $0, options: options) }
            .sorted { ($0.firstTime ?? .max, $0.path) < ($1.firstTime ?? .max, $1.path) }
        var reports: [ScanReport] = []
        for file in probes {
            var report = try scan(file, options: options, pool: pool, minimumGapMs: minimumGapMs, rejects: rejects, showProgress: showProgress)
            if let previous = reports.last(where: { $0.lastTimeMs != nil })?.lastTimeMs, let first = report.firstTimeMs {
                report.gapToPreviousMs = first - previous
            }
            reports.append(report)
        }
        try rejects?.commit()
        let seconds = StageClock.seconds(since: started)
        func sum(_ key: KeyPath<ScanReport, Int64>) -> Int64 { reports.reduce(0) { $0 + $1[keyPath: key] } }
        // Empty files say nothing about layout, unit or kind.
        func common(_ key: KeyPath<ScanReport, String>) -> String {
            let values = Set(reports.filter { $0.rowsRead > 0 }.map { $0[keyPath: key] })
            return values.count == 1 ? values.first! : values.isEmpty ? "" : "mixed"
        }
        let first = reports.compactMap(\.firstTimeMs).min()
        let last = reports.compactMap(\.lastTimeMs).max()
        let parsed = sum(\.bytesParsed)
        let idGaps = reports.compactMap(\.idGaps)
        let gapsBetween = Int64(reports.filter { ($0.gapToPreviousMs ?? 0) >= minimumGapMs }.count)
        let longestWithin = reports.map(\.longestTimeGapMs).max() ?? 0
        let longestBetween = reports.compactMap(\.gapToPreviousMs).max() ?? 0
        var total = ScanReport(
            path: "\(reports.count) files", layout: common(\.layout), kind: common(\.kind), timeUnit: common(\.timeUnit),
            compression: common(\.compression), rows: sum(\.rows), rowsRead: sum(\.rowsRead), duplicates: sum(\.duplicates),
            rejected: sum(\.rejected), filtered: sum(\.filtered), rounded: sum(\.rounded),
            firstTimeMs: first, lastTimeMs: last,
            firstTime: first.map { Time.iso8601(micros: $0 * 1000) }, lastTime: last.map { Time.iso8601(micros: $0 * 1000) },
            bytes: sum(\.bytes), bytesParsed: parsed, seconds: seconds,
            megabytesPerSecond: Double(parsed) / 1e6 / max(seconds, 1e-9), peakResidentBytes: Syscall.peakResidentBytes())
        // Between consecutive files too: the ids skipped from one file's last trade to the next's first.
        let skippedBetween = zip(reports, reports.dropFirst()).compactMap { a, b in
            a.lastId.flatMap { last in b.firstId.map { $0 - last - 1 } }
        }.filter { $0 > 0 }
        total.idGaps = idGaps.isEmpty ? nil : idGaps.reduce(0, +) + Int64(skippedBetween.count)
        total.largestIdGap = (reports.compactMap(\.largestIdGap) + skippedBetween).max()
        total.timeGaps = sum(\.timeGaps) + gapsBetween
        total.longestTimeGapMs = max(longestWithin, longestBetween)
        var notes: [String] = []
        let overlapping = reports.filter { ($0.gapToPreviousMs ?? 0) < 0 }.count
        if overlapping > 0 {
            notes.append("\(overlapping) file\(overlapping == 1 ? " overlaps" : "s overlap") the file before in time: `features` merges them into one stream and reads a row present in two files once; the rows and duplicates here are each file's own")
        }
        if common(\.kind) == "mixed" || common(\.layout) == "mixed" {
            notes.append("the files hold different layouts or kinds (\(Set(reports.filter { $0.rowsRead > 0 }.map(\.layout)).sorted().joined(separator: ", "))): `features` takes each kind through its own option and refuses a mix in one input")
        }
        let symbols = Set(probes.compactMap { $0.dataset?.symbol ?? $0.symbol })
        if symbols.count > 1 {
            notes.append("the files are of several symbols (\(symbols.sorted().joined(separator: ", "))): `features` refuses them in one input unless --symbol selects one")
        }
        return MultiScanReport(files: reports, total: total, notes: notes)
    }

    /// Scans one file.
    public static func run(path: String, options: ReadOptions, minimumGapMs: Int64 = 60_000, rejectsPath: String? = nil,
                           showProgress: Bool = false) throws -> ScanReport {
        try run(paths: [path], options: options, minimumGapMs: minimumGapMs, rejectsPath: rejectsPath, showProgress: showProgress).files[0]
    }

    /// Reads one probed file through the tokenizer and validator.
    static func scan(_ file: ProbedFile, options: ReadOptions, pool: WorkPool, minimumGapMs: Int64, rejects: AtomicFileWriter?,
                     showProgress: Bool) throws -> ScanReport {
        let started = DispatchTime.now()
        let path = file.path
        let stream = try TickStream(file: file, options: options, pool: pool)
        let progress = ProgressLine(label: "scan", totalBytes: stream.fileSize, enabled: showProgress)
        var first: Int64?
        var last: Int64?
        let countsIds = file.layout.map { $0.kind == .trades && $0.hasIds } ?? false
        var previousId: Int64?
        var firstId: Int64?
        var idGaps: Int64 = 0, largestIdGap: Int64 = 0
        var timeGaps: Int64 = 0, longestGap: Int64 = 0
        let minimumGap = minimumGapMs * 1000
        while let event = try stream.nextEvent() {
            for record in stream.drainRejects() { try rejects?.write(RejectsFormat.line(record)) }
            if case .rows(let batch) = event {
                if first == nil { first = batch.times.first }
                for t in batch.times {
                    if let last {
                        let gap = t - last
                        if gap >= minimumGap { timeGaps += 1 }
                        longestGap = max(longestGap, gap)
                    }
                    last = t
                }
                if countsIds {
                    for id in batch.ids where id != RowID.none {
                        if firstId == nil { firstId = id }
                        if let previousId, id > previousId + 1 {
                            idGaps += 1
                            largestIdGap = max(largestIdGap, id - previousId - 1)
                        }
                        previousId = id
                    }
                }
            }
            progress.update(doneBytes: stream.fileBytesRead)
        }
        progress.finish()
        for record in stream.drainRejects() { try rejects?.write(RejectsFormat.line(record)) }
        let seconds = StageClock.seconds(since: started)
        let counts = stream.counts
        return ScanReport(
            path: path, layout: stream.layout?.name ?? "empty", kind: stream.layout?.kind.rawValue ?? "",
            timeUnit: stream.layout?.timeUnit.rawValue ?? "", compression: stream.compression.rawValue,
            rows: counts.used, rowsRead: counts.read, duplicates: counts.duplicates, rejected: counts.rejected,
            filtered: counts.filtered, rounded: counts.rounded,
            firstTimeMs: first.map { Time.floorDiv($0, 1000) }, lastTimeMs: last.map { Time.floorDiv($0, 1000) },
            firstTime: first.map { Time.iso8601(micros: $0) }, lastTime: last.map { Time.iso8601(micros: $0) },
            bytes: file.isStandardInput ? stream.fileBytesRead : stream.fileSize, bytesParsed: stream.bytesChunked, seconds: seconds,
            megabytesPerSecond: Double(stream.bytesChunked) / 1e6 / max(seconds, 1e-9),
            peakResidentBytes: Syscall.peakResidentBytes(),
            idGaps: countsIds ? idGaps : nil, largestIdGap: countsIds ? largestIdGap : nil,
            firstId: firstId, lastId: previousId, timeGaps: timeGaps, longestTimeGapMs: longestGap / 1000)
    }

    public static func json(_ report: ScanReport) throws -> String { try JSON.encode(report) }
    public static func json(_ report: MultiScanReport) throws -> String { try JSON.encode(report) }

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
