import Foundation

/// The report's charts as inline SVG: no script, no fonts or files to fetch, so the page shows
/// the same wherever it is opened. Every chart shares one frame: `left` pixels of y labels,
/// then one pixel per column of the time axis, so that charts stacked on the page line up.
enum ReportSVG {
    /// Width of the y-axis label area, and the whole chart width.
    static let left = 96.0
    static let right = 14.0
    static var width: Double { left + Double(ReportScan.pixelColumns) + right }
    static let top = 24.0
    static let bottom = 22.0

    struct Style {
        var line = "#1f4e79"
        var fill = "#9ecae1"
        var shade = "#f9dcdc"
    }

    /// A line chart of `envelope`: per pixel column a stroke through first → min → max → last,
    /// joined to the next column where the bars are contiguous (M4: the same pixels as a line
    /// through every bar). `shaded` columns get a band behind the line.
    static func lineChart(id: String, title: String, envelope: ReportEnvelope, height: Double,
                          shaded: [Bool] = [], style: Style = Style(), note: String = "") -> String {
        let plot = Plot(height: height, range: envelope.range, padded: true)
        var d = ""
        var pen: Double?  // y where the path currently is, nil before a move
        for c in 0..<envelope.axis.columns where envelope.count[c] > 0 {
            let x = ReportFormat.coordinate(left + Double(c) + 0.5)
            var ys = [envelope.first[c], envelope.minimum[c], envelope.maximum[c], envelope.last[c]].map(plot.y)
            // The order inside one pixel column does not change what is drawn; dropping repeats
            // keeps the path short.
            ys = ys.enumerated().filter { $0.offset == 0 || $0.element != ys[$0.offset - 1] }.map(\.element)
            d += (pen != nil && envelope.joined[c] ? "L" : "M") + x + "," + ReportFormat.coordinate(ys[0])
            for y in ys.dropFirst() { d += "V" + ReportFormat.coordinate(y) }
            // A lone bar in a column draws a dot-sized tick rather than nothing.
            if ys.count == 1 && !(c + 1 < envelope.axis.columns && envelope.joined[c + 1]) { d += "h1" }
            pen = ys.last
        }
        let body = shading(shaded, plot: plot) + "<path class=\"data\" d=\"\(d)\" fill=\"none\" stroke=\"\(style.line)\" stroke-width=\"1.2\" stroke-linejoin=\"round\"/>"
        return frame(id: id, title: title, note: note, plot: plot, axis: envelope.axis, body: body)
    }

    /// Columns from zero to each pixel column's largest bar (light) and its mean (dark): the
    /// volume chart, where a line between the bars would suggest trading between them.
    static func columnChart(id: String, title: String, envelope: ReportEnvelope, height: Double, style: Style = Style(), note: String = "") -> String {
        let range = envelope.range.map { (low: min(0, $0.low), high: $0.high) }
        let plot = Plot(height: height, range: range, padded: false)
        let width = ReportFormat.coordinate(envelope.barWidth)
        var largest = "", mean = ""
        let base = ReportFormat.coordinate(plot.y(0))
        for c in 0..<envelope.axis.columns where envelope.count[c] > 0 {
            let x = ReportFormat.coordinate(left + Double(c))
            largest += "M\(x),\(base)V\(ReportFormat.coordinate(plot.y(envelope.maximum[c])))h\(width)V\(base)z"
            mean += "M\(x),\(base)V\(ReportFormat.coordinate(plot.y(envelope.mean(c))))h\(width)V\(base)z"
        }
        let body = "<path class=\"data\" d=\"\(largest)\" fill=\"\(style.fill)\"/><path d=\"\(mean)\" fill=\"\(style.line)\"/>"
        return frame(id: id, title: title, note: note, plot: plot, axis: envelope.axis, body: body)
    }

