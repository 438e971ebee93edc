import TickCore
import TickIO

/// Writes one Parquet file, row group by row group, under a memory budget.
///
/// The file: `PAR1`, the row groups (each column's chunk in turn: v1 data pages, zstd-compressed,
/// PLAIN values, DOUBLE values PLAIN or BYTE_STREAM_SPLIT per `ParquetDoubleEncoding`, definition
/// levels for the optional columns), then the Thrift-compact `FileMetaData` with chunk statistics, the key-value metadata
/// and a `TYPE_ORDER` column order per column, its 4-byte length and `PAR1`.
///
/// Every row group has `rowGroupRows` rows and every page `pageRows` (the last of each may be
/// shorter), so the bytes depend on the values alone: not on how rows are split across `append`
/// calls, and not on the memory budget.
///
/// Memory: the compressed chunks of the row group being written stay in memory while their total
/// is within `memoryBudget`; past it, the largest go to spill files (`<spillDirectory>/<spillPrefix>
/// .col-<index>.tmp`) and are copied into the output when the row group ends. The budget counts
/// the chunks' bytes (their arrays may have up to twice that reserved while they grow). Besides
/// that, the writer holds each column's current page and one page's encoding buffers
/// (`pageBufferBytes`).
///
/// Use: `append` batches, `finish()`, then commit the sink (for an `AtomicFileWriter`, `commit()`):
/// the file appears whole or not at all. Spill files are removed when a row group ends, when an
/// error is thrown, and when an unfinished writer is released. One writer belongs to one thread.
public final class ParquetFileWriter {
    /// Rows per row group unless the caller says otherwise: 2^20.
    public static let defaultRowGroupRows = 1 << 20
    /// Rows per data page unless the caller says otherwise: 2^16 (512 KiB of values for a full
    /// 8-byte column before compression). On a 2^20-row, 55-column feature table 2^17 would be
    /// 2.3% smaller and 2^15 2.8% larger; 2^16 keeps the pending pages at 512 KiB a column.
    public static let defaultPageRows = 1 << 16
    /// The zstd level of the pages unless the caller says otherwise: 3, zstd's own default and
    /// the partition files'. On feature data it is 5% smaller than level 1 for 30% less write
    /// speed (about 300 instead of 450 MB/s of input), which the output files are worth.
    public static let defaultZstdLevel: Int32 = 3
    /// How DOUBLE columns are encoded unless the caller says otherwise: `.adaptive`, 13% smaller
    /// than all-BYTE_STREAM_SPLIT and 10% smaller than all-PLAIN on feature data at level 3.
    public static let defaultDoubleEncoding: ParquetDoubleEncoding = .adaptive
    /// The largest page the writer accepts (a page's sizes are 32-bit in the format).
    public static let maximumPageRows = 1 << 24
    /// The key under which tickforge stores its JSON metadata.
    public static let tickforgeMetadataKey = "tickforge.metadata"

    private let sink: ParquetSink
    private let columns: [ColumnChunkWriter]
    private var keyValueMetadata: [(String, String)]
    private let createdBy: String
    /// Rows per row group, as given.
    public let rowGroupRows: Int
    /// Rows per page (at most `rowGroupRows`).
    public let pageRows: Int
    /// The compressed bytes of the current row group that may be held in memory.
    public let memoryBudget: Int
    private let compressor: Zstd.Compressor
    private var scratch = PageScratch()

    /// Bytes sent to the sink so far.
    public private(set) var bytesWritten: Int64 = 0
    /// Rows appended so far.
    public private(set) var rowCount: Int64 = 0
    /// Compressed chunk bytes of the current row group held in memory.
    public private(set) var bufferedBytes = 0
    /// The most compressed chunk bytes held in memory after any page was added (at most
    /// `memoryBudget`; the page being added is held a moment longer before it is spilled).
    public private(set) var peakBufferedBytes = 0
    /// How many times a column chunk was moved to a spill file.
    public private(set) var spillCount = 0
    private var rowsInGroup = 0
    private var rowsInPage = 0
    private var rowGroups: [Thrift.RowGroup] = []
    private enum State { case open, finished, failed }
    private var state = State.open

