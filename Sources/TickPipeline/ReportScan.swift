import TickCore

/// What the report needs from the rows, gathered in one streaming pass over `features.csv` and
/// `targets.csv` side by side. Memory is bounded by the limits below, not by the rows: per-pixel
/// envelopes of the charted series, defined-cell counts per column, and two deterministic
/// every-k-th-row samples.
///
/// Only the charted columns are parsed on every row (a handful of `strtod` calls); the other
/// cells of a row are only checked for being empty, unless the row is in a sample. That keeps a
/// pass over millions of 50-column rows to seconds.
struct ReportScan {
    /// Pixel columns of the charts: one envelope bucket each.
    static let pixelColumns = 1200
    /// Rows of the whole run sampled for the distributions and the volatility percentile.
    static let distributionLimit = 100_000
    /// Train rows sampled for the correlation table, and the cap on the cells that sample holds
    /// (a run with many windows has many columns: the rows are cut so that it stays ≲ 100 MB).
    static let trainLimit = 200_000
    static let trainCellBudget = 12_000_000

    /// A series drawn over time: a features column by name, aggregated per pixel column.
    struct Series {
        let name: String
        let column: Int
        var envelope: ReportEnvelope
    }

    /// One horizon of the correlation table: the columns of `fwd_ret_{h}` and `fwd_up_{h}`.
    struct Horizon {
        let bars: Int
        let returnColumn: Int
        let upColumn: Int?
    }

    let axis: ReportTimeAxis
    private(set) var rows = 0
    /// Defined cells per column of each table (index as in the header).
    private(set) var featureDefined: [Int]
    private(set) var targetDefined: [Int]
    private(set) var series: [Series]
    let horizons: [Horizon]
    /// With `--regimes K`: the `regime` column, and per pixel column how many bars are in each
    /// of the K states.
    let regimeColumn: Int?
    private(set) var regimeCounts: [[Int]] = []

    let distributionSample: ReportRowSample
    /// Per features column (timestamp's slot left empty), the sampled rows' values, `nan` where
    /// undefined. Float: a sparkline and a 90th percentile need no more.
    private(set) var distribution: [[Float]]
    /// The pixel column of each sampled row: where on the time axis the sample's values lie.
    private(set) var distributionColumns: [UInt16] = []

    let trainRows: ReportTrainRows
    let trainSample: ReportRowSample
    /// Per features column, the sampled train rows' values (`nan` = undefined); per horizon the
    /// same rows' `fwd_ret_{h}` and `fwd_up_{h}`. Double: ranks need every distinct value.
    private(set) var trainFeatures: [[Double]]
    private(set) var trainReturns: [[Double]]
    private(set) var trainUps: [[Double]]

