import Foundation
import TickCore
import TickFeatures

/// The inputs as the metadata describes them.
struct MetadataInputs {
    var trades: RunSummary.Input
    var quotes: RunSummary.Input?
    /// The as-of series (bands, metrics, funding, ticker), in that order.
    var series: [RunSummary.SeriesInput] = []
    var liquidations: RunSummary.Input? = nil
    var book: RunSummary.Input? = nil
}

/// Builds `features.json` and `targets.json`: what every column means, so nobody has to guess.
/// Holds nothing that varies between runs of the same inputs and flags (no times, no
/// machine facts), so the files are byte-identical across reruns.
struct OutputMetadata {
    static let formatVersion = 1

    let config: FeatureConfig
    let catalog: ColumnCatalog
    let rowCount: Int
    let barCount: Int
    let firstBarStart: Int64?
    let lastBarStart: Int64?
    let inputs: MetadataInputs
    let badRows: BadRowPolicy
    let readFlags: ReadFlags
    let format: OutputFormat
    /// `--splits` as given and the embargo used, when the run writes `splits.json`.
    let splits: (text: String, embargoBars: Int)?
    /// The regime fit (`--regimes`), recorded in `features.json`.
    var regimes: RegimeSummary.Document? = nil

    /// The read flags: which rows of which files were read, and how.
    struct ReadFlags: Encodable {
        /// `--symbol`; absent without it.
        var symbol: String?
        /// `--side-unknown`: `reject`, or `tick-rule` (then `buy_volume`, `sell_volume` and the
        /// flow columns rest partly on inferred sides: see `sides_inferred` in the inputs).
        var sideUnknown: String
        /// `--time-unit` by input, where given (otherwise detected per file).
        var timeUnit: [String: String]
        /// `--columns` by input, where given.
        var columns: [String: String]
        /// Whether `.CHECKSUM` sidecars were checked (`--no-verify-checksums` turns it off).
        var verifyChecksums: Bool
    }

    struct Document: Encodable {
        var formatVersion: Int
        /// The data file this document describes (the CSV where one is written), and every
        /// file of the same rows (`features.csv`, `features.parquet`).
        var file: String
        var files: [String]
        var companionFile: String
        var interval: String
        var intervalMs: Int64
        var timestamp: String
        var rowCount: Int
        var barCount: Int
        var firstBarStart: String?
        var lastBarStart: String?
        var undefinedCells: String
        var numberFormat: String
        var inputs: [InputDocument]
        /// The as-of series inputs (`--bands`, `--metrics`, `--funding`, `--ticker`).
        var seriesInputs: [RunSummary.SeriesInput]?
        var flags: Flags
        var columns: [ColumnDocument]
        /// `features.json` of a `--regimes` run: the fitted model and its fit rows.
        var regimes: RegimeSummary.Document?
    }

    struct InputDocument: Encodable {
        var role: String
        var path: String
        var bytes: Int64
        var layout: String
        var timeUnit: String
        var compression: String
        var rowsRead: Int64
        var rowsUsed: Int64
        var rowsRejected: Int64
        var rowsDeduplicated: Int64
        var rowsFiltered: Int64
        var rowsRounded: Int64
        /// The instrument, where the files' names or symbol columns say.
        var symbol: String?
        var market: String?
        /// What merging the files did: rows read twice (in two files) and conflicting rows,
        /// both already in the counts above, and sides inferred by the tick rule.
        var duplicatesAcrossFiles: Int64
        var rejectedAcrossFiles: Int64
        var sidesInferred: Int64
        /// Each file of the input (one stream, merged by time); its counts are its own, before
        /// the merge.
        var files: [FileDocument]
    }

    struct FileDocument: Encodable {
        var path: String
        var bytes: Int64
        var layout: String
        var timeUnit: String
        var compression: String
        var rowsRead: Int64
        var rowsUsed: Int64
        var rowsRejected: Int64
        var rowsDeduplicated: Int64
        var rowsFiltered: Int64
        var rowsRounded: Int64
        /// The `.CHECKSUM` sidecar check: `verified`, `none` or `skipped`.
        var checksum: String?
    }

