import ArgumentParser
import Foundation
import TickCore
import TickFeatures
import TickIO
import TickPipeline

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read tick files and report each one's layout, time unit, rows, time range, gaps, duplicates and rejects.")

    @Argument(help: "Tick files, folders (every file below) or glob patterns; plain, .gz, .zst or .zip; - for standard input.")
    var files: [String]

    @Option(help: ArgumentHelp("Count pauses between rows of at least this long as time gaps (e.g. 10s, 1m, 1h).", valueName: "interval"))
    var minGap: String = "1m"

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: "Where quarantined rows go with --bad-rows quarantine (default: rejects.csv).")
    var rejects: String?

    @OptionGroup var read: ReadFlags

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("Missing expected argument '<files> ...'") }
        if try read.mappings().count > 1 {
            throw ValidationError("scan reads every file with one mapping: give one --columns")
        }
        if try read.timeUnits().keys.contains(where: { !$0.isEmpty }) {
            throw ValidationError("scan reads files, not inputs: give --time-unit UNIT, without a role")
        }
        guard BarInterval(minGap) != nil else { throw ValidationError("--min-gap '\(minGap)' is not a whole number of ms, s, m, h or d") }
        if let rejects {
            guard read.badRows == .quarantine else { throw ValidationError("--rejects only applies with --bad-rows quarantine") }
            guard !rejects.isEmpty else { throw ValidationError("--rejects needs a file name") }
        }
    }

    func run() throws {
        let options = try read.options()
        let gap = BarInterval(minGap)!.micros / 1000
        let multi = try reportingErrors {
            try ScanJob.run(paths: try InputFiles.expand(files, option: "scan"), options: options, minimumGapMs: gap,
                            rejectsPath: rejects ?? "rejects.csv", showProgress: !json && Syscall.stderrIsTerminal)
        }
        if multi.files.count > 1 {
            print(json ? try ScanJob.json(multi) : ScanTable.text(multi, minimumGap: minGap))
            return
        }
        let report = multi.files[0]
        if json {
            print(try ScanJob.json(report))
            return
        }
        print("""
            file:        \(report.path) (\(report.bytes) bytes\(report.compression == "none" ? "" : ", \(report.compression)"))
            layout:      \(report.layout)\(report.kind.isEmpty ? "" : " (\(report.kind))")
            time unit:   \(report.timeUnit.isEmpty ? "-" : report.timeUnit)
            rows:        \(report.rows)  (read \(report.rowsRead), duplicates \(report.duplicates), rejected \(report.rejected)\(report.filtered > 0 ? ", filtered \(report.filtered)" : "")\(report.rounded > 0 ? ", rounded \(report.rounded)" : ""))
            first time:  \(report.firstTime ?? "-")
            last time:   \(report.lastTime ?? "-")
            gaps:        \(ScanTable.gaps(report, minimumGap: minGap))
            throughput:  \(String(format: "%.1f MB/s (%.3f s), peak RSS %.1f MiB", report.megabytesPerSecond, report.seconds, Double(report.peakResidentBytes) / 1_048_576))
            """)
    }
}

/// The text `scan` prints for many files: a row per file, then the total.
enum ScanTable {
    static func text(_ multi: MultiScanReport, minimumGap: String) -> String {
        var rows: [[String]] = [["file", "layout", "unit", "rows", "first time", "last time", "gap before", "rejected", "duplicates"]]
        for r in multi.files {
            rows.append([r.path, r.layout + (r.compression == "none" ? "" : " (\(r.compression))"), r.timeUnit.isEmpty ? "-" : r.timeUnit, String(r.rows),
                         r.firstTime ?? "-", r.lastTime ?? "-", r.gapToPreviousMs.map(duration) ?? "-", String(r.rejected), String(r.duplicates)])
        }
        let t = multi.total
        rows.append(["total: \(multi.files.count) files", t.layout, t.timeUnit, String(t.rows), t.firstTime ?? "-", t.lastTime ?? "-", "", String(t.rejected), String(t.duplicates)])
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max()! }
        var lines = rows.map { row in row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        lines.insert(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "), at: 1)
        lines.append("")
        lines.append("gaps: " + gaps(t, minimumGap: minimumGap) + " (within and between files)")
        for note in multi.notes { lines.append("note: " + note) }
        lines.append(String(format: "read %.1f MB in %.2f s (%.1f MB/s), peak RSS %.1f MiB", Double(t.bytesParsed) / 1e6, t.seconds, t.megabytesPerSecond, Double(t.peakResidentBytes) / 1_048_576))
        return lines.joined(separator: "\n")
    }

    /// `3 pauses of 1m or more, longest 2h 5m; 12 id gaps, largest 40 ids (a gap is not a loss: …)`.
    static func gaps(_ r: ScanReport, minimumGap: String) -> String {
        var text = "\(r.timeGaps) pause\(r.timeGaps == 1 ? "" : "s") of \(minimumGap) or more, longest \(duration(r.longestTimeGapMs))"
        if let idGaps = r.idGaps {
            text += "; \(idGaps) id gap\(idGaps == 1 ? "" : "s"), largest \(r.largestIdGap ?? 0) ids skipped (exchanges skip ids and pause with contiguous ids alike: neither proves trades were lost)"
        }
        return text
    }

    /// `2h 5m 3.2s`, `850ms`, `-1.5s` (overlap).
    static func duration(_ ms: Int64) -> String {
        if ms < 0 { return "-" + duration(-ms) + " (overlap)" }
        if ms < 1000 { return "\(ms)ms" }
        let seconds = Double(ms % 60_000) / 1000
        let minutes = ms / 60_000
        var parts: [String] = []
        if minutes >= 60 { parts.append("\(minutes / 60)h") }
        if minutes % 60 > 0 { parts.append("\(minutes % 60)m") }
        if seconds > 0 { parts.append(String(format: seconds == seconds.rounded() ? "%.0fs" : "%.1fs", seconds)) }
        return parts.joined(separator: " ")
    }
}
