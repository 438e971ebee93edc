import TickCore
import TickFeatures

/// The columns of one file laid out for writing row by row: each column's values in a typed
/// array, reached through a slot without a payload, so writing a cell costs no reference
/// counting (matching on `ColumnValues` per cell retains and releases its array every time).
struct CellTable {
    enum Slot { case integer(Int), decimal(Int), real(Int) }
    private var slots: [Slot] = []
    private var integers: [[Int64]] = []
    private var decimals: [[Int128]] = []
    private var reals: [[Double]] = []
    /// The most bytes one row can take: the timestamp, every cell at its longest, separators
    /// and the line end.
    private(set) var maximumRowLength = FixedPoint.maximumDecimal64Length + 1

    init(_ columns: [ColumnValues]) {
        for column in columns {
            switch column {
            case .integer(let v):
                slots.append(.integer(integers.count)); integers.append(v)
                maximumRowLength += 1 + FixedPoint.maximumDecimal64Length
            case .decimal(let v):
                slots.append(.decimal(decimals.count)); decimals.append(v)
                maximumRowLength += 1 + FixedPoint.maximumDecimalLength
            case .real(let v):
                slots.append(.real(reals.count)); reals.append(v)
                maximumRowLength += 1 + ShortestDouble.maximumLength
            }
        }
    }

    var count: Int { slots.count }

    /// The CSV text of every row (each line `timestamp,cell,…`), and per column the first
    /// line where it is defined. Written in place into a scratch buffer sized for the longest
    /// rows, so no cell is checked for room, then copied out at its real size (about half):
    /// the text waits in a queue before it is written, and the scratch's unused half would
    /// otherwise stay allocated with it.
    func text(timestamps: [Int64]) -> (text: [UInt8], firstDefined: [Int?]) {
        var firstDefined = [Int?](repeating: nil, count: slots.count)
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, timestamps.count * maximumRowLength))
        defer { scratch.deallocate() }
        var p = scratch
        let doubles = ShortestDouble.Writer()
        for r in timestamps.indices {
            p += FixedPoint.writeInteger(timestamps[r], to: p)
            p += writeRow(r, to: p, firstDefined: &firstDefined, rowIndex: r, doubles: doubles)
        }
        return (Array(UnsafeBufferPointer(start: scratch, count: p - scratch)), firstDefined)
    }

    /// Writes `,cell` for every column of row r and a line end at `out` (room for
    /// `maximumRowLength` bytes); notes first defined rows; returns the bytes written.
    func writeRow(_ r: Int, to out: UnsafeMutablePointer<UInt8>, firstDefined: inout [Int?], rowIndex: Int,
                  doubles: ShortestDouble.Writer) -> Int {
        var p = out
        for c in 0..<slots.count {
            p.pointee = UInt8(ascii: ",")
            p += 1
            switch slots[c] {
            case .integer(let k):
                let v = integers[k][r]
                guard v != ColumnValues.undefinedInteger else { continue }
                p += FixedPoint.writeInteger(v, to: p)
            case .decimal(let k):
                let v = decimals[k][r]
                guard v != ColumnValues.undefinedDecimal else { continue }
                p += FixedPoint.writeDecimal(v, to: p)
            case .real(let k):
                let v = reals[k][r]
                guard !v.isNaN else { continue }
                p += doubles.write(v, to: p)
            }
            if firstDefined[c] == nil { firstDefined[c] = rowIndex }
        }
        p.pointee = UInt8(ascii: "\n")
        return p + 1 - out
    }
}
