import Foundation
import TickIO

/// Lays out `report.html`: header (what the run is), charts on one time axis (price, volume,
/// volatility, splits), the coverage and distribution table, the correlation table, and a
/// footer that says how every number was made. HTML, inline CSS and inline SVG only: nothing
/// fetched, no script, so it opens the same offline, in a mail attachment or a CI artifact.
enum ReportHTML {
    /// The first line of every report: `tickforge report` replaces a file only when it starts
    /// with this (its own earlier report), never a file of the user's.
    static let marker = "<!-- tickforge report -->"

    /// How the report was made, for the footer.
    struct Making {
        var seconds: Double
        var madeAt: Date
    }

    static func page(run: ReportRun, scan: ReportScan, findings: ReportFindings, making: Making) -> String {
        var html = marker + "\n<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        html += "<meta name=\"generator\" content=\"tickforge report\">"
        html += "<title>tickforge report: \(ReportFormat.html(title(run)))</title><style>\(css)</style></head><body>"
        html += header(run: run, scan: scan)
        html += charts(run: run, scan: scan, findings: findings)
        html += coverage(scan: scan, findings: findings)
        html += correlations(scan: scan, findings: findings)
        html += footer(run: run, scan: scan, making: making)
        html += "</body></html>\n"
        return html
    }

    static let css = """
        body{font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;margin:16px 24px;max-width:1340px;background:#fafafa}
        h1{font-size:21px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 6px;border-bottom:1px solid #ccc;padding-bottom:3px}
        .sub{color:#555;margin:0 0 10px}code{font:12px ui-monospace,"DejaVu Sans Mono",monospace;background:#eee;padding:0 3px;border-radius:3px}
        table{border-collapse:collapse;margin:6px 0 10px;background:#fff}td,th{padding:2px 8px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:middle;white-space:nowrap}
        th{background:#f0f0f0;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
        .facts{display:grid;grid-template-columns:max-content 1fr;gap:1px 14px;margin:6px 0}.facts dt{color:#555}.facts dd{margin:0}
        .flags{columns:4;column-gap:22px;margin:4px 0;font-size:12px}.flags div{break-inside:avoid}.flags span{color:#666}
        figure{margin:6px 0 2px}figcaption{color:#555;font-size:12px;margin:0 0 0 96px;max-width:1200px}
        svg.chart{display:block;background:#fafafa}svg text{font-family:inherit}
        .title{font-size:13px;font-weight:600;fill:#222}.label{font-size:11px;fill:#444}
        .bar{display:inline-block;width:120px;height:10px;background:#e6e6e6;vertical-align:middle;margin-right:6px}
        .bar i{display:block;height:10px;background:#4c78a8}.spark{vertical-align:middle}
        .muted{color:#888}.note{color:#555;font-size:12px;max-width:1200px}
        footer{margin-top:28px;border-top:1px solid #ccc;padding-top:8px;color:#555;font-size:12px;max-width:1300px}
        """

    static func title(_ run: ReportRun) -> String {
        let symbol = run.features.inputs?.compactMap(\.symbol).first
        let name = symbol ?? run.features.inputs?.first.map { ($0.path as NSString).lastPathComponent } ?? run.directory
        return "\(name), \(run.features.interval) bars"
    }

    // MARK: - Header

