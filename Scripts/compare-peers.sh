#!/usr/bin/env bash
# Times tickforge against the tools a quant would otherwise use (polars streaming, DuckDB SQL,
# pandas) on the same trades file, and checks that the values they share agree with tickforge's
# within the spec's tolerance (1e-9 relative or 1e-12 absolute, identical undefined cells).
#
# Usage: Scripts/compare-peers.sh FILE [--interval 1s] [--windows 10,60,300] [--horizons 10,60]
#                                 [--skip pandas,duckdb,polars] [--keep]
#   FILE     Binance trades CSV (id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]),
#            with or without a header; time in ms, us or ns (detected from the first row).
#   --skip   peers to leave out (e.g. pandas on inputs that do not fit its memory or time).
#   --keep   keep the work directory with every implementation's output.
#
# Every implementation runs as its own process, measured from outside: wall time around the
# process, peak RSS from /usr/bin/time -v (or Scripts/peak-rss.py when that is missing).  The
# peers live in Scripts/peers/ and run from a virtual environment in .venv-peers/ (created and
# filled from PyPI on first use).  `wc -l FILE` is timed as a floor.  Times on a shared machine are
# noisy: compare ratios within one run, not across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

file="" interval=1s windows=10,60,300 horizons=10,60 skip="" keep=0
while (($#)); do
    case "$1" in
        --interval) interval=${2:?}; shift 2 ;;
        --windows) windows=${2:?}; shift 2 ;;
        --horizons) horizons=${2:?}; shift 2 ;;
        --skip) skip=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage 0 ;;
        -*) echo "compare-peers: unknown option $1" >&2; usage ;;
        *) [ -z "$file" ] || { echo "compare-peers: one FILE only" >&2; usage; }; file=$1; shift ;;
    esac
done
[ -n "$file" ] || usage
[ -f "$file" ] || { echo "compare-peers: no such file: $file" >&2; exit 2; }
for peer in ${skip//,/ }; do
    case "$peer" in polars|duckdb|pandas) ;; *) echo "compare-peers: --skip takes polars, duckdb, pandas; got $peer" >&2; exit 2 ;; esac
done
file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
case "$interval" in *[0-9]ms|*[0-9]s|*[0-9]m|*[0-9]h) ;; *) echo "compare-peers: bad --interval $interval" >&2; exit 2 ;; esac

# ---------- environment: system packages, tickforge, the peers' venv ----------
Scripts/setup.sh
swift build -c release --product tickforge
tickforge=$root/.build/release/tickforge

venv=$root/.venv-peers
py=$venv/bin/python
[ -x "$py" ] || python3 -m venv "$venv"
missing=()
for pkg in polars duckdb pandas numpy pyarrow; do
    "$py" -c "import $pkg" 2>/dev/null || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "compare-peers: installing ${missing[*]} into .venv-peers/" >&2
    "$py" -m pip install -q --disable-pip-version-check "${missing[@]}"
