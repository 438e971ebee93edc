// libFuzzer target for the CSV tokenizer, value parsers, layout detection and line chunker.
// The checks live in FuzzSupport/TokenizerFuzz.swift (shared with the regression tests).
//
// Fuzz build (Scripts/fuzz.sh): -D FUZZING -sanitize=fuzzer,address -parse-as-library; libFuzzer
// provides main. Normal build: `FuzzTokenizer FILE_OR_DIR...` replays inputs.
import FuzzSupport

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let violations = TokenizerFuzz.violations(bytes)
    if !violations.isEmpty {
        fatalError("FuzzTokenizer invariant violated:\n" + violations.joined(separator: "\n"))
    }
    return 0
}
#else
// A declaration, not a statement: `-parse-as-library` (fuzz build) rejects top-level statements
// even in an inactive `#if` branch.
let replayed: Never = Replay.exit(Replay.run(Array(CommandLine.arguments.dropFirst()), tool: "FuzzTokenizer",
                                             check: TokenizerFuzz.violations))
#endif
