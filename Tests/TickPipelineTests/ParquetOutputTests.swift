import Foundation
import Testing

/// `--format parquet|both` end to end (contract, Files): pyarrow, DuckDB and polars read
/// `features.parquet` and `targets.parquet` without options and find every CSV value bit for
/// bit, the nulls where the CSV has empty cells, and the JSON metadata; the bytes do not depend
/// on workers, partitions, memory limits or resumes.
@Suite("Parquet outputs", .serialized)
struct ParquetOutputTests {
    static let script = TestPaths.repository.appendingPathComponent("Scripts/parquet_readback.py").path

    static func readBack(_ arguments: [String]) throws -> ProcessResult {
        try runProcess("/usr/bin/env", ["python3", script] + arguments)
    }

    @Test(arguments: [
        ["--quotes", FeatureRun.btcQuotes, "--max-quote-age", "0.2"],
        ["--quotes", FeatureRun.btcQuotes, "--interval", "100ms", "--windows", "3,10", "--horizons", "2,5", "--complete-rows-only"],
        ["--interval", "250ms", "--windows", "4", "--horizons", "1,3", "--from", "2024-08-08T23:56:00"],
    ])
    func threeReadersFindTheCSVValues(flags: [String]) throws {
        let dir = try TemporaryDirectory("tf-parquet")
        defer { dir.remove() }
        let out = dir.path("out")
        let run = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", out, "--format", "both"] + flags)
        try #require(run.status == 0, "\(run.stderrText)")
        let check = try Self.readBack(["--run", out])
        #expect(check.status == 0, "\(check.stdoutText)\n\(check.stderrText)")
        #expect(check.stdoutText.components(separatedBy: "\nok ").count + (check.stdoutText.hasPrefix("ok ") ? 0 : -1) == 6,
                "three readers, two files: \(check.stdoutText)")
        // A Parquet-only run writes the same rows; its metadata names its own files.
        let only = dir.path("only")
        try #require(try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", only, "--format", "parquet"] + flags).status == 0)
        #expect(!FileManager.default.fileExists(atPath: only + "/features.csv"))
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: only + "/features.json"))) as! [String: Any]
        #expect(metadata["file"] as? String == "features.parquet" && metadata["files"] as? [String] == ["features.parquet"])
    }

    @Test func bytesDoNotDependOnSettingsOrResumes() throws {
        let dir = try TemporaryDirectory("tf-parquet-invariant")
        defer { dir.remove() }
        // About 1.5 million 2 ms bars: two row groups, many pages, many partitions.
        let trades = dir.path("trades.csv")
        try #require(try runTickforge(["gen", trades, "--size", "4MiB", "--seed", "9"]).status == 0)
        let base = ["features", "--trades", trades, "--interval", "2ms", "--windows", "3", "--horizons", "1", "--format", "parquet"]
        let reference = dir.path("reference")
        try #require(try runTickforge(base + ["--out", reference]).status == 0)
        let described = try Self.readBack(["--describe", reference + "/features.parquet"])
        try #require(described.status == 0, "\(described.stderrText)")
        let shape = try JSONSerialization.jsonObject(with: Data(described.stdoutText.utf8)) as! [String: Any]
        let groups = shape["row_groups"] as! [Int]
        #expect(groups.count == 2 && groups[0] == 1 << 20, "\(shape)")
        func files(_ out: String) -> [Data?] {
            ["features.parquet", "targets.parquet", "features.json", "targets.json"].map { try? Data(contentsOf: URL(fileURLWithPath: out + "/" + $0)) }
        }
        let expected = files(reference)
        for (k, extra) in [["--workers", "1", "--partition-bars", "3001"], ["--memory-limit", "64MiB", "--chunk-size", "200KiB"]].enumerated() {
            let out = dir.path("out\(k)")
            let run = try runTickforge(base + ["--out", out] + extra)
            try #require(run.status == 0, "\(run.stderrText)")
            #expect(files(out) == expected, "\(extra)")
        }
        var killed = 0
        for step in [4, 11, 25] {
            let out = dir.path("killed-\(step)")
            guard try !runTickforge(base + ["--out", out], environment: ["TICKFORGE_KILL_AT": String(step)]).exited else { break }
            killed += 1
            let resumed = try runTickforge(base + ["--out", out])
            try #require(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(files(out) == expected, "step \(step)")
        }
        #expect(killed >= 2)
    }
}
