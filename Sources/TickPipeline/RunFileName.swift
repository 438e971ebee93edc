import TickIO

/// The names tickforge gives what it writes in a run directory, and the parser that recognises
/// them (LevelDB's `ParseFileName`): inside its own state folder, tickforge removes only names
/// that parse here; outside it, only the output links its manifest lists. Anything else in a
/// run directory is the user's and is never removed or replaced.
enum RunFileName {
    /// The folder that holds everything but the output links: `DIR/.tickforge`.
    static let stateFolder = ".tickforge"
    static let manifest = "manifest.json"
    static let lock = "lock"
    /// The link naming the generation the output links show.
    static let current = "current"
    static let ticksFolder = "ticks"
    static let featuresFolder = "features"
    static let generationsFolder = "generations"
    /// Sizes and checksums of a generation's files, written last, before it is published.
    static let outputsRecord = "outputs.json"

    /// Every output a run can publish, in the order they are listed to the user.
    static let outputs = ["features.csv", "targets.csv", "features.json", "targets.json", "summary.json", "rejects.csv"]

    static func tickPartition(role: String, index: Int) -> String { "\(role)-\(number(index)).tfp" }
    static func tickRejects(role: String, index: Int) -> String { "\(role)-\(number(index)).rejects.csv" }
    static func featurePartition(index: Int) -> String { "part-\(number(index)).tfp" }
    static func generation(_ index: Int) -> String { number(index) }

    /// Zero-padded to six digits, more when needed.
    static func number(_ value: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The value of a name `number(n)`, or nil.
    static func parseNumber(_ text: Substring) -> Int? {
        guard text.count >= 6, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// Whether `name` in the ticks folder is a tick partition or quarantine sidecar of `role`
    /// (any role when nil), or a temporary file of one.
    static func isTickFile(_ name: String, role: String? = nil) -> Bool {
        let base = withoutTemporarySuffix(name)
        for suffix in [".tfp", ".rejects.csv"] where base.hasSuffix(suffix) {
            let stem = base.dropLast(suffix.count)
            guard let dash = stem.lastIndex(of: "-") else { return false }
            let prefix = stem[..<dash]
            let isRole = role.map { prefix == $0 } ?? (!prefix.isEmpty && prefix.allSatisfy { $0.isASCII && $0.isLowercase })
            return isRole && parseNumber(stem[stem.index(after: dash)...]) != nil
        }
        return false
    }

    /// Whether `name` in the features folder is a feature partition or a temporary file of one.
    static func isFeatureFile(_ name: String) -> Bool {
        let base = withoutTemporarySuffix(name)
        guard base.hasPrefix("part-"), base.hasSuffix(".tfp") else { return false }
        return parseNumber(base.dropFirst(5).dropLast(4)) != nil
    }

    /// Whether `name` inside a generation folder is one tickforge writes there.
    static func isGenerationFile(_ name: String) -> Bool {
        let base = withoutTemporarySuffix(name)
        return outputs.contains(base) || base == outputsRecord
    }

    /// Whether `name` in the state folder itself is tickforge's (the folders are handled apart).
    static func isStateFile(_ name: String) -> Bool {
        let base = withoutTemporarySuffix(name)
        return base == manifest || base == lock || base == current
    }

    /// Whether `name` is `BASE.tmp-PID`, the temporary name of an `AtomicFileWriter`.
    static func isTemporary(_ name: String) -> Bool { withoutTemporarySuffix(name) != name }

    /// `BASE` of `BASE.tmp-PID`; other names unchanged.
    static func withoutTemporarySuffix(_ name: String) -> String {
        guard let range = name.range(of: AtomicFileWriter.temporaryMarker, options: .backwards) else { return name }
        let pid = name[range.upperBound...]
        guard !pid.isEmpty, pid.allSatisfy({ $0.isASCII && $0.isNumber }) else { return name }
        return String(name[..<range.lowerBound])
    }
}
