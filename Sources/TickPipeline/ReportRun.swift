import Foundation
import TickCore
import TickIO

/// A finished `tickforge features` run as `tickforge report` reads it: the published
/// generation its `features.json` leads to, the metadata of both tables, and `splits.json`.
///
/// Everything is read from the generation folder (`.tickforge/generations/N`), not through the
/// links in the run directory: a run publishing a new set meanwhile cannot mix two sets of
/// files into one report (the files stay readable once opened, even if that generation is
/// removed later).
struct ReportRun {
    /// The run directory as given, and the real path of the generation read.
    let directory: String
    let generation: String
    let features: ReportTableMetadata
    let targets: ReportTableMetadata
    /// The flags of `features.json`, flattened to `name = value` (nested keys joined with a dot).
    let flags: [(name: String, value: String)]
    let splits: SplitsDocument?

    var featuresCSV: String { generation + "/features.csv" }
    var targetsCSV: String { generation + "/targets.csv" }
    /// The generation's number (`000003`), as `inspect` shows it.
    var generationName: String { String(generation.split(separator: "/").last ?? "") }

    /// Opens the run in `directory`, or says why it is not a finished run whose CSVs can be read.
    static func open(_ directory: String) throws -> ReportRun {
        let generation = try RunDirectory.publishedGeneration(of: directory, command: "tickforge report")
        let features = try ReportTableMetadata.read(generation + "/features.json", table: "features")
        let targets = try ReportTableMetadata.read(generation + "/targets.json", table: "targets")
        guard features.rowCount == targets.rowCount else {
            throw TickError.unreadable(path: generation, reason: "features.json says \(features.rowCount) rows and targets.json \(targets.rowCount): not one set of outputs; rerun `tickforge features`")
        }
        let splitsPath = generation + "/splits.json"
        let splits = Syscall.exists(splitsPath) ? try SplitsDocument.read(splitsPath, rows: features.rowCount) : nil
        return ReportRun(directory: directory, generation: generation, features: features, targets: targets,
                         flags: flattenedFlags(generation + "/features.json"), splits: splits)
    }

    /// `flags` of a metadata file as `name = value` lines, nested objects as `read.side_unknown`,
    /// lists joined by commas, empty objects left out. Read as plain JSON so that a flag added
    /// to the metadata later shows without a change here.
    static func flattenedFlags(_ path: String) -> [(name: String, value: String)] {
        struct Document: Decodable { var flags: ReportJSONValue? }
        guard let data = FileManager.default.contents(atPath: path),
              let flags = (try? JSONDecoder().decode(Document.self, from: data))?.flags else { return [] }
        var lines: [(String, String)] = []
        func visit(_ value: ReportJSONValue, _ name: String) {
            switch value {
            case .object(let members):
                for key in members.keys.sorted() { visit(members[key]!, name.isEmpty ? key : name + "." + key) }
            case .array(let items):
                lines.append((name, items.map(\.text).joined(separator: ",")))
            default:
                lines.append((name, value.text))
            }
        }
        visit(flags, "")
        return lines
    }
}

/// Any JSON value, for metadata the report shows without knowing its keys.
enum ReportJSONValue: Decodable {
    case null, bool(Bool), integer(Int64), number(Double), string(String)
    case array([ReportJSONValue]), object([String: ReportJSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Bool before the numbers: JSONDecoder does not read `1` as a Bool nor `true` as a number.
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([ReportJSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: ReportJSONValue].self)) }
    }

    /// The value as a person reads it: `true`, `5`, `0.94`, `kfold:5`, lists joined by commas.
    var text: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .number(let value): String(value)
        case .string(let value): value
        case .array(let items): items.map(\.text).joined(separator: ",")
        case .object(let members): members.keys.sorted().map { "\($0)=\(members[$0]!.text)" }.joined(separator: " ")
        }
    }
}

/// The part of `features.json` / `targets.json` the report shows (contract, Files).
struct ReportTableMetadata: OutputMetadataFile {
    var formatVersion: Int
    var file: String
    var files: [String]?
    var interval: String
    var intervalMs: Int64
    var rowCount: Int
    var firstBarStart: String?
    var lastBarStart: String?
    var inputs: [Input]?
    var columns: [Column]

    struct Input: Decodable {
        var role: String
        var path: String
        var bytes: Int64
        var rowsRead: Int64
        var rowsUsed: Int64
        var rowsRejected: Int64
        var rowsDeduplicated: Int64
        var symbol: String?
    }

    struct Column: Decodable {
        var index: Int
        var name: String
        var description: String
        var unit: String
        var group: String?
        var type: String
        var windowBars: Int?
        var horizonBars: Int?
        var firstDefinedRow: Int?
    }

    /// Reads `path` (`OutputMetadataFile.read`: a run without this table's CSV is refused, since
    /// the report streams the CSVs and carries no Parquet reader).
    static func read(_ path: String, table: String) throws -> ReportTableMetadata {
        let metadata = try read(path, listing: table + ".csv", command: "tickforge report")
        guard metadata.columns.first?.name == "timestamp" else {
            throw TickError.unreadable(path: path, reason: "its first column is not timestamp")
        }
        return metadata
    }

    /// The index of the column named `name`, if the table has it.
    func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }
}

/// `splits.json` as the report reads it: the `SplitsDocument` a run wrote, checked against the
/// tables it splits.
extension SplitsDocument {
    static func read(_ path: String, rows: Int) throws -> SplitsDocument {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TickError.invalidArgument("\(path) is unreadable")
        }
        let splits: SplitsDocument
        do {
            splits = try JSONDecoder.snakeCase.decode(SplitsDocument.self, from: data)
        } catch {
            throw TickError.unreadable(path: path, reason: "not the splits.json tickforge writes (\(error))")
        }
        guard splits.formatVersion == SplitsDocument.formatVersion else {
            throw TickError.unreadable(path: path, reason: "splits format version \(splits.formatVersion); this tickforge reads version \(SplitsDocument.formatVersion)")
        }
        guard splits.rows == rows else {
            throw TickError.unreadable(path: path, reason: "it splits \(splits.rows) rows, the tables hold \(rows): not one set of outputs; rerun `tickforge features`")
        }
        for fold in splits.folds {
            for set in [fold.train, fold.test] + (fold.validation.map { [$0] } ?? []) {
                guard let ranges = set.ranges(within: rows), ranges.reduce(0, { $0 + $1.count }) == set.count,
                      set.timestamps.count == ranges.count, set.timestamps.allSatisfy({ $0.count == 2 }) else {
                    throw TickError.unreadable(path: path, reason: "fold \(fold.fold) has a row set that is not increasing [first, end) ranges within the \(rows) rows, with matching count and timestamps")
                }
            }
        }
        return splits
    }
}
