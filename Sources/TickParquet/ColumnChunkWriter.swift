import TickCore
import TickIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if !_endian(little)
#error("TickParquet writes values with their in-memory bytes: Parquet's PLAIN encoding is little-endian")
#endif

/// Buffers shared by every column's page encoding, kept between pages so that encoding a page
/// allocates nothing but its compressed output.
struct PageScratch {
    var levels: [UInt8] = []
    var ints: [Int64] = []
    var doubles: [Double] = []
    var body: [UInt8] = []
    /// The other layout of a DOUBLE page while the chunk's encoding is being chosen.
    var trial: [UInt8] = []
}

/// Min, max and null count of one column chunk, gathered page by page.
struct ChunkStatistics: Equatable {
    var nullCount: Int64 = 0
    var hasValue = false
    var minInt = Int64.max, maxInt = Int64.min
    var minDouble = Double.infinity, maxDouble = -Double.infinity

    mutating func add(_ values: UnsafeBufferPointer<Int64>) {
        hasValue = Self.widen(&minInt, &maxInt, by: values) || hasValue
    }

    /// `values` hold no NaN (NaN is null and never reaches here).
    mutating func add(_ values: UnsafeBufferPointer<Double>) {
        hasValue = Self.widen(&minDouble, &maxDouble, by: values) || hasValue
    }

    /// Widens `[low, high]` to take in `values`; whether there were any.
    static func widen<T: Comparable>(_ low: inout T, _ high: inout T, by values: UnsafeBufferPointer<T>) -> Bool {
        for v in values {
            if v < low { low = v }
            if v > high { high = v }
        }
        return !values.isEmpty
    }

    /// The Thrift `Statistics` of a chunk: `min_value`/`max_value` plus the deprecated signed
    /// `min`/`max` (the same bytes for these signed types), `null_count` always, `nan_count` 0 for
    /// doubles, and no bounds at all when every value is null. A zero bound of a DOUBLE column is
    /// written as -0.0 for the minimum and +0.0 for the maximum, as parquet.thrift's `ColumnOrder`
    /// asks (a reader cannot tell which zero the chunk holds).
    func thrift(for type: Thrift.PhysicalType) -> Thrift.Statistics {
        var stats = Thrift.Statistics(nullCount: nullCount)
        if type == .double { stats.nanCount = 0 }
        guard hasValue else { return stats }
        let minBytes: [UInt8], maxBytes: [UInt8]
        switch type {
        case .int64:
            minBytes = Self.littleEndian(UInt64(bitPattern: minInt))
            maxBytes = Self.littleEndian(UInt64(bitPattern: maxInt))
        case .double:
            minBytes = Self.littleEndian((minDouble == 0 ? -0.0 : minDouble).bitPattern)
            maxBytes = Self.littleEndian((maxDouble == 0 ? 0.0 : maxDouble).bitPattern)
        }
        stats.min = minBytes
        stats.max = maxBytes
        stats.minValue = minBytes
        stats.maxValue = maxBytes
        stats.isMaxValueExact = true
        stats.isMinValueExact = true
        return stats
    }

    static func littleEndian(_ bits: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: bits >> (8 * UInt64($0))) }
    }
}

/// One column of the file: the values of its current page, and the encoded, compressed pages of
/// its current row group, held in memory or spilled to a temporary file of its own.
final class ColumnChunkWriter {
    let column: ParquetColumn
    let physicalType: Thrift.PhysicalType
    let isOptional: Bool
    /// How DOUBLE values are laid out, as the caller asked.
    let doubleEncoding: ParquetDoubleEncoding
    let spillPath: String

    /// The current page's values (one of the two, by physical type).
    var pendingInts: [Int64] = []
    var pendingDoubles: [Double] = []

    // The current row group's chunk.
    /// The encoding of the chunk's values: fixed by the column's kind and the caller's choice,
    /// or (`.adaptive`) chosen on the chunk's first page and kept for the rest of the chunk.
    private(set) var valueEncoding: Thrift.Encoding?
    var statistics = ChunkStatistics()
    var numValues: Int64 = 0
    var uncompressedBytes: Int64 = 0
    /// Bytes of the chunk (page headers and compressed pages), wherever they are.
    var chunkBytes: Int64 = 0
    /// The chunk's bytes while they are held in memory.
    private(set) var memory: [UInt8] = []
    /// The open spill file while the current chunk is spilled.
    private var spillFD: Int32?

    init(column: ParquetColumn, doubleEncoding: ParquetDoubleEncoding, spillPath: String, pageRows: Int) {
        self.column = column
        self.spillPath = spillPath
        self.doubleEncoding = doubleEncoding
        switch column.kind {
        case .timestampMillis: (physicalType, isOptional) = (.int64, false)
        case .int64: (physicalType, isOptional) = (.int64, true)
        case .double: (physicalType, isOptional) = (.double, true)
        }
        valueEncoding = Self.fixedEncoding(column.kind, doubleEncoding)
        if physicalType == .double { pendingDoubles.reserveCapacity(pageRows) } else { pendingInts.reserveCapacity(pageRows) }
    }