    /// One band per fold over the time axis: train, validation and test ranges coloured, the
    /// rest (purge and embargo gaps, rows no set uses) left in the grey of the band.
    static func splitBands(id: String, splits: SplitsDocument, axis: ReportTimeAxis) -> String {
        let band = 20.0, gap = 6.0
        let colours = [("train", "#4daf4a"), ("validation", "#ff9f1c"), ("test", "#377eb8")]
        let height = top + Double(splits.folds.count) * (band + gap) + bottom
        var body = ""
        for (k, fold) in splits.folds.enumerated() {
            let y = top + Double(k) * (band + gap)
            body += "<text x=\"\(ReportFormat.coordinate(left - 8))\" y=\"\(ReportFormat.coordinate(y + 14))\" text-anchor=\"end\" class=\"label\">fold \(fold.fold)</text>"
            body += "<rect x=\"\(left)\" y=\"\(y)\" width=\"\(ReportScan.pixelColumns)\" height=\"\(band)\" fill=\"#d9d9d9\"/>"
            let sets = [("train", fold.train), ("validation", fold.validation), ("test", fold.test)]
            for (name, set) in sets {
                guard let set, let colour = colours.first(where: { $0.0 == name })?.1 else { continue }
                for range in set.timestamps {
                    let x0 = axis.position(of: range[0]), x1 = axis.position(of: range[1])
                    body += "<rect class=\"data\" x=\"\(ReportFormat.coordinate(left + x0))\" y=\"\(y)\" width=\"\(ReportFormat.coordinate(max(0.5, x1 - x0)))\" height=\"\(band)\" fill=\"\(colour)\"><title>fold \(fold.fold) \(name): \(ReportFormat.time(ms: range[0])) – \(ReportFormat.time(ms: range[1]))</title></rect>"
                }
            }
        }
        var legend = ""
        var x = left
        // The legend names only the kinds of set the folds have (walk-forward has no validation).
        let present = colours.filter { kind in
            splits.folds.contains { kind.0 != "validation" || $0.validation != nil }
        }
        for (name, colour) in present + [("purge / embargo / unused", "#d9d9d9")] {
            legend += "<rect x=\"\(ReportFormat.coordinate(x))\" y=\"6\" width=\"12\" height=\"12\" fill=\"\(colour)\"/><text x=\"\(ReportFormat.coordinate(x + 16))\" y=\"16\" class=\"label\">\(name)</text>"
            x += 24 + Double(name.count) * 7
        }
        let plot = Plot(height: height, range: nil, padded: false)
        return svg(id: id, height: height, content: legend + body + timeLabels(axis, plot: plot))
    }

    /// The volatility regime of each pixel column (its most frequent `regime`, the calmer on
    /// ties) as a coloured strip, from pale (state 0, the calmest) to dark (state K−1).
    static func regimeStrip(id: String, counts: [[Int]], axis: ReportTimeAxis) -> String {
        let band = 28.0
        let states = counts.first?.count ?? 0
        func colour(_ state: Int) -> String {
            // From #fee5d9 to #a50f15 (ColorBrewer Reds), one step per state.
            let f = states > 1 ? Double(state) / Double(states - 1) : 0
            let (r, g, b) = (254 + (165 - 254) * f, 229 + (15 - 229) * f, 217 + (21 - 217) * f)
            return "rgb(\(Int(r.rounded())),\(Int(g.rounded())),\(Int(b.rounded())))"
        }
        let modes = counts.map { c -> Int? in
            guard let most = c.max(), most > 0 else { return nil }
            return c.firstIndex(of: most)
        }
        var body = "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(ReportScan.pixelColumns)\" height=\"\(band)\" fill=\"#f0f0f0\"/>"
        var c = 0
        while c < modes.count {
            guard let state = modes[c] else { c += 1; continue }
            var end = c + 1
            while end < modes.count, modes[end] == state { end += 1 }
            body += "<rect class=\"data\" x=\"\(ReportFormat.coordinate(left + Double(c)))\" y=\"\(top)\" width=\"\(end - c)\" height=\"\(band)\" fill=\"\(colour(state))\"><title>regime \(state)</title></rect>"
            c = end
        }
        var legend = ""
        var x = left
        for state in 0..<states {
            legend += "<rect x=\"\(ReportFormat.coordinate(x))\" y=\"6\" width=\"12\" height=\"12\" fill=\"\(colour(state))\" stroke=\"#999\" stroke-width=\"0.5\"/><text x=\"\(ReportFormat.coordinate(x + 16))\" y=\"16\" class=\"label\">\(state == 0 ? "0 (calmest)" : state == states - 1 ? "\(state) (wildest)" : "\(state)")</text>"
            x += 110
        }
        let height = top + band + bottom
        let plot = Plot(height: height, range: nil, padded: false)
        return svg(id: id, height: height, content: legend + body + timeLabels(axis, plot: plot))
    }