    struct Flags: Encodable {
        var interval: String
        var windows: [Int]
        var horizons: [Int]
        var thresholdBps: Double
        var ewmLambda: Double
        var completeRowsOnly: Bool
        var badRows: String
        /// `--max-quote-age` in seconds; absent without the flag (or without quotes).
        var maxQuoteAgeS: String?
        /// `--from` / `--to`: the bars written start in [from, to) (UTC); absent without them.
        var from: String?
        var to: String?
        var read: ReadFlags
        /// `--format`: csv, parquet or both.
        var format: String
        /// `--splits` and the embargo of `splits.json` in bars; absent without splits.
        var splits: String?
        var embargoBars: Int?
        /// `--regimes K`; absent without it.
        var regimes: Int?
        /// `--band-levels` in percent; absent without a bands input.
        var bandLevels: [String]?
    }

    struct ColumnDocument: Encodable {
        var index: Int
        var name: String
        var description: String
        var unit: String
        var group: String
        var type: String
        var formula: String
        var windowBars: Int?
        var horizonBars: Int?
        /// Targets: the last bar the label of row t looks at (`t+h`), which is why a split
        /// purges the h rows before a test range.
        var lastBarLookedAt: String?
        /// 0-based data row (after the header) of the first defined value; null if never defined.
        var firstDefinedRow: Int?
        /// The input file type and field the column is read from (auxiliary inputs).
        var source: String?

        enum CodingKeys: String, CodingKey {
            case index, name, description, unit, group, type, formula, windowBars, horizonBars, lastBarLookedAt, firstDefinedRow, source
        }

        /// Writes `first_defined_row: null` for a column that is never defined, rather than
        /// leaving the key out: a reader should not have to guess.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(name, forKey: .name)
            try c.encode(description, forKey: .description)
            try c.encode(unit, forKey: .unit)
            try c.encode(group, forKey: .group)
            try c.encode(type, forKey: .type)
            try c.encode(formula, forKey: .formula)
            try c.encodeIfPresent(source, forKey: .source)
            try c.encodeIfPresent(windowBars, forKey: .windowBars)
            try c.encodeIfPresent(horizonBars, forKey: .horizonBars)
            try c.encodeIfPresent(lastBarLookedAt, forKey: .lastBarLookedAt)
            try c.encode(firstDefinedRow, forKey: .firstDefinedRow)
        }
    }

    /// The document of `features` or `targets` (`base`), whatever formats hold their rows.
    func json(columns: [ColumnSpec], firstDefined: [Int?], file base: String) throws -> [UInt8] {
        let isFeatures = base == "features"
        let extensions = (format.writesCSV ? [".csv"] : []) + (format.writesParquet ? [".parquet"] : [])
        var inputDocs = [describe(inputs.trades, role: "trades")]
        if let quotes = inputs.quotes { inputDocs.append(describe(quotes, role: "quotes")) }
        if let liquidations = inputs.liquidations { inputDocs.append(describe(liquidations, role: "liquidations")) }
        if let book = inputs.book { inputDocs.append(describe(book, role: "book")) }
        var columnDocs = [ColumnDocument(index: 0, name: "timestamp",
                                         description: "Start of the bar, as integer Unix epoch milliseconds (UTC); every value on the row is known at timestamp + interval.",
                                         unit: "ms since 1970-01-01T00:00:00Z", group: "time", type: "integer",
                                         formula: "floor(τ/Δ)·Δ for the trades τ of the bar", windowBars: nil,
                                         horizonBars: nil, lastBarLookedAt: nil, firstDefinedRow: rowCount > 0 ? 0 : nil)]
        for (i, column) in columns.enumerated() {
            columnDocs.append(ColumnDocument(index: i + 1, name: column.name, description: column.description,
                                             unit: column.unit, group: column.group.rawValue, type: column.kind.rawValue,
                                             formula: column.formula, windowBars: column.windowBars,
                                             horizonBars: column.horizonBars,
                                             lastBarLookedAt: column.group == .target ? column.horizonBars.map { "t+\($0)" } : nil,
                                             firstDefinedRow: firstDefined[i], source: column.source))
        }
        let document = Document(
            formatVersion: Self.formatVersion, file: base + extensions[0], files: extensions.map { base + $0 },
            companionFile: (isFeatures ? "targets" : "features") + extensions[0],
            interval: config.interval.text, intervalMs: config.interval.micros / 1000,
            timestamp: "bar start, integer Unix epoch milliseconds, UTC (in Parquet: TIMESTAMP(MILLIS, UTC)); identical in the features and targets files row by row",
            rowCount: rowCount, barCount: barCount,
            firstBarStart: firstBarStart.map { Time.iso8601(micros: $0) },
            lastBarStart: lastBarStart.map { Time.iso8601(micros: $0) },
            undefinedCells: "an empty cell means undefined (warm-up rows, no quote yet, no future bars); no NaN or inf is written",
            numberFormat: "integers as integers; prices and quantities as exact decimals; other values in the shortest text that reads back to the same double",
            inputs: inputDocs, seriesInputs: inputs.series.isEmpty ? nil : inputs.series,
            flags: Flags(interval: config.interval.text, windows: config.windows, horizons: config.horizons,
                         thresholdBps: config.thresholdBps, ewmLambda: config.ewmLambda,
                         completeRowsOnly: config.completeRowsOnly, badRows: badRows.rawValue,
                         maxQuoteAgeS: config.hasQuotes ? config.maxQuoteAge.map { Time.secondsText(micros: $0) } : nil,
                         from: config.from.map { Time.iso8601(micros: $0 * 1000) }, to: config.to.map { Time.iso8601(micros: $0 * 1000) },
                         read: readFlags, format: format.rawValue, splits: splits?.text, embargoBars: splits?.embargoBars, regimes: regimes?.states,
                         bandLevels: config.bandLevels?.map(\.text)),
            columns: columnDocs, regimes: isFeatures ? regimes : nil)
        return Array(try JSON.encode(document).utf8) + [10]
    }

    private func describe(_ input: RunSummary.Input, role: String) -> InputDocument {
        InputDocument(role: role, path: input.path, bytes: input.bytes, layout: input.layout, timeUnit: input.timeUnit,
                      compression: input.compression, rowsRead: input.rows.read, rowsUsed: input.rows.used,
                      rowsRejected: input.rows.rejected, rowsDeduplicated: input.rows.duplicates,
                      rowsFiltered: input.rows.filtered, rowsRounded: input.rows.rounded,
                      symbol: input.symbol, market: input.market, duplicatesAcrossFiles: input.merge.duplicates,
                      rejectedAcrossFiles: input.merge.rejected, sidesInferred: input.merge.inferredSides,
                      files: input.files.map { file in
                          FileDocument(path: file.path, bytes: file.bytes, layout: file.layout, timeUnit: file.timeUnit,
                                       compression: file.compression, rowsRead: file.rows.read, rowsUsed: file.rows.used,
                                       rowsRejected: file.rows.rejected, rowsDeduplicated: file.rows.duplicates,
                                       rowsFiltered: file.rows.filtered, rowsRounded: file.rows.rounded, checksum: file.checksum)
                      })
    }
}

