import TickCore

/// `features.json` or `targets.json` as far as loading its CSV into a database needs: the file,
/// its rows, and each column's name, type and meaning (`OutputMetadata` writes them).
public struct OutputTableMetadata: Sendable, Decodable, Equatable {
    public var formatVersion: Int
    /// The data file described (`features.csv`, or `features.parquet` in a run without CSVs),
    /// and every file of the same rows.
    public var file: String
    public var files: [String]?
    /// The bar interval as given (`1s`) and in milliseconds.
    public var interval: String
    public var intervalMs: Int64
    public var rowCount: Int
    public var columns: [Column]

    public struct Column: Sendable, Decodable, Equatable {
        public var index: Int
        public var name: String
        public var description: String
        public var unit: String
        /// `integer`, `decimal` (exact decimal text) or `real` (shortest round-trip double).
        public var type: String

        public init(index: Int, name: String, description: String, unit: String, type: String) {
            self.index = index; self.name = name; self.description = description; self.unit = unit; self.type = type
        }
    }

    public init(formatVersion: Int, file: String, interval: String, intervalMs: Int64, rowCount: Int, columns: [Column]) {
        self.formatVersion = formatVersion; self.file = file; self.interval = interval
        self.intervalMs = intervalMs; self.rowCount = rowCount; self.columns = columns
    }
}

/// One table to create and fill: the metadata of a CSV and the absolute path `\copy` reads it from.
public struct SqlTableSource: Sendable {
    public var metadata: OutputTableMetadata
    public var csvPath: String

    public init(metadata: OutputTableMetadata, csvPath: String) {
        self.metadata = metadata; self.csvPath = csvPath
    }
}

/// What `tickforge sql-schema` prints: a psql script that creates one table per CSV of a run
/// (`NAME_features`, `NAME_targets`) with column types from the metadata, and loads the CSVs with
/// `\copy`, in one transaction. Pure: metadata and paths in, SQL text out.
///
/// - Types: `integer` → `bigint`, `decimal` → `numeric` (exact, any scale), `real` → `double
///   precision` (the CSV's shortest round-trip text reads back to the same double).
/// - Time: `COPY` cannot turn epoch milliseconds into a `timestamptz`, so `"timestamp"` is loaded
///   as the `bigint` primary key, and `bar_start` is a stored generated `timestamptz` computed from
///   it with integer interval arithmetic, exact for every millisecond PostgreSQL can represent
///   (`to_timestamp(ms / 1000.0)` goes through a double and is off by a microsecond for some
///   values after 2038). Every function in the expression is IMMUTABLE, as a generated column
///   requires.
/// - Empty cells: `FORMAT csv` reads an unquoted empty cell as NULL, which is what tickforge writes
///   for undefined.
/// - `timescale`: also creates the extension and makes each table a hypertable. A generated column
///   cannot be a hypertable dimension, so the dimension is the `bigint` `"timestamp"` with an
///   integer `chunk_time_interval` in milliseconds (`chunkIntervalMs`).
public enum SqlSchema {
    public static let defaultTable = "tickforge"
    /// The generated `timestamptz` column.
    public static let timeColumn = "bar_start"
    /// Longest identifier PostgreSQL keeps (NAMEDATALEN − 1 bytes); longer ones are cut silently.
    static let maxIdentifierBytes = 63
    static let tableSuffixes = ["features.csv": "_features", "targets.csv": "_targets"]
    static let longestSuffix = "_features".utf8.count

    /// The SQL type of a metadata column type, nil for a type this version does not know.
    public static func sqlType(_ type: String) -> String? {
        switch type {
        case "integer": return "bigint"
        case "decimal": return "numeric"
        case "real": return "double precision"
        default: return nil
        }
    }

