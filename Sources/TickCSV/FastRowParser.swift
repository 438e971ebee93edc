import TickCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the parser writes a chunk's rows: one block of `Int64` columns ("slots"), a column of
/// sides and one of line offsets, written by index with no per-value capacity or uniqueness
/// check. Room is made once per row (`reserve(row:)`), doubling when a chunk's lines are
/// shorter than planned.
struct ColumnSink {
    /// Slots of a trades chunk.
    static let tradeTime = 0, tradePrice = 1, tradeQuantity = 2, tradeId = 3, tradeSequence = 4
    /// Slots of a quotes chunk.
    static let quoteTime = 0, quoteBidPrice = 1, quoteBidQuantity = 2, quoteAskPrice = 3, quoteAskQuantity = 4, quoteId = 5,
               quoteSequence = 6
    static let slotCount = 7

    private(set) var capacity: Int
    private(set) var values: UnsafeMutablePointer<Int64>
    private(set) var sides: UnsafeMutablePointer<UInt8>
    /// Byte offset in the chunk of each row's line.
    private(set) var rowStarts: UnsafeMutablePointer<UInt32>

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        values = .allocate(capacity: ColumnSink.slotCount * self.capacity)
        sides = .allocate(capacity: self.capacity)
        rowStarts = .allocate(capacity: self.capacity)
    }

    func deallocate() { values.deallocate(); sides.deallocate(); rowStarts.deallocate() }

    /// Makes room for row `row` (doubling), keeping the rows before it.
    @inline(__always)
    mutating func reserve(row: Int) {
        if row >= capacity { grow(to: max(2 * capacity, row + 1)) }
    }

    private mutating func grow(to newCapacity: Int) {
        let newValues = UnsafeMutablePointer<Int64>.allocate(capacity: ColumnSink.slotCount * newCapacity)
        for s in 0..<ColumnSink.slotCount {
            (newValues + s * newCapacity).update(from: values + s * capacity, count: capacity)
        }
        let newSides = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newSides.update(from: sides, count: capacity)
        let newStarts = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        newStarts.update(from: rowStarts, count: capacity)
        deallocate()
        (values, sides, rowStarts, capacity) = (newValues, newSides, newStarts, newCapacity)
    }

    @inline(__always)
    func slot(_ s: Int) -> UnsafeMutablePointer<Int64> { values + s &* capacity }

    func column(_ s: Int, rows: Int) -> [Int64] { Array(UnsafeBufferPointer(start: slot(s), count: rows)) }

    /// The slot a role writes to, or nil for sides and ignored columns.
    static func slot(of role: ColumnRole, kind: RecordKind) -> Int? {
        switch (role, kind) {
        case (.time, .trades): tradeTime
        case (.price, _): tradePrice
        case (.quantity, _): tradeQuantity
        case (.id, .trades): tradeId
        case (.time, .quotes): quoteTime
        case (.bidPrice, _): quoteBidPrice
        case (.bidQuantity, _): quoteBidQuantity
        case (.askPrice, _): quoteAskPrice
        case (.askQuantity, _): quoteAskQuantity
        case (.id, .quotes): quoteId
        case (.sequence, .trades): tradeSequence
        case (.sequence, .quotes): quoteSequence
        default: nil
        }
    }
}

/// The fast path of `ChunkParser`: reads one well-formed row with tight pointer loops and
/// writes its values to a `ColumnSink`.
///
/// It accepts only the plain form of each field (digits, one point, `true`/`false`, `buy`/
/// `sell`, ASCII ignored text) and gives up on anything else — a sign, a quote, a long or
/// fractional timestamp, a `\r`, a bad byte — returning nil so that the general parser reads
/// the line again and either accepts it or names exactly what is wrong. So it must never accept
/// a row the general parser rejects, nor read one differently: `FastPathTests` compares the two
/// on mutated rows of four layouts, and the tokenizer fuzz target compares the parser (fast path
/// included) with an independent reader.
struct FastRowParser {
    enum Field: UInt8 {
        case ignore, time, price, quantity, side, id, symbol
    }

