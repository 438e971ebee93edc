import Foundation
import FuzzSupport
import Testing
import TickCore
import TickCSV
import TickIO
import TickStore
#if canImport(Glibc)
import Glibc
#endif

// Replays the fuzzers' inputs through the same checks as the fuzz targets (Fuzz/FuzzSupport),
// without libFuzzer (docs/FUZZING.md):
// - Fixtures/fuzz/<target>/: inputs that crashed a target or broke an invariant. Each runs in a
//   child process (an exit test), so one that still crashes fails its test instead of killing the
//   whole test run. They fail until the bug they show is fixed.
// - Fixtures/fuzz/seeds/<target>/: the committed seed corpus, in process.
// - Hand-made nasty inputs: random bytes, a header followed by binary junk, zstd magic followed
//   by garbage, a partition declaring a huge row count, truncations and bit flips.

enum FuzzFixtures {
    static let root = TestPaths.repository.appendingPathComponent("Fixtures/fuzz")

    /// Regular files under `Fixtures/fuzz/<relative>`, recursively, as paths relative to the root.
    static func files(_ relative: String) -> [String] {
        let base = root.appendingPathComponent(relative)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var found: [String] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            if url.lastPathComponent.hasPrefix(".") || url.pathExtension == "md" { continue }
            found.append(relative + "/" + url.path.dropFirst(base.path.count + 1))
        }
        return found.sorted()
    }

    static func bytes(_ relative: String) throws -> [UInt8] {
        try readBytes(root.appendingPathComponent(relative).path)
    }

    /// The checks of the target whose directory the file is in.
    static func violations(_ relative: String) throws -> [String] {
        let data = try bytes(relative)
        return relative.contains("FuzzPartitionReader") ? PartitionReaderFuzz.violations(data) : TokenizerFuzz.violations(data)
    }

    /// Run in an exit test's child: limits the address space to what the process has now plus
    /// `headroom`, so a huge allocation fails (and the child crashes) instead of succeeding.
    static func limitAddressSpace(headroom: Int) {
        #if os(Linux)
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmSize:") }),
              let kB = Int(line.split(separator: " ").dropFirst().first ?? "") else { return }
        var limit = rlimit(rlim_cur: rlim_t(kB * 1024 + headroom), rlim_max: rlim_t(kB * 1024 + headroom))
        _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
        #endif
    }

    /// Ends an exit test's child: status 0 without violations, else 1 with them on stderr.
    static func exit(reporting violations: [String]) -> Never {
        if !violations.isEmpty {
            FileHandle.standardError.write(Data(violations.joined(separator: "\n").utf8))
        }
        Foundation.exit(violations.isEmpty ? 0 : 1)
    }

    static let zstdBomb = "FuzzPartitionReader/zstd-declared-size-bomb.tfp"
    static let tokenizerFindings = files("FuzzTokenizer")
    static let readerFindings = files("FuzzPartitionReader")
    static let tokenizerSeeds = files("seeds/FuzzTokenizer")
    static let readerSeeds = files("seeds/FuzzPartitionReader")
}

