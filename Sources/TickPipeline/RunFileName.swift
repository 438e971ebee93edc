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
    /// `tickforge plan`'s plan of shards, and the folder of the shards' states and locks.
    static let plan = "plan.json"
    static let shardsFolder = "shards"
    /// Sizes and checksums of a generation's files, written last, before it is published.
    static let outputsRecord = "outputs.json"

    /// Every output a run can publish, in the order they are listed to the user.
    static let outputs = ["features.csv", "targets.csv", "features.parquet", "targets.parquet", "features.json", "targets.json",
                          "splits.json", "summary.json", "rejects.csv"]
    /// The bar starts of the rows written, spilled while a generation with splits is written
    /// (`WrittenRowTimeline`); never published.
    static let timelineScratch = "written-rows.timeline"
    /// Scratch files of the regime stage in a generation being written: the written rows' log
    /// returns, their bar starts (for the fit rows) and the fit's observations.
    static let regimeReturnsScratch = "regime-returns.scratch"
    static let regimeTimelineScratch = "regime-rows.timeline"
    static let regimeObservationsScratch = "regime-observations.scratch"
    static let regimeScratch: Set<String> = [regimeReturnsScratch, regimeTimelineScratch, regimeObservationsScratch]

    /// Partition `index` of input file `file` (the file's number in the manifest, which stays
    /// with the file when others are added or removed).
    static func tickPartition(role: String, file: Int, index: Int) -> String { "\(role)-\(number(file))-\(number(index)).tfp" }
    static func tickRejects(role: String, file: Int, index: Int) -> String { "\(role)-\(number(file))-\(number(index)).rejects.csv" }
    static func featurePartition(index: Int) -> String { "part-\(number(index)).tfp" }
    /// Rows that merging an input's files rejected (quarantine mode), beside the feature partitions.
    static let mergeRejects = "merged.rejects.csv"
    /// The bad rows of the as-of series inputs (quarantine mode), written by every run.
    static let seriesRejects = "series.rejects.csv"
    static func generation(_ index: Int) -> String { number(index) }
    /// What shard `index` has ingested (`ShardFragment`), and the lock it holds while it runs.
    static func shardFragment(_ index: Int) -> String { "shard-\(number(index)).json" }
    static func shardLock(_ index: Int) -> String { "shard-\(number(index)).lock" }

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

    /// Whether `name` in the ticks folder is a tick partition or quarantine sidecar (or a
    /// temporary file of one) of input file `file` of `role`, of any when nil. Names of the
    /// earlier one-file-per-input layout (`trades-000012.tfp`) count as files of no number,
    /// so that they are swept away when that is what a run finds.
    static func isTickFile(_ name: String, role: String? = nil, file: Int? = nil) -> Bool {
        let base = withoutTemporarySuffix(name)
        for suffix in [".tfp", ".rejects.csv"] where base.hasSuffix(suffix) {
            let parts = base.dropLast(suffix.count).split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2 || parts.count == 3, parseNumber(parts.last!) != nil else { return false }
            let prefix = parts[0]
            let isRole = role.map { prefix == $0 } ?? (!prefix.isEmpty && prefix.allSatisfy { $0.isASCII && $0.isLowercase })
            guard isRole else { return false }
            guard let file else { return parts.count == 2 || parseNumber(parts[1]) != nil }
            return parts.count == 3 && parseNumber(parts[1]) == file
        }
        return false
    }

    /// The partition index in a tick partition's name (`trades-000003-000012.tfp` → 12).
    static func tickPartitionIndex(_ name: String) -> Int? {
        guard name.hasSuffix(".tfp") else { return nil }
        return name.dropLast(4).split(separator: "-").last.flatMap { parseNumber($0) }
    }

    /// The input file number in a tick file's name (nil for the earlier layout's names).
    static func tickFileNumber(_ name: String) -> Int? {
        let parts = withoutTemporarySuffix(name).split(separator: ".")[0].split(separator: "-")
        return parts.count == 3 ? parseNumber(parts[1]) : nil
    }

    /// Whether `name` in the features folder is a feature partition, the merge's rejects, or a
    /// temporary file of one.
    static func isFeatureFile(_ name: String) -> Bool {
        let base = withoutTemporarySuffix(name)
        if base == mergeRejects || base == seriesRejects { return true }
        guard base.hasPrefix("part-"), base.hasSuffix(".tfp") else { return false }
        return parseNumber(base.dropFirst(5).dropLast(4)) != nil
    }

    /// Whether `name` in the shards folder is a shard's fragment or lock (or a temporary file
    /// of one).
    static func isShardFile(_ name: String) -> Bool {
        let base = withoutTemporarySuffix(name)
        for suffix in [".json", ".lock"] where base.hasPrefix("shard-") && base.hasSuffix(suffix) {
            return parseNumber(base.dropFirst(6).dropLast(suffix.count)) != nil
        }
        return false
    }

    /// Whether `name` inside a generation folder is one tickforge writes there.
    static func isGenerationFile(_ name: String) -> Bool {
        let base = withoutTemporarySuffix(name)
        return outputs.contains(base) || base == outputsRecord || base == timelineScratch || regimeScratch.contains(base) || isParquetSpill(name)
    }

    /// Whether `name` is a spill file of a Parquet output being written
    /// (`features.parquet.col-N.tmp`, `ParquetFileWriter`).
    static func isParquetSpill(_ name: String) -> Bool {
        for output in outputs where output.hasSuffix(".parquet") && name.hasPrefix(output + ".col-") && name.hasSuffix(".tmp") {
            let number = name.dropFirst(output.count + 5).dropLast(4)
            return !number.isEmpty && number.allSatisfy { $0.isASCII && $0.isNumber }
        }
        return false
    }

    /// Whether `name` in the state folder itself is tickforge's (the folders are handled apart).
    static func isStateFile(_ name: String) -> Bool {
        let base = withoutTemporarySuffix(name)
        return base == manifest || base == lock || base == current || base == plan
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