    /// Starts a file: checks the arguments and writes the leading `PAR1` to `sink`, which must
    /// be empty.
    ///
    /// - Parameters:
    ///   - sink: where the file's bytes go; nothing may have been written to it.
    ///   - columns: at least one, with distinct non-empty names.
    ///   - keyValueMetadata: stored in the footer in this order (e.g. `("tickforge.metadata", json)`).
    ///   - rowGroupRows: rows per row group (the last may have fewer), at least 1.
    ///   - pageRows: rows per data page, 1…`maximumPageRows`; a row group's last page may have fewer.
    ///   - doubleEncoding: the layout of DOUBLE values in their pages.
    ///   - zstdLevel: the pages' zstd level.
    ///   - memoryBudget: compressed bytes of the current row group held in memory before spilling.
    ///   - spillDirectory: an existing directory for the spill files.
    ///   - spillPrefix: the spill files' name prefix; no file named `<prefix>.col-<index>.tmp` may
    ///     exist there (the writer creates those names exclusively and removes only what it created).
    ///   - createdBy: the footer's `created_by`.
    public init(
        sink: ParquetSink,
        columns: [ParquetColumn],
        keyValueMetadata: [(String, String)] = [],
        rowGroupRows: Int = ParquetFileWriter.defaultRowGroupRows,
        pageRows: Int = ParquetFileWriter.defaultPageRows,
        doubleEncoding: ParquetDoubleEncoding = ParquetFileWriter.defaultDoubleEncoding,
        zstdLevel: Int32 = ParquetFileWriter.defaultZstdLevel,
        memoryBudget: Int,
        spillDirectory: String,
        spillPrefix: String,
        createdBy: String = "tickforge"
    ) throws {
        guard !columns.isEmpty else { throw TickError.invalidArgument("a Parquet file needs at least one column") }
        var seen = Set<String>()
        for c in columns {
            guard !c.name.isEmpty else { throw TickError.invalidArgument("a Parquet column needs a name") }
            guard seen.insert(c.name).inserted else { throw TickError.invalidArgument("two Parquet columns are named \(c.name)") }
        }
        guard rowGroupRows >= 1 else { throw TickError.invalidArgument("rows per row group must be at least 1, not \(rowGroupRows)") }
        guard (1...Self.maximumPageRows).contains(pageRows) else {
            throw TickError.invalidArgument("rows per page must be 1…\(Self.maximumPageRows), not \(pageRows)")
        }
        guard memoryBudget >= 0 else { throw TickError.invalidArgument("the memory budget cannot be negative") }
        guard !spillPrefix.isEmpty, !spillPrefix.contains("/") else {
            throw TickError.invalidArgument("the spill prefix must be a non-empty file name, not \"\(spillPrefix)\"")
        }
        self.sink = sink
        self.keyValueMetadata = keyValueMetadata
        self.createdBy = createdBy
        self.rowGroupRows = rowGroupRows
        self.pageRows = min(pageRows, rowGroupRows)
        self.memoryBudget = memoryBudget
        compressor = Zstd.Compressor(level: zstdLevel)
        let directory = spillDirectory.hasSuffix("/") ? spillDirectory : spillDirectory + "/"
        self.columns = columns.enumerated().map { index, column in
            ColumnChunkWriter(column: column, doubleEncoding: doubleEncoding,
                              spillPath: "\(directory)\(spillPrefix).col-\(index).tmp", pageRows: min(pageRows, rowGroupRows))
        }
        try emit(Self.magic)
    }

    /// About the memory the writer holds besides the compressed chunks that `memoryBudget`
    /// bounds: every column's pending page, and the buffers of the one page being encoded (its
    /// levels, values, body, the other layout's body while a chunk's DOUBLE layout is chosen,
    /// and its compressed bytes).
    public static func pageBufferBytes(columnCount: Int, pageRows: Int) -> Int {
        (columnCount + 5) * pageRows * 8 + 3 * pageRows
    }

    /// Appends rows: one entry per column, in column order, all of the same length; `.int64`
    /// for timestamp and INT64 columns, `.double` for DOUBLE columns. Writes each row group to
    /// the sink once it is full. After an error the writer is unusable and its spill files are gone.
    public func append(_ batch: [ParquetValues]) throws {
        try guarded {
            guard batch.count == columns.count else {
                throw TickError.invalidArgument("a Parquet batch has \(batch.count) columns, the file \(columns.count)")
            }
            let rows = batch[0].count
            for (values, column) in zip(batch, columns) {
                guard values.count == rows else {
                    throw TickError.invalidArgument("Parquet column \(column.column.name) has \(values.count) rows in a batch of \(rows)")
                }
                switch (values, column.column.kind) {
                case (.int64, .timestampMillis), (.int64, .int64), (.double, .double): break
                default: throw TickError.invalidArgument("Parquet column \(column.column.name) was given values of another type")
                }
            }
            var done = 0
            while done < rows {
                let room = min(pageRows - rowsInPage, rowGroupRows - rowsInGroup)
                let take = min(room, rows - done)
                for (values, column) in zip(batch, columns) {
                    switch values {
                    case .int64(let v): column.pendingInts.append(contentsOf: v[done..<(done + take)])
                    case .double(let v): column.pendingDoubles.append(contentsOf: v[done..<(done + take)])
                    }
                }
                done += take
                rowsInPage += take
                rowsInGroup += take
                rowCount += Int64(take)
                if rowsInPage == pageRows || rowsInGroup == rowGroupRows { try flushPages() }
                if rowsInGroup == rowGroupRows { try finishRowGroup() }
            }
        }
    }