    /// A distribution sparkline: one bar per histogram bin, heights relative to the fullest.
    static func sparkline(_ counts: [Int], width: Double = 112, height: Double = 22) -> String {
        let most = Double(max(1, counts.max() ?? 1))
        let bar = width / Double(max(1, counts.count))
        var d = ""
        for (k, count) in counts.enumerated() where count > 0 {
            let h = max(1, (Double(count) / most * (height - 1)).rounded())
            d += "M\(ReportFormat.coordinate(Double(k) * bar)),\(ReportFormat.coordinate(height))v-\(ReportFormat.coordinate(h))h\(ReportFormat.coordinate(bar - 0.6))v\(ReportFormat.coordinate(h))z"
        }
        return "<svg class=\"spark\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\"><path d=\"\(d)\" fill=\"#6a51a3\"/></svg>"
    }

    // MARK: - Frame

    /// The vertical scale of a chart: value → y pixel.
    struct Plot {
        let height: Double
        let low: Double
        let high: Double
        var plotTop: Double { ReportSVG.top }
        var plotBottom: Double { height - ReportSVG.bottom }

        init(height: Double, range: (low: Double, high: Double)?, padded: Bool) {
            self.height = height
            var (low, high) = range ?? (0, 1)
            if low == high { low -= max(abs(low) * 0.01, 1e-12); high += max(abs(high) * 0.01, 1e-12) }
            if padded {
                // A little air above and below the line, but never below zero for a series
                // that is never negative (volatility, volume): its axis starts at 0 then.
                let pad = (high - low) * 0.04
                low = low >= 0 ? max(0, low - pad) : low - pad
                high += pad
            }
            self.low = low; self.high = high
        }

        /// Round values for the y labels: 1, 2 or 5 times a power of ten apart, about `count`
        /// of them inside the range.
        func ticks(count: Int = 4) -> [Double] {
            let raw = (high - low) / Double(count)
            let power = pow(10, (log10(raw)).rounded(.down))
            let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
            var ticks: [Double] = []
            var value = (low / step).rounded(.up) * step
            while value <= high + step * 1e-9 {
                ticks.append(abs(value) < step * 1e-9 ? 0 : value)
                value += step
            }
            return ticks
        }

        func y(_ value: Double) -> Double { plotTop + (high - value) / (high - low) * (plotBottom - plotTop) }
    }

    static func frame(id: String, title: String, note: String, plot: Plot, axis: ReportTimeAxis, body: String) -> String {
        var content = "<text x=\"\(left)\" y=\"16\" class=\"title\">\(ReportFormat.html(title))</text>"
        if !note.isEmpty {
            content += "<text x=\"\(ReportFormat.coordinate(left + Double(ReportScan.pixelColumns)))\" y=\"16\" text-anchor=\"end\" class=\"label\">\(ReportFormat.html(note))</text>"
        }
        content += "<rect x=\"\(left)\" y=\"\(plot.plotTop)\" width=\"\(ReportScan.pixelColumns)\" height=\"\(ReportFormat.coordinate(plot.plotBottom - plot.plotTop))\" fill=\"#ffffff\" stroke=\"#bbbbbb\"/>"
        // Short panels get fewer labels, so that they do not crowd.
        for value in plot.ticks(count: plot.plotBottom - plot.plotTop < 100 ? 2 : 4) {
            let y = ReportFormat.coordinate(plot.y(value))
            content += "<line x1=\"\(left - 4)\" x2=\"\(left + Double(ReportScan.pixelColumns))\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"#ececec\"/>"
            content += "<text x=\"\(left - 7)\" y=\"\(y)\" dy=\"4\" text-anchor=\"end\" class=\"label\">\(ReportFormat.value(value))</text>"
        }
        content += body + timeLabels(axis, plot: plot)
        return svg(id: id, height: plot.height, content: content)
    }

