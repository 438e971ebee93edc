#!/usr/bin/env bash
# The whole test suite: system packages, the Swift tests (unit, real-data, invariance,
# end-to-end through the built binary, comparison with the independent Python reference),
# the reference's own self-test, and a build of the benchmark suite.
set -euo pipefail
cd "$(dirname "$0")/.."

Scripts/setup.sh
python3 Scripts/test_reference.py
swift build --build-tests
# The benchmark executable is built here so CI catches it breaking; running it is Scripts/bench.sh.
swift build --product TickBenchmarks
swift test --skip-build
