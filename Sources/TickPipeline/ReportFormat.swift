import Foundation
import TickCore

/// How the report writes numbers, times and text into HTML. One place, so that every table
/// and chart label reads the same way.
enum ReportFormat {
    /// `441,175`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (k, character) in digits.enumerated() {
            if k > 0, (digits.count - k) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `2nd`, `3rd`, `11th`, `21st`.
    static func ordinal(_ value: Int) -> String {
        let tens = value % 100, ones = value % 10
        let suffix = (11...13).contains(tens) ? "th" : ones == 1 ? "st" : ones == 2 ? "nd" : ones == 3 ? "rd" : "th"
        return count(value) + suffix
    }

    /// A value as a person reads it: 4 to 5 significant digits, every digit of the whole part
    /// (`61800.3` → `61800`, `1180.7`, `0.02772`), exponents for the very small or large
    /// (`3.37e-6`); `–` for undefined.
    static func value(_ x: Double?) -> String {
        guard let x, x.isFinite else { return "–" }
        if x == 0 { return "0" }
        let magnitude = abs(x)
        if magnitude >= 1e-3 && magnitude < 1e9 {
            let whole = magnitude >= 1 ? Int(log10(magnitude).rounded(.down)) + 1 : 0
            return String(format: "%.\(max(4, whole))g", x)
        }
        // %g writes e-06: the exponent without its padding zero reads better.
        let text = String(format: "%.3g", x)
        guard let e = text.firstIndex(of: "e") else { return text }
        let sign = text[text.index(after: e)]
        let digits = text[text.index(e, offsetBy: 2)...].drop { $0 == "0" }
        return text[..<e] + "e" + (sign == "-" ? "-" : "") + digits
    }

    /// A share as a percentage: `99.7 %`, `100 %`, `0 %`, `<0.1 %`.
    static func percent(_ share: Double) -> String {
        if share >= 1 { return "100 %" }
        if share <= 0 { return "0 %" }
        if share < 0.001 { return "<0.1 %" }
        if share > 0.999 { return ">99.9 %" }
        return String(format: "%.1f %%", share * 100)
    }

    /// Seconds: `0.41 s`, `12.3 s`.
    static func seconds(_ value: Double) -> String { String(format: value < 10 ? "%.2f s" : "%.1f s", value) }

    /// An epoch-ms time as ISO 8601 UTC, without zero milliseconds: `2024-08-08T23:54:16Z`,
    /// `2024-08-08T23:54:16.100Z`.
    static func time(ms: Int64) -> String {
        let full = Time.iso8601(micros: ms * 1000)  // …T23:54:16.100000Z
        guard let dot = full.lastIndex(of: ".") else { return full }
        let fraction = full[full.index(after: dot)...].dropLast().prefix(3)
        return String(full[..<dot]) + (fraction == "000" ? "" : "." + fraction) + "Z"
    }

    /// A duration in ms as a person says it: `100 ms`, `1 s`, `5 min`, `2 h 3 min`, `3.2 d`.
    static func duration(ms: Int64) -> String {
        if ms < 1000 { return "\(ms) ms" }
        let s = Double(ms) / 1000
        if s < 120 { return String(format: s == s.rounded() ? "%.0f s" : "%.1f s", s) }
        if s < 7200 { return String(format: "%.1f min", s / 60) }
        if s < 172_800 { return String(format: "%.1f h", s / 3600) }
        return String(format: "%.1f d", s / 86400)
    }

    /// Text escaped for HTML content and attribute values.
    static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A coordinate in an SVG path: one decimal (a tenth of a pixel is below what a screen shows).
    static func coordinate(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        let whole = Int(tenths) / 10, fraction = abs(Int(tenths) % 10)
        return fraction == 0 ? String(Int(tenths) / 10) : (tenths < 0 && whole == 0 ? "-0" : String(whole)) + "." + String(fraction)
    }
}
