import Foundation
import Testing

/// Inputs as users download them: many files per input, in any mix of containers, merged into
/// one stream by time (contract version 2, Inputs: Many files, Containers).
@Suite("Many-file inputs")
struct MultiFileInputTests {
    static let flags = ["--windows", "5,10,60", "--horizons", "3,10"]

    /// The real file's lines: the header, then the data lines.
    static func lines(_ path: String) throws -> (header: String, data: [String]) {
        let all = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return (all[0], Array(all.dropFirst().filter { !$0.isEmpty }))
    }

    /// How a part is stored.
    enum Container: String, CaseIterable {
        case plain, headerless, gzip, zstd, zip, zipWithSidecar
    }

    /// Writes `lines` to `dir/name` in `container` and returns the path given to tickforge.
    static func write(_ lines: [String], header: String, as container: Container, name: String, in dir: TemporaryDirectory) throws -> String {
        let text = (container == .headerless ? lines : [header] + lines).joined(separator: "\n") + "\n"
        let plain = try dir.write(name + ".csv", text)
        switch container {
        case .plain, .headerless:
            return plain
        case .gzip:
            try CompressedInputTests.compress("gzip", plain, to: dir.path(name + ".csv.gz"))
            try FileManager.default.removeItem(atPath: plain)
            return dir.path(name + ".csv.gz")
        case .zstd:
            try CompressedInputTests.compress("zstd", plain, to: dir.path(name + ".csv.zst"))
            try FileManager.default.removeItem(atPath: plain)
            return dir.path(name + ".csv.zst")
        case .zip, .zipWithSidecar:
            let zip = dir.path(name + ".zip")
            try zipFile(plain, member: name + ".csv", to: zip, sidecar: container == .zipWithSidecar)
            try FileManager.default.removeItem(atPath: plain)
            return zip
        }
    }

    /// Deflates `file` into a one-member zip as Binance publishes them, with a `.CHECKSUM`
    /// sidecar in `sha256sum` format when asked.
    static func zipFile(_ file: String, member: String, to zip: String, sidecar: Bool) throws {
        let script = """
            import hashlib, sys, zipfile
            with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z:
                z.write(sys.argv[1], arcname=sys.argv[3])
            if sys.argv[4] == '1':
                digest = hashlib.sha256(open(sys.argv[2], 'rb').read()).hexdigest()
                name = sys.argv[2].rsplit('/', 1)[-1]
                open(sys.argv[2] + '.CHECKSUM', 'w').write(digest + '  ' + name + '\\n')
            """
        let result = try runProcess("/usr/bin/env", ["python3", "-c", script, file, zip, member, sidecar ? "1" : "0"])
        try #require(result.status == 0, "zip failed: \(result.stderrText)")
    }

    /// The outputs of one run over the whole real file, for comparison.
    static func reference(trades: String, quotes: String? = nil, _ extra: [String] = [], flags: [String] = flags,
                          in dir: TemporaryDirectory) throws -> [String: Data?] {
        let out = dir.path("reference-\(UUID().uuidString.prefix(8))")
        var arguments = ["features", "--trades", trades, "--out", out] + flags + extra
        if let quotes { arguments += ["--quotes", quotes] }
        let result = try runTickforge(arguments)
        try #require(result.status == 0, "\(result.stderrText)")
        return FeatureRun.outputs(out)
    }

    static func csvOutputs(_ outputs: [String: Data?]) -> [Data?] { [outputs["features.csv"]!, outputs["targets.csv"]!] }

    /// Cuts of `count` lines into `parts` non-empty runs at seeded random places.
    static func cuts(_ count: Int, parts: Int, seed: UInt64) -> [Range<Int>] {
        var generator = SeededGenerator(seed: seed)
        var points = Set<Int>()
        while points.count < parts - 1 { points.insert(Int.random(in: 1..<count, using: &generator)) }
        let sorted = [0] + points.sorted() + [count]
        return (0..<parts).map { sorted[$0]..<sorted[$0 + 1] }
    }

