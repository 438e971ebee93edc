import Foundation
import TickIO

/// A one-line progress display on standard error (bytes done, MB/s, ETA), shown only when
/// standard error is a terminal so logs and pipes stay clean.
public final class ProgressLine {
    private let label: String
    private let totalBytes: Int64
    private let enabled: Bool
    private let started = Date()
    private var lastDraw = Date.distantPast

    public init(label: String, totalBytes: Int64, enabled: Bool = Syscall.stderrIsTerminal) {
        self.label = label
        self.totalBytes = totalBytes
        self.enabled = enabled
    }

    /// Redraws at most a few times a second.
    public func update(doneBytes: Int64) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.25 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(started), 1e-6)
        let rate = Double(doneBytes) / elapsed
        var line = "\r\(label): \(Self.bytes(doneBytes))"
        if totalBytes > 0 {
            let fraction = min(1, Double(doneBytes) / Double(totalBytes))
            line += " of \(Self.bytes(totalBytes)) (\(Int(fraction * 100))%)"
            if rate > 0 && fraction < 1 { line += ", ETA \(Int((Double(totalBytes - doneBytes) / rate).rounded()))s" }
        }
        line += String(format: ", %.1f MB/s   ", rate / 1e6)
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Clears the line.
    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    static func bytes(_ n: Int64) -> String {
        if n >= 1 << 30 { return String(format: "%.2f GiB", Double(n) / Double(1 << 30)) }
        if n >= 1 << 20 { return String(format: "%.1f MiB", Double(n) / Double(1 << 20)) }
        if n >= 1 << 10 { return String(format: "%.1f KiB", Double(n) / Double(1 << 10)) }
        return "\(n) B"
    }
}
