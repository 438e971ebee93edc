import Foundation
import Testing

/// `inspect` says plainly what it was given and verifies the published outputs too; messages
/// name the files a user knows, never a temporary name or a decoder's internal text.
@Suite(.serialized)
struct InspectAndMessageTests {
    @Test func inspectSaysPlainlyWhatItWasGiven() throws {
        let dir = try TemporaryDirectory("tf-inspect-what")
        defer { dir.remove() }
        let csv = try runTickforge(["inspect", FeatureRun.btcTrades])
        #expect(csv.status == 1 && !csv.stdoutText.contains("DAMAGED"), "\(csv.stdoutText)")
        #expect(csv.stderrText.contains("is not a tickforge partition file") && csv.stderrText.contains("tickforge scan"), "\(csv.stderrText)")
        let plain = dir.path("plain")
        try FileManager.default.createDirectory(atPath: plain, withIntermediateDirectories: true)
        let notRun = try runTickforge(["inspect", plain])
        #expect(notRun.status == 1 && notRun.stderrText.contains("is not a tickforge run directory"), "\(notRun.stderrText)")
        let missing = try runTickforge(["inspect", dir.path("nothing")])
        #expect(missing.status == 1 && missing.stderrText.contains("no such file or directory"), "\(missing.stderrText)")
        try Data("{\"format_version\": 1}".utf8).write(to: URL(fileURLWithPath: plain + "/manifest.json"))
        let legacy = try runTickforge(["inspect", plain])
        #expect(legacy.status == 1 && legacy.stderrText.contains("earlier tickforge version"), "\(legacy.stderrText)")
        // A run's own state folder and its output links: pointed to the run directory.
        let run = dir.path("run")
        #expect(try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", run]).status == 0)
        let state = try runTickforge(["inspect", run + "/.tickforge"])
        #expect(state.status == 1 && state.stderrText.contains("is the state folder of a run directory"), "\(state.stderrText)")
        let output = try runTickforge(["inspect", run + "/features.csv"])
        #expect(output.status == 1 && output.stderrText.contains("is an output of the run in \(run)"), "\(output.stderrText)")
    }

    @Test func inspectVerifyChecksThePublishedOutputs() throws {
        let dir = try TemporaryDirectory("tf-inspect-outputs")
        defer { dir.remove() }
        let out = dir.path("run")
        #expect(try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", out]).status == 0)
        let healthy = try runTickforge(["inspect", "--verify", out])
        #expect(healthy.status == 0, "\(healthy.stdoutText)")
        for name in ["features.csv", "targets.csv", "features.json", "targets.json", "summary.json"] {
            #expect(healthy.stdoutText.contains("  \(name)") && healthy.stdoutText.contains("verified (CRC-32"), "\(name)")
        }
        // One flipped bit, same size: only --verify reads the bytes.
        let features = out + "/features.csv"
        var bytes = try readBytes(features)
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: features))   // through the link, into the generation
        #expect(try runTickforge(["inspect", out]).status == 0)
        let flipped = try runTickforge(["inspect", "--verify", out])
        #expect(flipped.status == 1 && flipped.stdoutText.contains("DAMAGED (checksum differs"), "\(flipped.stdoutText)")
        // A cut file and a missing one show without --verify.
        try Data("x".utf8).write(to: URL(fileURLWithPath: out + "/targets.csv"))
        try FileManager.default.removeItem(atPath: out + "/.tickforge/current/summary.json")
        let cut = try runTickforge(["inspect", out])
        #expect(cut.status == 1 && cut.stdoutText.contains("DAMAGED (1 bytes,") && cut.stdoutText.contains("MISSING"), "\(cut.stdoutText)")
        // A rerun publishes a new, whole set.
        #expect(try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", out]).status == 0)
        #expect(try runTickforge(["inspect", "--verify", out]).status == 0)
    }

    @Test(arguments: ["gzip", "zstd"])
    func aDamagedCompressedInputIsDescribedNotDecoded(kind: String) throws {
        let dir = try TemporaryDirectory("tf-messages-damaged")
        defer { dir.remove() }
        let whole = dir.path("whole")
        let tool = kind == "gzip" ? "/bin/gzip" : "/usr/bin/zstd"
        #expect(try runProcess(tool, kind == "gzip" ? ["-c", FeatureRun.ethTrades] : ["-q", "-c", FeatureRun.ethTrades], stdoutPath: whole).status == 0)
        var bytes = try readBytes(whole)
        for i in stride(from: bytes.count / 3, to: bytes.count / 3 + 64, by: 1) { bytes[i] ^= 0x5A }
        let path = try dir.write("damaged.\(kind == "gzip" ? "gz" : "zst")", bytes)
        let result = try runTickforge(["scan", path])
        #expect(result.exited && result.status == 1)
        #expect(result.stderrText.hasPrefix("error: \(path): the \(kind) data is damaged near compressed byte "), "\(result.stderrText)")
        for decoderText in ["invalid", "distance", "corruption", "Unknown frame", "incorrect", "zlib status"] {
            #expect(!result.stderrText.contains(decoderText), "\(result.stderrText)")
        }
    }

    @Test func aFullDiskNamesTheFileNotItsTemporaryName() throws {
        let dir = try TemporaryDirectory("tf-messages-full")
        defer { dir.remove() }
        // The last: the link `current`, made under a temporary name and renamed over the old.
        for fault in ["write:3:ENOSPC", "fsync:2:EIO", "rename:4:EIO", "link:1:EIO", "link:6:ENOSPC"] {
            let result = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", dir.path("run")],
                                          environment: ["TICKFORGE_FAULT": fault])
            #expect(result.status == 1 && result.stderrText.hasPrefix("error: \(dir.path("run"))/"), "\(fault): \(result.stderrText)")
            #expect(!result.stderrText.contains(".tmp-"), "\(fault): \(result.stderrText)")
        }
    }
}