    @Test("a real file cut into parts in any mix of containers gives the one-file bytes", arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func partsGiveTheWholeFile(seed: UInt64) throws {
        let dir = try TemporaryDirectory("tf-multi-parts")
        defer { dir.remove() }
        let whole = try Self.reference(trades: FeatureRun.btcTrades, quotes: seed % 2 == 0 ? FeatureRun.btcQuotes : nil, in: dir)
        var generator = SeededGenerator(seed: seed * 7919)
        func split(_ path: String, role: String) throws -> [String] {
            let (header, data) = try Self.lines(path)
            let ranges = Self.cuts(data.count, parts: Int.random(in: 2...7, using: &generator), seed: seed ^ UInt64(role.count))
            return try ranges.enumerated().map { i, range in
                // Only Binance trades files are recognised without their header.
                let container = Container.allCases.filter { role == "trades" || $0 != .headerless }.randomElement(using: &generator)!
                return try Self.write(Array(data[range]), header: header, as: container, name: "\(role)-part\(i)-\(container.rawValue)", in: dir)
            }.shuffled(using: &generator)
        }
        let tradeParts = try split(FeatureRun.btcTrades, role: "trades")
        let quoteParts = seed % 2 == 0 ? try split(FeatureRun.btcQuotes, role: "quotes") : []
        let out = dir.path("out")
        // Small tick partitions, so that files end and merge inside and across partitions.
        var arguments = ["features", "--trades"] + tradeParts + ["--out", out, "--tick-partition-rows", "1499"] + Self.flags
        if !quoteParts.isEmpty { arguments += ["--quotes"] + quoteParts }
        let result = try runTickforge(arguments)
        try #require(result.status == 0, "\(result.stderrText)")
        #expect(Self.csvOutputs(FeatureRun.outputs(out)) == Self.csvOutputs(whole), "parts \(tradeParts) \(quoteParts)")
        try FeatureRun.expectCountsAddUp(out)
        let trades = try FeatureRun.summary(out)["trades"] as! [String: Any]
        #expect((trades["files"] as! [Any]).count == tradeParts.count)
        #expect((trades["rows"] as! [String: Int])["read"] == (try Self.lines(FeatureRun.btcTrades)).data.count)

        // The same parts given as their folder.
        let folderRun = dir.path("folder-run")
        try FileManager.default.createDirectory(atPath: dir.path("in"), withIntermediateDirectories: true)
        for part in tradeParts {
            let name = (part as NSString).lastPathComponent
            try FileManager.default.moveItem(atPath: part, toPath: dir.path("in/" + name))
            if FileManager.default.fileExists(atPath: part + ".CHECKSUM") {
                try FileManager.default.moveItem(atPath: part + ".CHECKSUM", toPath: dir.path("in/" + name + ".CHECKSUM"))
            }
        }
        if quoteParts.isEmpty {
            let again = try runTickforge(["features", "--trades", dir.path("in"), "--out", folderRun] + Self.flags)
            try #require(again.status == 0, "\(again.stderrText)")
            #expect(Self.csvOutputs(FeatureRun.outputs(folderRun)) == Self.csvOutputs(whole))
        }
    }

    @Test("standard input gives the one-file bytes, plain or gzip, and the summary says it cannot resume",
          arguments: ["cat", "gzip -c"])
    func standardInput(command: String) throws {
        let dir = try TemporaryDirectory("tf-multi-stdin")
        defer { dir.remove() }
        let whole = try Self.reference(trades: FeatureRun.btcTrades, in: dir)
        let out = dir.path("out")
        let line = "\(command) '\(FeatureRun.btcTrades)' | '\(TestPaths.binary)' features --trades - --out '\(out)' " + Self.flags.joined(separator: " ")
        let result = try runProcess("/bin/sh", ["-c", line])
        try #require(result.status == 0, "\(result.stderrText)")
        #expect(Self.csvOutputs(FeatureRun.outputs(out)) == Self.csvOutputs(whole))
        let summary = try FeatureRun.summary(out)
        #expect((summary["trades"] as! [String: Any])["resumable"] as? Bool == false)
        #expect((summary["warnings"] as! [String]).contains { $0.contains("cannot be resumed") })
        #expect(result.stderrText.contains("cannot be resumed"))
    }

    @Test func overlappingFilesAreReadOnce() throws {
        let dir = try TemporaryDirectory("tf-multi-overlap")
        defer { dir.remove() }
        let whole = try Self.reference(trades: FeatureRun.btcTrades, in: dir)
        let (header, data) = try Self.lines(FeatureRun.btcTrades)
        let n = data.count
        // A "monthly" file missing a "day" in its middle, that day's file, and a second daily
        // file that repeats the last rows before the gap and the first rows after it.
        let day = (n / 3)..<(n / 2)
        let monthly = Array(data[..<day.lowerBound] + data[day.upperBound...])
        let repeated = (day.lowerBound - 500)..<(day.upperBound + 700)
        let paths = [
            try Self.write(monthly, header: header, as: .zip, name: "BTCUSDT-trades-2024-08", in: dir),
            try Self.write(Array(data[day]), header: header, as: .gzip, name: "BTCUSDT-trades-2024-08-08", in: dir),
            try Self.write(Array(data[repeated]), header: header, as: .plain, name: "BTCUSDT-trades-2024-08-09", in: dir),
        ]
        let out = dir.path("out")
        let result = try runTickforge(["features", "--trades"] + paths + ["--out", out] + Self.flags)
        try #require(result.status == 0, "\(result.stderrText)")
        #expect(Self.csvOutputs(FeatureRun.outputs(out)) == Self.csvOutputs(whole))
        try FeatureRun.expectCountsAddUp(out)
        let trades = try FeatureRun.summary(out)["trades"] as! [String: Any]
        let rows = trades["rows"] as! [String: Int]
        #expect(rows["used"] == n)
        #expect(rows["duplicates"] == repeated.count)
        #expect((trades["merge"] as! [String: Int])["duplicates"] == repeated.count)
        #expect(result.stdoutText.contains("(\(repeated.count) across files)"), "\(result.stdoutText)")
    }

    @Test("a row whose id another file holds with other values is rejected where it is, in its own file")
    func conflictsAcrossFilesAreLocated() throws {
        let dir = try TemporaryDirectory("tf-multi-conflict")
        defer { dir.remove() }
        let (header, data) = try Self.lines(FeatureRun.btcTrades)
        let first = Array(data[..<1000])
        var second = Array(data[990..<2000])
        // Line 6 of the second file (header, then rows 990…): the trade of row 994 with another price.
        var fields = second[4].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fields[1] = "1.00"
        second[4] = fields.joined(separator: ",")
        let a = try Self.write(first, header: header, as: .plain, name: "a", in: dir)
        let b = try Self.write(second, header: header, as: .plain, name: "b", in: dir)

        let failed = try runTickforge(["features", "--trades", a, b, "--out", dir.path("error")] + Self.flags)
        #expect(failed.status == 1)
        #expect(failed.stderrText.contains("\(b):6 ("), "\(failed.stderrText)")
        #expect(failed.stderrText.contains("conflicting duplicate") && failed.stderrText.contains(a), "\(failed.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("error/features.csv")))

        let out = dir.path("quarantine")
        let kept = try runTickforge(["features", "--trades", a, b, "--out", out, "--bad-rows", "quarantine"] + Self.flags)
        try #require(kept.status == 0, "\(kept.stderrText)")
        try FeatureRun.expectCountsAddUp(out)
        let rejects = try String(contentsOfFile: out + "/rejects.csv", encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == 2, "\(rejects)")
        #expect(rejects.last?.hasPrefix("\"\(b)\",6,") == true, "\(rejects)")
        let rows = (try FeatureRun.summary(out)["trades"] as! [String: Any])["rows"] as! [String: Int]
        #expect(rows["rejected"] == 1 && rows["duplicates"] == 9 && rows["used"] == 2000 && rows["read"] == 2010)
    }

    @Test func aFileInAnotherTimeUnitIsReadInItsOwnAndReported() throws {
        let dir = try TemporaryDirectory("tf-multi-units")
        defer { dir.remove() }
        let whole = try Self.reference(trades: FeatureRun.btcTrades, in: dir)
        let (header, data) = try Self.lines(FeatureRun.btcTrades)
        let thirds = [0..<(data.count / 3), (data.count / 3)..<(2 * data.count / 3), (2 * data.count / 3)..<data.count]
        // The middle file's times in microseconds, as Binance spot files are from 2025.
        let micro = data[thirds[1]].map { line -> String in
            var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[4] += "000"
            return f.joined(separator: ",")
        }
        let paths = [try Self.write(Array(data[thirds[0]]), header: header, as: .plain, name: "p0", in: dir),
                     try Self.write(micro, header: header, as: .plain, name: "p1", in: dir),
                     try Self.write(Array(data[thirds[2]]), header: header, as: .plain, name: "p2", in: dir)]
        let out = dir.path("out")
        let result = try runTickforge(["features", "--trades"] + paths + ["--out", out] + Self.flags)
        try #require(result.status == 0, "\(result.stderrText)")
        #expect(Self.csvOutputs(FeatureRun.outputs(out)) == Self.csvOutputs(whole))
        let summary = try FeatureRun.summary(out)
        let files = (summary["trades"] as! [String: Any])["files"] as! [[String: Any]]
        #expect(files.map { $0["time_unit"] as? String } == ["ms", "us", "ms"])
        #expect((summary["warnings"] as! [String]).contains { $0.contains(paths[1]) && $0.contains("us") }, "\(summary["warnings"]!)")

        // An override for one input applies to its files only.
        let forced = try runTickforge(["features", "--trades"] + paths + ["--out", dir.path("forced"), "--time-unit", "trades=ms"] + Self.flags)
        #expect(forced.status == 1, "µs read as ms lies far in the future: \(forced.stderrText)")
    }

    @Test func filesOfAnotherInstrumentAreRefused() throws {
        let dir = try TemporaryDirectory("tf-multi-instrument")
        defer { dir.remove() }
        let (header, data) = try Self.lines(FeatureRun.btcTrades)
        let um = dir.path("data/futures/um/daily/trades")
        for folder in ["BTCUSDT", "ETHUSDT"] { try FileManager.default.createDirectory(atPath: um + "/" + folder, withIntermediateDirectories: true) }
        let btc = try dir.write("data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-08-08.csv", ([header] + data[..<5000]).joined(separator: "\n") + "\n")
        _ = try dir.write("data/futures/um/daily/trades/ETHUSDT/ETHUSDT-trades-2024-08-08.csv", ([header] + data[5000...]).joined(separator: "\n") + "\n")
        let mixed = try runTickforge(["features", "--trades", um, "--out", dir.path("mixed")] + Self.flags)
        #expect(mixed.status == 1 && mixed.stderrText.contains("mixes symbols") && mixed.stderrText.contains("--symbol"), "\(mixed.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("mixed")))

        let selected = try runTickforge(["features", "--trades", um, "--symbol", "BTCUSDT", "--out", dir.path("btc")] + Self.flags)
        try #require(selected.status == 0, "\(selected.stderrText)")
        let alone = try runTickforge(["features", "--trades", btc, "--out", dir.path("alone")] + Self.flags)
        try #require(alone.status == 0)
        #expect(Self.csvOutputs(FeatureRun.outputs(dir.path("btc"))) == Self.csvOutputs(FeatureRun.outputs(dir.path("alone"))))
        let skipped = (try FeatureRun.summary(dir.path("btc"))["trades"] as! [String: Any])["other_symbol_files"] as! [String]
        #expect(skipped.count == 1 && skipped[0].hasSuffix("ETHUSDT-trades-2024-08-08.csv"))

        // Spot and USD-M files of one symbol are two instruments.
        try FileManager.default.createDirectory(atPath: dir.path("data/spot/daily/trades/BTCUSDT"), withIntermediateDirectories: true)
        _ = try dir.write("data/spot/daily/trades/BTCUSDT/BTCUSDT-trades-2024-08-09.csv", data[5000...].joined(separator: "\n") + "\n")
        let markets = try runTickforge(["features", "--trades", btc, dir.path("data/spot"), "--out", dir.path("markets")] + Self.flags)
        #expect(markets.status == 1 && markets.stderrText.contains("mixes markets"), "\(markets.stderrText)")

        // Trades and quotes in one input.
        let kinds = try runTickforge(["features", "--trades", btc, FeatureRun.btcQuotes, "--out", dir.path("kinds")] + Self.flags)
        #expect(kinds.status == 1 && kinds.stderrText.contains("not trades"), "\(kinds.stderrText)")
    }

    @Test func damagedAndUnreadableContainersGiveClearErrors() throws {
        let dir = try TemporaryDirectory("tf-multi-containers")
        defer { dir.remove() }
        let (header, data) = try Self.lines(FeatureRun.btcTrades)
        let good = try Self.write(Array(data[..<8000]), header: header, as: .zipWithSidecar, name: "BTCUSDT-trades-2024-08-08", in: dir)
        let sidecar = good + ".CHECKSUM"
        let digest = try String(contentsOfFile: sidecar, encoding: .utf8)
        let wrong = (digest.first == "0" ? "1" : "0") + digest.dropFirst()
        try wrong.write(toFile: sidecar, atomically: true, encoding: .utf8)

        let out = dir.path("out")
        let mismatch = try runTickforge(["features", "--trades", good, "--out", out] + Self.flags)
        #expect(mismatch.status == 1 && mismatch.stderrText.contains(good) && mismatch.stderrText.contains("SHA-256")
                && mismatch.stderrText.contains("--no-verify-checksums"), "\(mismatch.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: out + "/features.csv"), "nothing is published from a file that fails its checksum")
        let unchecked = try runTickforge(["features", "--trades", good, "--out", out, "--no-verify-checksums"] + Self.flags)
        #expect(unchecked.status == 0, "\(unchecked.stderrText)")

        // A zip cut short: in its data, and before its directory.
        let bytes = try readBytes(good)
        for cut in [bytes.count / 2, bytes.count - 30] {
            let truncated = try dir.write("cut-\(cut).zip", Array(bytes[..<cut]))
            let result = try runTickforge(["features", "--trades", truncated, "--out", dir.path("cut-out-\(cut)")] + Self.flags)
            #expect(result.status == 1 && result.stderrText.contains(truncated) && !result.stderrText.contains("unknown CSV layout"),
                    "\(result.stderrText)")
        }

        // bzip2 and a zip of two members say what to do instead.
        let plain = try Self.write(Array(data[..<100]), header: header, as: .plain, name: "small", in: dir)
        let bz2 = dir.path("small.csv.bz2")
        let compressed = try runProcess("/usr/bin/env", ["python3", "-c", "import bz2,sys; open(sys.argv[2],'wb').write(bz2.compress(open(sys.argv[1],'rb').read()))", plain, bz2])
        try #require(compressed.status == 0)
        let bzResult = try runTickforge(["features", "--trades", bz2, "--out", dir.path("bz")] + Self.flags)
        #expect(bzResult.status == 1 && bzResult.stderrText.contains("bzip2"), "\(bzResult.stderrText)")
        let two = dir.path("two.zip")
        let zipped = try runProcess("/usr/bin/env", ["python3", "-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[2],'w'); z.write(sys.argv[1],'a.csv'); z.write(sys.argv[1],'b.csv'); z.close()", plain, two])
        try #require(zipped.status == 0)
        let twoResult = try runTickforge(["features", "--trades", two, "--out", dir.path("two")] + Self.flags)
        #expect(twoResult.status == 1 && twoResult.stderrText.contains("a.csv") && twoResult.stderrText.contains("b.csv"), "\(twoResult.stderrText)")
    }

