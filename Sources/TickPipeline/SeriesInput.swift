import Foundation
import TickCore
import TickCSV
import TickFeatures
import TickIO

/// One small as-of series input (`--bands`, `--metrics`, `--funding`, `--ticker`), read whole
/// into columns (contract, Auxiliary inputs): every file of the option, verbatim repeated rows
/// dropped, then stably sorted by time. These series have a sample every few seconds to minutes,
/// so they are held in memory (a day of Binance bookDepth is about 35,000 rows, 2 MB here).
struct SeriesInput {
    let kind: SeriesKind
    /// The samples in time order, repeated rows dropped.
    var columns: SeriesColumns
    var files: [RunSummary.SeriesFile] = []
    var rowsRead = 0
    /// Rows whose raw text equals an earlier row's.
    var duplicates = 0
    /// Rows of other symbols than `--symbol`.
    var filtered = 0
    /// Bad rows (quarantine mode; in error mode the first one stops the read).
    var rejected: [RejectRecord] = []
    /// Files left out because their names say another symbol than `--symbol`.
    var otherSymbolFiles: [String] = []
    /// The instrument the files' names or symbol cells say, if any.
    var symbol: String?

    /// Reads every file of an input option.
    ///
    /// - Parameters:
    ///   - paths: the files, as `InputFiles.expand` lists them.
    ///   - symbol: `--symbol`: files and rows of other symbols are left out.
    static func read(kind: SeriesKind, paths: [String], symbol selected: String?, verifyChecksums: Bool,
                     badRows: BadRowPolicy = .error) throws -> SeriesInput {
        var input = SeriesInput(kind: kind, columns: SeriesColumns(width: SeriesLayout.fieldNames(kind).count))
        var rows = SeriesColumns(width: input.columns.width)
        /// Per row: a hash of its raw text and its length, to find verbatim repeats.
        var texts: [(hash: Int, length: Int32)] = []
        var nameSymbol: (symbol: String, path: String)?
        for path in paths {
            if path == InputFiles.standardInput {
                throw TickError.invalidArgument("\(kind.option) cannot read standard input (-): give its files")
            }
            if let named = DatasetName(path: path)?.symbol {
                if let selected, named != selected {
                    input.otherSymbolFiles.append(path)
                    continue
                }
                if let earlier = nameSymbol, earlier.symbol != named {
                    throw TickError.invalidArgument("\(kind.option) mixes symbols: \(earlier.path) is \(earlier.symbol), \(path) is \(named); one input is one instrument (select one with --symbol)")
                }
                nameSymbol = (named, path)
            }
            let before = rows.count
            let bytes = try readFile(path, kind: kind, selected: selected, verifyChecksums: verifyChecksums, badRows: badRows,
                                     into: &rows, texts: &texts, input: &input)
            let range = rows.time[before...]
            input.files.append(RunSummary.SeriesFile(path: path, layout: input.layoutName ?? "", bytes: bytes, rowsRead: input.fileRows,
                                    firstTime: range.min().map { Time.iso8601(micros: $0) }, lastTime: range.max().map { Time.iso8601(micros: $0) }))
        }
        if input.files.isEmpty {
            throw TickError.invalidArgument("\(kind.option): no file is of symbol \(selected ?? "?") (\(input.otherSymbolFiles.count) files of other symbols skipped)")
        }
        if input.symbol == nil { input.symbol = nameSymbol?.symbol }
        // Stably by time; a verbatim repeat has the time of the row it repeats, so it is found
        // among the rows of equal time: same text hash and length, and the same parsed values.
        let order = rows.time.indices.sorted { (rows.time[$0], $0) < (rows.time[$1], $1) }
        var groupStart = 0
        for (n, i) in order.enumerated() {
            if n == 0 || rows.time[order[n - 1]] != rows.time[i] { groupStart = n }
            let repeated = order[groupStart..<n].contains { j in
                texts[j] == texts[i] && rows.values[(j * rows.width)..<((j + 1) * rows.width)] == rows.values[(i * rows.width)..<((i + 1) * rows.width)]
            }
            if repeated {
                input.duplicates += 1
                continue
            }
            input.columns.append(time: rows.time[i], values: rows.values[(i * rows.width)..<((i + 1) * rows.width)])
        }
        return input
    }

    /// The layout of the file read last, and its data rows (scratch of `read`).
    private var layoutName: String?
    private var fileRows = 0