    /// Scans the run's CSVs. `series` names the features columns to chart (those missing from
    /// the table are left out).
    init(run: ReportRun, series names: [String]) throws {
        let features = try ReportCSVReader(path: run.featuresCSV)
        let targets = try ReportCSVReader(path: run.targetsCSV)
        for (reader, metadata) in [(features, run.features), (targets, run.targets)] {
            let expected = metadata.columns.map(\.name)
            guard reader.header == expected else {
                throw TickError.unreadable(path: reader.path, reason: "its header is not the column names of its metadata (\(expected.prefix(4).joined(separator: ","))…): not one set of outputs")
            }
        }
        let rowCount = run.features.rowCount
        // The axis runs from the first bar's start to the last bar's end. The first row is read
        // below; the last from the file's tail, so the columns are fixed before the pass.
        let firstRow = try features.next()
        let firstTime = firstRow ? try features.integer(0) : 0
        let lastTime = firstRow ? (try ReportCSVReader.lastTimestamp(path: run.featuresCSV) ?? firstTime) : 0
        let axis = ReportTimeAxis(start: firstTime, end: lastTime + run.features.intervalMs, columns: Self.pixelColumns)
        self.axis = axis

        featureDefined = Array(repeating: 0, count: features.header.count)
        targetDefined = Array(repeating: 0, count: targets.header.count)
        series = names.compactMap { name in
            run.features.index(of: name).map { Series(name: name, column: $0, envelope: ReportEnvelope(axis: axis, barMs: run.features.intervalMs)) }
        }
        regimeColumn = run.features.index(of: "regime")
        let states = run.features.columns.filter { $0.name.hasPrefix("regime_p") }.count
        if regimeColumn != nil && states >= 2 {
            regimeCounts = Array(repeating: Array(repeating: 0, count: states), count: Self.pixelColumns)
        }
        horizons = run.targets.columns.compactMap { column in
            guard let h = column.horizonBars, column.name == "fwd_ret_\(h)" else { return nil }
            return Horizon(bars: h, returnColumn: column.index, upColumn: run.targets.index(of: "fwd_up_\(h)"))
        }

        distributionSample = ReportRowSample(population: rowCount, limit: Self.distributionLimit)
        distribution = Array(repeating: [], count: features.header.count)
        trainRows = ReportTrainRows.select(splits: run.splits, rowCount: rowCount)
        let cellsPerRow = features.header.count + 2 * horizons.count
        trainSample = ReportRowSample(population: trainRows.count, limit: min(Self.trainLimit, max(1, Self.trainCellBudget / cellsPerRow)))
        trainFeatures = Array(repeating: [], count: features.header.count)
        trainReturns = Array(repeating: [], count: horizons.count)
        trainUps = Array(repeating: [], count: horizons.count)
        for k in 1..<max(1, features.header.count) {
            distribution[k].reserveCapacity(distributionSample.size)
            trainFeatures[k].reserveCapacity(trainSample.size)
        }

        guard firstRow else {
            guard rowCount == 0 else { throw rowCountError(run, read: 0) }
            return
        }
        var cursor = ReportTrainCursor(rows: trainRows, sample: trainSample)
        var previous = Int64.min
        repeat {
            guard try targets.next() else { throw rowCountError(run, read: rows + 1, short: targets.path) }
            let row = rows
            let time = try features.integer(0)
            // Both files have the same timestamps row by row (contract): a mismatch means a
            // damaged or foreign file, and every row-wise number below would be wrong.
            guard features.sameField(0, as: targets, field: 0), time > previous else {
                throw TickError.unreadable(path: run.generation, reason: "row \(row) (line \(row + 2)): " +
                    (time > previous ? "features.csv has timestamp \(features.text(0)), targets.csv \(targets.text(0))" : "timestamp \(time) does not come after the previous row's \(previous)") +
                    ": not one set of outputs; `tickforge inspect --verify \(run.directory)` tells")
            }
            previous = time
            for k in featureDefined.indices where !features.isEmpty(k) { featureDefined[k] += 1 }
            for k in targetDefined.indices where !targets.isEmpty(k) { targetDefined[k] += 1 }
            for s in series.indices { series[s].envelope.add(try features.number(series[s].column), at: time) }
            if let regimeColumn, !regimeCounts.isEmpty {
                let state = try features.number(regimeColumn)
                if !state.isNaN, state >= 0, Int(state) < regimeCounts[0].count { regimeCounts[axis.column(of: time)][Int(state)] += 1 }
            }
            if distributionSample.takes(row) {
                for k in 1..<featureDefined.count { distribution[k].append(Float(try features.number(k))) }
                distributionColumns.append(UInt16(axis.column(of: time)))
            }
            if cursor.samples(row) {
                for k in 1..<featureDefined.count { trainFeatures[k].append(try features.number(k)) }
                for (h, horizon) in horizons.enumerated() {
                    trainReturns[h].append(try targets.number(horizon.returnColumn))
                    trainUps[h].append(try horizon.upColumn.map { try targets.number($0) } ?? .nan)
                }
            }
            rows += 1
        } while try features.next()
        guard try !targets.next() else { throw rowCountError(run, read: rows, short: features.path) }
        guard rows == rowCount else { throw rowCountError(run, read: rows) }
    }

    private func rowCountError(_ run: ReportRun, read: Int, short: String? = nil) -> TickError {
        if let short {
            return .unreadable(path: short, reason: "it ends after \(rows) rows while the other table goes on: not one set of outputs; `tickforge inspect --verify \(run.directory)` tells")
        }
        return .unreadable(path: run.featuresCSV, reason: "it holds \(read) rows, its metadata says \(run.features.rowCount): the file is damaged or not of this run; `tickforge inspect --verify \(run.directory)` tells")
    }
}
