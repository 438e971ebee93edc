import TickCore

/// What a small as-of series input holds (contract, Auxiliary inputs): each is read whole,
/// verbatim repeated rows dropped, and put in time order before use.
public enum SeriesKind: String, Sendable, Codable, CaseIterable {
    /// Binance `bookDepth`: cumulative depth within ±p % of the mid.
    case bands
    /// Binance `metrics`: open interest and long/short ratios every 5 minutes.
    case metrics
    /// Binance `fundingRate`: the settled funding rates of a month.
    case funding
    /// Tardis `derivative_ticker`: funding, open interest, last, index and mark prices.
    case ticker

    /// The option that takes the input, e.g. `--metrics`.
    public var option: String { "--" + rawValue }
}

/// A recognised series layout: where the time is, how it is written, and which columns hold
/// the values (`fields`, in the order of `SeriesLayout.fieldNames(kind)`).
public struct SeriesLayout: Sendable, Equatable {
    /// e.g. `binance-metrics`.
    public let name: String
    public let kind: SeriesKind
    /// The header names, in file order.
    public let header: [String]
    public let timeColumn: Int
    /// `YYYY-MM-DD HH:MM:SS` (UTC, whole seconds): a sample is known one second after its
    /// stamp. Otherwise an epoch number whose unit is read from its magnitude.
    public let textTime: Bool
    /// The column of each field, in `fieldNames(kind)` order.
    public let fieldColumns: [Int]
    public let symbolColumn: Int?

    /// The source columns read from each kind of file, in the order `SeriesRow.values` holds them.
    public static func fieldNames(_ kind: SeriesKind) -> [String] {
        switch kind {
        case .bands: ["percentage", "depth"]
        case .metrics: ["sum_open_interest", "sum_open_interest_value", "count_toptrader_long_short_ratio",
                        "sum_toptrader_long_short_ratio", "count_long_short_ratio", "sum_taker_long_short_vol_ratio"]
        case .funding: ["last_funding_rate"]
        case .ticker: ["funding_rate", "predicted_funding_rate", "open_interest", "last_price", "index_price", "mark_price"]
        }
    }

    /// The layout of `kind` whose columns `header` names, or nil.
    public static func detect(header: [String], kind: SeriesKind) -> SeriesLayout? {
        let (name, time, textTime): (String, String, Bool) = switch kind {
        case .bands: ("binance-bookdepth", "timestamp", true)
        case .metrics: ("binance-metrics", "create_time", true)
        case .funding: ("binance-fundingrate", "calc_time", false)
        case .ticker: ("tardis-derivative-ticker", "timestamp", false)
        }
        guard let timeColumn = header.firstIndex(of: time) else { return nil }
        var columns: [Int] = []
        for field in fieldNames(kind) {
            guard let index = header.firstIndex(of: field) else { return nil }
            columns.append(index)
        }
        // Tardis tickers carry `symbol`, and so do Binance metrics: one input is one instrument.
        return SeriesLayout(name: name, kind: kind, header: header, timeColumn: timeColumn, textTime: textTime,
                            fieldColumns: columns, symbolColumn: header.firstIndex(of: "symbol"))
    }

    /// What a layout of `kind` needs in its header, for the message when none matches.
    public static func expectedHeader(_ kind: SeriesKind) -> String {
        switch kind {
        case .bands: "timestamp,percentage,depth,notional (Binance bookDepth)"
        case .metrics: "create_time,symbol,sum_open_interest,sum_open_interest_value,count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,count_long_short_ratio,sum_taker_long_short_vol_ratio (Binance metrics)"
        case .funding: "calc_time,funding_interval_hours,last_funding_rate (Binance fundingRate)"
        case .ticker: "exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,open_interest,last_price,index_price,mark_price (Tardis derivative_ticker)"
        }
    }
}

/// One parsed row of a series file.
public struct SeriesRow: Sendable, Equatable {
    /// When the row is known, epoch µs: its stamp, or one second after a text stamp.
    public var time: Int64
    /// The fields as `FixedPoint` raw values, in `SeriesLayout.fieldNames` order; nil for an
    /// empty cell.
    public var values: [Int64?]
    /// The symbol cell, when the layout has one.
    public var symbol: [UInt8]?
}

