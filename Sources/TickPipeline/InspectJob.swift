import Foundation
import TickCore
import TickIO
import TickStore

/// What `tickforge inspect` found.
public struct InspectReport: Sendable {
    /// Human-readable lines.
    public var lines: [String] = []
    /// Partitions found damaged, missing, or not matching the manifest.
    public var damaged = 0
}

/// Shows a run directory (manifest, partitions, sizes, compression, checksums) or one
/// partition file; with `verify`, decodes everything and counts damage.
public enum InspectJob {
    public static func run(path: String, verify: Bool) throws -> InspectReport {
        let info = try Syscall.stat(path)
        return info.isDirectory ? try directory(path, verify: verify) : try file(path, verify: verify)
    }

    static func file(_ path: String, verify: Bool) throws -> InspectReport {
        var report = InspectReport()
        do {
            let summary = try PartitionFormat.summarize(path: path, verify: verify)
            report.lines += describe(summary, name: path)
        } catch {
            report.damaged += 1
            report.lines.append("DAMAGED \(path): \(error)")
        }
        return report
    }

    static func directory(_ path: String, verify: Bool) throws -> InspectReport {
        var report = InspectReport()
        let manifestPath = path + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw TickError.unreadable(path: manifestPath, reason: "no manifest: not a tickforge output directory, or no run has finished a partition yet")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder.snakeCase.decode(Manifest.self, from: data) } catch {
            throw TickError.unreadable(path: manifestPath, reason: "unreadable manifest: \(error)")
        }
        report.lines.append("manifest: \(manifestPath) (format \(manifest.formatVersion))")
        for (role, input) in [("trades", manifest.trades), ("quotes", manifest.quotes)] {
            guard let input else { continue }
            let counts = input.end?.counts
            report.lines.append("")
            report.lines.append("\(role): \(input.fingerprint.path) (\(input.fingerprint.bytes) bytes, \(input.layout), \(input.timeUnit), \(input.compression))")
            report.lines.append("  state: \(input.end == nil ? "incomplete (a rerun resumes after the last partition)" : "complete")" +
                                (counts.map { "; rows read \($0.read), kept \($0.used), rejected \($0.rejected), duplicates \($0.duplicates)" } ?? ""))
            var totalBytes = 0, totalRows = 0
            for entry in input.partitions {
                let file = path + "/ticks/" + entry.name
                totalBytes += entry.bytes; totalRows += entry.rows
                let status = check(file, bytes: entry.bytes, checksum: entry.checksum, verify: verify, damaged: &report.damaged)
                report.lines.append("  \(entry.name)  rows \(entry.rows)  \(Time.iso8601(micros: entry.firstTime)) → \(Time.iso8601(micros: entry.lastTime))  \(entry.bytes) bytes (\(fixed(Double(entry.bytes) / Double(max(entry.rows, 1)))) B/row)  \(status)")
            }
            if totalRows > 0 {
                report.lines.append("  total: \(input.partitions.count) partitions, \(totalRows) rows, \(totalBytes) bytes, \(fixed(Double(totalBytes) / Double(totalRows))) bytes per row (input CSV: \(fixed(Double(input.fingerprint.bytes) / Double(totalRows))) bytes per row)")
            }
        }
        if let features = manifest.features {
            report.lines.append("")
            report.lines.append("features: \(features.partitions.count) partitions of \(features.partitionBars) bars" +
                                (features.bars.map { ", \($0) bars in all (complete)" } ?? " (incomplete)"))
            for entry in features.partitions {
                let file = path + "/features/" + entry.name
                let status = check(file, bytes: entry.bytes, checksum: entry.checksum, verify: verify, damaged: &report.damaged)
                report.lines.append("  \(entry.name)  rows \(entry.rows)  \(entry.bytes) bytes  \(status)")
            }
        }
        return report
    }

    /// The checksum status of one partition: its size and CRC against the manifest, and with
    /// `verify` a full decode with every column checksum.
    static func check(_ file: String, bytes: Int, checksum: UInt32, verify: Bool, damaged: inout Int) -> String {
        guard RunDirectory.isIntact(file, bytes: bytes, checksum: checksum) else {
            damaged += 1
            return Syscall.exists(file) ? "DAMAGED (size or checksum differs from the manifest)" : "MISSING"
        }
        guard verify else { return "checksum ok" }
        do {
            let summary = try PartitionFormat.summarize(path: file, verify: true)
            let raw = summary.columns.reduce(0) { $0 + $1.rawBytes }
            return "verified (\(summary.columns.count) columns, compression \(fixed(Double(raw) / Double(max(summary.fileBytes, 1)), digits: 1))×)"
        } catch {
            damaged += 1
            return "DAMAGED: \(error)"
        }
    }

    static func describe(_ s: PartitionSummary, name: String) -> [String] {
        var lines = ["\(name): \(s.kind) partition, format \(s.formatVersion), \(s.rowCount) rows, \(s.fileBytes) bytes" +
                     (s.rowCount > 0 ? " (\(fixed(Double(s.fileBytes) / Double(s.rowCount))) B/row)" : "") +
                     ", CRC-32 \(String(s.fileChecksum, radix: 16))"]
        if s.rowCount > 0 { lines.append("  time: \(Time.iso8601(micros: s.minTime)) → \(Time.iso8601(micros: s.maxTime))") }
        for c in s.columns {
            let status = c.checksumOK.map { $0 ? "ok" : "BAD" } ?? "not verified"
            lines.append("  \(pad(c.name, 24)) \(pad(c.type, 8)) \(pad(c.encoding, 20)) raw \(c.rawBytes)  encoded \(c.encodedBytes)  zstd \(c.compressedBytes)  (\(fixed(Double(c.rawBytes) / Double(max(c.compressedBytes, 1)), digits: 1))×)  checksum \(status)")
        }
        return lines
    }

    static func fixed(_ value: Double, digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

    static func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
}