@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    // MARK: Findings (each in a child process)

    @Test("Tokenizer findings no longer crash or break an invariant", arguments: FuzzFixtures.tokenizerFindings)
    func tokenizerFinding(_ file: String) async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) { [file] in
            let violations = try FuzzFixtures.violations(file)
            FuzzFixtures.exit(reporting: violations)
        }
        if let result, result.exitStatus != .exitCode(0) {
            Issue.record("\(file): \(result.exitStatus): \(String(decoding: result.standardErrorContent.suffix(4000), as: UTF8.self))")
        }
    }

    @Test("Partition reader findings no longer crash, break an invariant or allocate hugely",
          arguments: FuzzFixtures.readerFindings)
    func readerFinding(_ file: String) async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) { [file] in
            // libFuzzer runs with -malloc_limit_mb=1024; here: at most 1 GiB more than the child has.
            FuzzFixtures.limitAddressSpace(headroom: 1 << 30)
            let violations = try FuzzFixtures.violations(file)
            FuzzFixtures.exit(reporting: violations)
        }
        if let result, result.exitStatus != .exitCode(0) {
            Issue.record("\(file): \(result.exitStatus): \(String(decoding: result.standardErrorContent.suffix(4000), as: UTF8.self))")
        }
    }

    /// The zstd "declared size" bomb: 40 KB whose single frame declares 1.3 GB of content.
    @Test("A 40 KB partition declaring 1.3 GB is rejected without allocating it")
    func zstdDeclaredSizeBomb() async throws {
        let data = try FuzzFixtures.bytes(FuzzFixtures.zstdBomb)
        #expect(data.count < 64 << 10)
        await #expect(processExitsWith: .success) {
            FuzzFixtures.limitAddressSpace(headroom: 512 << 20)
            let outcome = PartitionReaderFuzz.outcome(try FuzzFixtures.bytes(FuzzFixtures.zstdBomb))
            guard case .rejected = outcome else { exit(1) }
            exit(0)
        }
    }

    /// The bomb test has teeth: under the same limit, allocating what the bomb declares fails.
    @Test("The address-space limit of the bomb test stops a 1.3 GB allocation")
    func addressSpaceLimitBites() async {
        #if os(Linux)
        await #expect(processExitsWith: .failure) {
            FuzzFixtures.limitAddressSpace(headroom: 512 << 20)
            let big = [UInt8](repeating: 1, count: 1_310_720_000)
            print(big[big.count / 2])
        }
        #endif
    }

    // MARK: Seeds (in process)

    @Test("Tokenizer seeds pass every check", arguments: FuzzFixtures.tokenizerSeeds)
    func tokenizerSeed(_ file: String) throws {
        #expect(try FuzzFixtures.violations(file) == [])
    }

    @Test("Partition seeds decode and pass every check", arguments: FuzzFixtures.readerSeeds)
    func readerSeed(_ file: String) throws {
        let data = try FuzzFixtures.bytes(file)
        guard case .decoded = PartitionReaderFuzz.outcome(data) else {
            Issue.record("\(file): \(PartitionReaderFuzz.outcome(data))")
            return
        }
        #expect(PartitionReaderFuzz.violations(data) == [])
    }

    @Test("The committed seeds are there and small")
    func seedsPresent() throws {
        #expect(FuzzFixtures.tokenizerSeeds.count >= 5)
        #expect(FuzzFixtures.readerSeeds.count >= 5)
        let total = try (FuzzFixtures.tokenizerSeeds + FuzzFixtures.readerSeeds).reduce(0) { $0 + (try FuzzFixtures.bytes($1).count) }
        #expect(total < 300 << 10)
    }

    @Test("The generated partition seeds decode")
    func generatedSeeds() throws {
        for seed in try PartitionSeeds.all() {
            guard case .decoded = PartitionReaderFuzz.outcome(seed.bytes) else {
                Issue.record("\(seed.name): \(PartitionReaderFuzz.outcome(seed.bytes))")
                continue
            }
            #expect(PartitionReaderFuzz.violations(seed.bytes) == [], "\(seed.name)")
        }
    }

    // MARK: Hand-made inputs

    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    static let binanceHeader = Array("id,price,qty,quote_qty,time,is_buyer_maker\n".utf8)
    static let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    @Test("Random bytes: the tokenizer holds its invariants, the reader rejects them")
    func randomInputs() {
        for (i, size) in [0, 1, 7, 64, 500, 4096, 70_000].enumerated() {
            let data = Self.randomBytes(size, seed: UInt64(i) + 1)
            #expect(TokenizerFuzz.violations(data) == [], "\(size) random bytes")
            #expect(PartitionReaderFuzz.violations(data) == [], "\(size) random bytes")
            guard case .rejected = PartitionReaderFuzz.outcome(data) else {
                Issue.record("\(size) random bytes decoded as a partition")
                continue
            }
        }
    }

    @Test("A header followed by binary junk gives bad rows, no good ones")
    func headerThenJunk() {
        let junk = Self.randomBytes(3000, seed: 42).map { $0 == UInt8(ascii: "\n") ? 0 : $0 }
        for data in [Self.binanceHeader + junk, Self.binanceHeader + junk + [10] + junk, Self.binanceHeader + Self.zstdMagic + junk] {
            #expect(TokenizerFuzz.violations(data) == [])
            let chunk = ChunkParser(layout: TokenizerFuzz.binanceTrades(.milliseconds)).parse(data, skipFirstLine: true)
            #expect(chunk.rowCount == 0)
            #expect(chunk.problems.count >= 1)
        }
    }

    @Test("zstd magic followed by garbage: not a CSV row, not a partition")
    func zstdMagicThenGarbage() throws {
        let garbage = Self.zstdMagic + Self.randomBytes(1000, seed: 7)
        #expect(TokenizerFuzz.violations(garbage) == [])
        #expect(PartitionReaderFuzz.violations(garbage) == [])
        guard case .rejected(let reason) = PartitionReaderFuzz.outcome(garbage) else {
            Issue.record("zstd garbage decoded as a partition")
            return
        }
        #expect(reason.contains("bad magic"))

        // Inside a partition: a frame that is zstd magic and garbage, with every checksum right.
        let valid = try #require(PartitionSeeds.all().first { $0.name == "trades.tfp" }).bytes
        let parts = try #require(PartitionBytes.parts(valid))
        let frames = parts.frames.map { _ in Self.zstdMagic + Self.randomBytes(40, seed: 9) }
        let damaged = PartitionBytes.replacingFrames(valid, parts: parts, with: frames)
        #expect(PartitionReaderFuzz.violations(damaged) == [])
        guard case .rejected(let frameReason) = PartitionReaderFuzz.outcome(damaged) else {
            Issue.record("a garbage frame decoded")
            return
        }
        #expect(frameReason.contains("zstd") || frameReason.contains("encoded size"), "\(frameReason)")
    }

    /// `bytes` with the header's row count replaced, checksums fixed.
    static func withRowCount(_ rows: UInt64, _ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        for i in 0..<8 { out[16 + i] = UInt8(truncatingIfNeeded: rows >> (8 * i)) }
        return PartitionBytes.fixingChecksums(out) ?? out
    }

    @Test("A partition declaring a huge row count is rejected (or, without columns, read as declared)")
    func hugeDeclaredRowCount() throws {
        let seeds = try PartitionSeeds.all()
        let trades = try #require(seeds.first { $0.name == "trades.tfp" }).bytes
        for rows: UInt64 in [1 << 31 + 1, 1 << 40, .max] {
            let outcome = PartitionReaderFuzz.outcome(Self.withRowCount(rows, trades))
            guard case .rejected(let reason) = outcome else { Issue.record("\(rows) rows: \(outcome)"); continue }
            #expect(reason.contains("row count \(rows) exceeds the limit"), "\(reason)")
        }
        // Within the limit but not what the frames hold: the encoded sizes are impossible, or
        // (one row more than stored) the column data runs out.
        for rows: UInt64 in [1 << 31, 1 << 20, 12] {
            let data = Self.withRowCount(rows, trades)
            #expect(PartitionReaderFuzz.violations(data) == [])
            guard case .rejected(let reason) = PartitionReaderFuzz.outcome(data) else { Issue.record("\(rows) rows decoded"); continue }
            if rows > 12 { #expect(reason.contains("impossible"), "\(reason)") }
        }
        // No columns: any row count up to the limit is a valid (if odd) partition.
        let noColumns = try #require(seeds.first { $0.name == "no-columns.tfp" }).bytes
        #expect(PartitionReaderFuzz.outcome(Self.withRowCount(1 << 31, noColumns)) == .decoded(rows: 1 << 31, columns: 0))
    }

    @Test("Every truncation of a partition is rejected")
    func truncations() throws {
        for seed in try PartitionSeeds.all() where seed.name.hasPrefix("trades") || seed.name.hasPrefix("empty") {
            for length in 0..<seed.bytes.count {
                let cut = Array(seed.bytes.prefix(length))
                guard case .rejected = PartitionReaderFuzz.outcome(cut) else {
                    Issue.record("\(seed.name) cut to \(length) bytes decoded")
                    continue
                }
            }
        }
    }

    @Test("Every single-bit flip of small partitions keeps the reader's invariants")
    func bitFlips() throws {
        for seed in try PartitionSeeds.all() where ["empty.tfp", "quotes-raw-frames.tfp", "no-columns.tfp"].contains(seed.name) {
            for bit in 0..<seed.bytes.count * 8 {
                var flipped = seed.bytes
                flipped[bit / 8] ^= 1 << UInt8(bit % 8)
                let violations = PartitionReaderFuzz.violations(flipped)
                #expect(violations == [], "\(seed.name) bit \(bit)")
            }
        }
    }

    @Test("Hand-made CSV edge cases agree with the reference reader")
    func csvEdgeCases() {
        let lines = [
            "1,1,1,x,1723161256322,true", "1,-0,0,x,1,false", "1,1,-0,x,1,1", "1,1,-0.0,x,1,0",
            "1,0.00000001,0.000000010,x,1,TRUE", "1,0.000000001,1,x,1,FALSE", "1,92233720368.54775807,1,x,1,true",
            "1,92233720368.54775808,1,x,1,true", "1,000000000001,1,x,1,true", "1,1.,.5,x,1,true", "1,.,1,x,1,true",
            "9223372036854775807,1,1,x,9223372036854775,true", "9223372036854775808,1,1,x,1,true",
            "00000000000000000001,1,1,x,1,true", "1,1,1,x,9223372036854776,true", "1,1,1,x,1723161256.5,true",
            "1,1,1,\"x\",1,true", "1,1,1,\u{E9},1,true", "1,1,1,x,1,true,", ",1,1,x,1,true", "1,1,1,x,1,tru",
            "1,1,1,x,1,\"true\"", String(repeating: ",", count: 5000), String(repeating: "9", count: 300),
        ]
        var data: [UInt8] = []
        for line in lines { data += Array(line.utf8) + [10] }
        data += [13, 10, 13, 13, 10, 10, 0xC0, 0xAF, 44, 0xED, 0xA0, 0x80, 10]  // CRLF, lone CR, overlong, surrogate
        data += Array("1,1,1,\u{10FFFF},1,true\n".utf8) + [0x31, 0x2C, 0x31, 0x2C, 0x31, 0x2C, 0xF4, 0x90, 0x80, 0x80] + Array(",1,true".utf8)
        #expect(TokenizerFuzz.violations(data) == [])
    }
}