    @Test func fromAndToWriteTheFullRunsRowsOfTheRange() throws {
        let dir = try TemporaryDirectory("tf-multi-range")
        defer { dir.remove() }
        let whole = try Self.reference(trades: FeatureRun.btcTrades, quotes: FeatureRun.btcQuotes, in: dir)
        let from: Int64 = 1_723_161_400_000, to: Int64 = 1_723_161_500_000
        let out = dir.path("out")
        let result = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--quotes", FeatureRun.btcQuotes, "--out", out,
                                       "--from", String(from), "--to", "2024-08-08T23:58:20Z"] + Self.flags)
        try #require(result.status == 0, "\(result.stderrText)")
        for name in ["features.csv", "targets.csv"] {
            let all = String(decoding: whole[name]!!, as: UTF8.self).split(separator: "\n")
            let expected = [all[0]] + all.dropFirst().filter { line in
                let t = Int64(line.prefix { $0 != "," })!
                return t >= from && t < to
            }
            let written = try String(contentsOfFile: out + "/" + name, encoding: .utf8).split(separator: "\n")
            #expect(written == expected, "\(name)")
            #expect(written.count == 101)
        }
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/features.json"))) as! [String: Any]
        let flags = metadata["flags"] as! [String: Any]
        #expect(flags["from"] as? String == "2024-08-08T23:56:40.000000Z" && flags["to"] as? String == "2024-08-08T23:58:20.000000Z")
        #expect(metadata["row_count"] as? Int == 100)

        let none = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--out", dir.path("none"), "--from", "2024-08-09"] + Self.flags)
        #expect(none.status == 1 && none.stderrText.contains("select no bar"), "\(none.stderrText)")
    }

    @Test func scanOfManyFilesShowsEachFileAndTheGaps() throws {
        let dir = try TemporaryDirectory("tf-multi-scan")
        defer { dir.remove() }
        let (header, data) = try Self.lines(FeatureRun.btcTrades)
        // Two files with 5000 rows left out between them.
        let a = try Self.write(Array(data[..<5000]), header: header, as: .gzip, name: "a", in: dir)
        let b = try Self.write(Array(data[10000...]), header: header, as: .zip, name: "b", in: dir)
        let result = try runTickforge(["scan", "--json", b, a, "--min-gap", "1s"])
        try #require(result.status == 0, "\(result.stderrText)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout)) as! [String: Any]
        let files = report["files"] as! [[String: Any]]
        #expect(files.map { $0["path"] as? String } == [a, b], "ordered by time")
        #expect(files.map { $0["compression"] as? String } == ["gzip", "zip"])
        #expect(files[0]["gap_to_previous_ms"] == nil && (files[1]["gap_to_previous_ms"] as! Int) > 0)
        let total = report["total"] as! [String: Any]
        #expect(total["rows"] as? Int == data.count - 5000)
        #expect((total["id_gaps"] as! Int) >= 1 && (total["largest_id_gap"] as! Int) >= 5000)
        let text = try runTickforge(["scan", dir.path("")])
        #expect(text.status == 0 && text.stdoutText.contains("total: 2 files") && text.stdoutText.contains("neither proves trades were lost"), "\(text.stdoutText)")
    }
}