    /// One step per column: what to read and which slot it goes to.
    let fields: [(field: Field, slot: Int)]
    let timeUnit: TimeUnit
    /// Microseconds per unit of time for s, ms and µs (a multiply inlined here), 0 for units
    /// that divide.
    let timeMultiplier: Int64
    let sideEncoding: SideEncoding
    let maxRecordSize: Int
    /// Binance's trades layout (`id,price,qty,quote_qty,time,is_buyer_maker`, perhaps with a
    /// seventh ignored column) with times in s, ms or µs: read by `parseBinanceTrades`,
    /// straight-line code for the commonest file, instead of the per-field dispatch of the
    /// general loop.
    let isBinanceTrades: Bool
    let hasTrailingIgnoredColumn: Bool
    /// The symbol every row must have (selected or expected), when the layout has a symbol
    /// column; a row with another goes to the general parser, which skips or reports it.
    let symbol: [UInt8]

    init(layout: Layout, maxRecordSize: Int, symbol: [UInt8]? = nil) {
        self.symbol = symbol ?? []
        fields = layout.roles.map { role in
            let field: Field = switch role {
            case .ignore: .ignore
            case .symbol: symbol == nil ? .ignore : .symbol
            // A sequence key is a time: read the same way, into its own slot.
            case .time, .sequence: .time
            case .price, .bidPrice, .askPrice: .price
            case .quantity, .bidQuantity, .askQuantity: .quantity
            case .side: .side
            case .id: .id
            // Book layouts are read by `BookChunkParser`, never here.
            case .bookSnapshotFlag, .bookSide, .bookPrice, .bookAmount, .askLevelPrice, .askLevelAmount, .bidLevelPrice, .bidLevelAmount: .ignore
            }
            return (field, ColumnSink.slot(of: role, kind: layout.kind) ?? 0)
        }
        timeUnit = layout.timeUnit
        timeMultiplier = switch layout.timeUnit {
        case .seconds: 1_000_000
        case .milliseconds: 1_000
        case .microseconds: 1
        case .nanoseconds, .iso8601: 0
        }
        sideEncoding = layout.sideEncoding
        self.maxRecordSize = maxRecordSize
        let binanceRoles: [ColumnRole] = [.id, .price, .quantity, .ignore, .time, .side]
        hasTrailingIgnoredColumn = layout.roles == binanceRoles + [.ignore]
        isBinanceTrades = layout.kind == .trades && timeMultiplier != 0 && layout.sideEncoding == .buyerIsMaker
            && (layout.roles == binanceRoles || hasTrailingIgnoredColumn)
    }

    /// Reads the line at `start` into row `row` of `sink`; returns the offset of the next line,
    /// or nil when the general parser must look at this line.
    @inline(__always)
    func parse(_ base: UnsafePointer<UInt8>, start: Int, count: Int, row: Int, into sink: ColumnSink) -> Int? {
        if isBinanceTrades { return parseBinanceTrades(base, start: start, count: count, row: row, into: sink) }
        let end = base + count
        var p = base + start
        let fieldCount = fields.count
        return fields.withUnsafeBufferPointer { fields -> Int? in
        for index in 0..<fieldCount {
            let step = fields[index]
            switch step.field {
            case .ignore:
                guard FastRowParser.skipIgnored(&p, end: end) else { return nil }
            case .symbol:
                guard matchesSymbol(&p, end: end) else { return nil }
            case .time:
                // Text times (mapped layouts) are rare enough for the general parser.
                guard timeUnit != .iso8601, let value = FastRowParser.digits(&p, end: end) else { return nil }
                if timeMultiplier != 0 {
                    let (micros, overflow) = value.multipliedReportingOverflow(by: timeMultiplier)
                    if overflow { return nil }
                    sink.slot(step.slot)[row] = micros
                } else {
                    guard let micros = timeUnit.microseconds(value) else { return nil }
                    sink.slot(step.slot)[row] = micros
                }
            case .id:
                guard let value = FastRowParser.digits(&p, end: end) else { return nil }
                sink.slot(step.slot)[row] = value
            case .price, .quantity:
                guard let value = FastRowParser.decimal(&p, end: end) else { return nil }
                if step.field == .price && value == 0 { return nil }
                sink.slot(step.slot)[row] = value
            case .side:
                guard let side = side(&p, end: end) else { return nil }
                sink.sides[row] = side
            }
            // Each field ends at a comma, the last one at the line end.
            if index + 1 < fieldCount {
                guard p < end, p.pointee == UInt8(ascii: ",") else { return nil }
                p += 1
            }
        }
        return nextLine(after: p, base: base, start: start, count: count)
        }
    }

