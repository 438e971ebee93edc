#!/usr/bin/env bash
# The main job on the bundled real data: one second bars, features and targets for Binance USD-M
# BTCUSDT trades and book tickers (2024-08-08 23:54 → 2024-08-09 00:00 UTC).
# Usage: Scripts/demo.sh [OUTPUT_DIR]   (default: out/btcusdt-1s)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/btcusdt-1s}"

Scripts/setup.sh
swift build -c release --product tickforge
.build/release/tickforge features \
    --trades Fixtures/real/binance-um-BTCUSDT-trades-2024-08-08T2354Z-2400Z.from-ws.csv \
    --quotes Fixtures/real/binance-um-BTCUSDT-bookTicker-2024-08-08T2354Z-2400Z.from-ws.csv \
    --out "$out"
echo
echo "first rows of $out/features.csv:"
head -3 "$out/features.csv" | cut -c1-160
