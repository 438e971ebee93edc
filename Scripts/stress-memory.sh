#!/usr/bin/env bash
# Peak memory against --memory-limit on a big generated input with quotes, measured from outside
# (getrusage of the child, Scripts/peak-rss.py), and the output compared with a large-limit run.
# Too big for CI; run by hand and report.
#
# Usage: Scripts/stress-memory.sh [TRADES_SIZE] [LIMIT] [WORKDIR]
#   defaults: 700MiB of trades (+ about 1.4 GB of quotes: 2.1 GB in all), 256MiB, /tmp/tickforge-stress
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-700MiB}"
limit="${2:-256MiB}"
work="${3:-/tmp/tickforge-stress}"

Scripts/setup.sh
swift build -c release --product tickforge
bin="$PWD/.build/release/tickforge"
mkdir -p "$work"
if [ ! -s "$work/trades.csv" ]; then
    "$bin" gen "$work/trades.csv" --size "$size" --quotes "$work/quotes.csv" --seed 2024
fi
ls -l "$work/trades.csv" "$work/quotes.csv"

run() {  # run OUT LIMIT → prints peak RSS and wall time
    local out="$1" lim="$2" start end
    rm -rf "$out"
    start=$(date +%s.%N)
    python3 Scripts/peak-rss.py "$bin" features --trades "$work/trades.csv" --quotes "$work/quotes.csv" \
        --out "$out" --memory-limit "$lim" 2> "$out.err" > "$out.log" || { cat "$out.err"; exit 1; }
    end=$(date +%s.%N)
    local peak
    peak=$(grep -o 'peak_rss_bytes=[0-9]*' "$out.err" | cut -d= -f2)
    python3 -c "print(f'{\"$lim\":10} peak RSS {$peak / 1048576:6.1f} MiB   wall {$end - $start:6.1f} s')"
}

run "$work/out-limited" "$limit"
run "$work/out-large" 8GiB
for f in features.csv targets.csv features.json targets.json; do
    cmp "$work/out-limited/$f" "$work/out-large/$f"
done
echo "outputs identical under $limit and 8GiB"
