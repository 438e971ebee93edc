#!/usr/bin/env bash
# Loads a tickforge run into a real, throwaway PostgreSQL with the script `tickforge sql-schema`
# prints, and checks the tables against the CSVs: row counts, NULLs per column (= empty cells),
# every value (bigint and numeric as text, double precision bit for bit against Python's float()
# of the CSV text), the generated timestamptz against the epoch milliseconds (also over a wide
# range of probe values), the column types, and that a failing rerun stops and leaves the tables.
#
# Usage: Scripts/test_postgres.sh [--timescale] DIR
#   DIR          the --out directory of a finished `tickforge features` run (only read)
#   --timescale  also load the --timescale variant into a second database, when the timescaledb
#                extension is installed for this PostgreSQL; otherwise say it was skipped
#   TICKFORGE_BINARY  the tickforge to run (default: .build/release/tickforge)
#
# Installs PostgreSQL from Debian's packages when no /usr/lib/postgresql/*/bin/initdb exists
# (root or sudo). The cluster lives in a temporary directory, listens only on a unix socket there
# (no TCP port), runs as the `postgres` system user when this script runs as root (PostgreSQL
# refuses root), and is stopped and removed on exit, failed or not. psql runs as the caller, so
# `\copy` reads the CSVs with the caller's rights: nothing needs to be readable to `postgres`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

timescale=0
dir=""
for arg in "$@"; do
    case "$arg" in
        --timescale) timescale=1 ;;
        -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) [ -z "$dir" ] || { echo "test_postgres: one DIR only" >&2; exit 2; }; dir="$arg" ;;
    esac
done
[ -n "$dir" ] || { echo "usage: Scripts/test_postgres.sh [--timescale] DIR" >&2; exit 2; }
[ -f "$dir/features.json" ] || { echo "test_postgres: $dir/features.json not found: not a finished run" >&2; exit 2; }
tickforge="${TICKFORGE_BINARY:-$repo/.build/release/tickforge}"
[ -x "$tickforge" ] || { echo "test_postgres: $tickforge not found: swift build -c release --product tickforge" >&2; exit 2; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
newest_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(newest_bin)" ] || [ ! -x "$(newest_bin)/initdb" ]; then
    echo "test_postgres: installing postgresql (Debian packages)" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq postgresql >/dev/null
fi
bin="$(newest_bin)"
[ -x "$bin/initdb" ] || { echo "test_postgres: no initdb under /usr/lib/postgresql/*/bin after installing" >&2; exit 1; }
major="$(basename "$(dirname "$bin")")"
version="$("$bin/postgres" --version)"

# TimescaleDB: Debian does not package it; use it where it is installed, or installable from an
# apt source that has it (Timescale's own), and say so plainly otherwise.
have_timescale=0
if [ "$timescale" -eq 1 ]; then
    sharedir="$("$bin/pg_config" --sharedir)"
    if [ ! -f "$sharedir/extension/timescaledb.control" ] \
        && apt-cache policy "timescaledb-2-postgresql-$major" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
        echo "test_postgres: installing timescaledb-2-postgresql-$major" >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "timescaledb-2-postgresql-$major" >/dev/null
    fi
    [ -f "$sharedir/extension/timescaledb.control" ] && have_timescale=1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tickforge-pg.XXXXXX")"
as_server=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "test_postgres: running as root, but there is no postgres user to run the server" >&2; exit 1; }
    chown postgres: "$work"
    as_server=(runuser -u postgres --)
fi
started=0
cleanup() {
    local status=$?
    if [ "$started" -eq 1 ]; then
        "${as_server[@]}" "$bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 \
            || "${as_server[@]}" "$bin/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ "$status" -ne 0 ] && [ -f "$work/server.log" ]; then
        echo "--- server log (last 30 lines) ---" >&2
        tail -30 "$work/server.log" >&2
    fi
    rm -rf "$work"
    echo "test_postgres: server stopped, $work removed" >&2
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
"${as_server[@]}" "$bin/initdb" -D "$work/data" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
options="-c listen_addresses='' -c unix_socket_directories='$work' -c fsync=off -c full_page_writes=off"
[ "$have_timescale" -eq 1 ] && options+=" -c shared_preload_libraries=timescaledb -c timescaledb.telemetry_level=off"
"${as_server[@]}" "$bin/pg_ctl" -D "$work/data" -o "$options" -l "$work/server.log" -w -t 60 start >/dev/null
started=1
echo "test_postgres: $version, cluster in $work (unix socket only), up in $((SECONDS - start)) s"

