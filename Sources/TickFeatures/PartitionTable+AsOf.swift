import Foundation
import TickCore

/// The columns of the as-of series: bands and derivatives (contract, Bands and Derivatives).
extension PartitionTable {
    func asOfColumn(_ key: ColumnKey) -> ColumnValues {
        let step = config.interval.micros
        /// Seconds from `known` (epoch µs) to the bar end, divided once.
        func age(_ time: (AsOfBar) -> Int64?) -> ColumnValues {
            real { r in
                guard let known = bar(r).asOf.flatMap(time) else { return .nan }
                return Double(start(r) + step - known) / 1_000_000
            }
        }
        func field(_ r: Int, _ f: DerivativeField) -> Int64? { bar(r).asOf?.fields[f.rawValue] ?? nil }
        /// (x − index) / index · 10⁴ from exact decimals.
        func overIndex(_ f: DerivativeField) -> ColumnValues {
            real { r in
                guard let x = field(r, f), let index = field(r, .indexPrice), index != 0 else { return .nan }
                return FixedPoint.exactDouble(Int128(x) - Int128(index)) / FixedPoint.exactDouble(Int128(index)) * 10_000
            }
        }
        switch key {
        case .bandImbalance(let k):
            return real { r in
                guard let depths = bar(r).asOf?.bandDepths, let bid = depths[2 * k], let ask = depths[2 * k + 1] else { return .nan }
                let sum = Int128(bid) + Int128(ask)
                return sum == 0 ? .nan : FixedPoint.exactDouble(Int128(bid) - Int128(ask)) / FixedPoint.exactDouble(sum)
            }
        case .bandAge: return age(\.bandTime)
        case .derivative(let f):
            return decimal { r in field(r, f).map { Int128($0) } ?? ColumnValues.undefinedDecimal }
        case .fundingRate:
            let source: DerivativeField = config.derivatives?.ticker == true ? .tickerFunding : .settledFunding
            return decimal { r in field(r, source).map { Int128($0) } ?? ColumnValues.undefinedDecimal }
        case .markPremium: return overIndex(.markPrice)
        case .lastBasis: return overIndex(.lastPrice)
        case .metricsAge: return age(\.metricsTime)
        case .tickerAge: return age(\.tickerTime)
        case .fundingAge: return age(\.fundingTime)
        case .openInterestChange(let w):
            // A non-positive open interest is no quantity to take the log of.
            return real { r in
                guard defined(r, window: w), let now = field(r, .openInterest), let then = input.bars[offset + r - w].asOf?.fields[DerivativeField.openInterest.rawValue] ?? nil,
                      now > 0, then > 0 else { return .nan }
                return log(FixedPoint.exactDouble(Int128(now)) / FixedPoint.exactDouble(Int128(then)))
            }
        default:
            preconditionFailure("\(key) is not an as-of column")
        }
    }
}
