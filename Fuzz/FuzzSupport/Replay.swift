#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The replay mode of the fuzz executables when they are built without `-D FUZZING`: run the
/// checks on files (directories are read one level deep) and report violations.
public enum Replay {
    /// Runs `check` on every file named in `arguments`; returns the exit status (1 when any file
    /// violated an invariant, 2 on a usage or I/O error).
    public static func run(_ arguments: [String], tool: String, check: ([UInt8]) -> [String]) -> Int32 {
        guard !arguments.isEmpty else {
            print("usage: \(tool) FILE_OR_DIRECTORY...   (replays inputs through the fuzz checks)")
            return 2
        }
        var status: Int32 = 0
        var files = 0
        for argument in arguments {
            for path in expand(argument) {
                guard let bytes = readFile(path) else {
                    print("\(path): cannot read")
                    status = 2
                    continue
                }
                files += 1
                // Named before it runs (and flushed), so a crash is attributable.
                print("\(path) (\(bytes.count) bytes): ", terminator: "")
                fflush(nil)
                let violations = check(bytes)
                if violations.isEmpty {
                    print("ok")
                } else {
                    print("FAIL")
                    for v in violations { print("    \(v)") }
                    status = max(status, 1)
                }
                fflush(nil)
            }
        }
        print("\(files) file(s) replayed")
        return status
    }

    /// Exits the process with `status` (for the executables' top-level code).
    public static func exit(_ status: Int32) -> Never {
        fflush(nil)
        #if canImport(Glibc)
        Glibc.exit(status)
        #else
        Darwin.exit(status)
        #endif
    }

    /// A directory's regular files (sorted), or the path itself.
    public static func expand(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [path] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            let full = path + "/" + name
            var info = stat()
            if stat(full, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG { names.append(full) }
        }
        return names.sorted()
    }

    public static func readFile(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n > 0 { bytes += buffer[0..<n] }
            if n < buffer.count { return ferror(f) == 0 ? bytes : nil }
        }
    }

    public static func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
        guard let f = fopen(path, "wb") else { return false }
        defer { fclose(f) }
        return fwrite(bytes, 1, bytes.count, f) == bytes.count
    }
}
