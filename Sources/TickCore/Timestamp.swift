/// Time units in which input files give their timestamps.
public enum TimeUnit: String, Sendable, CaseIterable, Codable {
    case seconds = "s"
    case milliseconds = "ms"
    case microseconds = "us"
    case nanoseconds = "ns"
    /// Not a unit: the file's times are ISO 8601 text (`2024-08-08T23:54:16.322Z`), which only
    /// mapped layouts accept. Detected from the first time value, never given by a flag.
    case iso8601

    /// The numeric units, the ones a flag can give (`iso8601` is a form, not a unit).
    public static let allCases: [TimeUnit] = [.seconds, .milliseconds, .microseconds, .nanoseconds]

    /// Guesses the unit from the magnitude of an epoch timestamp: seconds below 10¹¹ (year 5138),
    /// milliseconds below 10¹⁴, microseconds below 10¹⁷, nanoseconds above.
    public static func detect(fromMagnitude value: Int64) -> TimeUnit {
        let magnitude = value.magnitude
        if magnitude < 100_000_000_000 { return .seconds }
        if magnitude < 100_000_000_000_000 { return .milliseconds }
        if magnitude < 100_000_000_000_000_000 { return .microseconds }
        return .nanoseconds
    }

    /// Parses `s`, `ms`, `us`/`µs`, `ns`.
    public init?(flag: String) {
        switch flag {
        case "s", "sec", "seconds": self = .seconds
        case "ms", "millis", "milliseconds": self = .milliseconds
        case "us", "µs", "micros", "microseconds": self = .microseconds
        case "ns", "nanos", "nanoseconds": self = .nanoseconds
        default: return nil
        }
    }

    /// Converts an integer count of this unit to microseconds (nanoseconds are floored).
    @inlinable
    public func microseconds(_ value: Int64) -> Int64? {
        switch self {
        case .seconds:
            let (r, o) = value.multipliedReportingOverflow(by: 1_000_000); return o ? nil : r
        case .milliseconds:
            let (r, o) = value.multipliedReportingOverflow(by: 1_000); return o ? nil : r
        case .microseconds: return value
        case .nanoseconds: return Time.floorDiv(value, 1_000)
        case .iso8601: return nil  // text times have no numeric form
        }
    }
}

/// Helpers for epoch microsecond timestamps, the internal time of every tick.
public enum Time {
    /// Floor division that rounds towards −∞ (Swift's `/` rounds towards 0).
    @inlinable
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// A duration in µs as decimal seconds without trailing zeros: `60`, `0.5`, `0.000001`.
    public static func secondsText(micros: Int64) -> String {
        let whole = micros / 1_000_000, fraction = micros % 1_000_000
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    /// ISO 8601 UTC text of an epoch-microsecond time, e.g. `2024-08-08T23:54:16.313000Z`.
    public static func iso8601(micros: Int64) -> String {
        let days = floorDiv(micros, 86_400_000_000)
        let inDay = micros - days * 86_400_000_000
        let (y, m, d) = civilDate(daysSinceEpoch: days)
        let seconds = inDay / 1_000_000
        let fraction = inDay % 1_000_000
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(fraction, 6))Z"
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm; the
    /// inverse of `civilDate`).
    @inlinable
    public static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
    public static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Time {
    /// A time given on the command line, in epoch milliseconds: a whole number of epoch
    /// milliseconds, or a date and time `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]]` with an optional offset
    /// (`Z`, `+hh:mm`, `-hh:mm`; none means UTC). nil when the text is neither.
    public static func parseFlagTime(_ text: String) -> Int64? {
        if !text.isEmpty, text.count <= 16, text.allSatisfy({ $0.isASCII && $0.isNumber }) { return Int64(text) }
        var s = Substring(text)
        var offsetMinutes: Int64 = 0
        if s.hasSuffix("Z") {
            s = s.dropLast()
        } else if s.count > 16, let sign = s.dropFirst(16).lastIndex(where: { $0 == "+" || $0 == "-" }) {
            // An offset after the time of day: `+02:00` or `-0530`.
            let digits = s[s.index(after: sign)...].filter { $0 != ":" }
            guard digits.count == 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let hours = Int64(digits.prefix(2)), let minutes = Int64(digits.suffix(2)), hours < 24, minutes < 60 else { return nil }
            offsetMinutes = (hours * 60 + minutes) * (s[sign] == "-" ? -1 : 1)
            s = s[..<sign]
        }
        let parts = s.split(maxSplits: 1, whereSeparator: { $0 == "T" || $0 == " " })
        let date = parts.first.map { $0.split(separator: "-", omittingEmptySubsequences: false) } ?? []
        guard date.count == 3, date[0].count == 4, date[1].count == 2, date[2].count == 2,
              let year = Int64(date[0]), let month = Int64(date[1]), let day = Int64(date[2]),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        guard civilDate(daysSinceEpoch: days) == (year, month, day) else { return nil }
        var millis = days * 86_400_000
        if parts.count == 2 {
            let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
            guard clock.count == 2 || clock.count == 3, clock[0].count == 2, clock[1].count == 2,
                  let hour = Int64(clock[0]), let minute = Int64(clock[1]), hour < 24, minute < 60 else { return nil }
            millis += hour * 3_600_000 + minute * 60_000
            if clock.count == 3 {
                let seconds = clock[2].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
                guard seconds[0].count == 2, let whole = Int64(seconds[0]), whole < 60 else { return nil }
                millis += whole * 1000
                if seconds.count == 2 {
                    let fraction = seconds[1]
                    guard (1...3).contains(fraction.count), fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
                          let value = Int64(fraction + String(repeating: "0", count: 3 - fraction.count)) else { return nil }
                    millis += value
                }
            }
        } else if offsetMinutes != 0 {
            return nil
        }
        return millis - offsetMinutes * 60_000
    }
}
