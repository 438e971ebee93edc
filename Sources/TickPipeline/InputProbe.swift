import Foundation
import TickCore
import TickCSV
import TickIO

/// An input's decompressed bytes cut into line-aligned chunks, with a UTF-8 byte-order mark
/// removed from the start.
final class ChunkedInput {
    let source: ByteSource
    let chunker: LineChunker
    /// Chunks read ahead (to see the first lines) and not yet handed out.
    private var readAhead: [Chunk] = []

    /// Opens `path` at decompressed byte `offset` (a resume point) or at its start.
    init(path: String, chunkSize: Int, maxRecordSize: Int, verifyChecksum: Bool, offset: Int64 = 0) throws {
        let source = try ByteSource(path: path, verifyChecksum: verifyChecksum)
        try source.skip(to: offset)
        self.source = source
        chunker = LineChunker(path: path, chunkSize: chunkSize, maxRecordSize: maxRecordSize, startOffset: offset) {
            try source.read(into: $0)
        }
        if offset == 0 { try readHead() }
    }

    /// The next chunk, or nil at the end.
    func next() throws -> Chunk? {
        readAhead.isEmpty ? try chunker.next() : readAhead.removeFirst()
    }

    /// The first (at most) two non-empty lines, without line ends.
    private(set) var firstLines: [[UInt8]] = []

    /// Reads until the first two lines are in hand (joining the chunks read into one) and strips
    /// a byte-order mark.
    private func readHead() throws {
        guard var chunk = try chunker.next() else { return }
        while Self.lineCount(chunk.bytes, atMost: 2) < 2, let more = try chunker.next() { chunk.bytes += more.bytes }
        if chunk.bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            chunk.bytes.removeFirst(3)
            chunk.byteOffset = 3
        }
        firstLines = Self.firstLines(chunk.bytes, count: 2)
        readAhead = [chunk]
    }

    static func lineCount(_ bytes: [UInt8], atMost limit: Int) -> Int {
        var n = 0
        for b in bytes where b == UInt8(ascii: "\n") {
            n += 1
            if n >= limit { break }
        }
        return n
    }

    /// The first `count` non-empty lines, without line ends.
    static func firstLines(_ bytes: [UInt8], count: Int) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        while lines.count < count && start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var contentEnd = end
            if contentEnd > start && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            if contentEnd > start { lines.append(Array(bytes[start..<contentEnd])) }
            start = end + 1
        }
        return lines
    }
}

/// Everything tickforge learns from an input file's first bytes: sniffed once, when the run
/// starts, and handed to every later step (GUIDE example 12) instead of being detected again.
public struct ProbedFile {
    public var path: String
    public var compression: ByteSource.Compression
    /// Size on disk; 0 for standard input.
    public var bytes: Int64
    /// nil for a file with no line at all.
    public var layout: Layout?
    /// Time of the first data row (µs), when it parses.
    public var firstTime: Int64?
    /// The symbol of the first data row, in layouts with a `symbol` column.
    public var symbol: String?
    /// What a data.binance.vision name and path say.
    public var dataset: DatasetName?
    /// What tells a rerun whether the file changed.
    public var fingerprint: InputFingerprint
    public var isStandardInput: Bool { path == InputFiles.standardInput }
    /// Standard input cannot be opened twice: its opened stream, for the one reader.
    let handoff: InputHandoff?
}

/// Holds an opened input until its reader takes it.
final class InputHandoff {
    private var input: ChunkedInput?
    init(_ input: ChunkedInput) { self.input = input }
    func take() -> ChunkedInput? { defer { input = nil }; return input }
}

