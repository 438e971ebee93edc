import Foundation
import TickCore
import TickIO

/// How an input file is recognised as unchanged, so that its partitions can be reused.
public enum FingerprintMode: String, Sendable, Codable, CaseIterable {
    /// Size, modification time, and a CRC-32 of the first and last 64 KiB: catches appends,
    /// truncation, rewrites and any edit that changes the size or the modification time, or
    /// touches the first or last 64 KiB. It misses an edit in the middle that keeps the size
    /// and restores the modification time (`touch -d`, `rsync -t`, `cp -p` over the file).
    case quick
    /// SHA-256 of every byte (read once more before the run): catches any edit, and a file
    /// whose only change is its modification time is still reused.
    case content
}

/// Identifies an input file's content: a change means its old partitions must not be reused.
public struct InputFingerprint: Sendable, Codable, Equatable {
    public var path: String
    public var bytes: Int64
    public var mtimeNs: Int64
    /// CRC-32 of the first and last 64 KiB.
    public var headTailCrc: UInt32
    /// SHA-256 of the whole file, with `FingerprintMode.content`.
    public var sha256: String?

    public static func of(path: String, mode: FingerprintMode = .quick) throws -> InputFingerprint {
        // Standard input has no identity: what it held is never reused.
        if path == InputFiles.standardInput { return InputFingerprint(path: path, bytes: 0, mtimeNs: 0, headTailCrc: 0) }
        let info = try Syscall.stat(path)
        let file = try OwnedFile(path: path, flags: O_RDONLY)
        let window = Int(min(info.size, 64 << 10))
        var head = [UInt8](repeating: 0, count: window)
        var tail = [UInt8](repeating: 0, count: window)
        _ = try head.withUnsafeMutableBytes { try Syscall.pread(file.fd, into: $0, offset: 0, path: path) }
        _ = try tail.withUnsafeMutableBytes { try Syscall.pread(file.fd, into: $0, offset: info.size - Int64(window), path: path) }
        return InputFingerprint(path: absolute(path), bytes: info.size, mtimeNs: info.mtimeNanos,
                                headTailCrc: Checksum.crc32(tail, seed: Checksum.crc32(head)),
                                sha256: mode == .content ? try ContentDigest.sha256(path: path) : nil)
    }

