import TickCore
import TickIO

/// Writes quarantined rows to `rejects.csv`: `file,line,byte_offset,column,reason,text`, each
/// text field quoted the CSV way so any raw bytes survive.
public final class RejectsWriter {
    private let writer: AtomicFileWriter
    public private(set) var count: Int64 = 0

    public init(path: String) throws {
        writer = try AtomicFileWriter(path: path)
        try writer.write("file,line,byte_offset,column,reason,text\n")
    }

    func write(location: InputLocation, reason: String, text: [UInt8]) throws {
        count += 1
        var line: [UInt8] = []
        Self.appendQuoted(Array(location.file.utf8), to: &line)
        line += Array(",\(location.line),\(location.byteOffset),\(location.column.map(String.init) ?? ""),".utf8)
        Self.appendQuoted(Array(reason.utf8), to: &line)
        line.append(UInt8(ascii: ","))
        Self.appendQuoted(text, to: &line)
        line.append(UInt8(ascii: "\n"))
        try writer.write(line)
    }

    public func commit() throws { try writer.commit() }

    static func appendQuoted(_ field: [UInt8], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in field {
            if b == UInt8(ascii: "\"") { out.append(b) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }
}
