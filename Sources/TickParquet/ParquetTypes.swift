import TickIO

/// One column of a Parquet file written by `ParquetFileWriter`.
public struct ParquetColumn: Sendable, Equatable {
    /// What a column holds and how it is stored.
    public enum Kind: Sendable, Equatable {
        /// Milliseconds since the Unix epoch: a required INT64 with logical type
        /// `TIMESTAMP(isAdjustedToUTC=true, unit=MILLIS)` and converted type `TIMESTAMP_MILLIS`.
        /// Every value is stored, `Int64.min` included.
        case timestampMillis
        /// An optional INT64; `Int64.min` is written as null.
        case int64
        /// An optional DOUBLE; NaN (any payload) is written as null.
        case double
    }

    /// The column's name in the Parquet schema.
    public var name: String
    /// What the column holds.
    public var kind: Kind

    /// A column named `name` holding `kind`.
    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// The values of one column for a batch of rows handed to `ParquetFileWriter.append`.
public enum ParquetValues: Sendable {
    /// Values of a `.timestampMillis` or `.int64` column (`Int64.min` is null for `.int64`).
    case int64([Int64])
    /// Values of a `.double` column (NaN is null).
    case double([Double])

    /// The number of rows.
    public var count: Int {
        switch self {
        case .int64(let v): v.count
        case .double(let v): v.count
        }
    }
}

/// How the values of DOUBLE columns are laid out in their data pages (before zstd).
public enum ParquetDoubleEncoding: Sendable, Equatable {
    /// PLAIN: each value's 8 little-endian bytes in turn.
    case plain
    /// BYTE_STREAM_SPLIT: all first bytes of the page's values, then all second bytes, ….
    case byteStreamSplit
    /// Per column chunk: its first page is compressed both ways and the smaller layout is used
    /// for the whole chunk. A function of the values only, so the bytes stay independent of
    /// batching and memory; costs one extra compression of one page per chunk.
    case adaptive
}

/// Where a `ParquetFileWriter` sends the file's bytes, in order, starting with the first byte of
/// the file. `AtomicFileWriter` is one: the caller commits it after `finish()`.
public protocol ParquetSink: AnyObject {
    /// Appends `bytes` to the file.
    func write(_ bytes: [UInt8]) throws
}

/// An atomic file is a sink: the Parquet file appears under its name only when the caller
/// commits it after `ParquetFileWriter.finish()`.
extension AtomicFileWriter: ParquetSink {}