/// SplitMix64, so that cut points and containers are the same on every run of a seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Unknown sides inferred by the tick rule on the merged stream (contract version 2, Sides).
@Suite("Tick rule")
struct TickRuleTests {
    static let flags = ["--windows", "5,10,60", "--horizons", "3,10"]

    /// The contract's rule, written from its words: a buyer if the price is above the previous
    /// kept trade's, a seller if below, the previous trade's side if equal, a buyer first.
    static func infer(_ rows: [[String]], side: Int, price: Int) -> [[String]] {
        var previous: (price: Double, side: String)?
        return rows.map { row in
            var row = row
            let p = Double(row[price])!
            if row[side] == "unknown" {
                row[side] = previous.map { p > $0.price ? "buy" : p < $0.price ? "sell" : $0.side } ?? "buy"
            }
            previous = (p, row[side])
            return row
        }
    }

    @Test func unknownSidesAreInferredOnTheMergedStreamAsTheContractSays() throws {
        let dir = try TemporaryDirectory("tf-tick-rule")
        defer { dir.remove() }
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.tardisTrades)
        var rows = data.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        var generator = SeededGenerator(seed: 99)
        var unknown = 0
        for i in rows.indices where i == 0 || Int.random(in: 0..<3, using: &generator) == 0 {
            rows[i][5] = "unknown"
            unknown += 1
        }
        let text = rows.map { $0.joined(separator: ",") }
        let inferred = Self.infer(rows, side: 5, price: 6).map { $0.joined(separator: ",") }
        #expect(inferred != data, "the rule changes some sides back differently from the file's")
        let expected = try MultiFileInputTests.write(inferred, header: header, as: .plain, name: "expected", in: dir)
        // Two files overlapping by 300 rows: the repeated rows are read once, before the rule runs.
        let cut = text.count / 2
        let a = try MultiFileInputTests.write(Array(text[..<(cut + 150)]), header: header, as: .gzip, name: "a", in: dir)
        let b = try MultiFileInputTests.write(Array(text[(cut - 150)...]), header: header, as: .plain, name: "b", in: dir)