    /// `parse` for the Binance trades layout: the same field readers and checks in the
    /// layout's order, with no dispatch between fields.
    @inline(__always)
    func parseBinanceTrades(_ base: UnsafePointer<UInt8>, start: Int, count: Int, row: Int, into sink: ColumnSink) -> Int? {
        let end = base + count
        var p = base + start
        guard let id = FastRowParser.digits(&p, end: end), FastRowParser.comma(&p, end: end),
              let price = FastRowParser.decimal(&p, end: end), price != 0, FastRowParser.comma(&p, end: end),
              let quantity = FastRowParser.decimal(&p, end: end), FastRowParser.comma(&p, end: end),
              FastRowParser.skipIgnored(&p, end: end), FastRowParser.comma(&p, end: end),
              let time = FastRowParser.digits(&p, end: end), FastRowParser.comma(&p, end: end),
              let side = side(&p, end: end) else { return nil }
        if hasTrailingIgnoredColumn {
            guard FastRowParser.comma(&p, end: end), FastRowParser.skipIgnored(&p, end: end) else { return nil }
        }
        let (micros, overflow) = time.multipliedReportingOverflow(by: timeMultiplier)
        guard !overflow, let next = nextLine(after: p, base: base, start: start, count: count) else { return nil }
        sink.slot(ColumnSink.tradeId)[row] = id
        sink.slot(ColumnSink.tradePrice)[row] = price
        sink.slot(ColumnSink.tradeQuantity)[row] = quantity
        sink.slot(ColumnSink.tradeTime)[row] = micros
        sink.sides[row] = side
        return next
    }

