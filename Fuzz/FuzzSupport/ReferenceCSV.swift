import TickCore
import TickCSV

/// An independent reader of tickforge's CSV rows, for the differential check. It shares no code
/// with `ChunkParser`/`FieldParsers`: it splits a line on commas first and then checks each field
/// as a whole against the grammar below, written from the documented rules.
///
/// Lines: split at `\n`; one `\r` before the `\n` is dropped; an empty line is blank (skipped).
/// A line longer than `maxRecordSize` bytes (without its line end) is bad. A row has exactly one
/// field per layout column.
///
/// | role | accepted text | value |
/// |---|---|---|
/// | ignore | anything without a comma that does not start with `"` and is valid UTF-8 | — |
/// | id | 1 to 19 ASCII digits, value ≤ Int64.max | the integer |
/// | id, other text | as ignore | `RowID.none` (not compared) |
/// | symbol | as ignore, and equal to the layout's expected symbol when it has one | — |
/// | price (bid, ask) | decimal, value > 0 | `FixedPoint` raw (× 10⁸) |
/// | quantity (bid, ask) | decimal, value ≥ 0 (`-0` is 0) | `FixedPoint` raw |
/// | time | 1 to 19 digits; for s and ms also `D.F` with 1–15 digits D and ≥ 1 digits F | epoch µs, no overflow |
/// | side, `is_buyer_maker` | `true`/`1` → seller (0), `false`/`0` → buyer (1), ASCII case-insensitive | |
/// | side, aggressor | `b`/`buy` → buyer (1), `s`/`sell` → seller (0), ASCII case-insensitive | |
///
/// decimal: optional `-`, then I digits, optional `.` and F digits, I + F ≥ 1, I ≤ 11; the 9th and
/// later fraction digits must be `0`; |value| × 10⁸ must fit in Int64. In mapped layouts also:
/// an optional `+`, any I, an exponent `e`/`E` with optional sign and ≥ 1 digits, and any
/// fraction digits, the value rounded to 8 decimals half to even.
/// time in mapped layouts detected as ISO 8601: `YYYY-MM-DD(T| )HH:MM:SS[.1-9 digits][Z|±hh:mm|±hhmm]`.
public enum ReferenceCSV {
    /// The values of the non-ignored columns of `line` (without its line end), in column order,
    /// or nil when the row is bad.
    public static func parseRow(_ line: ArraySlice<UInt8>, layout: Layout, maxRecordSize: Int) -> [Int64]? {
        if line.count > maxRecordSize { return nil }
        let fields = splitFields(line)
        guard fields.count == layout.roles.count else { return nil }
        var values: [Int64] = []
        values.reserveCapacity(fields.count)
        for (role, field) in zip(layout.roles, fields) {
            switch role {
            case .bookSnapshotFlag, .bookSide, .bookPrice, .bookAmount, .askLevelPrice, .askLevelAmount, .bidLevelPrice, .bidLevelAmount:
                // Book layouts are read by BookChunkParser, which this reference does not cover.
                return nil
            case .ignore:
                if field.first == UInt8(ascii: "\"") { return nil }
                if !isValidUTF8(field) { return nil }
            case .symbol:
                if let expected = layout.expectedSymbol, !field.elementsEqual(expected) { return nil }
                if field.first == UInt8(ascii: "\"") { return nil }
                if !isValidUTF8(field) { return nil }
            case .id:
                if let v = integer(field) {
                    values.append(v)
                } else {
                    if field.first == UInt8(ascii: "\"") || !isValidUTF8(field) { return nil }
                    values.append(RowID.none)
                }
            case .time, .sequence:
                guard let v = layout.timeUnit == .iso8601 ? isoTime(field) : time(field, unit: layout.timeUnit) else { return nil }
                values.append(v)
            case .price, .bidPrice, .askPrice:
                guard let v = layout.isMapped ? lenientDecimal(field) : decimal(field), v > 0 else { return nil }
                values.append(v)
            case .quantity, .bidQuantity, .askQuantity:
                guard let v = layout.isMapped ? lenientDecimal(field) : decimal(field), v >= 0 else { return nil }
                values.append(v)
            case .side:
                guard let v = side(field, encoding: layout.sideEncoding) else { return nil }
                values.append(v)
            }
        }
        return values
    }

