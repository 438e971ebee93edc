// swift-tools-version: 6.1
// tickforge: out-of-core tick data → bars, features and targets.
import PackageDescription

let package = Package(
    name: "tickforge",
    // Linux (glibc) only: the syscall, allocator (mallopt) and glob code is glibc's, and nobody
    // has built tickforge on macOS, so it declares no Apple platform.
    products: [
        .executable(name: "tickforge", targets: ["tickforge"]),
        .library(name: "TickPipeline", targets: ["TickPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 (BoringSSL's, with the CPU's SHA instructions) for content fingerprints; the
        // zip checksums of Binance public data need it next.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        // Deque: the rows the order rules hold back are a queue that every kept row passes through.
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The system libraries. Only TickIO imports them (one Swift module owns each C library).
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // CRC-32C with the CPU's CRC32 instruction (a table where there is none): the checksums
        // of the published outputs, hundreds of megabytes a run. Only TickIO imports it.
        .target(name: "CCRC32C"),

        // Value types: timestamps, fixed-point decimals, columns, errors. No I/O.
        .target(name: "TickCore"),
        // Byte sources (plain, gzip, zstd), zstd frames, atomic files, syscalls that retry EINTR,
        // checksums and content digests.
        .target(name: "TickIO", dependencies: ["TickCore", "CZstd", "CZlib", "CCRC32C", .product(name: "Crypto", package: "swift-crypto")]),
        // Columnar partition files: per-type encodings, zstd frames, header, footer, checksums.
        .target(name: "TickStore", dependencies: ["TickCore", "TickIO"]),
        // Parquet files (features.parquet, targets.parquet): Thrift compact footer, zstd pages,
        // statistics, fixed row groups, spilling under a memory budget.
        .target(name: "TickParquet", dependencies: ["TickCore", "TickIO"]),
        // Streaming tokenizer, number/time parsers, layout detection.
        .target(name: "TickCSV", dependencies: ["TickCore"]),
        // Bars, rolling windows, quote state, targets: pure transforms.
        .target(name: "TickFeatures", dependencies: ["TickCore"]),
        // Work pool, stages, writers, the commands' library side.
        .target(name: "TickPipeline", dependencies: ["TickCore", "TickIO", "TickCSV", "TickFeatures", "TickStore", "TickParquet",
                                                     .product(name: "DequeModule", package: "swift-collections")]),
        .executableTarget(
            name: "tickforge",
            dependencies: ["TickPipeline", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .testTarget(name: "TickCSVTests", dependencies: ["TickCSV", "TickCore"]),
        .testTarget(name: "TickStoreTests", dependencies: ["TickStore", "TickCore", "TickIO", "CCRC32C"]),
        .testTarget(name: "TickParquetTests", dependencies: ["TickParquet", "TickCore", "TickIO"]),
        .testTarget(name: "TickFeaturesTests", dependencies: ["TickFeatures", "TickCore"]),
        .testTarget(name: "TickPipelineTests", dependencies: ["TickPipeline", "TickIO", "TickCSV", "TickFeatures", "tickforge",
                                                             "TickStore", "FuzzSupport",
                                                             .product(name: "DequeModule", package: "swift-collections")]),

        // Fuzzing (docs/FUZZING.md, Scripts/fuzz.sh). FuzzSupport holds the checks and the reference
        // CSV reader, shared with Tests/TickPipelineTests/FuzzRegressionTests.swift. Built normally, the
        // two executables replay files given as arguments; built with `-D FUZZING` and
        // `-sanitize=fuzzer` they are libFuzzer targets.
        .target(name: "FuzzSupport", dependencies: ["TickCore", "TickIO", "TickCSV", "TickStore"], path: "Fuzz/FuzzSupport"),
        .executableTarget(name: "FuzzTokenizer", dependencies: ["FuzzSupport"], path: "Fuzz/FuzzTokenizer"),
        .executableTarget(name: "FuzzPartitionReader", dependencies: ["FuzzSupport"], path: "Fuzz/FuzzPartitionReader"),

        .executableTarget(
            name: "TickBenchmarks",
            dependencies: [
                "TickCSV", "TickCore", "TickFeatures", "TickIO", "TickPipeline", "TickStore",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/TickBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