fi
versions=$("$py" -c 'import polars, duckdb, pandas, numpy, pyarrow, sys
print("python %d.%d.%d, polars %s, duckdb %s, pandas %s, numpy %s, pyarrow %s" % (sys.version_info[:3] + (
    polars.__version__, duckdb.__version__, pandas.__version__, numpy.__version__, pyarrow.__version__)))')

# ---------- input layout, as a user of each peer would state it ----------
first=$(head -n 1 "$file" | tr -d '\r')
peer_args=(--interval "$interval" --windows "$windows" --horizons "$horizons")
IFS=, read -r -a cells <<<"$first"
if [[ ${cells[0]} =~ ^[0-9]+$ ]]; then
    peer_args+=(--no-header)
    row=$first
else
    row=$(sed -n 2p "$file" | tr -d '\r')
    IFS=, read -r -a cells <<<"$row"
fi
ncols=${#cells[@]}
[ "$ncols" -eq 6 ] || [ "$ncols" -eq 7 ] || {
    echo "compare-peers: expected a Binance trades file (6 or 7 columns), got $ncols: $row" >&2; exit 2; }
t=${cells[4]}
if ((${#t} <= 13)); then unit=ms; elif ((${#t} <= 16)); then unit=us; else unit=ns; fi
peer_args+=(--ncols "$ncols" --time-unit "$unit")

# ---------- runs ----------
work=$(mktemp -d "${TMPDIR:-/tmp}/compare-peers.XXXXXX")
if ((keep)); then echo "compare-peers: outputs kept in $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

declare -A wall rss status
order=()
now_ns() { date +%s%N; }

# measure NAME CMD...: runs CMD as one process; records wall seconds, peak RSS bytes, exit status.
measure() {
    local name=$1; shift
    local log=$work/$name.log tfile=$work/$name.time t0 t1 code=0
    order+=("$name")
    echo "compare-peers: running $name" >&2
    t0=$(now_ns)
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -v -o "$tfile" "$@" >"$log" 2>&1 || code=$?
        t1=$(now_ns)
        rss[$name]=$(awk -F': ' '/Maximum resident set size/ {print $2 * 1024}' "$tfile")
    else
        python3 "$root/Scripts/peak-rss.py" "$@" >"$log" 2>&1 || code=$?
        t1=$(now_ns)
        rss[$name]=$(sed -n 's/^peak_rss_bytes=//p' "$log" | tail -n 1)
    fi
    wall[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    status[$name]=$code
    if ((code)); then
        echo "compare-peers: $name exited with status $code; last lines of its output:" >&2
        tail -n 5 "$log" >&2
    fi
}

skipped() { [[ ",$skip," == *",$1,"* ]]; }

cat "$file" >/dev/null        # same page-cache state for everyone: the file is read once untimed
measure "wc -l" wc -l "$file"
measure tickforge "$tickforge" features --trades "$file" --out "$work/tickforge" --fresh \
    --interval "$interval" --windows "$windows" --horizons "$horizons"
((status[tickforge] == 0)) || { echo "compare-peers: tickforge failed" >&2; exit 1; }
for peer in polars duckdb pandas; do
    if skipped "$peer"; then continue; fi
    measure "$peer" "$py" "$root/Scripts/peers/peer_$peer.py" --trades "$file" --out "$work/$peer" "${peer_args[@]}"
done

# ---------- agreement (after all timings, so it disturbs none) ----------
declare -A agree
agree[tickforge]="(reference)"
agree["wc -l"]="-"
for peer in polars duckdb pandas; do
    if skipped "$peer"; then continue; fi
    if ((status[$peer])); then agree[$peer]="failed (exit ${status[$peer]})"; continue; fi
    "$py" "$root/Scripts/peers/compare_shared.py" "$work/tickforge" "$work/$peer" --name "$peer" \
        --summary "$work/$peer.agree" >"$work/$peer.compare" 2>&1 || true
    if [ -s "$work/$peer.agree" ]; then
        agree[$peer]=$(cat "$work/$peer.agree")
    else
        agree[$peer]="comparison failed (see below)"
    fi
done

# ---------- report ----------
bytes=$(wc -c <"$file")
bars=$(($(wc -l <"$work/tickforge/features.csv") - 1))
trades=$(sed -n 's/.*"read" : \([0-9]*\).*/\1/p' "$work/tickforge/summary.json" | head -n 1)
echo
echo "input: $file ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'), ${trades:-?} trades, time unit $unit)"
echo "bars: $bars (interval $interval, windows $windows, horizons $horizons); $(nproc) cores; $versions"
echo
tf_wall=${wall[tickforge]} tf_rss=${rss[tickforge]}
printf '%-10s %9s %10s %9s %9s  %s\n' implementation "wall s" "RSS MiB" "wall/tf" "RSS/tf" agree
for name in "${order[@]}"; do
    awk -v n="$name" -v w="${wall[$name]}" -v r="${rss[$name]:-0}" -v tw="$tf_wall" -v tr="$tf_rss" \
        -v a="${agree[$name]:-}" 'BEGIN {
        printf "%-10s %9.2f %10.1f %9.2f %9.2f  %s\n", n, w, r / 1048576, w / tw, (tr > 0 ? r / tr : 0), a }'
done
for peer in ${skip//,/ }; do
    printf '%-10s %9s %10s %9s %9s  %s\n' "$peer" - - - - "skipped (--skip)"
done
echo
for peer in polars duckdb pandas; do
    [ -f "$work/$peer.compare" ] || continue
    # per-column detail: only the failing columns and what was not computed
    if [ -s "$work/$peer.agree" ]; then
        grep -E '^[^ ]|MISMATCH|not computed|PROBLEM|=>' "$work/$peer.compare" || true
    else
        cat "$work/$peer.compare"
    fi
done