        let refused = try runTickforge(["features", "--trades", a, b, "--out", dir.path("refused")] + Self.flags)
        #expect(refused.status == 1 && refused.stderrText.contains("unknown trade side") && refused.stderrText.contains("--side-unknown tick-rule"),
                "\(refused.stderrText)")

        let out = dir.path("out")
        let result = try runTickforge(["features", "--trades", a, b, "--out", out, "--side-unknown", "tick-rule"] + Self.flags)
        try #require(result.status == 0, "\(result.stderrText)")
        let reference = dir.path("reference")
        try #require(try runTickforge(["features", "--trades", expected, "--out", reference] + Self.flags).status == 0)
        #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(out)) == MultiFileInputTests.csvOutputs(FeatureRun.outputs(reference)))
        let trades = try FeatureRun.summary(out)["trades"] as! [String: Any]
        #expect((trades["merge"] as! [String: Int])["inferred_sides"] == unknown)
        #expect((trades["merge"] as! [String: Int])["duplicates"] == 300)
        #expect(result.stdoutText.contains("\(unknown) sides inferred by the tick rule"), "\(result.stdoutText)")
    }

    @Test func tardisFilesOfTwoSymbolsNeedTheSymbolFlag() throws {
        let dir = try TemporaryDirectory("tf-tick-symbols")
        defer { dir.remove() }
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.tardisTrades)
        let btc = try MultiFileInputTests.write(Array(data[..<6000]), header: header, as: .plain, name: "btc", in: dir)
        let eth = try MultiFileInputTests.write(data[6000...].map { $0.replacingOccurrences(of: ",BTCUSDT,", with: ",ETHUSDT,") },
                                                header: header, as: .zstd, name: "eth", in: dir)
        let mixed = try runTickforge(["features", "--trades", btc, eth, "--out", dir.path("mixed")] + Self.flags)
        #expect(mixed.status == 1 && mixed.stderrText.contains("BTCUSDT") && mixed.stderrText.contains("ETHUSDT")
                && mixed.stderrText.contains("--symbol"), "\(mixed.stderrText)")
        let selected = try runTickforge(["features", "--trades", btc, eth, "--symbol", "BTCUSDT", "--out", dir.path("btc")] + Self.flags)
        try #require(selected.status == 0, "\(selected.stderrText)")
        let alone = try runTickforge(["features", "--trades", btc, "--out", dir.path("alone")] + Self.flags)
        try #require(alone.status == 0, "\(alone.stderrText)")
        #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(dir.path("btc"))) == MultiFileInputTests.csvOutputs(FeatureRun.outputs(dir.path("alone"))))
        let rows = (try FeatureRun.summary(dir.path("btc"))["trades"] as! [String: Any])["rows"] as! [String: Int]
        #expect(rows["filtered"] == data.count - 6000)
    }
}

