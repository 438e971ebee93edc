/// Writes Thrift's compact protocol: the only encoding Parquet uses for its page headers and
/// footer. Only what those need: structs (nested), i16/i32/i64 as zigzag varints, binary,
/// bools in field headers, and lists.
///
/// Field headers carry the delta from the previous field id of the same struct in their high
/// nibble when it is 1…15, else a zigzag i16 with the full id. Fields must be written in
/// increasing id order (Parquet's generated readers accept any order, but the bytes stay
/// canonical this way).
struct ThriftCompactWriter {
    /// Compact-protocol type ids (field headers and list element types).
    enum FieldType: UInt8 {
        case boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
        case binary = 8, list = 9, set = 10, map = 11, structure = 12
    }

    private(set) var bytes: [UInt8] = []
    /// The last field id written in the struct being written.
    private var lastFieldID: Int16 = 0
    /// The enclosing structs' last field ids.
    private var stack: [Int16] = []

    init() {}

    // MARK: Raw values

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    mutating func zigzagVarint(_ value: Int64) { varint(Self.zigzag(value)) }

    mutating func rawBinary(_ value: [UInt8]) {
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    // MARK: Fields

    mutating func fieldHeader(_ id: Int16, _ type: FieldType) {
        precondition(id > lastFieldID, "thrift fields must be written in increasing id order")
        let delta = id - lastFieldID
        if delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzagVarint(Int64(id))
        }
        lastFieldID = id
    }

    mutating func bool(_ id: Int16, _ value: Bool) { fieldHeader(id, value ? .boolTrue : .boolFalse) }

    mutating func i16(_ id: Int16, _ value: Int16) {
        fieldHeader(id, .i16)
        zigzagVarint(Int64(value))
    }

    mutating func i32(_ id: Int16, _ value: Int32) {
        fieldHeader(id, .i32)
        zigzagVarint(Int64(value))
    }

    mutating func i64(_ id: Int16, _ value: Int64) {
        fieldHeader(id, .i64)
        zigzagVarint(value)
    }

    mutating func binary(_ id: Int16, _ value: [UInt8]) {
        fieldHeader(id, .binary)
        rawBinary(value)
    }

    mutating func string(_ id: Int16, _ value: String) { binary(id, Array(value.utf8)) }

    /// A struct-valued field: `body` writes its fields, then the stop byte closes it.
    mutating func structField(_ id: Int16, _ body: (inout ThriftCompactWriter) -> Void) {
        fieldHeader(id, .structure)
        structValue(body)
    }

    /// A struct value (a list element or a nested field's value): fields, then the stop byte.
    mutating func structValue(_ body: (inout ThriftCompactWriter) -> Void) {
        stack.append(lastFieldID)
        lastFieldID = 0
        body(&self)
        bytes.append(0)  // stop
        lastFieldID = stack.removeLast()
    }

    /// A list header: the size in the high nibble below 15, else 0xF then a varint.
    mutating func listHeader(_ element: FieldType, count: Int) {
        if count < 15 {
            bytes.append(UInt8(count) << 4 | element.rawValue)
        } else {
            bytes.append(0xF0 | element.rawValue)
            varint(UInt64(count))
        }
    }

    mutating func i32List(_ id: Int16, _ values: [Int32]) {
        fieldHeader(id, .list)
        listHeader(.i32, count: values.count)
        for v in values { zigzagVarint(Int64(v)) }
    }

    mutating func stringList(_ id: Int16, _ values: [String]) {
        fieldHeader(id, .list)
        listHeader(.binary, count: values.count)
        for v in values { rawBinary(Array(v.utf8)) }
    }

    /// A list of structs, each written by `element`.
    mutating func structList<T>(_ id: Int16, _ values: [T], _ element: (inout ThriftCompactWriter, T) -> Void) {
        fieldHeader(id, .list)
        listHeader(.structure, count: values.count)
        for v in values { structValue { element(&$0, v) } }
    }

    /// The bytes of one top-level struct written by `body` (ends with its stop byte).
    static func encodeStruct(_ body: (inout ThriftCompactWriter) -> Void) -> [UInt8] {
        var writer = ThriftCompactWriter()
        writer.structValue(body)
        return writer.bytes
    }
}
