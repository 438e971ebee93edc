// libFuzzer target for the partition reader: PartitionFormat.decode and summarize on arbitrary
// bytes must throw or succeed, never crash, hang or allocate hugely. The checks live in
// Fuzz/FuzzSupport/PartitionReaderFuzz.swift, shared with the regression tests.
//
// Fuzz build (Scripts/fuzz.sh; Fuzz/toolset.json adds -D FUZZING -sanitize=fuzzer,address):
// `FuzzPartitionReader [libFuzzer flags] CORPUS...`. Normal build: `FuzzPartitionReader
// FILE_OR_DIR...` replays inputs. Both: `FuzzPartitionReader --make-seeds DIR` writes seed
// partitions.
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

/// Traps (so libFuzzer saves the input) when an invariant does not hold.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPartitionReaderTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    let violations = PartitionReaderFuzz.violations(bytes)
    if !violations.isEmpty {
        fatalError("FuzzPartitionReader invariant violated:\n" + violations.joined(separator: "\n"))
    }
    return 0
}

@main
enum FuzzPartitionReaderMain {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--make-seeds" { Replay.exit(PartitionSeeds.commandLine(arguments)) }
        #if FUZZING
        Replay.exit(FuzzDriver.run(fuzzPartitionReaderTestOneInput))
        #else
        Replay.exit(PartitionSeeds.commandLine(arguments))
        #endif
    }
}
