import Foundation
import Testing

/// The script `tickforge sql-schema` prints, run by a real PostgreSQL: `Scripts/test_postgres.sh`
/// installs PostgreSQL from Debian's packages when it is missing, starts a throwaway cluster on a
/// unix socket, loads the run, compares every value with the CSVs, and removes the cluster. Not
/// skipped anywhere: a machine without PostgreSQL gets it installed, or the test fails.
/// Serialized: two first installs at once would fight over the dpkg lock.
@Suite(.serialized)
struct PostgresLoadTests {
    static let script = TestPaths.repository.appendingPathComponent("Scripts/test_postgres.sh").path

    /// Runs the load test on `run`; the run directory must be left as it was.
    static func load(_ run: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try SqlSchemaTests.snapshot(run)
        let started = Date()
        let result = try runProcess("/bin/bash", [script, "--timescale", run], environment: ["TICKFORGE_BINARY": TestPaths.binary])
        let seconds = Date().timeIntervalSince(started)
        // Shown in the test log: what was checked, and whether TimescaleDB was there to test.
        print("Scripts/test_postgres.sh \(run) (\(String(format: "%.1f", seconds)) s):\n\(result.stdoutText)\(result.stderrText)")
        #expect(result.exited && result.status == 0, "Scripts/test_postgres.sh failed (\(result.status)):\n\(result.stdoutText)\n\(result.stderrText)",
                sourceLocation: sourceLocation)
        let out = result.stdoutText
        #expect(out.contains("ok plain.tickforge_features:") && out.contains("ok plain.tickforge_targets:")
                && out.contains("probe values") && out.contains("a second load stops"), sourceLocation: sourceLocation)
        // TimescaleDB is tested where installed, and reported as skipped, not passed, elsewhere.
        #expect(out.contains("ok timescale: loaded with --timescale") != out.contains("SKIPPED timescale:"), sourceLocation: sourceLocation)
        #expect(result.stderrText.contains("server stopped"), sourceLocation: sourceLocation)
        #expect(try SqlSchemaTests.snapshot(run) == before, "the run directory changed", sourceLocation: sourceLocation)
    }

    @Test("the real BTCUSDT sample, at a path with a quote, spaces and a backslash, loads into PostgreSQL value for value")
    func realSample() throws {
        let dir = try TemporaryDirectory("tf-postgres")
        defer { dir.remove() }
        let run = try SqlSchemaTests.makeRun(in: dir, name: "it's a \\ run", quotes: true)
        try Self.load(run)
    }

    @Test("250 ms bars without quotes: bar starts with milliseconds, other columns")
    func subsecondBars() throws {
        let dir = try TemporaryDirectory("tf-postgres-ms")
        defer { dir.remove() }
        let run = try SqlSchemaTests.makeRun(in: dir, ["--interval", "250ms", "--windows", "4,40", "--horizons", "4,20"])
        try Self.load(run)
    }
}
