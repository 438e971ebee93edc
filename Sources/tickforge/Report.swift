import ArgumentParser
import Foundation
import TickPipeline

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write DIR/report.html: one self-contained page (HTML, CSS and SVG, no script, nothing fetched) showing a finished run.",
        discussion: """
            Charts of close, volume, ewm_vol and each rv_{w} over time (millions of bars aggregated \
            into 1200 pixel columns, high-volatility stretches shaded), the splits on the same time \
            axis, each column's coverage and distribution, and each feature's Spearman correlation \
            with fwd_ret_{h} and AUC for fwd_up_{h} on the train rows (the first fold's train set of \
            splits.json, else the first 70 % of rows; at most 200,000 of them, every k-th). One \
            streaming pass over features.csv and targets.csv in bounded memory; a run written with \
            --format parquet only is refused (rerun with --format csv or both). The run directory is \
            only read; an existing report.html is replaced only if tickforge wrote it.
            """)

    @Argument(help: "The --out directory of a finished `tickforge features` run.")
    var directory: String

    @Option(help: ArgumentHelp("Where to write the page (default DIR/report.html).", valueName: "file"))
    var output: String?

    func run() throws {
        let outcome = try reportingErrors { try ReportJob.run(directory: directory, output: output) }
        print("wrote \(outcome.path) (\(outcome.bytes) bytes, \(outcome.rows) rows) in \(String(format: "%.2f", outcome.seconds)) s")
    }
}