/// A decoded `features.json` or `targets.json`, as a command that reads a finished run's CSVs
/// (`report`, `sql-schema`) takes it: each decodes the part it needs, and all check the same.
protocol OutputMetadataFile: Decodable {
    var formatVersion: Int { get }
    /// The data file described, and every file of the same rows.
    var file: String { get }
    var files: [String]? { get }
}

extension OutputMetadataFile {
    /// Reads the metadata at `path`. Refuses a file that is missing, is not tickforge's metadata
    /// of this format version, or belongs to a run that wrote no `csv` (`--format parquet`):
    /// `command` reads the CSVs.
    static func read(_ path: String, listing csv: String, command: String) throws -> Self {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TickError.invalidArgument("\(path) is missing or unreadable: the run's outputs are incomplete (`tickforge inspect` on the run directory tells more; a rerun of `tickforge features` publishes a whole set)")
        }
        let metadata: Self
        do {
            metadata = try JSONDecoder.snakeCase.decode(Self.self, from: data)
        } catch {
            throw TickError.unreadable(path: path, reason: "not the column metadata tickforge writes (\(error))")
        }
        guard metadata.formatVersion == OutputMetadata.formatVersion else {
            throw TickError.unreadable(path: path, reason: "metadata format version \(metadata.formatVersion); this tickforge reads version \(OutputMetadata.formatVersion)")
        }
        let listed = metadata.files ?? [metadata.file]
        guard listed.contains(csv) else {
            if listed.contains(where: { $0.hasSuffix(".parquet") }) {
                throw TickError.invalidArgument("the run wrote no \(csv) (only \(listed.joined(separator: ", "))), and `\(command)` reads the CSVs: rerun `tickforge features` with --format csv or --format both")
            }
            throw TickError.unreadable(path: path, reason: "describes \(metadata.file), not \(csv)")
        }
        return metadata
    }
}