/// Sniffs input files.
public enum InputProbe {
    /// Probes one file: container, byte-order mark, header, layout, time unit, first row, and
    /// the fingerprint by which a rerun recognises it.
    public static func probe(path: String, options: ReadOptions, fingerprint mode: FingerprintMode = .quick) throws -> ProbedFile {
        let isPipe = path == InputFiles.standardInput
        // Standard input is read on from here, so its chunks are the real ones; a file is
        // opened again by its reader and only its head is read here.
        let input = try ChunkedInput(path: path, chunkSize: isPipe ? options.chunkSize : 64 << 10,
                                     maxRecordSize: options.maxRecordSize, verifyChecksum: options.verifyChecksums)
        let lines = input.firstLines
        var layout: Layout?
        var firstTime: Int64?
        var symbol: String?
        if let firstLine = lines.first {
            let detected = try LayoutDetector.detect(path: path, firstLine: firstLine, secondLine: lines.count > 1 ? lines[1] : nil,
                                                     mapping: options.mapping, timeUnit: options.timeUnit)
            layout = detected
            let dataLine = detected.hasHeader ? (lines.count > 1 ? lines[1] : nil) : firstLine
            if let dataLine {
                let parsed = ChunkParser(layout: detected).parse(dataLine + [10], skipFirstLine: false)
                firstTime = detected.kind == .trades ? parsed.trades.time.first : parsed.quotes.time.first
                symbol = detected.expectedSymbol.map { String(decoding: $0, as: UTF8.self) }
            }
        }
        return ProbedFile(path: path, compression: input.source.compression, bytes: input.source.fileSize, layout: layout,
                          firstTime: firstTime, symbol: symbol, dataset: isPipe ? nil : DatasetName(path: path),
                          fingerprint: try InputFingerprint.of(path: path, mode: mode), handoff: isPipe ? InputHandoff(input) : nil)
    }
}

/// The files of one input option, probed and checked to be one instrument and one data type.
public struct InputGroup {
    /// `trades` or `quotes`: the option's name without dashes.
    public let role: String
    /// The files read, in the order given.
    public var files: [ProbedFile]
    /// Files left out because their names say another symbol than the one selected.
    public var otherSymbolFiles: [String] = []
    /// What the user should know (a file whose time unit differs from its neighbours').
    public var warnings: [String] = []

    /// Probes every file of an input and refuses, before any work, what cannot be one stream:
    /// files of another kind (quotes given as trades), of different layouts, markets or
    /// symbols (unless `symbol` selects one).
    ///
    /// - Parameter paths: the files, as `InputFiles.expand` lists them.
    public init(role: String, paths: [String], kind: RecordKind, options: ReadOptions, symbol: String?,
                fingerprint: FingerprintMode = .quick) throws {
        self.role = role
        selectedSymbol = symbol
        var files: [ProbedFile] = []
        for path in paths {
            let dataset = DatasetName(path: path)
            if let symbol, let named = dataset?.symbol, named != symbol {
                otherSymbolFiles.append(path)
                continue
            }
            files.append(try InputProbe.probe(path: path, options: options, fingerprint: fingerprint))
        }
        guard !files.isEmpty else {
            throw TickError.invalidArgument("--\(role): no file is of symbol \(symbol ?? "?") (\(otherSymbolFiles.count) files of other symbols skipped, e.g. \(otherSymbolFiles.first ?? ""))")
        }
        for file in files {
            guard let layout = file.layout, layout.kind != kind else { continue }
            let other = kind == .trades ? "quotes" : "trades"
            throw TickError.invalidArgument("\(file.path) holds \(layout.kind.rawValue) (\(layout.name)), not \(kind.rawValue); pass it with --\(other)")
        }
        let withLayout = files.filter { $0.layout != nil }
        if let first = withLayout.first, let other = withLayout.first(where: { $0.layout!.name != first.layout!.name }) {
            throw TickError.invalidArgument("--\(role) mixes layouts: \(first.path) is \(first.layout!.name), \(other.path) is \(other.layout!.name); one input is one data type of one instrument")
        }
        try Self.checkOneInstrument(files, role: role, symbol: symbol)
        self.files = files
        warnings = Self.unitWarnings(files, role: role)
    }