    /// Moves past a symbol cell equal to `symbol` (then followed by a comma or the line end).
    @inline(__always)
    func matchesSymbol(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> Bool {
        let n = symbol.count
        guard end - p > n else { return false }
        let equal = n == 0 || symbol.withUnsafeBufferPointer { memcmp(p, $0.baseAddress!, n) == 0 }
        guard equal, FastRowParser.endsField(p[n]) || p[n] == UInt8(ascii: "\r") else { return false }
        p += n
        return true
    }

    /// Where the next line starts, once the last field of the line at `start` ends at `p`: the
    /// line must be within `maxRecordSize` and end at a line end or at the chunk's end.
    @inline(__always)
    func nextLine(after p: UnsafePointer<UInt8>, base: UnsafePointer<UInt8>, start: Int, count: Int) -> Int? {
        guard p - (base + start) <= maxRecordSize else { return nil }
        if p == base + count { return count }
        guard p.pointee == UInt8(ascii: "\n") else { return nil }
        return p + 1 - base
    }

    /// Moves past the comma that must end a field.
    @inline(__always)
    static func comma(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> Bool {
        guard p < end, p.pointee == UInt8(ascii: ",") else { return false }
        p += 1
        return true
    }

    /// 1 to 19 decimal digits as a non-negative `Int64`.
    @inline(__always)
    static func digits(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> Int64? {
        let run = anyDigitRun(&p, end: end)
        return run.count > 0 && run.count <= 19 && run.value <= UInt64(Int64.max) ? Int64(run.value) : nil
    }

    /// A non-negative decimal with at most 11 integer and 8 fraction digits, as a `FixedPoint`
    /// raw value (a longer fraction, even of zeros, goes to the general parser).
    @inline(__always)
    static func decimal(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> Int64? {
        if end - p >= 24, let short = shortDecimal(p) {
            p += short.length
            return short.value
        }
        let integer = anyDigitRun(&p, end: end)
        guard integer.count <= 11, integer.value <= 92_233_720_368 else { return nil }
        var fraction: (value: UInt64, count: Int) = (0, 0)
        if p < end && p.pointee == UInt8(ascii: ".") {
            p += 1
            fraction = anyDigitRun(&p, end: end)
            guard fraction.count <= FixedPoint.digits else { return nil }
        }
        guard integer.count + fraction.count > 0 else { return nil }
        let (value, overflow) = Int64(integer.value).multipliedReportingOverflow(by: FixedPoint.scale)
        guard !overflow else { return nil }
        let scaled = Int64(fraction.value) &* Int64(bitPattern: FastRowParser.powersOfTen[FixedPoint.digits - fraction.count])
        let (sum, carry) = value.addingReportingOverflow(scaled)
        return carry ? nil : sum
    }

    /// `decimal` of the usual price or quantity, at most 7 integer and 8 fraction digits, when
    /// 24 bytes can be read at `p`: its value and length, or nil for any other shape (which
    /// `decimal` then reads run by run, and may still accept). One word holds the integer
    /// part and the point; one more, loaded just after the point, holds the fraction, so each
    /// part is one mask and one conversion with none of the general path's range checks
    /// (7 + 8 digits cannot overflow).
    @inline(__always)
    static func shortDecimal(_ p: UnsafePointer<UInt8>) -> (value: Int64, length: Int)? {
        let first = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
        let firstStops = nonDigits(first)
        guard firstStops != 0 else { return nil }
        let integerCount = firstStops.trailingZeroBitCount &>> 3  // 0…7
        let integer = leadingDigits(first, count: integerCount)
        guard UInt8(truncatingIfNeeded: first &>> UInt64(8 &* integerCount)) == UInt8(ascii: ".") else {
            guard integerCount > 0 else { return nil }
            return (Int64(integer) &* FixedPoint.scale, integerCount)
        }
        let fractionStart = p + integerCount + 1
        let second = UInt64(littleEndian: UnsafeRawPointer(fractionStart).loadUnaligned(as: UInt64.self))
        let fractionCount = nonDigits(second).trailingZeroBitCount &>> 3  // 0…8
        guard integerCount + fractionCount > 0 else { return nil }
        // Eight fraction digits must not be followed by a ninth.
        if fractionCount == 8 && fractionStart[8] &- UInt8(ascii: "0") <= 9 { return nil }
        let fraction = leadingDigits(second, count: fractionCount)
        let value = Int64(integer) &* FixedPoint.scale
            &+ Int64(fraction) &* Int64(bitPattern: powersOfTen[FixedPoint.digits &- fractionCount])
        return (value, integerCount &+ 1 &+ fractionCount)
    }

    /// The run of decimal digits at `p`, like `digitRun`, taking `shortDigitRun` when 16 bytes
    /// can be read and the run is shorter than that (every field of a usual tick row).
    @inline(__always)
    static func anyDigitRun(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> (value: UInt64, count: Int) {
        if end - p >= 16 {
            let run = shortDigitRun(p)
            if run.count < 16 {
                p += run.count
                return run
            }
        }
        return digitRun(&p, end: end)
    }

    /// The run of digits in the 16 bytes at `p` with no loop: its value and length, exact when
    /// the length is below 16 (16 means "16 or more"; the caller reads the run again). The
    /// first word's non-digit mask decides between the one-word case (up to seven digits) and
    /// the two-word one, so a field costs one or two conversions and one predictable branch.
    @inline(__always)
    static func shortDigitRun(_ p: UnsafePointer<UInt8>) -> (value: UInt64, count: Int) {
        let first = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
        let firstStops = nonDigits(first)
        if firstStops != 0 {
            // No digit gives value 0, as `digitRun` says (a decimal like `.5` has an empty
            // integer part).
            let n = firstStops.trailingZeroBitCount &>> 3
            return (leadingDigits(first, count: n), n)
        }
        let second = UInt64(littleEndian: UnsafeRawPointer(p + 8).loadUnaligned(as: UInt64.self))
        let n = nonDigits(second).trailingZeroBitCount &>> 3  // 8 when all eight are digits
        return (leadingDigits(first, count: 8) &* powersOfTen[n] &+ leadingDigits(second, count: n), 8 &+ n)
    }

    /// Nonzero bits in every byte of `word` that is not an ASCII digit (and possibly in bytes
    /// above the first such byte; only the lowest set bit is used).
    @inline(__always)
    static func nonDigits(_ word: UInt64) -> UInt64 {
        // A byte is a digit iff its high nibble is 3 and stays 3 after adding 6. Carries
        // between bytes start only at non-digits, so they cannot hide the first one.
        let highNibble = (word & 0xF0F0_F0F0_F0F0_F0F0) ^ 0x3030_3030_3030_3030
        let afterSix = ((word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) ^ 0x3030_3030_3030_3030
        return highNibble | afterSix
    }

    /// The run of decimal digits at `p` (its value, wrapped beyond 19 digits, and length).
    ///
    /// Eight bytes at a time where eight can be read (SWAR): one load finds how many leading
    /// bytes are digits and one multiply-shift sequence turns them into a number, instead of
    /// a dependent multiply-add per digit. The last bytes of a chunk go one at a time.
    @inline(__always)
    static func digitRun(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> (value: UInt64, count: Int) {
        var value: UInt64 = 0
        var count = 0
        while end - p >= 8 {
            let chunk = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
            let n = nonDigits(chunk).trailingZeroBitCount / 8
            if n == 0 { return (value, count) }
            value = value &* FastRowParser.powersOfTen[n] &+ leadingDigits(chunk, count: n)
            count += n
            p += n
            if n < 8 || count > 19 { return (value, count) }
        }
        while p < end {
            let d = p.pointee &- UInt8(ascii: "0")
            if d > 9 { break }
            value = value &* 10 &+ UInt64(d)
            count += 1
            p += 1
        }
        return (value, count)
    }

    /// 10⁰ … 10⁸. (A table lookup measured cheaper here than `ShortestDouble.powerOfTen`'s switch.)
    static let powersOfTen: [UInt64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]

    /// The number the first `count` (0…8) bytes of `word` write, when they are ASCII digits;
    /// 0 for none.
    @inline(__always)
    static func leadingDigits(_ word: UInt64, count: Int) -> UInt64 {
        // The digits moved to the top bytes, where the zero bytes below act as leading zeros.
        // No digit at all would shift by 64, which `&<<` takes as 0: the mask makes that 0.
        eightDigits((word &- 0x3030_3030_3030_3030) &<< UInt64(64 &- 8 &* count)) & (count == 0 ? 0 : .max)
    }

    /// The number whose eight decimal digits are the bytes of `digits` (values 0–9), most
    /// significant in the lowest byte: three multiply-shift steps combine pairs, then quads.
    @inline(__always)
    static func eightDigits(_ digits: UInt64) -> UInt64 {
        let pairs = digits &* 10 &+ (digits >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        let quads = ((pairs & mask) &* (100 + (1_000_000 << 32))) &+ (((pairs >> 16) & mask) &* (1 + (10_000 << 32)))
        return quads >> 32 & 0xFFFF_FFFF
    }


    @inline(__always)
    static func endsField(_ byte: UInt8) -> Bool { byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\n") }

    /// Moves past an ignored field of plain ASCII text; false (go to the general parser) for a
    /// quoted field or one with a byte ≥ 0x80 (which must be checked as UTF-8). Eight bytes at a
    /// time: the lowest byte that is a comma, line end, `\r` or ≥ 0x80 ends the field.
    @inline(__always)
    static func skipIgnored(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> Bool {
        if p < end && p.pointee == UInt8(ascii: "\"") { return false }
        if end - p >= 16 {
            // Up to 15 bytes with no branch on the length (which varies from row to row, as in
            // Binance's quote_qty): both words' stops, the first word's if it has one.
            let first = fieldStops(UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)))
            let second = fieldStops(UInt64(littleEndian: UnsafeRawPointer(p + 8).loadUnaligned(as: UInt64.self)))
            if first | second != 0 {
                // first != 0 ? its index : 8 + second's, as arithmetic: a select here was
                // compiled to a branch that mispredicted on most rows.
                let inFirst = UInt64(bitPattern: Int64(bitPattern: first | (0 &- first)) >> 63)  // all ones iff first != 0
                let fromFirst = UInt64(first.trailingZeroBitCount &>> 3)
                let fromSecond = UInt64(8 &+ second.trailingZeroBitCount &>> 3)
                p += Int(fromSecond ^ ((fromFirst ^ fromSecond) & inFirst))
                return p.pointee < 0x80
            }
        }
        while end - p >= 8 {
            let stops = fieldStops(UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)))
            if stops == 0 { p += 8; continue }
            let index = stops.trailingZeroBitCount / 8
            p += index
            return p.pointee < 0x80
        }
        while p < end {
            let b = p.pointee
            if b == UInt8(ascii: ",") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") { return true }
            if b >= 0x80 { return false }
            p += 1
        }
        return true
    }

    /// The high bit of every byte of `chunk` that ends an ignored field's plain text (a comma,
    /// line end, `\r` or a byte ≥ 0x80); exact up to the lowest one.
    @inline(__always)
    static func fieldStops(_ chunk: UInt64) -> UInt64 {
        // A zero byte of x ^ c marks a byte equal to c; the borrow trick can also flag bytes
        // above a real match, never below, so the lowest flag is exact.
        @inline(__always) func equal(_ c: UInt64) -> UInt64 {
            let x = chunk ^ (c &* 0x0101_0101_0101_0101)
            return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
        }
        return equal(0x2C) | equal(0x0A) | equal(0x0D) | (chunk & 0x8080_8080_8080_8080)
    }

    @inline(__always)
    func side(_ p: inout UnsafePointer<UInt8>, end: UnsafePointer<UInt8>) -> UInt8? {
        // The usual spellings compared as one lower-cased word, then the byte after it.
        if sideEncoding == .buyerIsMaker && end - p >= 8 {
            let word = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
            let lower = word | 0x2020_2020_2020_2020
            // Both spellings tested without branching on which one it is: sides are as random
            // as coin flips, and a branch on them mispredicted every other row.
            let isTrue = (lower & 0xFFFF_FFFF == 0x6575_7274 ? 1 : 0) & (FastRowParser.endsField(UInt8(truncatingIfNeeded: word >> 32)) ? 1 : 0)
            let isFalse = (lower & 0xFF_FFFF_FFFF == 0x65_736C_6166 ? 1 : 0) & (FastRowParser.endsField(UInt8(truncatingIfNeeded: word >> 40)) ? 1 : 0)
            // One branch on "either", as a sum: an `or` of two conditions is split into two
            // branches by the compiler.
            let advance = 5 &- isTrue
            let side = UInt8(truncatingIfNeeded: isFalse)  // AggressorSide: buyer 1, seller 0
            if isTrue &+ isFalse != 0 {
                p += advance
                return side
            }
        }
        let start = p
        while p < end, p.pointee != UInt8(ascii: ","), p.pointee != UInt8(ascii: "\n") { p += 1 }
        let n = p - start
        func lower(_ k: Int) -> UInt8 { start[k] | 0x20 }
        switch sideEncoding {
        case .buyerIsMaker:
            if n == 4 && lower(0) == UInt8(ascii: "t") && lower(1) == UInt8(ascii: "r") && lower(2) == UInt8(ascii: "u") && lower(3) == UInt8(ascii: "e") {
                return AggressorSide.seller.rawValue
            }
            if n == 5 && lower(0) == UInt8(ascii: "f") && lower(1) == UInt8(ascii: "a") && lower(2) == UInt8(ascii: "l") && lower(3) == UInt8(ascii: "s") && lower(4) == UInt8(ascii: "e") {
                return AggressorSide.buyer.rawValue
            }
        case .aggressor:
            if n == 3 && lower(0) == UInt8(ascii: "b") && lower(1) == UInt8(ascii: "u") && lower(2) == UInt8(ascii: "y") {
                return AggressorSide.buyer.rawValue
            }
            if n == 4 && lower(0) == UInt8(ascii: "s") && lower(1) == UInt8(ascii: "e") && lower(2) == UInt8(ascii: "l") && lower(3) == UInt8(ascii: "l") {
                return AggressorSide.seller.rawValue
            }
        }
        return nil
    }
}