/// Kills during the ingest and merge of many files (GUIDE checklist 1).
@Suite("Many-file resume")
struct MultiFileResumeTests {
    @Test func killedRunsOfManyFilesResumeToTheSameBytes() throws {
        let dir = try TemporaryDirectory("tf-multi-resume")
        defer { dir.remove() }
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.btcTrades)
        let n = data.count
        // Three files, the last two overlapping, in three containers.
        let paths = [try MultiFileInputTests.write(Array(data[..<(n / 3)]), header: header, as: .zip, name: "a", in: dir),
                     try MultiFileInputTests.write(Array(data[(n / 3)..<(2 * n / 3 + 200)]), header: header, as: .gzip, name: "b", in: dir),
                     try MultiFileInputTests.write(Array(data[(2 * n / 3)...]), header: header, as: .plain, name: "c", in: dir)]
        let flags = ["--tick-partition-rows", "700", "--partition-bars", "40", "--bad-rows", "quarantine"] + MultiFileInputTests.flags
        func run(_ out: String, environment: [String: String] = [:]) throws -> ProcessResult {
            try runTickforge(["features", "--trades"] + paths + ["--quotes", FeatureRun.btcQuotes, "--out", out] + flags, environment: environment)
        }
        let clean = dir.path("clean")
        try #require(try run(clean).status == 0)
        let expected = FeatureRun.outputs(clean)
        var killed = 0
        for step in [3, 9, 17, 26, 38, 55, 80] {
            let out = dir.path("out-\(step)")
            let first = try run(out, environment: ["TICKFORGE_KILL_AT": String(step)])
            guard !first.exited else { break }
            killed += 1
            let resumed = try run(out)
            try #require(resumed.status == 0, "step \(step): \(resumed.stderrText)")
            #expect(FeatureRun.outputs(out) == expected, "step \(step)")
            let trades = try FeatureRun.summary(out)["trades"] as! [String: Any]
            #expect((trades["rows"] as! [String: Int])["duplicates"] == 200, "step \(step)")
        }
        #expect(killed >= 5)
        // Adding nothing and changing nothing: every file's partitions are reused.
        let again = try run(clean)
        #expect(again.status == 0)
        let summary = try FeatureRun.summary(clean)
        #expect((summary["trades"] as! [String: Any])["partitions_written"] as? Int == 0)
        #expect(summary["feature_partitions_computed"] as? Int == 0)
        #expect(FeatureRun.outputs(clean) == expected)
        // Dropping a file forgets its partitions and recomputes the features.
        let fewer = try runTickforge(["features", "--trades", paths[0], paths[1], "--quotes", FeatureRun.btcQuotes, "--out", clean] + flags)
        try #require(fewer.status == 0, "\(fewer.stderrText)")
        let ticks = try FileManager.default.contentsOfDirectory(atPath: clean + "/.tickforge/ticks").filter { $0.hasPrefix("trades-") }
        let numbers = Set(ticks.map { $0.split(separator: "-")[1] })
        #expect(numbers.count == 2, "\(numbers)")
        #expect((try FeatureRun.summary(clean)["trades"] as! [String: Any])["partitions_written"] as? Int == 0)
    }
}

