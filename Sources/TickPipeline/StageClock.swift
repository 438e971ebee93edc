import Foundation

/// Wall and CPU time per named stage of a run.
final class StageClock {
    private let started = DispatchTime.now()
    private var current: (name: String, since: DispatchTime, cpu: Double)?
    private(set) var stages: [String: Double] = [:]
    /// CPU seconds (user + system, all threads) per stage.
    private(set) var stageCPU: [String: Double] = [:]

    func start(_ name: String) {
        stop()
        current = (name, DispatchTime.now(), Self.processCPUSeconds())
    }

    func stop() {
        guard let current else { return }
        stages[current.name, default: 0] += Self.seconds(since: current.since)
        stageCPU[current.name, default: 0] += Self.processCPUSeconds() - current.cpu
        self.current = nil
    }

    var wallSeconds: Double { Self.seconds(since: started) }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// User + system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// JSON text with sorted keys, so the same content gives the same bytes.
enum JSON {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
