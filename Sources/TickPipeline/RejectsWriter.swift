import TickCore
import TickIO

/// One quarantined row.
public struct RejectRecord: Sendable, Equatable {
    public var location: InputLocation
    public var reason: String
    public var text: [UInt8]
}

/// The text of `rejects.csv`: `file,line,byte_offset,column,reason,text`, with the text fields
/// quoted the CSV way so any raw bytes survive.
public enum RejectsFormat {
    public static let header: [UInt8] = Array("file,line,byte_offset,column,reason,text\n".utf8)

    public static func line(_ record: RejectRecord) -> [UInt8] {
        var line: [UInt8] = []
        appendQuoted(Array(record.location.file.utf8), to: &line)
        line += Array(",\(record.location.line),\(record.location.byteOffset),\(record.location.column.map(String.init) ?? ""),".utf8)
        appendQuoted(Array(record.reason.utf8), to: &line)
        line.append(UInt8(ascii: ","))
        appendQuoted(record.text, to: &line)
        line.append(UInt8(ascii: "\n"))
        return line
    }

    static func appendQuoted(_ field: [UInt8], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in field {
            if b == UInt8(ascii: "\"") { out.append(b) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }
}