    deinit { removeSpillFile() }

    /// The encoding of every chunk of a column, or nil when each chunk chooses its own.
    static func fixedEncoding(_ kind: ParquetColumn.Kind, _ doubles: ParquetDoubleEncoding) -> Thrift.Encoding? {
        switch (kind, doubles) {
        case (.timestampMillis, _), (.int64, _), (.double, .plain): .plain
        case (.double, .byteStreamSplit): .byteStreamSplit
        case (.double, .adaptive): nil
        }
    }

    var pendingCount: Int { physicalType == .double ? pendingDoubles.count : pendingInts.count }
    var isSpilled: Bool { spillFD != nil }

    /// The encodings the chunk's pages use (values, and RLE for the definition levels of an
    /// optional column), ascending.
    var encodings: [Thrift.Encoding] {
        let values = valueEncoding ?? .plain
        return (isOptional ? [values, .rle] : [values]).sorted { $0.rawValue < $1.rawValue }
    }

    // MARK: Pages

    /// Encodes the pending values as one v1 data page, compresses it and adds it to the chunk.
    /// Returns the number of bytes the chunk gained in memory (0 when it is spilled).
    func flushPage(compressor: Zstd.Compressor, scratch: inout PageScratch) throws -> Int {
        let rows = pendingCount
        guard rows > 0 else { return 0 }
        scratch.body.removeAll(keepingCapacity: true)
        switch column.kind {
        case .timestampMillis:
            pendingInts.withUnsafeBufferPointer { values in
                statistics.add(values)
                scratch.body.append(contentsOf: UnsafeRawBufferPointer(values))
            }
        case .int64:
            statistics.nullCount += Int64(Self.splitNulls(pendingInts, isNull: { $0 == Int64.min }, levels: &scratch.levels,
                                                          present: &scratch.ints, body: &scratch.body))
            scratch.ints.withUnsafeBufferPointer { values in
                statistics.add(values)
                scratch.body.append(contentsOf: UnsafeRawBufferPointer(values))
            }
        case .double:
            statistics.nullCount += Int64(Self.splitNulls(pendingDoubles, isNull: { $0.isNaN }, levels: &scratch.levels,
                                                          present: &scratch.doubles, body: &scratch.body))
            scratch.doubles.withUnsafeBufferPointer { values in statistics.add(values) }
        }
        pendingInts.removeAll(keepingCapacity: true)
        pendingDoubles.removeAll(keepingCapacity: true)

        var compressed: [UInt8]
        let encoding: Thrift.Encoding
        if physicalType == .int64 {
            encoding = .plain
            compressed = try compressor.compress(scratch.body)
        } else if let chosen = valueEncoding {
            encoding = chosen
            scratch.doubles.withUnsafeBufferPointer { Self.appendDoubles($0, as: chosen, to: &scratch.body) }
            compressed = try compressor.compress(scratch.body)
        } else {
            // The chunk's first page, both ways: the smaller sets the chunk's encoding (PLAIN on a
            // tie). Data whose values come from a small set (quantities, prices on a tick grid
            // with few levels) compress far better PLAIN; smooth full-precision values
            // BYTE_STREAM_SPLIT.
            scratch.trial.removeAll(keepingCapacity: true)
            scratch.trial.append(contentsOf: scratch.body)
            scratch.doubles.withUnsafeBufferPointer {
                Self.appendDoubles($0, as: .plain, to: &scratch.body)
                Self.appendDoubles($0, as: .byteStreamSplit, to: &scratch.trial)
            }
            compressed = try compressor.compress(scratch.body)
            let split = try compressor.compress(scratch.trial)
            if split.count < compressed.count {
                compressed = split
                swap(&scratch.body, &scratch.trial)
                encoding = .byteStreamSplit
            } else {
                encoding = .plain
            }
            valueEncoding = encoding
        }
        let header = Thrift.PageHeader(
            uncompressedPageSize: Int32(scratch.body.count),
            compressedPageSize: Int32(compressed.count),
            dataPageHeader: .init(numValues: Int32(rows), encoding: encoding)
        ).serialized()
        numValues += Int64(rows)
        uncompressedBytes += Int64(header.count + scratch.body.count)
        chunkBytes += Int64(header.count + compressed.count)
        if let fd = spillFD {
            try header.withUnsafeBytes { try Syscall.writeAll(fd, $0, path: spillPath) }
            try compressed.withUnsafeBytes { try Syscall.writeAll(fd, $0, path: spillPath) }
            return 0
        }
        memory.append(contentsOf: header)
        memory.append(contentsOf: compressed)
        return header.count + compressed.count
    }

