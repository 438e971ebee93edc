import Foundation
import Testing

/// Helpers for tests that run `tickforge features` end to end.
enum FeatureRun {
    static let btcTrades = TestPaths.real("binance-um-BTCUSDT-trades-2024-08-08T2354Z-2400Z.from-ws.csv")
    static let btcQuotes = TestPaths.real("binance-um-BTCUSDT-bookTicker-2024-08-08T2354Z-2400Z.from-ws.csv")
    static let ethTrades = TestPaths.real("binance-um-ETHUSDT-trades-2024-08-08T2354Z-2400Z.from-ws.csv")
    static let ethQuotes = TestPaths.real("binance-um-ETHUSDT-bookTicker-2024-08-08T2354Z-2400Z.from-ws.csv")
    static let tardisTrades = TestPaths.real("tardis-binance-futures-BTCUSDT-trades-2020-02-22.sample.csv")
    static let tardisQuotes = TestPaths.real("tardis-binance-futures-BTCUSDT-quotes-2020-02-22.sample.csv")

    static let outputFiles = ["features.csv", "targets.csv", "features.json", "targets.json"]

    /// Runs `tickforge features`; records an issue when it fails unless `expectFailure`.
    @discardableResult
    static func run(trades: String, quotes: String?, out: String, _ flags: [String] = [], environment: [String: String] = [:],
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        var arguments = ["features", "--trades", trades, "--out", out]
        if let quotes { arguments += ["--quotes", quotes] }
        let result = try runTickforge(arguments + flags, environment: environment)
        if result.exited && result.status == 0 { try expectCountsAddUp(out, sourceLocation: sourceLocation) }
        return result
    }

    /// Nothing is lost: for every input, rows read = used + rejected + deduplicated + filtered
    /// (other symbols), and the metadata says the same as the summary.
    static func expectCountsAddUp(_ dir: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let summary = try self.summary(dir)
        for role in ["trades", "quotes"] {
            guard let input = summary[role] as? [String: Any], let rows = input["rows"] as? [String: Int] else { continue }
            #expect(rows["read"]! == rows["used"]! + rows["rejected"]! + rows["duplicates"]! + rows["filtered"]!,
                    "\(role): read \(rows["read"]!) ≠ used \(rows["used"]!) + rejected \(rows["rejected"]!) + duplicates \(rows["duplicates"]!) + filtered \(rows["filtered"]!)",
                    sourceLocation: sourceLocation)
        }
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/features.json"))) as! [String: Any]
        for input in metadata["inputs"] as! [[String: Any]] {
            let role = input["role"] as! String
            let rows = (summary[role] as! [String: Any])["rows"] as! [String: Int]
            #expect(input["rows_read"] as? Int == rows["read"] && input["rows_rejected"] as? Int == rows["rejected"]
                    && input["rows_deduplicated"] as? Int == rows["duplicates"] && input["rows_filtered"] as? Int == rows["filtered"]
                    && input["rows_rounded"] as? Int == rows["rounded"], "\(role): metadata and summary disagree",
                    sourceLocation: sourceLocation)
        }
    }

    /// The bytes of the four output files of a run directory (nil for a missing file).
    static func outputs(_ dir: String) -> [String: Data?] {
        Dictionary(uniqueKeysWithValues: outputFiles.map { ($0, FileManager.default.contents(atPath: dir + "/" + $0)) })
    }

    static func summary(_ dir: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/summary.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// Rows of a CSV file as arrays of cells (header first).
    static func table(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }
}

/// Runs the independent Python reference and compares a tickforge output directory with it.
enum Reference {
    static let script = TestPaths.repository.appendingPathComponent("Scripts/reference_features.py").path
    static let compare = TestPaths.repository.appendingPathComponent("Scripts/compare_outputs.py").path

    static func run(trades: String, quotes: String?, out: String, _ flags: [String]) throws -> ProcessResult {
        var arguments = [script, "--quiet", "--trades", trades, "--out", out]
        if let quotes { arguments += ["--quotes", quotes] }
        return try runProcess("/usr/bin/env", ["python3"] + arguments + flags)
    }

    static func compare(expected: String, actual: String) throws -> ProcessResult {
        try runProcess("/usr/bin/env", ["python3", compare, expected, actual])
    }
}