psql=("$bin/psql" -X -h "$work" -U postgres)
export TF_PSQL="${psql[*]@Q}" TF_DIR="$dir"

check() {   # check DATABASE [sql-schema flags]: load with the printed script, compare with the CSVs
    local db="$1"; shift
    "${psql[@]}" -d postgres -q -c "CREATE DATABASE $db"
    # Exactly as the README shows: the printed script piped into psql.
    "$tickforge" sql-schema "$dir" "$@" | "${psql[@]}" -d "$db" -q -v ON_ERROR_STOP=1 >"$work/load.out"
    python3 - "$db" "$@" <<'PY'
import csv, datetime, json, os, shlex, struct, subprocess, sys
from decimal import Decimal

db, flags = sys.argv[1], sys.argv[2:]
psql = shlex.split(os.environ["TF_PSQL"]) + ["-d", db, "-v", "ON_ERROR_STOP=1", "-At"]
table = flags[flags.index("--table") + 1] if "--table" in flags else "tickforge"
run = os.environ["TF_DIR"]
failures = []

def query(sql):
    return subprocess.run(psql + ["-c", sql], check=True, capture_output=True, text=True).stdout

def q(name):
    return '"' + name.replace('"', '""') + '"'

def fail(message):
    failures.append(message)
    print("FAIL " + message)

for kind in ("features", "targets"):
    name = f"{table}_{kind}"
    failures_before = len(failures)
    meta = json.load(open(f"{run}/{kind}.json"))
    columns = [(c["name"], c["type"]) for c in meta["columns"]]
    with open(f"{run}/{kind}.csv", newline="") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    if header != [c for c, _ in columns]:
        fail(f"{kind}.csv header differs from {kind}.json")
        continue

    # Types as the metadata says, and bar_start generated.
    want = {"integer": "bigint", "decimal": "numeric", "real": "double precision"}
    got = dict(line.split("|", 2)[:2] for line in query(
        f"SELECT column_name, data_type, is_generated FROM information_schema.columns WHERE table_name = '{name}'").splitlines())
    for column, kind_of in columns:
        if got.get(column) != want[kind_of]:
            fail(f"{name}.{column}: type {got.get(column)}, metadata says {kind_of} ({want[kind_of]})")
    generated = query(f"SELECT is_generated, data_type FROM information_schema.columns WHERE table_name = '{name}' AND column_name = 'bar_start'").strip()
    if generated != "ALWAYS|timestamp with time zone":
        fail(f"{name}.bar_start: {generated!r}, expected a generated timestamptz")

    # Row count and NULLs per column = empty cells.
    counts = query(f"SELECT count(*), " + ", ".join(f"count({q(c)})" for c, _ in columns) + f" FROM {name}").strip().split("|")
    if int(counts[0]) != len(data) or len(data) != meta["row_count"]:
        fail(f"{name}: {counts[0]} rows, the CSV has {len(data)}, the metadata says {meta['row_count']}")
    for i, (column, _) in enumerate(columns):
        empty = sum(1 for row in data if row[i] == "")
        nulls = int(counts[0]) - int(counts[i + 1])
        if nulls != empty:
            fail(f"{name}.{column}: {nulls} NULLs, the CSV has {empty} empty cells")

    # Every value: bigint and numeric as text, double precision as its 8 bytes, NULL as \N.
    select = ['"timestamp"::text', "(extract(epoch FROM bar_start) * 1000 = \"timestamp\")::text",
              "to_char(bar_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS')"]
    for column, kind_of in columns[1:]:
        select.append(f"encode(float8send({q(column)}), 'hex')" if kind_of == "real" else f"{q(column)}::text")
    out = query(f"SELECT " + ", ".join(f"coalesce({s}, '\\N')" for s in select) + f" FROM {name} ORDER BY \"timestamp\"")
    loaded = [line.split("|") for line in out.splitlines()]
    if len(loaded) != len(data):
        fail(f"{name}: {len(loaded)} rows read back, {len(data)} in the CSV")
    mismatches = 0
    checked = {"real": 0, "decimal": 0, "integer": 0}
    for number, (row, back) in enumerate(zip(data, loaded)):
        ms = int(row[0])
        expected_time = (datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=ms)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        if back[0] != row[0] or back[1] != "true" or back[2] != expected_time:
            mismatches += 1
            if mismatches <= 10:
                fail(f"{name} row {number}: timestamp {back[0]}, bar_start {back[2]} (exact: {back[1]}), CSV {row[0]} = {expected_time}")
        for (column, kind_of), text, value in zip(columns[1:], row[1:], back[3:]):
            if text == "":
                ok = value == "\\N"
            elif kind_of == "real":
                ok = value == struct.pack(">d", float(text)).hex()
            else:
                ok = value == text
                if kind_of == "decimal":
                    ok = ok and Decimal(value) == Decimal(text)
            if text != "":
                checked[kind_of] += 1
            if not ok:
                mismatches += 1
                if mismatches <= 10:
                    fail(f"{name} row {number} (timestamp {row[0]}) {column} ({kind_of}): loaded {value!r}, CSV {text!r}")
    if mismatches > 10:
        fail(f"{name}: {mismatches} values differ in all")
    if len(failures) == failures_before:
        print(f"ok {db}.{name}: {len(data)} rows, NULLs per column = empty cells, every value equal "
              f"({checked['integer']} bigint and {checked['decimal']} numeric as text, {checked['real']} double precision bit for bit), "
              f"bar_start = timestamp for every row; first {data[0][0]}, last {data[-1][0]}" if data else f"ok {name}: no rows")

# The generated expression as PostgreSQL stored it, on probe values from 4713 BC to 9999 AD.
probe = query(f"""
CREATE TEMP TABLE probe (LIKE {table}_features INCLUDING GENERATED);
INSERT INTO probe ("timestamp")
  SELECT DISTINCT v FROM (
    SELECT (random() * 463000000000000)::bigint - 210866803200000 AS v FROM generate_series(1, 200000)
    UNION ALL SELECT (random() * 4102444800000)::bigint FROM generate_series(1, 200000)
    UNION ALL SELECT unnest(ARRAY[0, -1, 1, 999, -999, 1000, -1001, 2147483647999, 2147483648001,
                                  4102444799999, 253402300799999, -62135596800000, -210866803200000])) s;
SELECT count(*), count(*) FILTER (WHERE extract(epoch FROM bar_start) * 1000 <> "timestamp") FROM probe;
""").split()[-1].split("|")
if probe[-1] != "0":
    fail(f"bar_start differs from \"timestamp\" for {probe[-1]} of {probe[-2]} probe values")
else:
    print(f"ok {db}: bar_start = \"timestamp\" exactly for {probe[-2]} probe values from 4713 BC to 9999 AD")

if "--timescale" in flags:
    dims = query("SELECT hypertable_name, column_name, column_type::text, integer_interval FROM timescaledb_information.dimensions ORDER BY 1").split()
    expected = sorted(f"{table}_{k}" for k in ("features", "targets"))
    if [d.split("|")[0] for d in dims] != expected or any(d.split("|")[1:3] != ["timestamp", "bigint"] for d in dims):
        fail(f"hypertables: {dims}, expected {expected} on the bigint \"timestamp\"")
    else:
        print(f"ok {db}: hypertables {', '.join(dims)}")
    chunks = query(f"SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = '{table}_features'").strip()
    print(f"ok {db}: {table}_features has {chunks} chunk(s)")
sys.exit(1 if failures else 0)
PY
}