/// Why a series row could not be read: the 0-based column and the problem.
public struct SeriesRowProblem: Error, Sendable, Equatable {
    public let column: Int
    public let reason: String
}

extension SeriesLayout {
    /// Parses one line (without its line end). `unit` is the file's time unit for epoch times.
    /// Empty value cells are nil (an as-of value falls back to the last non-empty one); an
    /// empty time or percentage, a wrong field count or a malformed number is a problem.
    public func parse(line: UnsafeBufferPointer<UInt8>, unit: TimeUnit) -> Result<SeriesRow, SeriesRowProblem> {
        let fields = FieldParsers(line)
        var starts: [Int] = [0]
        for i in 0..<line.count where line[i] == UInt8(ascii: ",") { starts.append(i + 1) }
        guard starts.count == header.count else {
            return .failure(SeriesRowProblem(column: min(starts.count, header.count) - 1,
                                             reason: "\(starts.count) fields where the header has \(header.count)"))
        }
        func end(_ column: Int) -> Int { column + 1 < starts.count ? starts[column + 1] - 1 : line.count }
        let timeStart = starts[timeColumn], timeEnd = end(timeColumn)
        var time: Int64
        if textTime {
            // Exactly the published form: whole seconds, so that one second later it is known.
            let parsed = fields.isoTime(from: timeStart, end: timeEnd)
            guard parsed.problem == nil, timeEnd - timeStart == 19, line[timeStart + 10] == UInt8(ascii: " ") else {
                return .failure(SeriesRowProblem(column: timeColumn, reason: "not a time of the form YYYY-MM-DD HH:MM:SS (UTC, whole seconds)"))
            }
            // Whole seconds: the sample may have been taken until the end of its second.
            time = parsed.value + 1_000_000
        } else {
            let parsed = fields.time(from: timeStart, end: timeEnd, unit: unit)
            if let problem = parsed.problem { return .failure(SeriesRowProblem(column: timeColumn, reason: problem.rawValue)) }
            time = parsed.value
        }
        var values: [Int64?] = []
        values.reserveCapacity(fieldColumns.count)
        for (k, column) in fieldColumns.enumerated() {
            let start = starts[column], stop = end(column)
            if start == stop {
                // The percentage names the band: a row without one says nothing.
                if kind == .bands && k == 0 { return .failure(SeriesRowProblem(column: column, reason: FieldProblem.empty.rawValue)) }
                values.append(nil)
                continue
            }
            var parsed = fields.fixed(from: start, end: stop)
            if parsed.problem == .notANumber {
                // Scientific notation (`1e-05`, as Tardis writes small rates), when exact to 8 decimals.
                let lenient = fields.lenientDecimal(from: start, end: stop)
                parsed = (lenient.value, lenient.next, lenient.rounded ? .tooManyDecimals : lenient.problem)
            }
            if let problem = parsed.problem { return .failure(SeriesRowProblem(column: column, reason: problem.rawValue)) }
            values.append(parsed.value)
        }
        let symbol = symbolColumn.map { Array(UnsafeBufferPointer(rebasing: line[starts[$0]..<end($0)])) }
        return .success(SeriesRow(time: time, values: values, symbol: symbol))
    }

    /// The time unit of an epoch time cell, from its magnitude (nil for text times or a cell
    /// that is not a number).
    public func unit(ofFirst line: UnsafeBufferPointer<UInt8>) -> TimeUnit? {
        guard !textTime else { return nil }
        var starts: [Int] = [0]
        for i in 0..<line.count where line[i] == UInt8(ascii: ",") { starts.append(i + 1) }
        guard timeColumn < starts.count else { return nil }
        let stop = timeColumn + 1 < starts.count ? starts[timeColumn + 1] - 1 : line.count
        let parsed = FieldParsers(line).integer(from: starts[timeColumn], end: stop)
        guard parsed.problem == nil else { return nil }
        return TimeUnit.detect(fromMagnitude: parsed.value)
    }
}
