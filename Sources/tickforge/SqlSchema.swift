import ArgumentParser
import Foundation
import TickPipeline

struct SqlSchema: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql-schema",
        abstract: "Print a psql script that creates PostgreSQL tables for a run's features.csv and targets.csv and loads them.",
        discussion: """
            Pipe it into psql: tickforge sql-schema DIR | psql -v ON_ERROR_STOP=1 -d DATABASE
            Tables NAME_features and NAME_targets, one row per bar, joined by "timestamp"; column types \
            from the metadata (integer → bigint, decimal → numeric, real → double precision); empty \
            cells load as NULL. "timestamp" (epoch ms) is the bigint primary key, bar_start the same \
            instant as a generated timestamptz. The CSVs are read by psql's \\copy from the run's \
            published generation (absolute paths), in one transaction. The tables go into the first \
            schema of search_path (e.g. PGOPTIONS='-c search_path=myschema'). DIR is only read.
            """)

    @Argument(help: "The --out directory of a finished `tickforge features` run.")
    var directory: String

    @Option(help: ArgumentHelp("Table name prefix: tables NAME_features and NAME_targets (lowercase letters, digits, _).", valueName: "name"))
    var table: String = TickPipeline.SqlSchema.defaultTable

    @Flag(help: "Also CREATE EXTENSION timescaledb and make each table a hypertable, partitioned on the bigint \"timestamp\" (a generated column cannot be a dimension) with an integer chunk_time_interval in ms: whole days holding about a million bars.")
    var timescale = false

    func run() throws {
        let script = try reportingErrors { try SqlSchemaJob.run(directory: directory, table: table, timescale: timescale) }
        FileHandle.standardOutput.write(Data(script.utf8))
    }
}
