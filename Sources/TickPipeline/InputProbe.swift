import Foundation
import TickCore
import TickCSV
import TickIO

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
            var detected = try LayoutDetector.detect(path: path, firstLine: firstLine, secondLine: lines.count > 1 ? lines[1] : nil,
                                                     mapping: options.mapping, timeUnit: options.timeUnit)
            if options.ignoresIds { detected.roles = detected.roles.map { $0 == .id ? .ignore : $0 } }
            layout = detected
            let dataLine = detected.hasHeader ? (lines.count > 1 ? lines[1] : nil) : firstLine
            if let dataLine {
                let parsed = ChunkParser(layout: detected).parse(dataLine + [10], skipFirstLine: false)
                firstTime = detected.kind.hasQuoteColumns ? parsed.quotes.time.first : parsed.trades.time.first
                symbol = detected.expectedSymbol.map { String(decoding: $0, as: UTF8.self) }
            }
        }
        return ProbedFile(path: path, compression: input.source.compression, bytes: input.source.fileSize, layout: layout,
                          firstTime: firstTime, symbol: symbol, dataset: isPipe ? nil : DatasetName(path: path),
                          fingerprint: try InputFingerprint.of(path: path, mode: mode), handoff: isPipe ? InputHandoff(input) : nil)
    }
}
