// libFuzzer target for the partition reader: PartitionFormat.decode and summarize on arbitrary
// bytes must throw or succeed, never crash, hang or allocate hugely. The checks live in
// FuzzSupport/PartitionReaderFuzz.swift (shared with the regression tests).
//
// Fuzz build (Scripts/fuzz.sh): -D FUZZING -sanitize=fuzzer,address -parse-as-library; libFuzzer
// provides main. Normal build: `FuzzPartitionReader FILE_OR_DIR...` replays inputs, and
// `FuzzPartitionReader --make-seeds DIR` writes the seed partitions.
import FuzzSupport

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let violations = PartitionReaderFuzz.violations(bytes)
    if !violations.isEmpty {
        fatalError("FuzzPartitionReader invariant violated:\n" + violations.joined(separator: "\n"))
    }
    return 0
}
#else
#if canImport(Glibc)
import Glibc
#endif
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--make-seeds" {
    guard arguments.count == 2 else { print("usage: FuzzPartitionReader --make-seeds DIR"); exit(2) }
    do {
        for seed in try PartitionSeeds.all() {
            let path = arguments[1] + "/" + seed.name
            guard Replay.writeFile(path, seed.bytes) else { print("\(path): cannot write"); exit(2) }
            print("wrote \(path) (\(seed.bytes.count) bytes): \(PartitionReaderFuzz.outcome(seed.bytes))")
        }
    } catch {
        print("error: \(error)")
        exit(1)
    }
    exit(0)
}
exit(Replay.run(arguments, tool: "FuzzPartitionReader", check: PartitionReaderFuzz.violations))
#endif
