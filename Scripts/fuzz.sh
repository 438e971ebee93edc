#!/usr/bin/env bash
# Fuzzes the CSV tokenizer and the partition reader with libFuzzer (docs/FUZZING.md).
#
# Usage: Scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60; the targets run one after the other
#   TARGET              FuzzTokenizer and/or FuzzPartitionReader (default: both)
# Environment:
#   FUZZ_FLAGS              extra libFuzzer flags, e.g. "-seed=1 -max_len=16384"
#   TICKFORGE_FUZZ_STRICT=1 also report the known, not yet fixed bugs (Fuzz/FuzzSupport/KnownIssues.swift)
#
# Builds the targets with -sanitize=fuzzer,address into .build-fuzz (git-ignored), seeds each
# corpus from Fixtures, runs each target for the given time, keeps the corpus in
# .build-fuzz/fuzz/corpus/TARGET, and copies every crash, timeout or out-of-memory input into
# Fixtures/fuzz/TARGET/ (a regression test then replays it). Exits 1 when any target found one.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzTokenizer FuzzPartitionReader)
case "$seconds" in ''|*[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2 ;; esac

scratch=.build-fuzz
work="$scratch/fuzz"
# libFuzzer and AddressSanitizer report crashes; Swift's backtracer would race them for the signal.
export SWIFT_BACKTRACE=enable=no

# Fuzz/toolset.json adds -sanitize=fuzzer,address and -D FUZZING to the target build only (not to
# build-tool plugins, which -Xswiftc would reach and break).
build=(swift build -c release --toolset Fuzz/toolset.json --scratch-path "$scratch")
for target in "${targets[@]}"; do
    case "$target" in FuzzTokenizer|FuzzPartitionReader) ;; *) echo "unknown target $target" >&2; exit 2 ;; esac
    echo "== building $target"
    "${build[@]}" --product "$target"
done
bin="$("${build[@]}" --show-bin-path)"

copy_regressions() {  # $1: target, $2: seed directory
    # Earlier findings seed the corpus too (the known, unfixed ones are stepped around unless
    # TICKFORGE_FUZZ_STRICT=1), except big ones that would raise libFuzzer's default -max_len.
    [ -d "Fixtures/fuzz/$1" ] || return 0
    find "Fixtures/fuzz/$1" -maxdepth 1 -type f -size -16k -exec cp {} "$2/" \;
}

seed_tokenizer() {  # $1: seed directory
    # Small slices of every real file: its head (header + 24 rows) and 12 rows from the middle.
    for f in Fixtures/real/*.csv; do
        local name lines
        name="$(basename "$f" .csv)"
        head -n 25 "$f" > "$1/$name.head.csv"
        lines=$(wc -l < "$f")
        { head -n 1 "$f"; sed -n "$((lines / 2)),$((lines / 2 + 11))p" "$f"; } > "$1/$name.middle.csv"
    done
    cp Fixtures/bad/*.csv "$1/"
    cp Fixtures/fuzz/seeds/FuzzTokenizer/* "$1/" 2>/dev/null || true
    copy_regressions FuzzTokenizer "$1"
}

seed_reader() {  # $1: seed directory
    "$bin/FuzzPartitionReader" --make-seeds "$1" > /dev/null
    cp Fixtures/fuzz/seeds/FuzzPartitionReader/* "$1/" 2>/dev/null || true
    copy_regressions FuzzPartitionReader "$1"
}

summary=()
found=0
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    seeds="$work/seeds/$target"
    artifacts="$work/artifacts/$target"
    log="$work/logs/$target.log"
    rm -rf "$seeds" "$artifacts"
    mkdir -p "$corpus" "$seeds" "$artifacts" "$(dirname "$log")"
    case "$target" in
        FuzzTokenizer) seed_tokenizer "$seeds" ;;
        FuzzPartitionReader) seed_reader "$seeds" ;;
    esac

    echo "== fuzzing $target for ${seconds}s (corpus $corpus, log $log)"
    start=$(date +%s)
    set +e
    # -timeout: one input taking 20 s is a hang. -rss_limit_mb/-malloc_limit_mb: a huge allocation
    # is a finding. New inputs go to the first directory (the kept corpus); the seeds are read only.
    # shellcheck disable=SC2086
    "$bin/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=20 \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -dict="Fuzz/$target.dict" \
        -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} "$corpus" "$seeds" > "$log" 2>&1
    status=$?
    set -e
    elapsed=$(( $(date +%s) - start ))

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
    crashes=()
    for f in "$artifacts"/*; do
        [ -e "$f" ] || continue
        mkdir -p "Fixtures/fuzz/$target"
        cp "$f" "Fixtures/fuzz/$target/"
        crashes+=("Fixtures/fuzz/$target/$(basename "$f")")
    done
    if [ ${#crashes[@]} -gt 0 ] || [ "$status" -ne 0 ]; then
        found=1
        echo "!! $target exited $status; inputs saved: ${crashes[*]:-none}"
        grep -m1 -E 'Fatal error|ERROR: (libFuzzer|AddressSanitizer)|SUMMARY' "$log" || true
    fi
    summary+=("$(printf '%-20s %5ss  execs %-10s %6s exec/s  %s  peak RSS %s MB  crashes %d' \
        "$target" "$elapsed" "${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "${rss:-?}" "${#crashes[@]}")")
    for c in "${crashes[@]}"; do summary+=("    $c"); done
done

echo
echo "== summary (replay an input: swift build --product TARGET && .build/debug/TARGET FILE)"
printf '%s\n' "${summary[@]}"
exit "$found"