    /// `path` made absolute (not resolved: a file is known by the path it was given as).
    public static func absolute(_ path: String) -> String {
        path.hasPrefix("/") || path == InputFiles.standardInput ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Whether partitions made from the file `earlier` described are valid for this one. With a
    /// content digest (content mode): the same path, size and digest, the modification time
    /// may differ; partitions recorded without a digest cannot be vouched for and are not
    /// reused. Without one (quick mode): the same path, size, modification time, head and tail.
    public func allowsReuse(of earlier: InputFingerprint) -> Bool {
        guard path != InputFiles.standardInput, path == earlier.path && bytes == earlier.bytes else { return false }
        if let sha256 { return sha256 == earlier.sha256 }
        return mtimeNs == earlier.mtimeNs && headTailCrc == earlier.headTailCrc
    }

}

/// A finished tick partition: rows `[firstRow, firstRow + rows)` of the kept rows of one input.
public struct TickPartitionEntry: Sendable, Codable, Equatable {
    public var name: String
    public var firstRow: Int64
    public var rows: Int
    public var bytes: Int
    public var checksum: UInt32
    public var firstTime: Int64
    public var lastTime: Int64
    /// Reading resumes here to make the next partition (nil on a sorted run's blocks but its
    /// last: a run is resumed from only once whole).
    public var resume: ResumePoint?
    /// Quarantined rows read while making this partition, if any.
    public var rejects: String?
    /// Sort mode: the sorted run this partition is a block of (the index of its first block).
    public var run: Int?
    /// False for a block that is not its run's last: a run is resumed from only once whole.
    public var runEnd: Bool?
}

/// The ingest state of one input file.
public struct InputState: Sendable, Codable, Equatable {
    /// The number in the names of this file's partitions; it stays with the file.
    public var fileNumber: Int
    public var fingerprint: InputFingerprint
    /// The flags that change which rows are kept and how they parse.
    public var readKey: String
    public var layout: String
    public var timeUnit: String
    public var compression: String
    public var partitions: [TickPartitionEntry]
    /// Set when the whole input is in partitions: the state at the end of the file.
    public var end: ResumePoint?
    /// Whether the file was read from standard input (whose ingest cannot be resumed).
    public var fromPipe = false
    /// The check of the file's `.CHECKSUM` sidecar when it was read: `verified`, `none` (no
    /// sidecar) or `skipped` (`--no-verify-checksums`).
    public var checksum: String?
    /// Bytes read from standard input (whose size is not known beforehand).
    public var pipeBytes: Int64?
}

/// A finished feature partition: the bars whose epoch bar number (start / Δ) is in
/// `[index·partitionBars, (index+1)·partitionBars)`.
public struct FeaturePartitionEntry: Sendable, Codable, Equatable {
    public var index: Int
    public var name: String
    public var rows: Int
    public var bytes: Int
    public var checksum: UInt32
    /// Hash (`PartitionInput.inputHash`) of the bars (with halos) it was computed from: equal
    /// bars in a later run reuse it.
    public var inputDigest: String?
}

public struct FeatureState: Sendable, Codable, Equatable {
    /// Everything the feature values depend on: the inputs' read keys and fingerprints, the
    /// feature flags and the partition size.
    public var key: String
    public var partitionBars: Int
    public var partitions: [FeaturePartitionEntry]
    /// The flags the values depend on besides the bars: partitions made under the same ones
    /// are reused where their bars' digest matches.
    public var valuesKey: String?
    /// Set when every partition is done: the bar count and the first and last bar starts (µs).
    public var bars: Int?
    public var firstBarStart: Int64?
    public var lastBarStart: Int64?
    /// Set with `bars` when there are quotes: the bars whose quote state is at most the
    /// coverage age old at their end.
    public var quoteCoveredBars: Int?
    /// Set with `bars`: what merging each input's files did (rows read twice, conflicts,
    /// inferred sides), by role.
    public var merged: [String: MergeCounts]?
    /// The sidecar (in the features folder) of rows that merging rejected, in quarantine mode.
    public var mergeRejects: String?
    /// Set with `bars` when there are liquidations: those outside the raster (not used).
    public var liquidationsOutside: RunSummary.OutsideRaster?
    /// Set with `bars` when there is a book: its updates that left it crossed (kept).
    public var bookCrossedUpdates: Int64?
}

/// `DIR/.tickforge/manifest.json`: what a run has finished, so that a rerun can skip it, and
/// which output links in `DIR` tickforge made.
public struct Manifest: Sendable, Codable, Equatable {
    /// 2: the state moved into `.tickforge`, outputs became links to a published generation.
    /// 3: an input is many files, each with its own partitions.
    public static let formatVersion = 3
    public var formatVersion = Manifest.formatVersion
    /// The trades files' states, one per file.
    public var trades: [InputState] = []
    /// The quotes files' states (empty without quotes).
    public var quotes: [InputState] = []
    /// The liquidations files' states (absent without liquidations; older manifests lack it).
    public var liquidations: [InputState]?
    /// The book files' states (absent without a book).
    public var book: [InputState]?
    public var features: FeatureState?
    /// The number the next new input file gets.
    public var nextFileNumber = 0
    /// Names in `DIR` that are tickforge's links to the published outputs. A name is listed
    /// before its link is created, so no link of tickforge's is ever missing from the list.
    public var links: [String] = []

    public init(links: [String] = []) { self.links = links }

    /// Every input file with ingest state.
    public var inputs: [InputState] { trades + quotes + (liquidations ?? []) + (book ?? []) }

    /// The files of an input role (`trades`, `quotes`, `liquidations`).
    public subscript(role: String) -> [InputState] {
        get {
            switch role {
            case "quotes": quotes
            case "liquidations": liquidations ?? []
            case "book": book ?? []
            default: trades
            }
        }
        set {
            switch role {
            case "quotes": quotes = newValue
            case "liquidations": liquidations = newValue.isEmpty ? nil : newValue
            case "book": book = newValue.isEmpty ? nil : newValue
            default: trades = newValue
            }
        }
    }
}