    /// Appends one file's rows; returns its size in bytes.
    private static func readFile(_ path: String, kind: SeriesKind, selected: String?, verifyChecksums: Bool, badRows: BadRowPolicy,
                                 into rows: inout SeriesColumns, texts: inout [(hash: Int, length: Int32)], input: inout SeriesInput) throws -> Int64 {
        let source = try ByteSource(path: path, verifyChecksum: verifyChecksums)
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        input.fileRows = 0
        input.layoutName = nil
        var layout: SeriesLayout?
        var unit: TimeUnit?
        var line: Int64 = 0
        var start = 0
        // A UTF-8 byte order mark is not part of the header.
        if data.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        try data.withUnsafeBufferPointer { bytes in
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 10 { end += 1 }
                let next = end + 1
                if end > start && bytes[end - 1] == 13 { end -= 1 }
                line += 1
                defer { start = next }
                let text = UnsafeBufferPointer(rebasing: bytes[start..<end])
                let location = { (column: Int?) in InputLocation(file: path, line: line, byteOffset: Int64(start), column: column) }
                guard let known = layout else {
                    let header = String(decoding: text, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    guard let detected = SeriesLayout.detect(header: header, kind: kind) else {
                        throw TickError.unreadable(path: path, reason: "line 1 is not a header of \(kind.option): expected \(SeriesLayout.expectedHeader(kind)), found '\(printableText(Array(text.prefix(200))))'")
                    }
                    layout = detected
                    input.layoutName = detected.name
                    continue
                }
                func reject(_ column: Int?, _ reason: String) throws {
                    guard badRows == .quarantine else {
                        throw TickError.badRow(location: location(column), reason: reason, text: printableText(Array(text)))
                    }
                    input.rejected.append(RejectRecord(location: location(column), reason: reason, text: Array(text)))
                }
                if text.isEmpty {
                    input.rowsRead += 1
                    input.fileRows += 1
                    try reject(nil, "empty line")
                    continue
                }
                if unit == nil && !known.textTime {
                    unit = known.unit(ofFirst: text)
                    if unit == nil { unit = .microseconds }  // the parse below names the bad cell
                }
                input.rowsRead += 1
                input.fileRows += 1
                switch known.parse(line: text, unit: unit ?? .microseconds) {
                case .failure(let problem):
                    try reject(problem.column + 1, problem.reason)
                case .success(let row):
                    if let cell = row.symbol {
                        let symbol = String(decoding: cell, as: UTF8.self)
                        if let selected, symbol != selected {
                            input.filtered += 1
                            continue
                        }
                        if let first = input.symbol, first != symbol {
                            throw TickError.invalidArgument("\(path) holds more than one symbol: \(first) and \(symbol) (line \(line), byte \(start)); select one with --symbol")
                        }
                        input.symbol = symbol
                    }
                    rows.append(time: row.time, values: row.values.map { $0 ?? SeriesColumns.empty })
                    var hasher = Hasher()
                    hasher.combine(bytes: UnsafeRawBufferPointer(text))
                    texts.append((hasher.finalize(), Int32(clamping: text.count)))
                }
            }
        }
        if layout == nil { throw TickError.unreadable(path: path, reason: "the file is empty: \(kind.option) needs a header line (\(SeriesLayout.expectedHeader(kind)))") }
        return source.isPipe ? Int64(data.count) : source.fileSize
    }

    /// The series as the feature stage takes it.
    func asOfInputs(into inputs: inout AsOfInputs, bandLevels: [BandLevel]?) {
        switch kind {
        case .bands: inputs.bands = AsOfInputs.bandSnapshots(columns, levels: bandLevels ?? [])
        case .metrics: inputs.metrics = columns
        case .funding: inputs.funding = columns
        case .ticker: inputs.ticker = columns
        }
    }

    /// What the summary and the metadata say of it; `arguments`: the option's arguments.
    func summary(arguments: [String]) -> RunSummary.SeriesInput {
        let layouts = Set(files.map(\.layout))
        return RunSummary.SeriesInput(role: kind.rawValue, path: files.count == 1 ? files[0].path : arguments.joined(separator: ","),
                                      layout: layouts.count == 1 ? layouts.first! : "mixed", bytes: files.reduce(0) { $0 + $1.bytes },
                                      rowsRead: rowsRead, rowsDeduplicated: duplicates, rowsFiltered: filtered, rowsRejected: rejected.count,
                                      rowsUsed: columns.count,
                                      symbol: symbol, otherSymbolFiles: otherSymbolFiles, files: files)
    }

    /// A digest of the samples (what the feature values depend on), for the run's feature key.
    var digest: String {
        var h = WordHash128()
        h.add(UInt64(columns.width))
        for t in columns.time { h.add(UInt64(bitPattern: t)) }
        for v in columns.values { h.add(UInt64(bitPattern: v)) }
        return h.finish()
    }
}
