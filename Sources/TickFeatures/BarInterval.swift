import TickCore

/// The bar interval Δ: any whole number of milliseconds, written `N` followed by `ms`, `s`, `m`,
/// `h` or `d` (`100ms`, `1s`, `15m`, `7s`, `1d`).
public struct BarInterval: Sendable, Equatable, Codable, CustomStringConvertible {
    public let micros: Int64
    /// The flag text it was given as.
    public let text: String

    /// The units a flag may use, longest suffix first (so `ms` is not read as `m`).
    public static let units: [(suffix: String, micros: Int64)] = [
        ("ms", 1_000), ("s", 1_000_000), ("m", 60_000_000), ("h", 3_600_000_000), ("d", 86_400_000_000),
    ]
    /// Examples for help texts and errors.
    public static let examples = "100ms, 1s, 7s, 15m, 1h, 1d"
    /// The longest interval: 10 000 days keeps every bar start far from overflowing µs.
    public static let maxMicros: Int64 = 10_000 * 86_400_000_000

    /// nil when `text` is not a positive whole number followed by a unit, or is longer than
    /// `maxMicros`.
    public init?(_ text: String) {
        guard let unit = Self.units.first(where: { text.hasSuffix($0.suffix) }) else { return nil }
        let digits = text.dropLast(unit.suffix.count)
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let count = Int64(digits), count >= 1 else { return nil }
        let (micros, overflow) = count.multipliedReportingOverflow(by: unit.micros)
        guard !overflow, micros <= Self.maxMicros else { return nil }
        self.micros = micros
        self.text = text
    }

    public var description: String { text }

    /// The start of the bar holding time `t` (µs): `floor(t/Δ)·Δ`.
    @inlinable
    public func barStart(_ t: Int64) -> Int64 { Time.floorDiv(t, micros) * micros }
}
