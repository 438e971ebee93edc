import ArgumentParser
import Foundation
import TickPipeline

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a run directory (manifest, partitions, rows, time ranges, sizes, compression, checksums) or one partition file.")

    @Argument(help: "An output directory of `tickforge features`, or a .tfp partition file.")
    var path: String

    @Flag(help: "Decode every partition and check every column checksum; exit 1 on any damage.")
    var verify = false

    func run() throws {
        let report = try reportingErrors { try InspectJob.run(path: path, verify: verify) }
        for line in report.lines { print(line) }
        if report.damaged > 0 {
            print("\(report.damaged) damaged or missing file(s); rerun `tickforge features` with the same flags to recompute them")
            throw ExitCode.failure
        }
    }
}
