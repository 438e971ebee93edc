import Foundation
import Testing
import TickIO
#if canImport(Glibc)
import Glibc
#endif

/// What a rerun recognises as an unchanged input. The quick fingerprint (size, modification
/// time, first and last 64 KiB) misses an edit in the middle that keeps the size and the time;
/// `--fingerprint content` (SHA-256 of every byte) catches it, and reuses a file whose only
/// change is its modification time.
@Suite(.serialized)
struct FingerprintTests {
    static let flags = ["--windows", "5,20", "--horizons", "3", "--tick-partition-rows", "5000"]

    static func run(_ trades: String, _ out: String, _ extra: [String] = []) throws -> [String: Any] {
        let result = try runTickforge(["features", "--trades", trades, "--out", out] + flags + extra)
        #expect(result.status == 0, "\(result.stderrText)")
        return try FeatureRun.summary(out)["trades"] as! [String: Any]
    }

    /// The file's modification time, to the nanosecond.
    static func modificationTime(_ path: String) -> timespec {
        var s = stat()
        stat(path, &s)
        return s.st_mtim
    }

    static func setModificationTime(_ path: String, _ time: timespec) {
        var times = [time, time]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    /// Replaces one price digit in the middle of the file: same size; the time is put back.
    static func editInPlaceKeepingSizeAndTime(_ path: String) throws {
        let time = modificationTime(path)
        var bytes = try readBytes(path)
        var i = bytes.count / 2
        while bytes[i] != UInt8(ascii: "\n") { i += 1 }
        i += 1
        while bytes[i] != UInt8(ascii: ",") { i += 1 }   // past the id, to the price's first digit
        i += 1
        bytes[i] = bytes[i] == UInt8(ascii: "6") ? UInt8(ascii: "7") : UInt8(ascii: "6")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        setModificationTime(path, time)
    }

    @Test func anEditKeepingSizeAndTimeIsMissedByQuickAndCaughtByContent() throws {
        let dir = try TemporaryDirectory("tf-fingerprint-edit")
        defer { dir.remove() }
        for mode in ["quick", "content"] {
            let trades = dir.path("trades-\(mode).csv")
            try FileManager.default.copyItem(atPath: FeatureRun.btcTrades, toPath: trades)
            let out = dir.path("run-\(mode)")
            _ = try Self.run(trades, out, ["--fingerprint", mode])
            let before = FileManager.default.contents(atPath: out + "/features.csv")
            try Self.editInPlaceKeepingSizeAndTime(trades)
            let rerun = try Self.run(trades, out, ["--fingerprint", mode])
            let after = FileManager.default.contents(atPath: out + "/features.csv")
            _ = try Self.run(trades, dir.path("fresh-\(mode)"))
            let fresh = FileManager.default.contents(atPath: dir.path("fresh-\(mode)/features.csv"))
            #expect(fresh != before, "the edit must change the features")
            if mode == "quick" {
                // The documented blind spot: everything is reused, the old features stay.
                #expect(rerun["partitions_written"] as? Int == 0)
                #expect(after == before)
            } else {
                #expect(rerun["partitions_reused"] as? Int == 0)
                #expect(after == fresh, "with content fingerprints the rerun equals a fresh run on the edited file")
            }
        }
    }

    /// Partitions recorded by a quick run carry no digest: a content run cannot vouch for them.
    @Test func aContentRunDoesNotTrustAQuickRunsPartitions() throws {
        let dir = try TemporaryDirectory("tf-fingerprint-modes")
        defer { dir.remove() }
        let trades = dir.path("trades.csv")
        try FileManager.default.copyItem(atPath: FeatureRun.btcTrades, toPath: trades)
        let out = dir.path("run")
        _ = try Self.run(trades, out)
        try Self.editInPlaceKeepingSizeAndTime(trades)
        let content = try Self.run(trades, out, ["--fingerprint", "content"])
        #expect(content["partitions_reused"] as? Int == 0)
        _ = try Self.run(trades, dir.path("fresh"))
        #expect(FileManager.default.contents(atPath: out + "/features.csv") == FileManager.default.contents(atPath: dir.path("fresh/features.csv")))
    }

    @Test func aTouchAloneKeepsEverythingWithContentFingerprints() throws {
        let dir = try TemporaryDirectory("tf-fingerprint-touch")
        defer { dir.remove() }
        let trades = dir.path("trades.csv")
        try FileManager.default.copyItem(atPath: FeatureRun.btcTrades, toPath: trades)
        let out = dir.path("run")
        let first = try Self.run(trades, out, ["--fingerprint", "content"])
        let written = first["partitions_written"] as? Int ?? 0
        #expect(written >= 4)
        var later = Self.modificationTime(trades)
        later.tv_sec += 3_600
        Self.setModificationTime(trades, later)
        let content = try Self.run(trades, out, ["--fingerprint", "content"])
        #expect(content["partitions_reused"] as? Int == written && content["partitions_written"] as? Int == 0)
        #expect(try FeatureRun.summary(out)["feature_partitions_computed"] as? Int == 0)
        // The quick fingerprint sees a new time and reads the file again; the rows are the
        // same, so the feature partitions (keyed by the tick partitions) are still reused.
        later.tv_sec += 3_600
        Self.setModificationTime(trades, later)
        let quick = try Self.run(trades, out)
        #expect(quick["partitions_reused"] as? Int == 0 && quick["partitions_written"] as? Int == written)
        #expect(try FeatureRun.summary(out)["feature_partitions_computed"] as? Int == 0)
    }

    @Test func contentDigestIsSHA256() throws {
        let dir = try TemporaryDirectory("tf-fingerprint-sha")
        defer { dir.remove() }
        let empty = try dir.write("empty", "")
        let large = try dir.write("large", [UInt8]((0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) }))
        for path in [empty, large, FeatureRun.btcTrades] {
            let python = try runProcess("/usr/bin/env", ["python3", "-c", "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())", path])
            #expect(try ContentDigest.sha256(path: path) == python.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines), "\(path)")
        }
        #expect(try ContentDigest.sha256(path: empty) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