/// What a reviewer found by using many-file inputs as a new user would.
@Suite("Many-file inputs as users give them")
struct MultiFileUsageTests {
    static let flags = MultiFileInputTests.flags

    @Test func tradesAndQuotesOfDifferentInstrumentsAreRefused() throws {
        let dir = try TemporaryDirectory("tf-usage-instrument")
        defer { dir.remove() }
        // Names in data.binance.vision's form: BTCUSDT trades, ETHUSDT book tickers.
        let trades = try dir.write("BTCUSDT-trades-2024-08-08.csv", try String(contentsOfFile: FeatureRun.btcTrades, encoding: .utf8))
        let quotes = try dir.write("ETHUSDT-bookTicker-2024-08-08.csv", try String(contentsOfFile: FeatureRun.ethQuotes, encoding: .utf8))
        let result = try runTickforge(["features", "--trades", trades, "--quotes", quotes, "--out", dir.path("out")] + Self.flags)
        #expect(result.status == 1 && result.stderrText.contains("BTCUSDT") && result.stderrText.contains("ETHUSDT"), "\(result.stderrText)")
        // By symbol column (Tardis).
        let tardisQuotes = try dir.write("eth-quotes.csv", try String(contentsOfFile: FeatureRun.tardisQuotes, encoding: .utf8)
            .replacingOccurrences(of: ",BTCUSDT,", with: ",ETHUSDT,"))
        let tardis = try runTickforge(["features", "--trades", FeatureRun.tardisTrades, "--quotes", tardisQuotes, "--out", dir.path("tardis")] + Self.flags)
        #expect(tardis.status == 1 && tardis.stderrText.contains("one instrument"), "\(tardis.stderrText)")
        // The same instrument passes, and the metadata names it.
        let same = try runTickforge(["features", "--trades", trades, "--quotes", FeatureRun.btcQuotes, "--out", dir.path("same")] + Self.flags)
        try #require(same.status == 0, "\(same.stderrText)")
        let metadata = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path("same/features.json")))) as! [String: Any]
        let input = (metadata["inputs"] as! [[String: Any]])[0]
        #expect(input["symbol"] as? String == "BTCUSDT")
        let read = (metadata["flags"] as! [String: Any])["read"] as! [String: Any]
        #expect(read["side_unknown"] as? String == "reject" && read["verify_checksums"] as? Bool == true)
    }

    @Test func aMappingReadsTheInputOfItsKindOnly() throws {
        let dir = try TemporaryDirectory("tf-usage-mapping")
        defer { dir.remove() }
        // The BTCUSDT trades with their columns renamed, next to a bookTicker file as Binance writes it.
        let text = try String(contentsOfFile: FeatureRun.btcTrades, encoding: .utf8)
        let renamed = try dir.write("renamed.csv", "tid,px,size,notional,ts,maker" + text.drop { $0 != "\n" })
        let mapping = "time=ts,price=px,qty=size,side=maker,id=tid"
        let mapped = try runTickforge(["features", "--trades", renamed, "--quotes", FeatureRun.btcQuotes, "--columns", mapping,
                                       "--out", dir.path("mapped")] + Self.flags)
        try #require(mapped.status == 0, "\(mapped.stderrText)")
        let plain = try runTickforge(["features", "--trades", FeatureRun.btcTrades, "--quotes", FeatureRun.btcQuotes, "--out", dir.path("plain")] + Self.flags)
        try #require(plain.status == 0)
        #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(dir.path("mapped"))) == MultiFileInputTests.csvOutputs(FeatureRun.outputs(dir.path("plain"))))
        let twice = try runTickforge(["features", "--trades", renamed, "--columns", mapping, "--columns", mapping, "--out", dir.path("twice")])
        #expect(twice.status == 64 && twice.stderrText.contains("maps trades twice"), "\(twice.stderrText)")
    }

    @Test func sidecarsNamedOutrightAndFinderZipsAreHandled() throws {
        let dir = try TemporaryDirectory("tf-usage-sidecars")
        defer { dir.remove() }
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.btcTrades)
        let a = try MultiFileInputTests.write(Array(data[..<10000]), header: header, as: .zipWithSidecar, name: "BTCUSDT-trades-2024-08-08", in: dir)
        // A zip as Finder makes it: the CSV and its resource fork under __MACOSX/.
        let csv = try dir.write("b.csv", ([header] + data[10000...]).joined(separator: "\n") + "\n")
        let fork = try dir.write("fork", [0, 5, 22, 7, 0, 2, 0, 0])
        let b = dir.path("BTCUSDT-trades-2024-08-09.zip")
        let zipped = try runProcess("/usr/bin/env", ["python3", "-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED); z.write(sys.argv[2],'b.csv'); z.write(sys.argv[3],'__MACOSX/._b.csv'); z.close()", b, csv, fork])
        try #require(zipped.status == 0)
        // As a shell expands `*`: the zips and the sidecar.
        let out = dir.path("out")
        let result = try runTickforge(["features", "--trades", a, a + ".CHECKSUM", b, "--out", out] + Self.flags)
        try #require(result.status == 0, "\(result.stderrText)")
        let whole = try MultiFileInputTests.reference(trades: FeatureRun.btcTrades, in: dir)
        #expect(MultiFileInputTests.csvOutputs(FeatureRun.outputs(out)) == MultiFileInputTests.csvOutputs(whole))
        let files = (try FeatureRun.summary(out)["trades"] as! [String: Any])["files"] as! [[String: Any]]
        #expect(files.map { $0["checksum"] as? String } == ["verified", "none"])
    }

    @Test func overlappingFilesWithoutIdsAreKeptAndReported() throws {
        let dir = try TemporaryDirectory("tf-usage-noids")
        defer { dir.remove() }
        let (header, data) = try MultiFileInputTests.lines(FeatureRun.tardisQuotes)
        let a = try MultiFileInputTests.write(Array(data[..<6000]), header: header, as: .plain, name: "qa", in: dir)
        let b = try MultiFileInputTests.write(Array(data[4000...]), header: header, as: .plain, name: "qb", in: dir)
        let result = try runTickforge(["features", "--trades", FeatureRun.tardisTrades, "--quotes", a, b, "--out", dir.path("out")] + Self.flags)
        try #require(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("overlaps") && result.stderrText.contains("no id"), "\(result.stderrText)")
        let quotes = try FeatureRun.summary(dir.path("out"))["quotes"] as! [String: Any]
        #expect((quotes["rows"] as! [String: Int])["used"] == data.count + 2000)
    }
}