    /// Writes the last row group, then the footer, whose key-value metadata is the one given
    /// at the start followed by `keyValueMetadata` (metadata known only once every row is in,
    /// such as row counts). The caller then commits the sink.
    public func finish(keyValueMetadata more: [(String, String)] = []) throws {
        keyValueMetadata += more
        try guarded {
            if rowsInPage > 0 { try flushPages() }
            if rowsInGroup > 0 { try finishRowGroup() }
            var schema = [Thrift.SchemaElement(name: "schema", numChildren: Int32(columns.count))]
            for c in columns {
                var element = Thrift.SchemaElement(type: c.physicalType, repetition: c.isOptional ? .optional : .required, name: c.column.name)
                if c.column.kind == .timestampMillis {
                    element.convertedType = .timestampMillis
                    element.logicalTimestamp = .init(isAdjustedToUTC: true)
                }
                schema.append(element)
            }
            let metadata = Thrift.FileMetaData(
                schema: schema, numRows: rowCount, rowGroups: rowGroups,
                keyValueMetadata: keyValueMetadata.isEmpty ? nil : keyValueMetadata.map { Thrift.KeyValue(key: $0.0, value: $0.1) },
                createdBy: createdBy, typeOrderColumns: columns.count
            ).serialized()
            try emit(metadata)
            let length = UInt32(metadata.count)
            try emit((0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * UInt32($0))) } + Self.magic)
            state = .finished
        }
    }

    static let magic: [UInt8] = Array("PAR1".utf8)

    // MARK: Inside

    private func guarded(_ body: () throws -> Void) throws {
        switch state {
        case .open: break
        case .finished: throw TickError.invalidArgument("the Parquet file is already finished")
        case .failed: throw TickError.invalidArgument("the Parquet writer failed earlier")
        }
        do {
            try body()
        } catch {
            state = .failed
            for c in columns { c.removeSpillFile() }
            throw error
        }
    }

    private func emit(_ bytes: [UInt8]) throws {
        try sink.write(bytes)
        bytesWritten += Int64(bytes.count)
    }

    /// Ends the current page of every column; spills the largest in-memory chunks while the
    /// row group's chunks exceed the budget.
    private func flushPages() throws {
        for c in columns {
            bufferedBytes += try c.flushPage(compressor: compressor, scratch: &scratch)
            while bufferedBytes > memoryBudget {
                guard let largest = columns.filter({ !$0.isSpilled && !$0.memory.isEmpty }).max(by: { $0.memory.count < $1.memory.count }) else { break }
                bufferedBytes -= try largest.spill()
                spillCount += 1
            }
            peakBufferedBytes = max(peakBufferedBytes, bufferedBytes)
        }
        rowsInPage = 0
    }

    /// Sends every column's chunk of the current row group to the sink and records it.
    private func finishRowGroup() throws {
        let groupStart = bytesWritten
        var chunks: [Thrift.ColumnChunk] = []
        var uncompressed: Int64 = 0
        for c in columns {
            let start = bytesWritten
            let meta = Thrift.ColumnMetaData(
                type: c.physicalType, encodings: c.encodings, pathInSchema: [c.column.name], codec: .zstd,
                numValues: c.numValues, totalUncompressedSize: c.uncompressedBytes, totalCompressedSize: c.chunkBytes,
                dataPageOffset: start, statistics: c.statistics.thrift(for: c.physicalType)
            )
            let size = c.chunkBytes
            uncompressed += c.uncompressedBytes
            try c.drain(to: sink)
            bytesWritten += size
            chunks.append(Thrift.ColumnChunk(metaData: meta))
        }
        let ordinal = rowGroups.count <= Int(Int16.max) ? Int16(rowGroups.count) : nil
        rowGroups.append(Thrift.RowGroup(
            columns: chunks, totalByteSize: uncompressed, numRows: Int64(rowsInGroup),
            fileOffset: groupStart, totalCompressedSize: bytesWritten - groupStart, ordinal: ordinal
        ))
        rowsInGroup = 0
        bufferedBytes = 0
    }
}