    static func appendDoubles(_ values: UnsafeBufferPointer<Double>, as encoding: Thrift.Encoding, to body: inout [UInt8]) {
        if encoding == .byteStreamSplit {
            ByteStreamSplit.append(values, to: &body)
        } else {
            body.append(contentsOf: UnsafeRawBufferPointer(values))
        }
    }

    /// Writes the definition levels of a page of an optional column to `body` and gathers its
    /// non-null values in `present`; returns the number of nulls.
    static func splitNulls<T>(_ values: [T], isNull: (T) -> Bool, levels: inout [UInt8], present: inout [T], body: inout [UInt8]) -> Int {
        levels.removeAll(keepingCapacity: true)
        present.removeAll(keepingCapacity: true)
        for v in values {
            if isNull(v) {
                levels.append(0)
            } else {
                levels.append(1)
                present.append(v)
            }
        }
        appendLevels(levels, to: &body)
        return values.count - present.count
    }

    /// Definition levels as a v1 data page has them: a 4-byte little-endian length, then the
    /// RLE/bit-packed hybrid.
    static func appendLevels(_ levels: [UInt8], to body: inout [UInt8]) {
        let start = body.count
        body.append(contentsOf: [0, 0, 0, 0])
        levels.withUnsafeBufferPointer { LevelEncoding.appendHybrid($0, to: &body) }
        let length = UInt32(body.count - start - 4)
        for k in 0..<4 { body[start + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
    }

    // MARK: Spilling

    /// Moves the chunk's bytes to its spill file (created now, and only if no file has that
    /// name) and sends its later pages there until the row group ends. Returns the bytes freed.
    func spill() throws -> Int {
        precondition(spillFD == nil)
        let fd: Int32
        do {
            fd = try Syscall.open(spillPath, flags: O_RDWR | O_CREAT | O_EXCL, mode: 0o600)
        } catch TickError.io(let path, let operation, let code, let message) where code == EEXIST {
            throw TickError.io(path: path, operation: operation, errno: code,
                               message: message + " (a Parquet spill file of this name is left from elsewhere; remove it or use another prefix)")
        }
        spillFD = fd
        try memory.withUnsafeBytes { try Syscall.writeAll(fd, $0, path: spillPath) }
        let freed = memory.count
        memory = []
        return freed
    }

    /// Writes the chunk's bytes to `sink` and empties it for the next row group; a spill file
    /// is read back piece by piece, then removed.
    func drain(to sink: ParquetSink) throws {
        if let fd = spillFD {
            let piece = 1 << 20
            var buffer = [UInt8](repeating: 0, count: piece)
            var offset: Int64 = 0
            while offset < chunkBytes {
                let want = Int(min(Int64(piece), chunkBytes - offset))
                let got = try buffer.withUnsafeMutableBytes { raw in
                    try Syscall.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]), offset: offset, path: spillPath)
                }
                guard got > 0 else {
                    throw TickError.io(path: spillPath, operation: "read", errno: 0, message: "spill file is shorter than the \(chunkBytes) bytes written to it")
                }
                try sink.write(got == piece ? buffer : Array(buffer[0..<got]))
                offset += Int64(got)
            }
            removeSpillFile()
        } else {
            try sink.write(memory)
        }
        memory = []
        valueEncoding = Self.fixedEncoding(column.kind, doubleEncoding)
        statistics = ChunkStatistics()
        numValues = 0
        uncompressedBytes = 0
        chunkBytes = 0
    }

    /// Closes and removes the spill file if this writer has one open (it created it).
    func removeSpillFile() {
        guard let fd = spillFD else { return }
        Syscall.close(fd)
        Syscall.unlinkIfPresent(spillPath)
        spillFD = nil
    }
}

/// DOUBLE values as BYTE_STREAM_SPLIT: the byte 0s of all values' little-endian bit patterns,
/// then the byte 1s, …, then the byte 7s.
enum ByteStreamSplit {
    static func append(_ values: UnsafeBufferPointer<Double>, to out: inout [UInt8]) {
        let n = values.count
        guard n > 0 else { return }
        let start = out.count
        out.append(contentsOf: [UInt8](repeating: 0, count: 8 * n))
        out.withUnsafeMutableBufferPointer { buffer in
            let dst = buffer.baseAddress! + start
            for i in 0..<n {
                let bits = values[i].bitPattern
                dst[i] = UInt8(truncatingIfNeeded: bits)
                dst[n + i] = UInt8(truncatingIfNeeded: bits >> 8)
                dst[2 * n + i] = UInt8(truncatingIfNeeded: bits >> 16)
                dst[3 * n + i] = UInt8(truncatingIfNeeded: bits >> 24)
                dst[4 * n + i] = UInt8(truncatingIfNeeded: bits >> 32)
                dst[5 * n + i] = UInt8(truncatingIfNeeded: bits >> 40)
                dst[6 * n + i] = UInt8(truncatingIfNeeded: bits >> 48)
                dst[7 * n + i] = UInt8(truncatingIfNeeded: bits >> 56)
            }
        }
    }
}
