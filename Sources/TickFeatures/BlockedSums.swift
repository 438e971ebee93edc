/// Window sums of a non-negative series in O(w/B + B) instead of O(w), with a result that
/// depends only on the absolute bar indices of the window, never on where a partition starts.
///
/// The series is cut into blocks of `blockSize` bars at absolute multiples of `blockSize`; each
/// block is summed once, in order. A window sum adds, in this fixed order, the bars before its
/// first whole block, the whole blocks, then the bars after them. Short windows are summed
/// directly. Terms are never subtracted, so a window of zeros sums to exactly 0 and no sum
/// goes negative (the drift of running sums that peers show).
struct BlockedSums {
    static let blockSize = 16
    let values: [Double]
    /// Absolute index of `values[0]`.
    let base: Int
    /// First whole block inside `values`.
    let firstBlock: Int
    let blockSums: [Double]

    init(_ values: [Double], base: Int) {
        let b = Self.blockSize
        self.values = values
        self.base = base
        let first = (base + b - 1) / b
        firstBlock = first
        let endBlock = (base + values.count) / b
        var sums: [Double] = []
        if endBlock > first {
            sums.reserveCapacity(endBlock - first)
            values.withUnsafeBufferPointer { v in
                for k in first..<endBlock {
                    var s = 0.0
                    for j in (k * b - base)..<((k + 1) * b - base) { s += v[j] }
                    sums.append(s)
                }
            }
        }
        blockSums = sums
    }

    /// Σ values over the absolute indices `first…last` (both within the series).
    func sum(from first: Int, through last: Int) -> Double {
        let b = Self.blockSize
        return values.withUnsafeBufferPointer { v in
            var s = 0.0
            if last - first + 1 < 2 * b {
                for j in first...last { s += v[j - base] }
                return s
            }
            let k0 = (first + b - 1) / b  // first whole block
            let k1 = (last + 1) / b       // one past the last whole block
            for j in first..<(k0 * b) { s += v[j - base] }
            blockSums.withUnsafeBufferPointer { blocks in
                for k in k0..<k1 { s += blocks[k - firstBlock] }
            }
            if k1 * b <= last {
                for j in (k1 * b)...last { s += v[j - base] }
            }
            return s
        }
    }
}
