import ArgumentParser
import Foundation
import TickCore
import TickIO
import TickPipeline

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read a tick file and report its layout, time unit, rows, time range, duplicates and rejects.")

    @Argument(help: "The tick file (plain, .gz or .zst).")
    var file: String

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: "Where quarantined rows go with --bad-rows quarantine (default: rejects.csv).")
    var rejects: String?

    @OptionGroup var read: ReadFlags

    func validate() throws {
        if let rejects {
            guard read.badRows == .quarantine else { throw ValidationError("--rejects only applies with --bad-rows quarantine") }
            guard !rejects.isEmpty else { throw ValidationError("--rejects needs a file name") }
        }
    }

    func run() throws {
        let options = try read.options()
        let report = try reportingErrors {
            try ScanJob.run(path: file, options: options, rejectsPath: rejects ?? "rejects.csv", showProgress: !json && Syscall.stderrIsTerminal)
        }
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
            throughput:  \(String(format: "%.1f MB/s (%.3f s), peak RSS %.1f MiB", report.megabytesPerSecond, report.seconds, Double(report.peakResidentBytes) / 1_048_576))
            """)
    }
}