    /// Fields between commas (an empty line has one empty field; a trailing comma adds one).
    public static func splitFields(_ line: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var fields: [ArraySlice<UInt8>] = []
        var start = line.startIndex
        var i = line.startIndex
        while i < line.endIndex {
            if line[i] == UInt8(ascii: ",") {
                fields.append(line[start..<i])
                start = i + 1
            }
            i += 1
        }
        fields.append(line[start..<line.endIndex])
        return fields
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    static func allDigits(_ s: ArraySlice<UInt8>) -> Bool { s.allSatisfy(isDigit) }

    /// Digits to a number, nil past UInt64 (callers bound the digit count first).
    static func number(_ digits: ArraySlice<UInt8>) -> UInt64? {
        var v: UInt64 = 0
        for d in digits {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d - 48))
            if o1 || o2 { return nil }
            v = a
        }
        return v
    }

    static func integer(_ field: ArraySlice<UInt8>) -> Int64? {
        guard !field.isEmpty, field.count <= 19, allDigits(field), let v = number(field),
              v <= UInt64(Int64.max) else { return nil }
        return Int64(v)
    }

    static func decimal(_ field: ArraySlice<UInt8>) -> Int64? {
        var body = field
        var negative = false
        if body.first == UInt8(ascii: "-") { negative = true; body = body.dropFirst() }
        let parts = body.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = parts[0]
        let fractionPart = parts.count > 1 ? parts[1] : []
        guard allDigits(integerPart), allDigits(fractionPart) else { return nil }  // also a second '.'
        guard integerPart.count + fractionPart.count >= 1, integerPart.count <= 11 else { return nil }
        // Past 8 fraction digits only zeros.
        guard fractionPart.dropFirst(8).allSatisfy({ $0 == UInt8(ascii: "0") }) else { return nil }
        var scaledFraction = Array(fractionPart.prefix(8))
        while scaledFraction.count < 8 { scaledFraction.append(UInt8(ascii: "0")) }
        guard let whole = number(integerPart), let fraction = number(scaledFraction[...]) else { return nil }
        let (scaled, o1) = whole.multipliedReportingOverflow(by: 100_000_000)
        let (magnitude, o2) = scaled.addingReportingOverflow(fraction)
        guard !o1, !o2, magnitude <= UInt64(Int64.max) else { return nil }
        return negative ? -Int64(magnitude) : Int64(magnitude)
    }

    /// A mapped layout's decimal: the digits placed around the point as a text of 8 fraction
    /// digits plus the rest, then rounded on that text.
    static func lenientDecimal(_ field: ArraySlice<UInt8>) -> Int64? {
        var body = field
        var negative = false
        if body.first == UInt8(ascii: "-") || body.first == UInt8(ascii: "+") { negative = body.first == UInt8(ascii: "-"); body = body.dropFirst() }
        var exponent = 0
        if let e = body.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            var text = body[(e + 1)...]
            var sign = 1
            if text.first == UInt8(ascii: "-") || text.first == UInt8(ascii: "+") { sign = text.first == UInt8(ascii: "-") ? -1 : 1; text = text.dropFirst() }
            guard !text.isEmpty, allDigits(text) else { return nil }
            // Beyond 10⁶ every non-zero value is out of range or rounds to 0 alike.
            exponent = sign * text.reduce(0) { min($0 * 10 + Int($1 - 48), 1_000_000) }
            body = body[..<e]
        }
        let parts = body.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = Array(parts[0]), fractionPart = parts.count > 1 ? Array(parts[1]) : []
        guard allDigits(integerPart[...]), allDigits(fractionPart[...]), integerPart.count + fractionPart.count >= 1 else { return nil }
        // All digits, and where the point falls in them once the exponent moved it.
        var digits = integerPart + fractionPart
        var point = integerPart.count + exponent
        if point < 0 { digits = [UInt8](repeating: 48, count: -point) + digits; point = 0 }
        if point > digits.count { digits += [UInt8](repeating: 48, count: point - digits.count) }
        var whole = Array(digits[..<point]) + Array(digits[point...].prefix(8))
        whole += [UInt8](repeating: 48, count: point + 8 - whole.count)
        let rest = Array(digits[point...].dropFirst(8))
        while whole.count > 1 && whole.first == 48 { whole.removeFirst() }
        guard whole.count <= 19, let kept = number(whole[...]) else { return nil }
        var value = kept
        if let first = rest.first {
            let tail = rest.dropFirst().contains { $0 != 48 }
            if first > 53 || (first == 53 && (tail || kept % 2 == 1)) { value += 1 }
        }
        guard value <= UInt64(Int64.max) else { return nil }
        return negative ? -Int64(value) : Int64(value)
    }

    /// An ISO 8601 time as epoch µs, floored to the microsecond; days counted year by year.
    static func isoTime(_ field: ArraySlice<UInt8>) -> Int64? {
        let f = Array(field)
        guard f.count >= 19, f[4] == 45, f[7] == 45, f[10] == 84 || f[10] == 32, f[13] == 58, f[16] == 58 else { return nil }
        func n(_ a: Int, _ b: Int) -> Int64? { allDigits(f[a..<b]) ? Int64(number(f[a..<b])!) : nil }
        guard let y = n(0, 4), let mo = n(5, 7), let d = n(8, 10), let h = n(11, 13), let mi = n(14, 16), let s = n(17, 19) else { return nil }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(mo), (1...lengths[Int(mo) - 1]).contains(d), h < 24, mi < 60, s < 60 else { return nil }
        var i = 19
        var micros: Int64 = 0
        if i < f.count && f[i] == 46 {
            var j = i + 1
            while j < f.count && isDigit(f[j]) { j += 1 }
            guard (1...9).contains(j - i - 1) else { return nil }
            var six = Array(f[(i + 1)..<j].prefix(6))
            six += [UInt8](repeating: 48, count: 6 - six.count)
            micros = Int64(number(six[...])!)
            i = j
        }
        var offset: Int64 = 0
        let tail = Array(f[i...])
        if tail == [90] || tail == [122] || tail.isEmpty {
        } else if (tail.count == 6 && tail[3] == 58) || tail.count == 5, tail[0] == 43 || tail[0] == 45 {
            let digits = tail.count == 6 ? Array(tail[1...2] + tail[4...5]) : Array(tail[1...])
            guard allDigits(digits[...]) else { return nil }
            let oh = Int64(number(digits[0..<2])!), om = Int64(number(digits[2..<4])!)
            guard oh < 24, om < 60 else { return nil }
            offset = (tail[0] == 45 ? -1 : 1) * (oh * 3600 + om * 60)
        } else { return nil }
        var days: Int64 = 0
        if y >= 1970 { for year in 1970..<y { days += (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 366 : 365 } }
        else { for year in y..<1970 { days -= (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 366 : 365 } }
        for m in 0..<Int(mo - 1) { days += lengths[m] }
        days += d - 1
        return (days * 86_400 + h * 3600 + mi * 60 + s - offset) * 1_000_000 + micros
    }

    static func time(_ field: ArraySlice<UInt8>, unit: TimeUnit) -> Int64? {
        if !field.isEmpty && allDigits(field) {
            guard let v = integer(field) else { return nil }
            switch unit {
            case .seconds:
                let (r, o) = v.multipliedReportingOverflow(by: 1_000_000); return o ? nil : r
            case .milliseconds:
                let (r, o) = v.multipliedReportingOverflow(by: 1_000); return o ? nil : r
            case .microseconds: return v
            case .nanoseconds: return v / 1_000  // v ≥ 0: truncation is the floor
            case .iso8601: return nil
            }
        }
        // `whole.fraction` in seconds or milliseconds, truncated below the microsecond.
        guard unit == .seconds || unit == .milliseconds else { return nil }
        let parts = field.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let whole = parts[0], fraction = parts[1]
        guard (1...15).contains(whole.count), !fraction.isEmpty, allDigits(whole), allDigits(fraction),
              let w = number(whole) else { return nil }
        let fractionDigits = unit == .seconds ? 6 : 3
        var micros = Array(fraction.prefix(fractionDigits))
        while micros.count < fractionDigits { micros.append(UInt8(ascii: "0")) }
        guard let f = number(micros[...]) else { return nil }
        let (scaled, o1) = Int64(w).multipliedReportingOverflow(by: unit == .seconds ? 1_000_000 : 1_000)
        let (total, o2) = scaled.addingReportingOverflow(Int64(f))
        return o1 || o2 ? nil : total
    }

    static func asciiLowercased(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }

    static func side(_ field: ArraySlice<UInt8>, encoding: SideEncoding) -> Int64? {
        guard field.allSatisfy({ $0 < 0x80 }) else { return nil }
        let word = asciiLowercased(field)
        switch encoding {
        case .buyerIsMaker:
            if word == "true" || word == "1" { return Int64(AggressorSide.seller.rawValue) }
            if word == "false" || word == "0" { return Int64(AggressorSide.buyer.rawValue) }
        case .aggressor:
            if word == "b" || word == "buy" { return Int64(AggressorSide.buyer.rawValue) }
            if word == "s" || word == "sell" { return Int64(AggressorSide.seller.rawValue) }
        }
        return nil
    }

    /// UTF-8 as the Unicode Standard defines it (table 3-7): no overlong forms, no surrogates,
    /// nothing above U+10FFFF.
    public static func isValidUTF8(_ s: ArraySlice<UInt8>) -> Bool {
        var i = s.startIndex
        func continuation(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            k < s.endIndex && range.contains(s[k])
        }
        while i < s.endIndex {
            let b = s[i]
            switch b {
            case 0x00...0x7F:
                i += 1
            case 0xC2...0xDF:
                guard continuation(i + 1) else { return false }
                i += 2
            case 0xE0:
                guard continuation(i + 1, 0xA0...0xBF), continuation(i + 2) else { return false }
                i += 3
            case 0xE1...0xEC, 0xEE...0xEF:
                guard continuation(i + 1), continuation(i + 2) else { return false }
                i += 3
            case 0xED:
                guard continuation(i + 1, 0x80...0x9F), continuation(i + 2) else { return false }
                i += 3
            case 0xF0:
                guard continuation(i + 1, 0x90...0xBF), continuation(i + 2), continuation(i + 3) else { return false }
                i += 4
            case 0xF1...0xF3:
                guard continuation(i + 1), continuation(i + 2), continuation(i + 3) else { return false }
                i += 4
            case 0xF4:
                guard continuation(i + 1, 0x80...0x8F), continuation(i + 2), continuation(i + 3) else { return false }
                i += 4
            default:
                return false
            }
        }
        return true
    }
}