    static func header(run: ReportRun, scan: ReportScan) -> String {
        let directory = Syscall.realPath(run.directory) ?? run.directory
        var out = "<header><h1>\(ReportFormat.html(title(run)))</h1>"
        out += "<p class=\"sub\">Run directory <code>\(ReportFormat.html(directory))</code>, published generation \(run.generationName)</p>"
        if let inputs = run.features.inputs, !inputs.isEmpty {
            out += "<table><tr><th>input</th><th>path</th><th class=\"n\">bytes</th><th class=\"n\">rows read</th><th class=\"n\">used</th><th class=\"n\">rejected</th><th class=\"n\">deduplicated</th></tr>"
            for input in inputs {
                out += "<tr><td>\(input.role)</td><td><code>\(ReportFormat.html(input.path))</code></td><td class=\"n\">\(ReportFormat.count(Int(input.bytes)))</td>"
                    + "<td class=\"n\">\(ReportFormat.count(Int(input.rowsRead)))</td><td class=\"n\">\(ReportFormat.count(Int(input.rowsUsed)))</td>"
                    + "<td class=\"n\">\(ReportFormat.count(Int(input.rowsRejected)))</td><td class=\"n\">\(ReportFormat.count(Int(input.rowsDeduplicated)))</td></tr>"
            }
            out += "</table>"
        }
        var facts: [(String, String)] = [
            ("rows", "\(ReportFormat.count(scan.rows)) (bars of \(ReportFormat.html(run.features.interval)); \(run.features.columns.count - 1) feature columns, \(run.targets.columns.count - 1) target columns)"),
        ]
        if scan.rows > 0 {
            facts.append(("time span", "\(ReportFormat.time(ms: scan.axis.start)) → \(ReportFormat.time(ms: scan.axis.end)) (\(ReportFormat.duration(ms: scan.axis.end - scan.axis.start)), UTC; bar starts in the CSVs' timestamp column)"))
        }
        if let splits = run.splits {
            facts.append(("splits", "\(ReportFormat.html(splits.method)), \(splits.folds.count) fold\(splits.folds.count == 1 ? "" : "s"), purge \(splits.purgeBars) bars, embargo \(splits.embargoBars) bars"))
        } else {
            facts.append(("splits", "none (no <code>--splits</code>: no splits.json)"))
        }
        out += "<dl class=\"facts\">" + facts.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>" }.joined() + "</dl>"
        if !run.flags.isEmpty {
            out += "<div class=\"flags\">" + run.flags.map { "<div><span>\(ReportFormat.html($0.name))</span> = \(ReportFormat.html($0.value))</div>" }.joined() + "</div>"
        }
        return out + "</header>"
    }

    // MARK: - Charts

    static func charts(run: ReportRun, scan: ReportScan, findings: ReportFindings) -> String {
        guard scan.rows > 0 else { return "<h2>Charts</h2><p class=\"note\">The run has no rows: nothing to draw.</p>" }
        var out = "<h2>Price and volume</h2>"
        let series = Dictionary(uniqueKeysWithValues: scan.series.map { ($0.name, $0.envelope) })
        let perColumn = Double(scan.rows) / Double(ReportScan.pixelColumns)
        let aggregation = perColumn > 1
            ? "Times in UTC. Each pixel column shows the first, last, lowest and highest value of its ~\(ReportFormat.value(perColumn.rounded())) bars (M4 aggregation: no extreme is lost)."
            : "Times in UTC. Every bar is drawn (fewer bars than pixel columns)."
        if let close = series["close"] {
            out += figure(ReportSVG.lineChart(id: "chart-close", title: "close (last trade price of the bar)", envelope: close, height: 250,
                                              shaded: findings.highVolatility, style: ReportSVG.Style(line: "#1f4e79")),
                          caption: aggregation + (findings.highVolatility.contains(true) ? " Shaded: high volatility (see below)." : ""))
        }
        if let volume = series["volume"] {
            out += figure(ReportSVG.columnChart(id: "chart-volume", title: "volume (traded quantity per bar)", envelope: volume, height: 150,
                                                style: ReportSVG.Style(line: "#08519c", fill: "#9ecae1")),
                          caption: perColumn > 1 ? "Light: the largest bar's volume in each pixel column; dark: the mean bar's." : "One column per bar.")
        }
        let volatility = scan.series.filter { $0.name == ReportFindings.volatilitySeries || $0.name.hasPrefix("rv_") }
        if !volatility.isEmpty {
            out += "<h2>Volatility</h2>"
            if let threshold = findings.volatilityThreshold {
                let share = findings.highVolatility.filter { $0 }.count
                out += "<p class=\"note\">Shaded in every volatility chart (and the close chart): <b>high volatility</b>, the pixel columns where at least half the bars have an <code>ewm_vol</code> above \(ReportFormat.value(threshold)), the 90th percentile of <code>ewm_vol</code> over the run. Percentile and shares come from \(scan.distributionSample.description)\(scan.distributionSample.step > 1 ? ", so they are estimates (about \(scan.distributionSample.size / ReportScan.pixelColumns) bars a column)" : ": exact"). \(share) of \(ReportScan.pixelColumns) columns are shaded\(share == 0 && perColumn > 1 ? ": no pixel column (~\(ReportFormat.value(perColumn.rounded())) bars) is mostly above it, so any high-volatility stretch is shorter than a column: the spikes of the ewm_vol line show them" : "") (bands narrower than \(Int(ReportSVG.minimumShadeWidth)) px are widened to \(Int(ReportSVG.minimumShadeWidth)) px so that they show). Each series has its own scale: <code>rv_{w}</code> sums w bars' squared returns, so it runs about √w times <code>ewm_vol</code>.</p>"
            }
            for s in volatility {
                let description = run.features.columns[s.column].description
                out += figure(ReportSVG.lineChart(id: "chart-\(s.name)", title: s.name, envelope: s.envelope, height: s.name == ReportFindings.volatilitySeries ? 160 : 120,
                                                  shaded: findings.highVolatility, style: ReportSVG.Style(line: s.name == ReportFindings.volatilitySeries ? "#b2182b" : "#762a83")),
                              caption: ReportFormat.html(description))
            }
        }
        if !scan.regimeCounts.isEmpty {
            out += "<h2>Volatility regimes</h2>"
            out += figure(ReportSVG.regimeStrip(id: "chart-regimes", counts: scan.regimeCounts, axis: scan.axis),
                          caption: "The <code>regime</code> column (--regimes \(scan.regimeCounts[0].count)): the most frequent state of the bars in each pixel column. States are numbered by the fitted σ, 0 the calmest. They are forward-filtered from a model fitted on the train rows only: the volatility state as known at each bar's end, not a forecast.")
        }
        if let splits = run.splits {
            out += "<h2>Splits</h2>"
            out += figure(ReportSVG.splitBands(id: "chart-splits", splits: splits, axis: scan.axis),
                          caption: "From splits.json (\(ReportFormat.html(splits.method))), on the same time axis as the charts above. \(gaps(splits)) Gaps narrower than a pixel column show as thin lines or not at all.")
        }
        return out
    }

