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
// A declaration, not a statement: `-parse-as-library` (fuzz build) rejects top-level statements
// even in an inactive `#if` branch.
let replayed: Never = Replay.exit(PartitionSeeds.commandLine(Array(CommandLine.arguments.dropFirst())))
#endif