    /// The instrument's symbol, from the files' names or symbol columns (nil when none says).
    public var symbol: String? { selectedSymbol ?? files.lazy.compactMap { $0.dataset?.symbol ?? $0.symbol }.first }
    /// `--symbol`: the rows and files of other symbols are left out.
    public let selectedSymbol: String?
    /// The market (`spot`, `futures/um`, …) the files' paths say, if any.
    public var market: String? { files.lazy.compactMap { $0.dataset?.market }.first }

    /// Refuses trades and quotes of different instruments: each group is one instrument, and
    /// the two must be the same one where their names or symbol columns say.
    public static func checkSameInstrument(_ trades: InputGroup, _ quotes: InputGroup) throws {
        func example(_ group: InputGroup) -> String {
            group.files.first { ($0.dataset?.symbol ?? $0.symbol) != nil }?.path ?? group.files[0].path
        }
        if let a = trades.symbol, let b = quotes.symbol, a != b {
            throw TickError.invalidArgument("the trades are \(a) (\(example(trades))) and the quotes \(b) (\(example(quotes))): a run is one instrument; give both inputs of one symbol, or select one with --symbol")
        }
        if let a = trades.market, let b = quotes.market, a != b {
            throw TickError.invalidArgument("the trades are of the \(a) market and the quotes of \(b) (\(trades.files[0].path), \(quotes.files[0].path)): a run is one instrument")
        }
    }

    /// Refuses files that name different markets, data types or symbols.
    static func checkOneInstrument(_ files: [ProbedFile], role: String, symbol: String?) throws {
        let named = files.filter { $0.dataset != nil }
        if let first = named.first {
            let d = first.dataset!
            for file in named.dropFirst() {
                let e = file.dataset!
                if let a = d.market, let b = e.market, a != b {
                    throw TickError.invalidArgument("--\(role) mixes markets: \(first.path) is \(a), \(file.path) is \(b); one input is one instrument")
                }
                if d.dataType != e.dataType {
                    throw TickError.invalidArgument("--\(role) mixes data types: \(first.path) is \(d.dataType), \(file.path) is \(e.dataType); one input is one data type")
                }
                if symbol == nil, d.symbol != e.symbol {
                    throw TickError.invalidArgument("--\(role) mixes symbols: \(first.path) is \(d.symbol), \(file.path) is \(e.symbol); select one with --symbol")
                }
            }
        }
        if symbol == nil {
            let withSymbol = files.filter { $0.symbol != nil }
            if let first = withSymbol.first, let other = withSymbol.first(where: { $0.symbol != first.symbol }) {
                throw TickError.invalidArgument("--\(role) mixes symbols: \(first.path) holds \(first.symbol!), \(other.path) holds \(other.symbol!); select one with --symbol")
            }
        }
    }

    /// Files (in time order) whose detected time unit differs from both neighbours': a unit
    /// switch between two runs of files is expected (Binance spot moved from ms to µs on
    /// 2025-01-01), one odd file among others is worth a look.
    static func unitWarnings(_ files: [ProbedFile], role: String) -> [String] {
        let timed = files.filter { $0.layout != nil && $0.firstTime != nil }.sorted { ($0.firstTime!, $0.path) < ($1.firstTime!, $1.path) }
        guard timed.count >= 2 else { return [] }
        var warnings: [String] = []
        for (i, file) in timed.enumerated() {
            let unit = file.layout!.timeUnit
            let before = i > 0 ? timed[i - 1].layout!.timeUnit : nil
            let after = i + 1 < timed.count ? timed[i + 1].layout!.timeUnit : nil
            let neighbours = [before, after].compactMap { $0 }
            if !neighbours.isEmpty, neighbours.allSatisfy({ $0 != unit }), before == nil || after == nil || before == after {
                warnings.append("\(file.path) has times in \(unit.rawValue), its neighbours in \(neighbours[0].rawValue): check it (give the unit with --time-unit \(role)=UNIT if the detection is wrong)")
            }
        }
        return warnings
    }
}