    /// What the grey between a fold's sets is, by method (contract, Files: splits.json).
    static func gaps(_ splits: SplitsDocument) -> String {
        let purge = "the purge (\(splits.purgeBars) bars, the longest target horizon: labels there would look into the next set)"
        switch splits.method {
        case "kfold": return "Grey: \(purge) before each test range, and the embargo (\(splits.embargoBars) bars) after it."
        case "walk-forward": return "Grey: \(purge) before each test block, and the rows after it, which the fold does not use."
        case "holdout": return "Grey: \(purge) at the end of the train set and of the validation set."
        default: return "Grey: rows in no set of the fold."
        }
    }

    static func figure(_ svg: String, caption: String) -> String {
        "<figure>\(svg)<figcaption>\(caption)</figcaption></figure>"
    }

    // MARK: - Tables

    static func coverage(scan: ReportScan, findings: ReportFindings) -> String {
        var out = "<h2>Coverage and distributions</h2>"
        out += "<p class=\"note\">Defined: the share of rows whose cell is not empty, over all \(ReportFormat.count(scan.rows)) rows (warm-up rows, bars before the first quote and the last bars of each target horizon are undefined by design). Distribution: a histogram of the defined values of \(scan.distributionSample.description), between its 0.5th and 99.5th percentiles (values beyond fall into the end bins); p0.5, median and p99.5 of the same sample. Hover a name for its definition.</p>"
        out += "<table id=\"coverage\"><tr><th>column</th><th>group</th><th>unit</th><th>defined</th><th class=\"n\">first defined row</th><th>distribution</th><th class=\"n\">p0.5</th><th class=\"n\">median</th><th class=\"n\">p99.5</th></tr>"
        for summary in findings.columns {
            let column = summary.column
            out += "<tr><td title=\"\(ReportFormat.html(column.description))\"><code>\(ReportFormat.html(column.name))</code>\(summary.table == "targets" ? " <span class=\"muted\">(target)</span>" : "")</td>"
            out += "<td>\(ReportFormat.html(column.group ?? ""))</td><td>\(ReportFormat.html(column.unit))</td>"
            out += "<td><span class=\"bar\"><i style=\"width:\(String(format: "%.1f", summary.share * 100))%\"></i></span>\(ReportFormat.percent(summary.share))</td>"
            out += "<td class=\"n\">\(column.firstDefinedRow.map { ReportFormat.count($0) } ?? "never")</td>"
            if let d = summary.distribution {
                out += "<td>\(ReportSVG.sparkline(d.counts))</td><td class=\"n\">\(ReportFormat.value(d.low))</td><td class=\"n\">\(ReportFormat.value(d.median))</td><td class=\"n\">\(ReportFormat.value(d.high))</td>"
            } else {
                out += "<td class=\"muted\">\(summary.table == "targets" ? "" : "no defined value")</td><td></td><td></td><td></td>"
            }
            out += "</tr>"
        }
        return out + "</table>"
    }

    static func correlations(scan: ReportScan, findings: ReportFindings) -> String {
        var out = "<h2>Features against the future, on the train rows</h2>"
        guard !scan.horizons.isEmpty else { return out + "<p class=\"note\">targets.csv has no fwd_ret_{h} column.</p>" }
        out += "<p class=\"note\">Rows: \(scan.trainSample.description) of \(ReportFormat.html(scan.trainRows.source))\(scan.trainSample.step > 1 ? " (a bounded, evenly spaced sample)" : ""). Only train rows, so that nothing here was learned from rows a model is tested on. "
        out += "ρ: Spearman's rank correlation of the feature with <code>fwd_ret_{h}</code> (average ranks for ties). AUC: the feature as a score for <code>fwd_up_{h}</code> = 1, i.e. the chance that a random up row has a higher value than a random other row, ties counted half (0.5 = no information, below 0.5 = the opposite direction). <code>fwd_up_{h}</code> is 1 only when <code>fwd_ret_{h}</code> &gt; 0, so a flat future counts as not up: with short bars, where many horizons see no trade, a feature that tells active from quiet bars (volume, volatility) scores above 0.5 without telling the direction; ρ does not have that bias. Rows where either value is undefined are skipped; n = rows used. Colour: blue positive, red negative; stronger = further from 0 / 0.5; cells with n below \(minimumPairsToColour) stay white (with so few rows, large values arise by chance).</p>"
        out += "<table id=\"correlations\"><tr><th>feature</th><th>group</th>"
        for horizon in scan.horizons {
            out += "<th class=\"n\">ρ fwd_ret_\(horizon.bars)</th><th class=\"n\">AUC fwd_up_\(horizon.bars)</th><th class=\"n\">n</th>"
        }
        out += "</tr>"
        for correlation in findings.correlations {
            out += "<tr><td title=\"\(ReportFormat.html(correlation.column.description))\"><code>\(ReportFormat.html(correlation.column.name))</code></td><td>\(ReportFormat.html(correlation.column.group ?? ""))</td>"
            for cell in correlation.cells {
                // Few pairs make large coefficients by chance: those cells stay uncoloured.
                let weighty = cell.pairs >= minimumPairsToColour
                out += "<td class=\"n\" style=\"background:\(tint(weighty ? cell.spearman : nil, full: 0.2))\">\(cell.spearman.map { String(format: "%+.3f", $0) } ?? "–")</td>"
                out += "<td class=\"n\" style=\"background:\(tint(weighty ? cell.auc.map { $0 - 0.5 } : nil, full: 0.1))\">\(cell.auc.map { String(format: "%.3f", $0) } ?? "–")</td>"
                out += "<td class=\"n muted\">\(ReportFormat.count(cell.pairs))</td>"
            }
            out += "</tr>"
        }
        return out + "</table>"
    }

    /// Pairs below which a correlation cell is left uncoloured.
    static let minimumPairsToColour = 100

    /// A cell background for a signed strength: blue for positive, red for negative, fully
    /// tinted at `full`.
    static func tint(_ value: Double?, full: Double) -> String {
        guard let value, value != 0 else { return "transparent" }
        let alpha = min(1, abs(value) / full) * 0.55
        return value > 0 ? String(format: "rgba(33,102,172,%.2f)", alpha) : String(format: "rgba(178,24,43,%.2f)", alpha)
    }

    // MARK: - Footer

    static func footer(run: ReportRun, scan: ReportScan, making: Making) -> String {
        let madeAt = ReportFormat.time(ms: Int64(making.madeAt.timeIntervalSince1970 * 1000) / 1000 * 1000)
        var out = "<footer>Made by <code>tickforge report \(ReportFormat.html(run.directory))</code> at \(madeAt) in \(ReportFormat.seconds(making.seconds)), "
        out += "from generation \(run.generationName) (<code>\(ReportFormat.html(run.generation))</code>). "
        out += "One streaming pass over features.csv and targets.csv side by side (\(ReportFormat.count(scan.rows)) rows; memory bounded by the samples and the pixel columns, not the rows). "
        out += "Charts: \(ReportScan.pixelColumns) pixel columns over the time span, each holding the first, last, lowest and highest value of its bars. "
        out += "Distributions and the ewm_vol percentile: \(scan.distributionSample.description). "
        out += "Correlations: \(scan.trainSample.description) of the train rows (at most \(ReportFormat.count(ReportScan.trainLimit))). "
        out += "The page is plain HTML, CSS and SVG: no script, nothing fetched.</footer>"
        return out
    }
}
