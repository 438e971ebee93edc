import Foundation
import TickCore
import TickIO
import TickStore
#if canImport(Glibc)
import Glibc
#endif

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
        guard let kind = Syscall.entryKind(path) else {
            throw TickError.invalidArgument("\(path): no such file or directory")
        }
        return kind == .directory || (kind == .link && (try? Syscall.stat(path))?.isDirectory == true)
            ? try directory(path, verify: verify) : try file(path, verify: verify)
    }

    static func file(_ path: String, verify: Bool) throws -> InspectReport {
        if let text = Syscall.readLink(path), text.hasPrefix(RunFileName.stateFolder + "/" + RunFileName.current + "/") {
            let directory = AtomicFileWriter.directory(of: path)
            throw TickError.invalidArgument("\(path) is an output of the run in \(directory): `tickforge inspect \(directory) --verify` checks it")
        }
        // Told apart by the partition format's magic: a damaged partition from a file that is
        // not a partition at all.
        guard OwnedFile.starts(path, with: PartitionFormat.magic) else {
            throw TickError.invalidArgument("\(path) is not a tickforge partition file (it does not start with one's magic bytes): `tickforge inspect` takes a run directory (the --out of `tickforge features`) or a .tfp partition; to read a tick file, use `tickforge scan \(path)`")
        }
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
        let state = path + "/" + RunFileName.stateFolder
        let manifestPath = state + "/" + RunFileName.manifest
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            if Syscall.entryKind(state) == .directory {
                throw TickError.invalidArgument("\(state) has no manifest (deleted, or no run got that far): rerun `tickforge features` into \(path), which rebuilds it and recomputes what it cannot trust")
            }
            if path.hasSuffix("/" + RunFileName.stateFolder) || path == RunFileName.stateFolder {
                throw TickError.invalidArgument("\(path) is the state folder of a run directory: inspect the run directory that holds it")
            }
            if Syscall.exists(path + "/" + RunFileName.manifest) {
                throw TickError.invalidArgument("\(path) was written by an earlier tickforge version (it has \(path)/\(RunFileName.manifest), not \(manifestPath)); this version does not read it: rerun `tickforge features` into a new directory")
            }
            throw TickError.invalidArgument("\(path) is not a tickforge run directory (it has no \(manifestPath)): `tickforge inspect` takes the --out directory of `tickforge features`, or a .tfp partition file")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder.snakeCase.decode(Manifest.self, from: data)
        } catch {
            throw TickError.unreadable(path: manifestPath, reason: "the manifest is damaged (not the JSON tickforge writes); rerun `tickforge features` with the same flags, which rebuilds what it cannot trust")
        }
        report.lines.append("manifest: \(manifestPath) (format \(manifest.formatVersion))")
        for (role, input) in manifest.trades.map({ ("trades", $0) }) + manifest.quotes.map({ ("quotes", $0) }) {
            let counts = input.end?.counts
            report.lines.append("")
            report.lines.append("\(role): \(input.fingerprint.path) (\(input.fingerprint.bytes) bytes, \(input.layout), \(input.timeUnit), \(input.compression))")
            report.lines.append("  state: \(input.end == nil ? "incomplete (a rerun resumes after the last partition)" : "complete")" +
                                (counts.map { "; rows read \($0.read), kept \($0.used), rejected \($0.rejected), duplicates \($0.duplicates)" } ?? ""))
            var totalBytes = 0, totalRows = 0
            for entry in input.partitions {
                let file = state + "/" + RunFileName.ticksFolder + "/" + entry.name
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
                let file = state + "/" + RunFileName.featuresFolder + "/" + entry.name
                let status = check(file, bytes: entry.bytes, checksum: entry.checksum, verify: verify, damaged: &report.damaged)
                report.lines.append("  \(entry.name)  rows \(entry.rows)  \(entry.bytes) bytes  \(status)")
            }
        }
        outputs(of: path, manifest: manifest, verify: verify, into: &report)
        return report
    }

    /// The published outputs: each file's size against the record of its generation, with
    /// `verify` its checksum too, and whether the link in the run directory shows it.
    static func outputs(of path: String, manifest: Manifest, verify: Bool, into report: inout InspectReport) {
        let state = path + "/" + RunFileName.stateFolder
        report.lines.append("")
        guard let target = Syscall.readLink(state + "/" + RunFileName.current) else {
            report.lines.append("outputs: none published yet (no run has finished)")
            return
        }
        let generation = state + "/" + target
        guard let data = FileManager.default.contents(atPath: generation + "/" + RunFileName.outputsRecord),
              let record = try? JSONDecoder.snakeCase.decode(OutputsRecord.self, from: data) else {
            report.damaged += 1
            report.lines.append("outputs: \(generation): record of the outputs MISSING or damaged")
            return
        }
        report.lines.append("outputs: generation \(record.generation) (\(generation)), \(record.files.count) files")
        for file in record.files {
            let filePath = generation + "/" + file.name
            var status: String
            if let info = try? Syscall.stat(filePath) {
                if info.size != file.bytes {
                    report.damaged += 1
                    status = "DAMAGED (\(info.size) bytes, \(file.bytes) written)"
                } else if verify {
                    if let crc = try? checksum(of: filePath), crc == file.crc32c {
                        status = "verified (CRC-32C \(String(file.crc32c, radix: 16)))"
                    } else {
                        report.damaged += 1
                        status = "DAMAGED (checksum differs from the one recorded when it was written)"
                    }
                } else {
                    status = "size ok"
                }
            } else {
                report.damaged += 1
                status = "MISSING"
            }
            var line = "  \(pad(file.name, 14)) \(file.bytes) bytes  \(status)"
            if !RunDirectory.isOwnLink(file.name, in: path, manifest: manifest) {
                // Readers of the run directory do not see this file: as bad as a damaged one.
                report.damaged += 1
                line += Syscall.entryKind(path + "/" + file.name) == nil
                    ? "  NOT LINKED: \(path)/\(file.name) is missing (a rerun makes the link again)"
                    : "  NOT LINKED: \(path)/\(file.name) is not tickforge's link (move it away; a rerun makes the link again)"
            }
            report.lines.append(line)
        }
    }

    /// CRC-32C of a whole file, read in pieces.
    static func checksum(of path: String) throws -> UInt32 {
        var crc: UInt32 = 0
        try OwnedFile(path: path, flags: O_RDONLY).forEachPiece { crc = Checksum.crc32c($0, seed: crc) }
        return crc
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