    /// Steps between time labels, in ms: the first that gives at most 7 labels is used.
    static let timeSteps: [Int64] = [1, 2, 5, 10, 20, 50, 100, 200, 500].map { Int64($0) }
        + [1, 2, 5, 10, 15, 30].map { Int64($0) * 1000 } + [1, 2, 5, 10, 15, 30].map { Int64($0) * 60_000 }
        + [1, 2, 3, 6, 12].map { Int64($0) * 3_600_000 } + [1, 2, 7, 14, 30, 91, 182, 365].map { Int64($0) * 86_400_000 }

    /// Time labels under the plot at round times (every 30 s, every hour, …, UTC). The date
    /// is left out where the whole span is one day, the time of day where every label is at
    /// midnight, and milliseconds where every label has none.
    static func timeLabels(_ axis: ReportTimeAxis, plot: Plot) -> String {
        let span = axis.end - axis.start
        let step = timeSteps.first { span / $0 <= 6 } ?? span
        var times: [Int64] = []
        var t = (axis.start + step - 1) / step * step  // the first multiple of step in the span
        while t < axis.end { times.append(t); t += step }
        let texts = times.map { ReportFormat.time(ms: $0) }
        let oneDay = ReportFormat.time(ms: axis.start).prefix(10) == ReportFormat.time(ms: axis.end - 1).prefix(10)
        let midnights = times.allSatisfy { $0 % 86_400_000 == 0 }
        var out = ""
        for (time, text) in zip(times, texts) {
            var label = text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: "")
            if oneDay { label = String(label.dropFirst(11)) } else if midnights { label = String(label.prefix(10)) }
            let position = axis.position(of: time)
            let x = ReportFormat.coordinate(left + position)
            let anchor = position < 30 ? "start" : position > Double(axis.columns) - 30 ? "end" : "middle"
            out += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"\(ReportFormat.coordinate(plot.plotBottom))\" y2=\"\(ReportFormat.coordinate(plot.plotBottom + 4))\" stroke=\"#888888\"/>"
            out += "<text x=\"\(x)\" y=\"\(ReportFormat.coordinate(plot.plotBottom + 16))\" text-anchor=\"\(anchor)\" class=\"label\">\(label)</text>"
        }
        return out
    }

    /// Narrowest shaded band in pixels: a one-column stretch would be a hairline.
    static let minimumShadeWidth = 3.0

    /// Runs of shaded columns as bands behind a chart's line.
    static func shading(_ shaded: [Bool], plot: Plot) -> String {
        var out = ""
        var c = 0
        while c < shaded.count {
            guard shaded[c] else { c += 1; continue }
            var end = c
            while end < shaded.count, shaded[end] { end += 1 }
            // A stretch narrower than the smallest visible band is widened around its centre.
            let width = max(Double(end - c), minimumShadeWidth)
            let x = max(0, min(Double(shaded.count) - width, Double(c + end) / 2 - width / 2))
            out += "<rect class=\"shade\" x=\"\(ReportFormat.coordinate(left + x))\" y=\"\(plot.plotTop)\" width=\"\(ReportFormat.coordinate(width))\" height=\"\(ReportFormat.coordinate(plot.plotBottom - plot.plotTop))\" fill=\"\(Style().shade)\"/>"
            c = end
        }
        return out
    }

    static func svg(id: String, height: Double, content: String) -> String {
        let w = Int(width), h = Int(height.rounded(.up))
        return "<svg id=\"\(id)\" class=\"chart\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" role=\"img\">\(content)</svg>"
    }
}
