/// Where in an input file something was found. Lines are 1-based, byte offsets 0-based from the
/// start of the (decompressed) file, columns 1-based.
public struct InputLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int64
    public var byteOffset: Int64
    public var column: Int?

    public init(file: String, line: Int64, byteOffset: Int64, column: Int? = nil) {
        self.file = file; self.line = line; self.byteOffset = byteOffset; self.column = column
    }

    public var description: String {
        var s = "\(file):\(line) (byte \(byteOffset)"
        if let column { s += ", column \(column)" }
        return s + ")"
    }
}

/// Every error tickforge reports to a user: what failed, where, and why.
public enum TickError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A row that does not follow the layout or the ordering rules.
    case badRow(location: InputLocation, reason: String, text: String)
    /// A file could not be opened, read, written, synced or renamed.
    case io(path: String, operation: String, errno: Int32, message: String)
    /// The input is not something tickforge can read (unknown layout, empty, bad compression).
    case unreadable(path: String, reason: String)
    /// A flag or combination of flags that cannot work.
    case invalidArgument(String)
    /// A resource limit (record size, memory) would be exceeded.
    case limitExceeded(String)

    public var description: String {
        switch self {
        case let .badRow(location, reason, text):
            return "\(location): \(reason): \"\(text)\""
        case let .io(path, operation, errno, message):
            return "\(path): \(operation) failed: \(message) (errno \(errno))"
        case let .unreadable(path, reason):
            return "\(path): \(reason)"
        case let .invalidArgument(message):
            return message
        case let .limitExceeded(message):
            return message
        }
    }
}

/// Text of raw bytes for an error message: valid UTF-8 as is, other bytes as `\xNN`, cut at 200
/// bytes so a runaway line cannot flood the terminal.
public func printableText(_ bytes: some Collection<UInt8>) -> String {
    let limited = Array(bytes.prefix(200))
    var out = ""
    var index = 0
    while index < limited.count {
        let b = limited[index]
        if b >= 0x20 && b < 0x7F {
            out.unicodeScalars.append(Unicode.Scalar(b)); index += 1; continue
        }
        // Try to decode one multi-byte scalar.
        var decoded = false
        if b >= 0xC2 {
            let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
            if index + length <= limited.count {
                let slice = limited[index..<index + length]
                if let s = String(validating: slice, as: UTF8.self), s.unicodeScalars.count == 1 {
                    out += s; index += length; decoded = true
                }
            }
        }
        if !decoded {
            let hex = String(b, radix: 16, uppercase: true)
            out += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            index += 1
        }
    }
    if bytes.count > 200 { out += "…" }
    return out
}
