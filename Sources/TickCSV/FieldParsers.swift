import TickCore

/// Why a field could not be parsed. The raw values are stable so tests can match them.
public enum FieldProblem: String, Sendable, Equatable {
    case empty = "empty field"
    case notANumber = "not a number"
    case tooManyDecimals = "more than 8 decimal places"
    case outOfRange = "number out of range"
    case quoted = "quoted fields are not supported"
    case notASide = "not a trade side (expected true/false or buy/sell)"
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
    /// aggressor columns hold `buy`/`sell` (or `b`/`s`), any case.
    @inlinable @inline(__always)
    func side(from index: Int, end: Int, encoding: SideEncoding) -> (value: UInt8, next: Int, problem: FieldProblem?) {
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
        }
        return (0, fieldEnd, bytes[index] == UInt8(ascii: "\"") ? .quoted : .notASide)
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
