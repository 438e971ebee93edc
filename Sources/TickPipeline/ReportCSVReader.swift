import TickCore
import TickIO
#if canImport(Glibc)
import Glibc
#endif

/// Streams one of a run's CSVs row by row with bounded memory: a block buffer (4 MiB by
/// default) that a row's fields point into, valid until the next `next()`. The CSVs are
/// tickforge's own (no quoting, `\n` line ends, numbers only), so a row is split at every
/// comma; a row with another number of fields than the header is an error naming its line.
final class ReportCSVReader {
    let path: String
    /// The header's column names.
    private(set) var header: [String]
    private var fieldCount = 0
    /// Longest row accepted: far above any row tickforge writes, it keeps a damaged file (one
    /// long line) from growing the buffer without bound.
    static let maxRowBytes = 16 << 20

    private let file: OwnedFile
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Unread bytes are `buffer[start ..< end]`; `buffer[end]` is always a 0 sentinel, so that
    /// `strtod` stops at the end of the last field even without a line end.
    private var start = 0
    private var end = 0
    private var offset: Int64 = 0
    private var atEOF = false
    /// Data rows handed out so far; the current row is line `rowsRead + 1` of the file.
    private(set) var rowsRead = 0
    /// The current row's field boundaries: field k is `buffer[fieldStart[k] ..< fieldEnd[k]]`.
    /// Raw pointers rather than arrays: a class's array properties cost an exclusivity check on
    /// every access, and they are touched for every field of millions of rows.
    private var fieldStart: UnsafeMutablePointer<Int>
    private var fieldEnd: UnsafeMutablePointer<Int>

    init(path: String, blockSize: Int = 4 << 20) throws {
        self.path = path
        do { file = try OwnedFile(path: path, flags: O_RDONLY) } catch {
            throw TickError.invalidArgument("\(path) is missing or unreadable (\(error)): the run's outputs are incomplete; a rerun of `tickforge features` publishes a whole set")
        }
        capacity = blockSize
        buffer = .allocate(capacity: blockSize + 1)
        buffer[0] = 0
        header = []
        fieldStart = .allocate(capacity: 1)
        fieldEnd = .allocate(capacity: 1)
        guard let line = try nextLine() else {
            throw TickError.unreadable(path: path, reason: "it is empty (no header row)")
        }
        let text = String(decoding: UnsafeBufferPointer(start: buffer + line.lowerBound, count: line.count), as: UTF8.self)
        header = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        fieldStart.deallocate(); fieldEnd.deallocate()
        fieldStart = .allocate(capacity: header.count)
        fieldEnd = .allocate(capacity: header.count)
        fieldCount = header.count
    }

    deinit {
        buffer.deallocate()
        fieldStart.deallocate()
        fieldEnd.deallocate()
    }

    /// Moves to the next data row; false at the end of the file.
    func next() throws -> Bool {
        guard let line = try nextLine() else { return false }
        rowsRead += 1
        // Locals: the class's `var` properties would each cost an exclusivity check per byte.
        let bytes = buffer, starts = fieldStart, ends = fieldEnd, count = fieldCount
        var field = 0
        starts[0] = line.lowerBound
        for position in line where bytes[position] == UInt8(ascii: ",") {
            guard field + 1 < count else { throw fieldCountError(line) }
            ends[field] = position
            field += 1
            starts[field] = position + 1
        }
        guard field + 1 == count else { throw fieldCountError(line) }
        ends[field] = line.upperBound
        return true
    }

    /// Whether field `k` of the current row is empty (undefined).
    func isEmpty(_ k: Int) -> Bool { fieldStart[k] == fieldEnd[k] }

    /// Field `k` of the current row as a number; `nan` when empty. A field that is not a whole
    /// number (`strtod` stopping before its end) is an error: no tickforge CSV holds one.
    func number(_ k: Int) throws -> Double {
        let first = fieldStart[k], length = fieldEnd[k] - first
        guard length > 0 else { return .nan }
        if let value = Self.exactFastPath(buffer + first, length) { return value }
        var consumed = 0
        let value = (buffer + first).withMemoryRebound(to: CChar.self, capacity: length + 1) { text in
            var stop: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(text, &stop)
            consumed = stop.map { text.distance(to: $0) } ?? 0
            return value
        }
        guard consumed == length, value.isFinite else {
            throw TickError.unreadable(path: path, reason: "line \(rowsRead + 1), column \(header[k]): '\(text(k))' is not a number")
        }
        return value
    }

    /// Powers of ten that a Double holds exactly.
    private static let exactPowers: [Double] = (0...22).map { (0..<$0).reduce(1.0) { r, _ in r * 10 } }

