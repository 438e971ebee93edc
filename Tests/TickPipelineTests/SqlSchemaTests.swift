import Foundation
import Testing
import TickPipeline

/// `tickforge sql-schema`: the printed script follows the run's metadata (types, names, order of
/// the CSV header), names the files so that psql reads them, refuses what it cannot do, and
/// never writes into the run directory.
@Suite
struct SqlSchemaTests {
    /// Every entry under `dir` (links not followed) with its kind, size, time and link target:
    /// equal before and after means nothing was written there.
    static func snapshot(_ dir: String) throws -> [String] {
        let fm = FileManager.default
        var entries: [String] = []
        for relative in try fm.subpathsOfDirectory(atPath: dir).sorted() {
            let path = dir + "/" + relative
            let attributes = try fm.attributesOfItem(atPath: path)
            let target = (try? fm.destinationOfSymbolicLink(atPath: path)) ?? ""
            entries.append("\(relative) \(attributes[.type] ?? "") \(attributes[.size] ?? "") \(attributes[.modificationDate] ?? "") \(target)")
        }
        return entries
    }

    /// The metadata of a run's CSV: (name, type) per column.
    static func columns(_ dir: String, _ kind: String) throws -> [(name: String, type: String)] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/\(kind).json"))
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return (object["columns"] as! [[String: Any]]).map { ($0["name"] as! String, $0["type"] as! String) }
    }

    static func sqlSchema(_ arguments: [String]) throws -> ProcessResult {
        try runTickforge(["sql-schema"] + arguments)
    }

    /// A features run on the BTCUSDT sample into `dir/name`; its path.
    static func makeRun(in dir: TemporaryDirectory, name: String = "run", quotes: Bool = false, _ flags: [String] = [],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let run = dir.path(name)
        let result = try FeatureRun.run(trades: FeatureRun.btcTrades, quotes: quotes ? FeatureRun.btcQuotes : nil, out: run, flags)
        try #require(result.status == 0, "\(result.stderrText)", sourceLocation: sourceLocation)
        return run
    }

    /// The script's checks that hold for any run: a table per CSV with the metadata's types in
    /// header order, the generated time column, and a `\copy` of the generation's file whose
    /// column list is the CSV header.
    static func expectScript(_ sql: String, run: String, table: String = "tickforge",
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let generation = URL(fileURLWithPath: run + "/features.json").resolvingSymlinksInPath().deletingLastPathComponent().path
        #expect(generation.contains("/.tickforge/generations/"), sourceLocation: sourceLocation)
        let lines = sql.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("\\set ON_ERROR_STOP on") && lines.contains("BEGIN;") && lines.contains("COMMIT;"), sourceLocation: sourceLocation)
        for kind in ["features", "targets"] {
            let name = "\(table)_\(kind)"
            let columns = try columns(run, kind)
            let header = try String(contentsOfFile: run + "/\(kind).csv", encoding: .utf8).prefix { $0 != "\n" }
            #expect(columns.map(\.name).joined(separator: ",") == header, sourceLocation: sourceLocation)
            // CREATE TABLE: timestamp, bar_start, then every other column in order with its type.
            guard let start = lines.firstIndex(of: "CREATE TABLE \(name) ("),
                  let end = lines[start...].firstIndex(of: ");") else {
                Issue.record("no CREATE TABLE \(name) in:\n\(sql)", sourceLocation: sourceLocation)
                continue
            }
            let definitions = lines[(start + 1)..<end].map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
            let types = ["integer": "bigint", "decimal": "numeric", "real": "double precision"]
            let expected = ["\"timestamp\" bigint PRIMARY KEY",
                            "\"bar_start\" timestamptz GENERATED ALWAYS AS ((timestamp '1970-01-01 00:00:00' + (\"timestamp\" / 1000) * interval '1 second' + (\"timestamp\" % 1000) * interval '1 millisecond') AT TIME ZONE 'UTC') STORED"]
                + columns.dropFirst().map { "\"\($0.name)\" \(types[$0.type]!)" }
            #expect(definitions == expected, "\(name)", sourceLocation: sourceLocation)
            // One comment per column, from the metadata.
            #expect(lines.filter { $0.hasPrefix("COMMENT ON COLUMN \(name).") }.count == columns.count + 1, sourceLocation: sourceLocation)
            // The \copy: one line, header order, without bar_start, the generation's file.
            let list = columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
            let path = "'" + (generation + "/\(kind).csv").replacingOccurrences(of: "'", with: "''") + "'"
            let copy = "\\copy \(name) (\(list)) FROM \(path) WITH (FORMAT csv, HEADER true)"
            #expect(lines.contains(copy), "expected \(copy)", sourceLocation: sourceLocation)
            #expect(lines.contains("ANALYZE \(name);"), sourceLocation: sourceLocation)
        }
        // The \copy lines come inside the transaction, after their tables.
        let begin = lines.firstIndex(of: "BEGIN;")!, commit = lines.firstIndex(of: "COMMIT;")!
        for (index, line) in lines.enumerated() where line.hasPrefix("\\copy") {
            #expect(index > begin && index < commit, sourceLocation: sourceLocation)
        }
    }

    @Test("the default run: tables, types, header order, generation paths; DIR is only read")
    func defaultRun() throws {
        let dir = try TemporaryDirectory("tf-sql-default")
        defer { dir.remove() }
        let run = try Self.makeRun(in: dir, quotes: true)
        let before = try Self.snapshot(run)
        let result = try Self.sqlSchema([run])
        #expect(result.status == 0 && result.stderrText.isEmpty, "\(result.stderrText)")
        try Self.expectScript(result.stdoutText, run: run)
        #expect(result.stdoutText.contains("\"bid\" numeric") && result.stdoutText.contains("\"fwd_dir_10\" bigint"))
        #expect(!result.stdoutText.contains("timescaledb") && !result.stdoutText.contains("create_hypertable"))
        #expect(try Self.snapshot(run) == before)
        // The same script every time, and through a relative path.
        let again = try runProcess(TestPaths.binary, ["sql-schema", "run"], currentDirectory: dir.url)
        #expect(again.status == 0 && again.stdout == result.stdout)
    }

    @Test("--windows, --horizons and a run without quotes change the columns",
          arguments: [(["--windows", "5,20", "--horizons", "3"], true), (["--interval", "250ms", "--windows", "4"], false)])
    func variants(flags: [String], quotes: Bool) throws {
        let dir = try TemporaryDirectory("tf-sql-variants")
        defer { dir.remove() }
        let run = try Self.makeRun(in: dir, quotes: quotes, flags)
        let result = try Self.sqlSchema([run, "--table", "btc_variant"])
        try #require(result.status == 0, "\(result.stderrText)")
        try Self.expectScript(result.stdoutText, run: run, table: "btc_variant")
        let sql = result.stdoutText
        if quotes {
            #expect(sql.contains("\"ret_5\" double precision") && sql.contains("\"volume_20\" numeric") && !sql.contains("\"ret_10\""))
            #expect(sql.contains("\"fwd_ret_3\" double precision") && !sql.contains("\"fwd_ret_10\""))
            #expect(sql.contains("\"bid\" numeric"))
        } else {
            #expect(sql.contains("\"ret_4\"") && !sql.contains("\"bid\"") && !sql.contains("\"obi\""))
            #expect(sql.contains("-- features.csv:") && sql.contains("bars of 250ms"))
        }
    }

    @Test("--timescale: the extension and a hypertable on the bigint timestamp, chunks from the interval")
    func timescale() throws {
        let dir = try TemporaryDirectory("tf-sql-timescale")
        defer { dir.remove() }
        let run = try Self.makeRun(in: dir)
        let result = try Self.sqlSchema([run, "--timescale"])
        try #require(result.status == 0, "\(result.stderrText)")
        try Self.expectScript(result.stdoutText, run: run)
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        let extensionLine = try #require(lines.firstIndex(of: "CREATE EXTENSION IF NOT EXISTS timescaledb;"))
        #expect(extensionLine < lines.firstIndex(of: "BEGIN;")!)
        for kind in ["features", "targets"] {
            // 1s bars: 12 days of ms, before the table is filled.
            let hypertable = try #require(lines.firstIndex(of: "SELECT create_hypertable('tickforge_\(kind)', 'timestamp', chunk_time_interval => 1036800000);"))
            #expect(hypertable > lines.firstIndex(of: "CREATE TABLE tickforge_\(kind) (")!)
            #expect(hypertable < lines.firstIndex { $0.hasPrefix("\\copy tickforge_\(kind) ") }!)
        }
        #expect(SqlSchema.chunkIntervalMs(intervalMs: 1000) == 12 * 86_400_000)
        #expect(SqlSchema.chunkIntervalMs(intervalMs: 100) == 86_400_000)
        #expect(SqlSchema.chunkIntervalMs(intervalMs: 60_000) == 694 * 86_400_000)
        #expect(SqlSchema.chunkIntervalMs(intervalMs: Int64.max / 2) % 86_400_000 == 0)
    }

    @Test("a path with a single quote, spaces and a backslash is quoted for psql; a line break is refused")
    func quotedPaths() throws {
        let dir = try TemporaryDirectory("tf-sql-paths")
        defer { dir.remove() }
        let run = try Self.makeRun(in: dir, name: "it's a \\ run")
        let result = try Self.sqlSchema([run])
        try #require(result.status == 0, "\(result.stderrText)")
        try Self.expectScript(result.stdoutText, run: run)
        #expect(result.stdoutText.contains("FROM '\(dir.url.path)/it''s a \\ run/.tickforge/generations/"))
        #expect(result.stdoutText.contains("SET standard_conforming_strings = on;"))
        // A link with a line break is resolved away; a real directory with one cannot be named.
        let link = dir.path("line\nbreak link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: run)
        #expect(try Self.sqlSchema([link]).status == 0)
        let broken = dir.path("line\nbreak")
        try FileManager.default.moveItem(atPath: run, toPath: broken)
        let refused = try Self.sqlSchema([broken])
        #expect(refused.status == 1 && refused.stdout.isEmpty && refused.stderrText.contains("contains a line break, which a psql \\copy command cannot name"), "\(refused.stderrText)")

        #expect(try SqlSchema.psqlPath("/a b/it's") == "'/a b/it''s'")
        #expect(throws: (any Error).self) { try SqlSchema.psqlPath("relative/features.csv") }
        #expect(throws: (any Error).self) { try SqlSchema.psqlPath("/a\rb") }
        #expect(SqlSchema.quoteIdentifier("we\"ird") == "\"we\"\"ird\"")
        #expect(SqlSchema.quoteLiteral("it's \\n") == "'it''s \\n'")
    }

    @Test("--table: plain lowercase identifiers only, short enough for the suffixes")
    func tableNames() throws {
        let dir = try TemporaryDirectory("tf-sql-table")
        defer { dir.remove() }
        let run = try Self.makeRun(in: dir)
        for good in ["btcusdt_1s", "_x", String(repeating: "a", count: 54)] {
            let result = try Self.sqlSchema([run, "--table", good])
            #expect(result.status == 0 && result.stdoutText.contains("CREATE TABLE \(good)_features ("), "\(good): \(result.stderrText)")
        }
        for bad in ["", "BTC", "1x", "a-b", "a.b", "x; DROP TABLE y", "\"q\"", "é", String(repeating: "a", count: 55)] {
            let result = try Self.sqlSchema([run, "--table", bad])
            #expect(result.status == 1 && result.stdout.isEmpty, "\(bad)")
            #expect(result.stderrText.contains("--table '\(bad)' is not a plain SQL identifier"), "\(bad): \(result.stderrText)")
        }
    }

    @Test("no finished run: a clear error naming the path, nothing printed, nothing written")
    func missingRun() throws {
        let dir = try TemporaryDirectory("tf-sql-missing")
        defer { dir.remove() }
        let missing = try Self.sqlSchema([dir.path("nothing")])
        #expect(missing.status == 1 && missing.stdout.isEmpty && missing.stderrText.contains("\(dir.path("nothing")): no such directory"), "\(missing.stderrText)")
        let file = try dir.write("file.csv", "a,b\n")
        let notDirectory = try Self.sqlSchema([file])
        #expect(notDirectory.status == 1 && notDirectory.stderrText.contains("\(file) is not a directory"), "\(notDirectory.stderrText)")
        let plain = dir.path("plain")
        try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
        let notRun = try Self.sqlSchema([plain])
        #expect(notRun.status == 1 && notRun.stderrText.contains("\(plain) is not a tickforge run directory (no features.json"), "\(notRun.stderrText)")
        try FileManager.default.createDirectory(atPath: plain + "/.tickforge", withIntermediateDirectories: true)
        let before = try Self.snapshot(plain)
        let unfinished = try Self.sqlSchema([plain])
        #expect(unfinished.status == 1 && unfinished.stderrText.contains("\(plain) holds no finished run yet (no features.json)"), "\(unfinished.stderrText)")
        #expect(try Self.snapshot(plain) == before)
        // A dangling output link (a set being published, or damage).
        try FileManager.default.createSymbolicLink(atPath: plain + "/features.json", withDestinationPath: ".tickforge/current/features.json")
        let dangling = try Self.sqlSchema([plain])
        #expect(dangling.status == 1 && dangling.stderrText.contains("\(plain)/features.json leads to no file"), "\(dangling.stderrText)")
    }

    @Test("metadata that does not match its CSV, or that this version cannot type, is refused")
    func damagedMetadata() throws {
        let dir = try TemporaryDirectory("tf-sql-damaged")
        defer { dir.remove() }
        let run = try Self.makeRun(in: dir)
        let generation = URL(fileURLWithPath: run + "/features.json").resolvingSymlinksInPath().deletingLastPathComponent().path
        let json = generation + "/targets.json"
        let original = try String(contentsOfFile: json, encoding: .utf8)
        try original.replacingOccurrences(of: "\"type\" : \"real\"", with: "\"type\" : \"complex\"").write(toFile: json, atomically: false, encoding: .utf8)
        let unknown = try Self.sqlSchema([run])
        #expect(unknown.status == 1 && unknown.stderrText.contains("has type \"complex\", which this tickforge does not know"), "\(unknown.stderrText)")
        try original.write(toFile: json, atomically: false, encoding: .utf8)
        let csv = generation + "/targets.csv"
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        try text.replacingOccurrences(of: "fwd_ret_10,", with: "fwd_ret_ten,").write(toFile: csv, atomically: false, encoding: .utf8)
        let header = try Self.sqlSchema([run])
        #expect(header.status == 1 && header.stderrText.contains("\(csv): its header (timestamp,fwd_ret_ten,"), "\(header.stderrText)")
        try text.write(toFile: csv, atomically: false, encoding: .utf8)
        #expect(try Self.sqlSchema([run]).status == 0)
        try original.replacingOccurrences(of: "\"format_version\" : 1,", with: "\"format_version\" : 2,").write(toFile: json, atomically: false, encoding: .utf8)
        let version = try Self.sqlSchema([run])
        #expect(version.status == 1 && version.stderrText.contains("\(json): metadata format version 2; this tickforge reads version 1"), "\(version.stderrText)")
        try "{\"format_version\": 1}".write(toFile: json, atomically: false, encoding: .utf8)
        let garbled = try Self.sqlSchema([run])
        #expect(garbled.status == 1 && garbled.stderrText.contains("\(json): not the column metadata tickforge writes"), "\(garbled.stderrText)")
    }

    @Test("the pure generator refuses metadata it cannot load faithfully")
    func generatorRefusals() throws {
        func metadata(_ columns: [(String, String)]) -> OutputTableMetadata {
            OutputTableMetadata(formatVersion: 1, file: "features.csv", interval: "1s", intervalMs: 1000, rowCount: 0,
                                columns: columns.enumerated().map { .init(index: $0, name: $1.0, description: "d", unit: "", type: $1.1) })
        }
        func script(_ columns: [(String, String)]) throws -> String {
            try SqlSchema.script(tables: [SqlTableSource(metadata: metadata(columns), csvPath: "/r/features.csv")],
                                 table: "t", timescale: false, origin: "/r")
        }
        let ok = try script([("timestamp", "integer"), ("we\"ird", "real")])
        #expect(ok.contains("    \"we\"\"ird\" double precision\n") && ok.contains("(\"timestamp\", \"we\"\"ird\") FROM '/r/features.csv'"))
        #expect(ok.contains("COMMENT ON COLUMN t_features.\"we\"\"ird\" IS 'd';"))
        #expect(throws: (any Error).self) { try script([("time", "integer"), ("x", "real")]) }
        #expect(throws: (any Error).self) { try script([("timestamp", "real")]) }
        #expect(throws: (any Error).self) { try script([("timestamp", "integer"), ("bar_start", "real")]) }
        #expect(throws: (any Error).self) { try script([("timestamp", "integer"), ("x", "real"), ("x", "real")]) }
        #expect(throws: (any Error).self) { try script([("timestamp", "integer"), (String(repeating: "x", count: 64), "real")]) }
        #expect(throws: (any Error).self) { try script([("timestamp", "integer"), ("x", "text")]) }
        #expect(SqlSchema.sqlType("integer") == "bigint" && SqlSchema.sqlType("decimal") == "numeric"
                && SqlSchema.sqlType("real") == "double precision" && SqlSchema.sqlType("float") == nil)
    }
}
