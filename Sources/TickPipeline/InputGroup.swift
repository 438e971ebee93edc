import Foundation
import TickCore
import TickCSV

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
            throw TickError.invalidArgument("\(file.path) holds \(layout.kind.rawValue) (\(layout.name)), not \(kind.rawValue); pass it with --\(layout.kind.rawValue)")
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
            throw TickError.invalidArgument("the trades are \(a) (\(example(trades))) and the \(quotes.role) \(b) (\(example(quotes))): a run is one instrument; give both inputs of one symbol, or select one with --symbol")
        }
        if let a = trades.market, let b = quotes.market, a != b {
            throw TickError.invalidArgument("the trades are of the \(a) market and the \(quotes.role) of \(b) (\(trades.files[0].path), \(quotes.files[0].path)): a run is one instrument")
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
