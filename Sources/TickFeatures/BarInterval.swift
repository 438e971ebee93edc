import TickCore

/// The bar interval Δ.
public struct BarInterval: Sendable, Equatable, Codable, CustomStringConvertible {
    public let micros: Int64
    /// The flag text it was given as (`100ms`, `1s`, `10s`, `1m`, `5m`, `1h`).
    public let text: String

    public static let allowed = ["100ms", "1s", "10s", "1m", "5m", "1h"]

    public init?(_ text: String) {
        let table: [String: Int64] = ["100ms": 100_000, "1s": 1_000_000, "10s": 10_000_000,
                                      "1m": 60_000_000, "5m": 300_000_000, "1h": 3_600_000_000]
        guard let micros = table[text] else { return nil }
        self.micros = micros
        self.text = text
    }

    public var description: String { text }

    /// The start of the bar holding time `t` (µs): `floor(t/Δ)·Δ`.
    @inlinable
    public func barStart(_ t: Int64) -> Int64 { Time.floorDiv(t, micros) * micros }
}
