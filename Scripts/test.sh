#!/usr/bin/env bash
# The whole test suite: system packages, the Swift tests (unit, real-data, invariance,
# end-to-end through the built binary, kill/resume, fault injection, comparison with the
# independent Python reference), the reference's own self-test, and a build of the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/setup.sh
python3 Scripts/test_reference.py
python3 Scripts/test_reference_aux.py
python3 Scripts/test_reference_book.py
# Tests that run the command line use an optimised binary: the same code, many times faster
# than the debug build on the kill/resume and real-data runs.
swift build -c release --product tickforge
export TICKFORGE_BINARY="$PWD/.build/release/tickforge"
swift build --build-tests
# The benchmark executable is built here so CI catches it breaking; Benchmarks/README.md runs it.
swift build --product TickBenchmarks
swift test --skip-build