    /// The value of decimal text `[-]digits[.digits][e[±]digits]` when it has at most 15…16
    /// significant digits (mantissa ≤ 2⁵³) and a decimal exponent within ±22, else nil (then
    /// `strtod` reads it). Then mantissa and power of ten are both exact doubles and one
    /// multiplication or division rounds correctly (Clinger's fast path): the same double as
    /// `strtod`, several times faster, for most cells tickforge writes.
    static func exactFastPath(_ text: UnsafePointer<UInt8>, _ length: Int) -> Double? {
        var position = 0
        let negative = text[0] == UInt8(ascii: "-")
        if negative { position = 1 }
        var mantissa: UInt64 = 0
        var digits = 0, exponent = 0
        var seenPoint = false, seenDigit = false
        while position < length {
            let byte = text[position]
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
            } else {
                let digit = byte &- UInt8(ascii: "0")
                guard digit < 10 else { break }
                seenDigit = true
                // Leading zeros add no significant digit (0.000123 has three).
                if mantissa != 0 || digit != 0 { digits += 1 }
                guard digits <= 16 else { return nil }
                mantissa = mantissa * 10 + UInt64(digit)
                if seenPoint { exponent -= 1 }
            }
            position += 1
        }
        guard seenDigit else { return nil }
        if position < length {
            guard text[position] | 0x20 == UInt8(ascii: "e"), position + 1 < length else { return nil }
            position += 1
            let negativeExponent = text[position] == UInt8(ascii: "-")
            if negativeExponent || text[position] == UInt8(ascii: "+") { position += 1 }
            var written = 0
            let digitsStart = position
            while position < length {
                let digit = text[position] &- UInt8(ascii: "0")
                guard digit < 10, written < 1000 else { return nil }
                written = written * 10 + Int(digit)
                position += 1
            }
            guard position > digitsStart else { return nil }
            exponent += negativeExponent ? -written : written
        }
        guard mantissa <= 1 << 53, abs(exponent) <= 22 else { return nil }
        let value = exponent < 0 ? Double(mantissa) / exactPowers[-exponent] : Double(mantissa) * exactPowers[exponent]
        return negative ? -value : value
    }

    /// Field `k` of the current row as an integer (the `timestamp` column).
    func integer(_ k: Int) throws -> Int64 {
        var value: Int64 = 0
        var negative = false
        var position = fieldStart[k]
        if position < fieldEnd[k], buffer[position] == UInt8(ascii: "-") { negative = true; position += 1 }
        guard position < fieldEnd[k] else { throw notInteger(k) }
        while position < fieldEnd[k] {
            let digit = buffer[position] &- UInt8(ascii: "0")
            guard digit < 10, value < Int64.max / 10 - 9 else { throw notInteger(k) }
            value = value * 10 + Int64(digit)
            position += 1
        }
        return negative ? -value : value
    }

    /// Whether field `k` of this row and field `j` of `other`'s row hold the same bytes.
    func sameField(_ k: Int, as other: ReportCSVReader, field j: Int) -> Bool {
        let length = fieldEnd[k] - fieldStart[k]
        return length == other.fieldEnd[j] - other.fieldStart[j]
            && memcmp(buffer + fieldStart[k], other.buffer + other.fieldStart[j], length) == 0
    }

    /// Field `k` of the current row as text, for messages.
    func text(_ k: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: buffer + fieldStart[k], count: fieldEnd[k] - fieldStart[k]), as: UTF8.self)
    }

    private func notInteger(_ k: Int) -> TickError {
        .unreadable(path: path, reason: "line \(rowsRead + 1), column \(header[k]): '\(text(k))' is not an integer")
    }

    private func fieldCountError(_ line: Range<Int>) -> TickError {
        let commas = (line.lowerBound..<line.upperBound).reduce(0) { $0 + (buffer[$1] == UInt8(ascii: ",") ? 1 : 0) }
        return .unreadable(path: path, reason: "line \(rowsRead + 1) has \(commas + 1) fields, the header \(header.count): the file is damaged or still being written; `tickforge inspect --verify` on the run directory tells")
    }

    /// The next line's byte range in `buffer` (without its `\n` or `\r\n`), reading more of the
    /// file as needed; nil at the end.
    private func nextLine() throws -> Range<Int>? {
        while true {
            if let newline = memchr(buffer + start, 0x0A, end - start) {
                let lineEnd = buffer.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                let line = start..<(lineEnd > start && buffer[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd)
                // The line end becomes a terminator for strtod, like the sentinel after the data.
                buffer[line.upperBound] = 0
                start = lineEnd + 1
                return line
            }
            if atEOF {
                guard start < end else { return nil }
                let line = start..<end
                start = end
                return line
            }
            try fill()
        }
    }

    /// Moves the unread bytes to the front and reads more after them, growing the buffer when a
    /// single line fills it.
    private func fill() throws {
        if start > 0 {
            (buffer).update(from: buffer + start, count: end - start)
            end -= start
            start = 0
        }
        if end == capacity {
            guard capacity < Self.maxRowBytes else {
                throw TickError.unreadable(path: path, reason: "line \(rowsRead + 2) is longer than \(Self.maxRowBytes >> 20) MiB: not a CSV tickforge wrote")
            }
            let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2 + 1)
            larger.update(from: buffer, count: end)
            buffer.deallocate()
            buffer = larger
            capacity *= 2
        }
        let n = try Syscall.pread(file.fd, into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end), offset: offset, path: path)
        offset += Int64(n)
        end += n
        buffer[end] = 0
        if n == 0 { atEOF = true }
    }

    /// The `timestamp` (first field) of the file's last row, read from its tail without
    /// streaming the file: the end of the report's time axis is known before the pass.
    static func lastTimestamp(path: String) throws -> Int64? {
        let file = try OwnedFile(path: path, flags: O_RDONLY)
        let size = try Syscall.stat(path).size
        let tail = Int(min(size, 1 << 20))
        var bytes = [UInt8](repeating: 0, count: tail)
        let n = try bytes.withUnsafeMutableBytes { try Syscall.pread(file.fd, into: $0, offset: size - Int64(tail), path: path) }
        var lines = bytes[..<n].split(separator: 0x0A)
        guard let last = lines.popLast(), lines.count >= 1 || size > Int64(tail) else { return nil }
        let stamp = last.prefix { $0 != UInt8(ascii: ",") }
        return Int64(String(decoding: stamp, as: UTF8.self))
    }
}