    /// Refuses a `--table` that is not a plain lowercase SQL identifier short enough for its
    /// suffixes: plain so that it can be typed unquoted in psql (PostgreSQL folds unquoted names to
    /// lowercase), short so that PostgreSQL does not cut it.
    public static func validateTableName(_ name: String) throws {
        let limit = maxIdentifierBytes - longestSuffix
        func isLetter(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }
        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        guard let first = name.utf8.first, isLetter(first), name.utf8.allSatisfy({ isLetter($0) || isDigit($0) }),
              name.utf8.count <= limit else {
            throw TickError.invalidArgument("--table '\(name)' is not a plain SQL identifier: use lowercase letters, digits and _, not starting with a digit, at most \(limit) characters (the tables are NAME_features and NAME_targets; for another schema set search_path, e.g. PGOPTIONS='-c search_path=myschema')")
        }
    }

    /// `"name"`, with `"` doubled.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `'text'`, with `'` doubled (the script sets `standard_conforming_strings`, so a backslash is
    /// an ordinary character).
    public static func quoteLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A file name for psql's `\copy`: single-quoted with `'` doubled. psql takes a backslash in
    /// it literally while `standard_conforming_strings` is on (the script sets it). A `\copy` is
    /// one line, so a path with a line break cannot be written at all.
    public static func psqlPath(_ path: String) throws -> String {
        guard !path.utf8.contains(where: { $0 == 10 || $0 == 13 }) else {
            throw TickError.invalidArgument("\(path.debugDescription) contains a line break, which a psql \\copy command cannot name; move or link the run directory to a path without one")
        }
        guard !path.unicodeScalars.contains("\u{FFFD}") else {
            throw TickError.invalidArgument("\(path) is not valid UTF-8, which the psql script (client_encoding UTF8) cannot name; move or link the run directory to a UTF-8 path")
        }
        guard path.hasPrefix("/") else {
            throw TickError.invalidArgument("\(path) is not an absolute path; psql reads \\copy files relative to its own working directory")
        }
        return quoteLiteral(path)
    }

    /// The TimescaleDB chunk interval in milliseconds for bars of `intervalMs`: whole days
    /// holding about a million bars, at least one day (1s bars: 12 days; 100ms bars: 1 day).
    public static func chunkIntervalMs(intervalMs: Int64) -> Int64 {
        let day: Int64 = 86_400_000
        let (span, overflow) = max(intervalMs, 1).multipliedReportingOverflow(by: 1_000_000)
        let days = overflow ? Int64.max / day : max(1, (span + day / 2) / day)
        return days * day
    }

    /// The expression of `bar_start`: epoch milliseconds to `timestamptz`, exactly (whole seconds
    /// and the millisecond remainder as intervals: no double rounding), from IMMUTABLE functions
    /// only (`timestamp + interval`, `float8 * interval`, `timezone(text, timestamp)`).
    public static func timeExpression(_ column: String) -> String {
        let c = quoteIdentifier(column)
        return "(timestamp '1970-01-01 00:00:00' + (\(c) / 1000) * interval '1 second' + (\(c) % 1000) * interval '1 millisecond') AT TIME ZONE 'UTC'"
    }

    /// The psql script that creates the tables of `tables` (the features first) and loads them.
    ///
    /// - Parameters:
    ///   - tables: the run's CSVs, each with its metadata.
    ///   - table: the `--table` NAME (validated here too).
    ///   - timescale: make each table a TimescaleDB hypertable.
    ///   - origin: what the header comment names as the run (its directory).
    public static func script(tables: [SqlTableSource], table: String, timescale: Bool, origin: String) throws -> String {
        try validateTableName(table)
        var names: [String] = []
        for source in tables {
            guard let suffix = tableSuffixes[source.metadata.file] else {
                throw TickError.invalidArgument("metadata of \(source.csvPath) describes \(source.metadata.file), not features.csv or targets.csv")
            }
            names.append(table + suffix)
        }
        guard Set(names).count == names.count else {
            throw TickError.invalidArgument("two metadata files describe the same CSV (\(names.joined(separator: ", ")))")
        }
        var lines = [
            "-- Made by `tickforge sql-schema` for the run \(comment(origin)).",
            "-- Load it with: tickforge sql-schema DIR | psql -v ON_ERROR_STOP=1 -d DATABASE",
            "-- One transaction: a failed load leaves no table behind. Empty CSV cells (undefined) load as NULL.",
            "-- \"timestamp\" is the bar start in Unix epoch milliseconds (bigint); \(timeColumn) is the same instant as timestamptz.",
            "\\set ON_ERROR_STOP on",
            "SET client_encoding = 'UTF8';",
            "SET standard_conforming_strings = on;",
        ]
        if timescale { lines.append("CREATE EXTENSION IF NOT EXISTS timescaledb;") }
        lines.append("BEGIN;")
        for (source, name) in zip(tables, names) {
            lines.append("")
            lines += try tableStatements(source, name: name, timescale: timescale)
        }
        lines.append("")
        lines.append("COMMIT;")
        for name in names { lines.append("ANALYZE \(name);") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// CREATE TABLE, comments, hypertable and `\copy` of one CSV.
    static func tableStatements(_ source: SqlTableSource, name: String, timescale: Bool) throws -> [String] {
        let metadata = source.metadata
        let columns = metadata.columns
        guard let first = columns.first, first.name == "timestamp", first.type == "integer" else {
            throw TickError.invalidArgument("\(source.csvPath): its metadata does not start with the integer column timestamp")
        }
        var seen: Set<String> = [timeColumn]
        var definitions = ["    \(quoteIdentifier(first.name)) bigint PRIMARY KEY",
                           "    \(quoteIdentifier(timeColumn)) timestamptz GENERATED ALWAYS AS (\(timeExpression(first.name))) STORED"]
        for (position, column) in columns.enumerated() {
            guard column.index == position else {
                throw TickError.invalidArgument("\(source.csvPath): its metadata lists column \(column.name) with index \(column.index) at position \(position)")
            }
            guard !column.name.isEmpty, !column.name.contains("\u{0}"), column.name.utf8.count <= maxIdentifierBytes else {
                throw TickError.invalidArgument("\(source.csvPath): column name \(column.name.debugDescription) is not a PostgreSQL identifier (1 to \(maxIdentifierBytes) bytes)")
            }
            guard seen.insert(column.name).inserted else {
                throw TickError.invalidArgument("\(source.csvPath): column name \(column.name) appears twice" +
                                                (column.name == timeColumn ? " (\(timeColumn) is the generated time column)" : ""))
            }
            guard let type = sqlType(column.type) else {
                throw TickError.invalidArgument("\(source.csvPath): column \(column.name) has type \(column.type.debugDescription), which this tickforge does not know (integer, decimal or real)")
            }
            if position > 0 { definitions.append("    \(quoteIdentifier(column.name)) \(type)") }
        }
        var lines = [
            "-- \(comment(metadata.file)): \(metadata.rowCount) bars of \(comment(metadata.interval)), \(columns.count) columns.",
            "CREATE TABLE \(name) (",
            definitions.joined(separator: ",\n"),
            ");",
            "COMMENT ON TABLE \(name) IS \(quoteLiteral("tickforge \(metadata.file): one row per bar of \(metadata.interval); rows match the other table's by \"timestamp\""));",
            "COMMENT ON COLUMN \(name).\(quoteIdentifier(timeColumn)) IS \(quoteLiteral("Start of the bar as timestamptz, generated from \"timestamp\" (exact to the millisecond)."));",
        ]
        for column in columns {
            let text = column.unit.isEmpty ? column.description : "\(column.description) Unit: \(column.unit)."
            lines.append("COMMENT ON COLUMN \(name).\(quoteIdentifier(column.name)) IS \(quoteLiteral(text));")
        }
        if timescale {
            let chunk = chunkIntervalMs(intervalMs: metadata.intervalMs)
            lines.append("-- Hypertable on the bigint \"timestamp\" (a generated column cannot be a dimension): chunks of \(chunk / 86_400_000) day(s), \(chunk) ms.")
            lines.append("SELECT create_hypertable(\(quoteLiteral(name)), 'timestamp', chunk_time_interval => \(chunk));")
        }
        let list = columns.map { quoteIdentifier($0.name) }.joined(separator: ", ")
        lines.append("\\copy \(name) (\(list)) FROM \(try psqlPath(source.csvPath)) WITH (FORMAT csv, HEADER true)")
        return lines
    }

    /// Text for a `--` comment: one line.
    static func comment(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
