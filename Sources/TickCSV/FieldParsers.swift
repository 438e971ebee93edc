import TickCore

/// Why a field could not be parsed. The raw values are stable so tests can match them.
public enum FieldProblem: String, Sendable, Equatable {
    case empty = "empty field"
    case notANumber = "not a number"
    case tooManyDecimals = "more than 8 decimal places"
    case outOfRange = "number out of range"
    case quoted = "quoted fields are not supported"
    case notASide = "not a trade side (expected true/false or buy/sell)"
    case unknownSide = "unknown trade side (use --side-unknown tick-rule to infer it)"
    case notATime = "not an ISO 8601 time (expected e.g. 2024-08-08T23:54:16.322Z)"
}

/// Parsers for the fields of one line. Each starts at `index`, stops at the next comma or at
/// `end`, and returns the index where it stopped, so a line is scanned once.
///
/// They read bytes through an `UnsafeBufferPointer` that the caller lends for the duration of
/// the parse; no parser keeps it.
@usableFromInline
struct FieldParsers {
    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>

    @inlinable init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    @usableFromInline static let comma = UInt8(ascii: ",")
    @usableFromInline static let zero = UInt8(ascii: "0")

    /// The index of the next comma at or after `index`, or `end`.
    @inlinable @inline(__always)
    func skipField(from index: Int, end: Int) -> Int {
        var i = index
        while i < end && bytes[i] != FieldParsers.comma { i += 1 }
        return i
    }

    /// A non-negative or negative decimal as a `FixedPoint` raw value. At most 8 fraction digits
    /// unless the extra ones are zeros.
    @inlinable @inline(__always)
    func fixed(from index: Int, end: Int) -> (value: Int64, next: Int, problem: FieldProblem?) {
        var i = index
        var negative = false
        if i < end && bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var integer: UInt64 = 0
        var integerDigits = 0
        while i < end {
            let d = bytes[i] &- FieldParsers.zero
            if d > 9 { break }
            integer = integer &* 10 &+ UInt64(d)
            integerDigits += 1
            i += 1
        }
        var fraction: UInt64 = 0
        var fractionDigits = 0
        var sawPoint = false
        if i < end && bytes[i] == UInt8(ascii: ".") {
            sawPoint = true
            i += 1
            while i < end {
                let d = bytes[i] &- FieldParsers.zero
                if d > 9 { break }
                if fractionDigits < FixedPoint.digits {
                    fraction = fraction &* 10 &+ UInt64(d)
                    fractionDigits += 1
                } else if d != 0 {
                    return (0, skipField(from: i, end: end), .tooManyDecimals)
                }
                i += 1
            }
        }
        let fieldEnd = i
        if fieldEnd < end && bytes[fieldEnd] != FieldParsers.comma {
            return (0, skipField(from: i, end: end), problemFor(index))
        }
        if integerDigits == 0 && fractionDigits == 0 {
            return (0, fieldEnd, (sawPoint || negative) ? .notANumber : .empty)
        }
        // 92_233_720_368 · 10⁸ is the largest value that fits in Int64.
        if integerDigits > 11 || integer > 92_233_720_368 {
            return (0, fieldEnd, .outOfRange)
        }
        var scaledFraction = fraction
        var k = fractionDigits
        while k < FixedPoint.digits { scaledFraction &*= 10; k += 1 }
        let magnitude = integer &* UInt64(FixedPoint.scale) &+ scaledFraction
        if magnitude > UInt64(Int64.max) { return (0, fieldEnd, .outOfRange) }
        let value = Int64(magnitude)
        return (negative ? -value : value, fieldEnd, nil)
    }

