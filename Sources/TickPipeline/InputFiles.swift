import Foundation
import TickCore
import TickIO
#if canImport(Glibc)
import Glibc
#endif

/// Turns what an input option was given (files, directories, glob patterns, `-`) into the
/// list of files it names, as contract version 2 says: a directory stands for every regular
/// file below it, recursively, except hidden files (and hidden folders) and `.CHECKSUM`
/// sidecars; a pattern for the files it matches.
public enum InputFiles {
    /// The path that means standard input.
    public static let standardInput = "-"

    /// The files `arguments` name, in the order given (a directory's and a pattern's files in
    /// the byte order of their paths). Refuses a name that matches nothing, a directory with no
    /// file, and a file named twice (by identity, so `a.csv` and `./a.csv` are the same file).
    public static func expand(_ arguments: [String], option: String) throws -> [String] {
        var files: [String] = []
        for argument in arguments {
            if argument == standardInput {
                files.append(argument)
                continue
            }
            // A sidecar named outright (a shell's `*` lists them) is checked with its file, not read.
            if argument.hasSuffix(".CHECKSUM") { continue }
            if let info = try? Syscall.stat(argument) {
                // Links are followed: a link to a folder is a folder.
                if info.isDirectory {
                    let found = try filesBelow(argument)
                    guard !found.isEmpty else {
                        throw TickError.invalidArgument("\(option) \(argument): the folder holds no input files (hidden files and .CHECKSUM sidecars are skipped)")
                    }
                    files += found
                } else {
                    files.append(argument)
                }
            } else if isPattern(argument) {
                let matched = try glob(argument).filter {
                    (try? Syscall.stat($0))?.isDirectory == false && !isSkipped(name: ($0 as NSString).lastPathComponent)
                }
                guard !matched.isEmpty else {
                    throw TickError.invalidArgument("\(option) \(argument): the pattern matches no file")
                }
                files += matched
            } else {
                throw TickError.invalidArgument("\(option) \(argument): no such file or folder")
            }
        }
        if files.filter({ $0 == standardInput }).count > 1 {
            throw TickError.invalidArgument("\(option) names standard input (-) more than once")
        }
        var seen: [FileIdentity: String] = [:]
        for file in files where file != standardInput {
            guard let identity = Syscall.identity(file) else { continue }
            if let earlier = seen[identity] {
                throw TickError.invalidArgument("\(option) names the same file twice (\(earlier) and \(file)): its rows would be read twice")
            }
            seen[identity] = file
        }
        return files
    }

    /// Whether a file name is left out of a folder's files.
    static func isSkipped(name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix(".CHECKSUM")
    }

    static func isPattern(_ text: String) -> Bool {
        text.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// Regular files (and links to them) below `folder`, sorted by path bytes.
    static func filesBelow(_ folder: String) throws -> [String] {
        var result: [String] = []
        var pending = [folder]
        while let current = pending.popLast() {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: current) } catch {
                throw TickError.unreadable(path: current, reason: "cannot list the folder (\(error.localizedDescription))")
            }
            for name in names where !isSkipped(name: name) {
                let path = current.hasSuffix("/") ? current + name : current + "/" + name
                var info = stat()
                guard stat(path, &info) == 0 else { continue }
                if (info.st_mode & S_IFMT) == S_IFDIR { pending.append(path) } else if (info.st_mode & S_IFMT) == S_IFREG { result.append(path) }
            }
        }
        return result.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }

    static func glob(_ pattern: String) throws -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        let status = Glibc.glob(pattern, 0, nil, &matches)
        if status == GLOB_NOMATCH { return [] }
        guard status == 0 else { throw TickError.invalidArgument("cannot expand the pattern \(pattern)") }
        return (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}

/// What a data.binance.vision file name and path say about their data:
/// `…/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-08-08.zip` is USD-M BTCUSDT trades.
public struct DatasetName: Sendable, Equatable, Codable {
    public var symbol: String
    /// `trades`, `aggTrades`, `bookTicker`, … as in the name.
    public var dataType: String
    /// `spot`, `futures/um`, `futures/cm` or `option` when the path says so.
    public var market: String?

    /// nil for a name that is not `SYMBOL-TYPE-YYYY-MM[-DD].(zip|csv…)`.
    public init?(path: String) {
        let name = (path as NSString).lastPathComponent
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count >= 2,
              parts[0].allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }),
              parts[1].allSatisfy({ $0.isASCII && $0.isLetter }), !parts[1].isEmpty,
              parts[2].count == 4, parts[2].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        symbol = String(parts[0])
        dataType = String(parts[1])
        let folders = path.split(separator: "/").map(String.init)
        if let i = folders.firstIndex(of: "futures"), i + 1 < folders.count, ["um", "cm"].contains(folders[i + 1]) {
            market = "futures/" + folders[i + 1]
        } else if folders.contains("spot") {
            market = "spot"
        } else if folders.contains("option") {
            market = "option"
        } else {
            market = nil
        }
    }

    /// `futures/um BTCUSDT trades`.
    public var description: String { [market, symbol, dataType].compactMap { $0 }.joined(separator: " ") }
}
