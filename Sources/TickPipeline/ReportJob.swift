import Foundation
import TickCore
import TickIO

/// What `tickforge report` wrote.
public struct ReportOutcome: Sendable {
    public var path: String
    public var bytes: Int
    public var rows: Int
    public var seconds: Double
}

/// `tickforge report DIR`: one streaming pass over a finished run's CSVs (`ReportScan`), the
/// tables computed from it (`ReportFindings`), laid out as one self-contained page
/// (`ReportHTML`, `ReportSVG`) and written atomically to `DIR/report.html`. Reads the run
/// directory and writes only the report (and its temporary file beside it).
public enum ReportJob {
    /// The report's name in the run directory.
    public static let fileName = "report.html"

    /// The features columns drawn over time, in this order: price, volume, then the volatility
    /// panels (`rv_{w}` of every window the run has, found in the metadata).
    static func chartedSeries(_ features: ReportTableMetadata) -> [String] {
        let windows = features.columns.compactMap { column in column.windowBars.flatMap { column.name == "rv_\($0)" ? column.name : nil } }
        return ["close", "volume", ReportFindings.volatilitySeries] + windows
    }

    /// Writes the report of the run in `directory` to `output` (default `directory/report.html`).
    public static func run(directory: String, output: String? = nil, now: () -> Date = Date.init) throws -> ReportOutcome {
        let started = DispatchTime.now().uptimeNanoseconds
        let path = output ?? directory + "/" + fileName
        // Before any work: a file in the way that is not an earlier report stops the command.
        try checkReplaceable(path)
        let run = try ReportRun.open(directory)
        let scan = try ReportScan(run: run, series: chartedSeries(run.features))
        let findings = ReportFindings(scan: scan, run: run)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let html = ReportHTML.page(run: run, scan: scan, findings: findings, making: .init(seconds: seconds, madeAt: now()))
        // Checked again just before the rename: a file the user put there meanwhile is kept.
        try checkReplaceable(path)
        let bytes = Array(html.utf8)
        try AtomicFileWriter.write(bytes, to: path)
        return ReportOutcome(path: path, bytes: bytes.count, rows: scan.rows,
                             seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }

    /// Refuses to replace anything at `path` but a report tickforge wrote: a regular file that
    /// starts with `ReportHTML.marker`. A user's own `report.html`, a link or a folder there is
    /// never overwritten.
    static func checkReplaceable(_ path: String) throws {
        guard let kind = Syscall.entryKind(path) else { return }
        let advice = "move it away, or write the report elsewhere with --output"
        guard kind == .file else {
            throw TickError.invalidArgument("\(path) exists and is a \(kind == .link ? "link" : kind == .directory ? "folder" : "special file"), not a report tickforge wrote; \(advice)")
        }
        guard OwnedFile.starts(path, with: Array(ReportHTML.marker.utf8)) else {
            throw TickError.invalidArgument("\(path) exists and is not a report of `tickforge report` (it does not start with \(ReportHTML.marker)); it is left as it is: \(advice)")
        }
    }
}