check plain --table tickforge
echo "ok plain: loaded with \`tickforge sql-schema DIR | psql\`"

# Run again without ON_ERROR_STOP on the command line: the script's own \set stops it at the
# first CREATE TABLE, and the rolled-back transaction leaves the loaded tables as they were.
before="$("${psql[@]}" -d plain -At -c 'SELECT count(*) FROM tickforge_features')"
set +e
"$tickforge" sql-schema "$dir" | "${psql[@]}" -d plain -q >"$work/rerun.out" 2>&1
rerun=$?
set -e
after="$("${psql[@]}" -d plain -At -c 'SELECT count(*) FROM tickforge_features')"
if [ "$rerun" -eq 0 ] || [ "$before" != "$after" ] || ! grep -q 'already exists' "$work/rerun.out"; then
    echo "FAIL a second load into the same database: psql exit $rerun, rows $before → $after: $(head -3 "$work/rerun.out")"
    exit 1
fi
echo "ok plain: a second load stops at CREATE TABLE (psql exit $rerun) and leaves the $after rows"

if [ "$timescale" -eq 1 ]; then
    if [ "$have_timescale" -eq 1 ]; then
        check timescale --table tickforge --timescale
        echo "ok timescale: loaded with --timescale"
    else
        echo "SKIPPED timescale: the timescaledb extension is not installed for PostgreSQL $major (no $sharedir/extension/timescaledb.control; Debian does not package it); the --timescale script was not tested"
    fi
fi
echo "test_postgres: passed in $((SECONDS - start)) s"