    /// A non-negative integer (ids, integer timestamps).
    @inlinable @inline(__always)
    func integer(from index: Int, end: Int) -> (value: Int64, next: Int, problem: FieldProblem?) {
        var i = index
        var value: UInt64 = 0
        var digits = 0
        while i < end {
            let d = bytes[i] &- FieldParsers.zero
            if d > 9 { break }
            if digits >= 19 { return (0, skipField(from: i, end: end), .outOfRange) }
            value = value &* 10 &+ UInt64(d)
            digits += 1
            i += 1
        }
        if i < end && bytes[i] != FieldParsers.comma {
            return (0, skipField(from: i, end: end), problemFor(index))
        }
        if digits == 0 { return (0, i, .empty) }
        if value > UInt64(Int64.max) { return (0, i, .outOfRange) }
        return (Int64(value), i, nil)
    }

    /// An epoch timestamp in `unit`, as microseconds. Seconds and milliseconds may carry a
    /// decimal fraction (`1723161256.313`), which is truncated below the microsecond.
    @inlinable @inline(__always)
    func time(from index: Int, end: Int, unit: TimeUnit) -> (value: Int64, next: Int, problem: FieldProblem?) {
        if unit == .iso8601 { return isoTime(from: index, end: end) }
        let whole = integer(from: index, end: end)
        if whole.problem == nil {
            guard let micros = unit.microseconds(whole.value) else { return (0, whole.next, .outOfRange) }
            return (micros, whole.next, nil)
        }
        // Fractional seconds or milliseconds: rare, so parsed on this slower path.
        guard whole.problem == .notANumber, unit == .seconds || unit == .milliseconds else { return whole }
        let fieldEnd = skipField(from: index, end: end)
        var i = index
        var integerPart: Int64 = 0
        var digits = 0
        while i < fieldEnd, bytes[i] &- FieldParsers.zero <= 9 {
            integerPart = integerPart &* 10 &+ Int64(bytes[i] &- FieldParsers.zero); digits += 1; i += 1
        }
        guard digits > 0, digits <= 15, i < fieldEnd, bytes[i] == UInt8(ascii: ".") else {
            return (0, fieldEnd, .notANumber)
        }
        i += 1
        let microsPerUnit: Int64 = unit == .seconds ? 1_000_000 : 1_000
        var fractionMicros: Int64 = 0
        var place = microsPerUnit / 10
        var fractionDigits = 0
        while i < fieldEnd {
            let d = bytes[i] &- FieldParsers.zero
            guard d <= 9 else { return (0, fieldEnd, .notANumber) }
            fractionMicros += Int64(d) * place
            place /= 10
            fractionDigits += 1
            i += 1
        }
        guard fractionDigits > 0 else { return (0, fieldEnd, .notANumber) }
        let (scaled, overflow) = integerPart.multipliedReportingOverflow(by: microsPerUnit)
        let (micros, carry) = scaled.addingReportingOverflow(fractionMicros)
        guard !overflow && !carry else { return (0, fieldEnd, .outOfRange) }
        return (micros, fieldEnd, nil)
    }

    /// A trade side. `buyerIsMaker` columns hold booleans (`true` means the seller aggressed);
    /// aggressor columns hold `buy`/`sell` (or `b`/`s`), any case, or `unknown` (any case):
    /// `AggressorSide.unknown` when `keepsUnknown`, else a bad row. (An empty cell is not
    /// `unknown`: it stays an empty field.)
    @inlinable @inline(__always)
    func side(from index: Int, end: Int, encoding: SideEncoding, keepsUnknown: Bool = false) -> (value: UInt8, next: Int, problem: FieldProblem?) {
        let fieldEnd = skipField(from: index, end: end)
        let length = fieldEnd - index
        guard length > 0 else { return (0, fieldEnd, .empty) }
        // Lower-case the first letter; the length then tells the word.
        let first = bytes[index] | 0x20
        switch encoding {
        case .buyerIsMaker:
            if (length == 4 && first == UInt8(ascii: "t") && matches("rue", at: index + 1)) || (length == 1 && bytes[index] == UInt8(ascii: "1")) {
                return (AggressorSide.seller.rawValue, fieldEnd, nil)
            }
            if (length == 5 && first == UInt8(ascii: "f") && matches("alse", at: index + 1)) || (length == 1 && bytes[index] == UInt8(ascii: "0")) {
                return (AggressorSide.buyer.rawValue, fieldEnd, nil)
            }
        case .aggressor:
            if first == UInt8(ascii: "b") && (length == 1 || (length == 3 && matches("uy", at: index + 1))) {
                return (AggressorSide.buyer.rawValue, fieldEnd, nil)
            }
            if first == UInt8(ascii: "s") && (length == 1 || (length == 4 && matches("ell", at: index + 1))) {
                return (AggressorSide.seller.rawValue, fieldEnd, nil)
            }
            if length == 7 && first == UInt8(ascii: "u") && matches("nknown", at: index + 1) {
                return keepsUnknown ? (AggressorSide.unknown.rawValue, fieldEnd, nil) : (0, fieldEnd, .unknownSide)
            }
        }
        return (0, fieldEnd, bytes[index] == UInt8(ascii: "\"") ? .quoted : .notASide)
    }

