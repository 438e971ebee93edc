// libFuzzer target for the CSV tokenizer, value parsers, layout detection and line chunker.
// The checks live in Fuzz/FuzzSupport/TokenizerFuzz.swift, shared with the regression tests.
//
// Fuzz build (Scripts/fuzz.sh; Fuzz/toolset.json adds -D FUZZING -sanitize=fuzzer,address):
// `FuzzTokenizer [libFuzzer flags] CORPUS...`. Normal build: `FuzzTokenizer FILE_OR_DIR...`
// replays inputs through the same checks.
import FuzzSupport
#if canImport(Glibc)
import Glibc
#endif

/// Traps (so libFuzzer saves the input) when an invariant does not hold.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    let violations = TokenizerFuzz.violations(bytes)
    if !violations.isEmpty {
        fatalError("FuzzTokenizer invariant violated:\n" + violations.joined(separator: "\n"))
    }
    return 0
}

@main
enum FuzzTokenizerMain {
    static func main() {
        #if FUZZING
        Replay.exit(FuzzDriver.run(fuzzTokenizerTestOneInput))
        #else
        Replay.exit(Replay.run(Array(CommandLine.arguments.dropFirst()), tool: "FuzzTokenizer", check: TokenizerFuzz.violations))
        #endif
    }
}