    /// An ISO 8601 UTC time as epoch microseconds, in the forms pandas and exchanges write:
    /// `YYYY-MM-DD`, `T` or a space, `HH:MM:SS`, optionally `.` and 1 to 9 fraction digits, then
    /// `Z`, an offset `+hh:mm`/`-hh:mm` (or `+hhmm`), or nothing (UTC). Digits below the
    /// microsecond are dropped: the time is floored to the microsecond (the fraction is never
    /// negative), so a time never moves into a later bar.
    @usableFromInline
    func isoTime(from index: Int, end: Int) -> (value: Int64, next: Int, problem: FieldProblem?) {
        let fieldEnd = skipField(from: index, end: end)
        var i = index
        func number(_ width: Int) -> Int64? {
            guard i + width <= fieldEnd else { return nil }
            var v: Int64 = 0
            for k in i..<(i + width) {
                let d = bytes[k] &- FieldParsers.zero
                guard d <= 9 else { return nil }
                v = v * 10 + Int64(d)
            }
            i += width
            return v
        }
        func expect(_ byte: UInt8) -> Bool {
            guard i < fieldEnd, bytes[i] == byte else { return false }
            i += 1
            return true
        }
        let failed: (value: Int64, next: Int, problem: FieldProblem?) = (0, fieldEnd, .notATime)
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")),
              let day = number(2), i < fieldEnd, bytes[i] == UInt8(ascii: "T") || bytes[i] == UInt8(ascii: " ") else { return failed }
        i += 1
        guard let hour = number(2), expect(UInt8(ascii: ":")), let minute = number(2), expect(UInt8(ascii: ":")),
              let second = number(2) else { return failed }
        let daysInMonth: [Int64] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        guard month >= 1, month <= 12, day >= 1, day <= daysInMonth[Int(month - 1)] + (month == 2 && leap ? 1 : 0),
              hour <= 23, minute <= 59, second <= 59 else { return failed }
        var micros: Int64 = 0
        if expect(UInt8(ascii: ".")) {
            var digits = 0
            var place: Int64 = 100_000
            while i < fieldEnd, bytes[i] &- FieldParsers.zero <= 9 {
                micros += Int64(bytes[i] &- FieldParsers.zero) * place  // 0 past the sixth digit
                place /= 10
                digits += 1
                i += 1
            }
            guard digits >= 1, digits <= 9 else { return failed }
        }
        var offsetSeconds: Int64 = 0
        if expect(UInt8(ascii: "Z")) || expect(UInt8(ascii: "z")) {
        } else if i < fieldEnd, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let hours = number(2) else { return failed }
            _ = expect(UInt8(ascii: ":"))
            guard let minutes = number(2), hours <= 23, minutes <= 59 else { return failed }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        }
        guard i == fieldEnd else { return failed }
        let days = Time.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return (seconds * 1_000_000 + micros, fieldEnd, nil)
    }

    /// A decimal in any form a mapped layout accepts (what pandas writes): an optional sign,
    /// digits with an optional point, an optional exponent (`1.5e-05`, `2E+3`), any number of
    /// digits. Its exact value is rounded to 8 decimals, half to even, on the decimal digits
    /// themselves (never through `Double`); `rounded` says whether a digit that is not 0 was
    /// dropped. `FixedPoint` raw value, or out of range beyond ±92233720368.54775807.
    func lenientDecimal(from index: Int, end: Int) -> (value: Int64, next: Int, problem: FieldProblem?, rounded: Bool) {
        let fieldEnd = skipField(from: index, end: end)
        var i = index
        var negative = false
        if i < fieldEnd, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        // The significant digits (leading zeros dropped) and the power of ten of the last one.
        var digits: [UInt8] = []
        var mantissaDigits = 0
        var exponent = 0
        while i < fieldEnd, bytes[i] &- FieldParsers.zero <= 9 {
            if !digits.isEmpty || bytes[i] != FieldParsers.zero { digits.append(bytes[i] &- FieldParsers.zero) }
            mantissaDigits += 1
            i += 1
        }
        if i < fieldEnd, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < fieldEnd, bytes[i] &- FieldParsers.zero <= 9 {
                if !digits.isEmpty || bytes[i] != FieldParsers.zero { digits.append(bytes[i] &- FieldParsers.zero) }
                exponent -= 1
                mantissaDigits += 1
                i += 1
            }
        }
        guard mantissaDigits > 0 else { return (0, fieldEnd, i == fieldEnd && i == index ? .empty : problemFor(index), false) }
        if i < fieldEnd, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var exponentNegative = false
            if i < fieldEnd, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var written = 0
            var exponentDigits = 0
            while i < fieldEnd, bytes[i] &- FieldParsers.zero <= 9 {
                // Beyond 10⁶ every non-zero value is out of range or rounds to 0 alike.
                written = min(written * 10 + Int(bytes[i] &- FieldParsers.zero), 1_000_000)
                exponentDigits += 1
                i += 1
            }
            guard exponentDigits > 0 else { return (0, fieldEnd, .notANumber, false) }
            exponent += exponentNegative ? -written : written
        }
        guard i == fieldEnd else { return (0, fieldEnd, problemFor(index), false) }
        guard !digits.isEmpty else { return (0, fieldEnd, nil, false) }
        // value · 10⁸ = digits · 10^shift; keep the digits above 10⁰, round on the rest.
        let shift = exponent + FixedPoint.digits
        let kept = digits.count + shift
        guard kept <= 19 else { return (0, fieldEnd, .outOfRange, false) }
        var magnitude: UInt64 = 0
        for k in 0..<max(kept, 0) { magnitude = magnitude * 10 + UInt64(k < digits.count ? digits[k] : 0) }
        var rounded = false
        if kept < digits.count {
            // The dropped part: its first digit (an implied 0 when kept < 0) against 5, ties to even.
            let first = kept >= 0 ? digits[kept] : 0
            let rest = digits[(max(kept, 0) + (kept >= 0 ? 1 : 0))...].contains { $0 != 0 }
            rounded = first != 0 || rest
            if first > 5 || (first == 5 && (rest || magnitude % 2 == 1)) { magnitude += 1 }
        }
        guard magnitude <= UInt64(Int64.max) else { return (0, fieldEnd, .outOfRange, false) }
        return (negative ? -Int64(magnitude) : Int64(magnitude), fieldEnd, nil, rounded)
    }

    /// Case-insensitive comparison of ASCII letters at `index` with `word`.
    @inlinable @inline(__always)
    func matches(_ word: StaticString, at index: Int) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let w = word.utf8Start
        for k in 0..<count where (bytes[index + k] | 0x20) != w[k] { return false }
        return true
    }

    @inlinable @inline(__always)
    func problemFor(_ fieldStart: Int) -> FieldProblem {
        fieldStart < bytes.count && bytes[fieldStart] == UInt8(ascii: "\"") ? .quoted : .notANumber
    }
}
