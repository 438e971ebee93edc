#!/usr/bin/env python3
"""Reads Parquet files written by TickParquet with pyarrow, DuckDB and polars, and checks them
against the exact values they were written from.

Usage: Scripts/parquet_readback.py FILE.parquet EXPECTED.json [FILE.parquet EXPECTED.json ...]
       Scripts/parquet_readback.py --run DIR   (a `tickforge features --format both` run: each
       Parquet file against the CSV of the same rows, cell by cell, and its JSON metadata)
       Scripts/parquet_readback.py --describe FILE.parquet   (rows and row groups, by pyarrow)

EXPECTED.json (written by Tests/TickParquetTests/ReadbackTests.swift):
  {"rows": N, "row_group_rows": R, "key_value_metadata": [[key, value], ...],
   "columns": [{"name": ..., "kind": "timestamp_ms" | "int64" | "double", "values": [...]}]}
Integers are decimal strings, doubles the 16 hex digits of their bit pattern, nulls null.

Each reader opens each file without options. Checked:
  pyarrow  every value (doubles bit for bit), nulls, types (timestamp[ms, tz=UTC] not null, int64,
           double), the Parquet logical and converted type of the timestamp, zstd, row groups of
           R rows, the key-value metadata, and every chunk's statistics (min_raw/max_raw bit for
           bit, null_count, none when all null).
  duckdb   every value and null, the column types, the key-value metadata, every chunk's
           statistics as parquet_metadata() decodes them, and the file-wide min/max its planner
           derives from them (stats()).
  polars   every value and null, the column types, the key-value metadata, and that its
           predicate pushdown skips every row group on a value just above the file's max and
           just below its min (so it read both bounds of every chunk) and reads them all on a
           predicate that holds somewhere in each.
Statistics of doubles follow parquet.thrift: a zero minimum is -0.0 and a zero maximum +0.0.

The readers live in a venv (default .build/parquet-venv, or $TICKFORGE_PARQUET_VENV) made on
first use with pinned versions; later runs reuse it. Prints `ok <reader> <file>` per check that
passed and exits 1 if any failed.
"""
import datetime
import json
import math
import os
import re
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import script_venv  # noqa: E402

PACKAGES = ["pyarrow==26.0.1", "duckdb==2.0.1", "polars==2.1.0"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.abspath(os.environ.get("TICKFORGE_PARQUET_VENV", os.path.join(ROOT, ".build", "parquet-venv")))


# ---------------------------------------------------------------------------------------------
# The venv


def ensure_venv():
    """Re-runs this script with the venv's python (Scripts/script_venv.py makes it if needed)."""
    script_venv.ensure("parquet_readback", VENV, PACKAGES)


# ---------------------------------------------------------------------------------------------
# Expected values


def bits(x):
    return struct.pack("<d", x)


def same(kind, a, b):
    """Values equal bit for bit (doubles) or exactly (integers); None only equals None."""
    if a is None or b is None:
        return a is None and b is None
    if kind == "double":
        return isinstance(a, float) and isinstance(b, float) and bits(a) == bits(b)
    return type(a) is int and type(b) is int and a == b


class Expected:
    def __init__(self, path=None, data=None):
        if data is None:
            with open(path) as f:
                data = json.load(f)
        self.rows = data["rows"]
        self.row_group_rows = data["row_group_rows"]
        self.key_values = {k: v for k, v in data["key_value_metadata"]}
        self.columns = []
        for c in data["columns"]:
            if c["kind"] == "double":
                values = [None if v is None else struct.unpack(">d", bytes.fromhex(v))[0] for v in c["values"]]
            else:
                values = [None if v is None else int(v) for v in c["values"]]
            assert len(values) == self.rows
            self.columns.append((c["name"], c["kind"], values))
        r = self.row_group_rows
        self.groups = [(start, min(start + r, self.rows)) for start in range(0, self.rows, r)]

    def statistics(self, column, group):
        """(min, max, null_count) of one chunk; min and max None when all values are null."""
        _, kind, values = self.columns[column]
        start, end = self.groups[group]
        present = [v for v in values[start:end] if v is not None]
        nulls = end - start - len(present)
        if not present:
            return None, None, nulls
        lo, hi = min(present), max(present)
        if kind == "double":
            lo = -0.0 if lo == 0 else lo
            hi = 0.0 if hi == 0 else hi
        return lo, hi, nulls

    def bounds_everywhere(self, column):
        """The file-wide (min, max) when every chunk has finite bounds, else None."""
        chunks = [self.statistics(column, g) for g in range(len(self.groups))]
        if not chunks or any(lo is None or lo in (float("inf"), float("-inf")) or hi in (float("inf"), float("-inf"))
                             for lo, hi, _ in chunks):
            return None
        lo = min(c[0] for c in chunks)
        hi = max(c[1] for c in chunks)
        if self.columns[column][1] == "double":
            lo = -0.0 if lo == 0 else lo
            hi = 0.0 if hi == 0 else hi
        return lo, hi


class Checker:
    def __init__(self, reader, name):
        self.reader, self.name, self.problems = reader, name, []

    def expect(self, condition, message):
        if not condition:
            self.problems.append(message)
        return condition

    def values(self, expected, column, got):
        name, kind, want = expected.columns[column]
        if not self.expect(len(got) == len(want), f"{name}: {len(got)} values, expected {len(want)}"):
            return
        wrong = [i for i, (a, b) in enumerate(zip(got, want)) if not same(kind, a, b)]
        self.expect(not wrong, f"{name}: {len(wrong)} values differ, first at row {wrong[0] if wrong else 0}: "
                               f"{got[wrong[0]] if wrong else ''!r} vs {want[wrong[0]] if wrong else ''!r}")

    def report(self):
        if self.problems:
            for p in self.problems[:30]:
                print(f"FAIL {self.reader} {self.name}: {p}", flush=True)
            return False
        print(f"ok {self.reader} {self.name}", flush=True)
        return True


# ---------------------------------------------------------------------------------------------
# The readers


def check_pyarrow(path, expected, c):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    md = pf.metadata
    c.expect(md.num_rows == expected.rows, f"num_rows {md.num_rows}")
    c.expect(md.num_row_groups == len(expected.groups), f"{md.num_row_groups} row groups, expected {len(expected.groups)}")
    kv = {k.decode(): v.decode() for k, v in (md.metadata or {}).items()}
    c.expect(kv == expected.key_values, f"key-value metadata {kv!r}")
    types = {"timestamp_ms": pa.timestamp("ms", tz="UTC"), "int64": pa.int64(), "double": pa.float64()}
    schema = pf.schema_arrow
    c.expect(schema.names == [n for n, _, _ in expected.columns], f"columns {schema.names}")
    for j, (name, kind, _) in enumerate(expected.columns):
        field = schema.field(name)
        c.expect(field.type == types[kind], f"{name}: type {field.type}")
        c.expect(field.nullable == (kind != "timestamp_ms"), f"{name}: nullable {field.nullable}")
        column = pf.schema.column(j)
        if kind == "timestamp_ms":
            c.expect(str(column.logical_type).startswith("Timestamp(isAdjustedToUTC=true, timeUnit=milliseconds"),
                     f"{name}: logical type {column.logical_type}")
            c.expect(column.converted_type == "TIMESTAMP_MILLIS", f"{name}: converted type {column.converted_type}")
    for g, (start, end) in enumerate(expected.groups):
        rg = md.row_group(g)
        c.expect(rg.num_rows == end - start, f"row group {g}: {rg.num_rows} rows")
        for j, (name, kind, _) in enumerate(expected.columns):
            chunk = rg.column(j)
            c.expect(chunk.compression == "ZSTD", f"{name}[{g}]: compression {chunk.compression}")
            stats = chunk.statistics
            if not c.expect(stats is not None, f"{name}[{g}]: no statistics"):
                continue
            lo, hi, nulls = expected.statistics(j, g)
            c.expect(stats.null_count == nulls, f"{name}[{g}]: null_count {stats.null_count}, expected {nulls}")
            c.expect(stats.has_min_max == (lo is not None), f"{name}[{g}]: has_min_max {stats.has_min_max}")
            if lo is not None and stats.has_min_max:
                c.expect(same(kind, stats.min_raw, lo), f"{name}[{g}]: min {stats.min_raw!r}, expected {lo!r}")
                c.expect(same(kind, stats.max_raw, hi), f"{name}[{g}]: max {stats.max_raw!r}, expected {hi!r}")
    table = pq.read_table(path)
    c.expect(table.num_rows == expected.rows, f"read {table.num_rows} rows")
    for j, (name, kind, _) in enumerate(expected.columns):
        column = table.column(name)
        if kind == "timestamp_ms":
            column = column.cast(pa.int64())
        c.values(expected, j, column.to_pylist())


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def millis(moment):
    return (moment - EPOCH) // datetime.timedelta(milliseconds=1)


def check_duckdb(path, expected, c):
    import duckdb

    con = duckdb.connect()
    types = {"timestamp_ms": "TIMESTAMP WITH TIME ZONE", "int64": "BIGINT", "double": "DOUBLE"}
    described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()
    got_types = [(row[0], row[1]) for row in described]
    c.expect(got_types == [(n, types[k]) for n, k, _ in expected.columns], f"types {got_types}")
    kv = {k.decode(): v.decode() for _, k, v in con.execute("SELECT * FROM parquet_kv_metadata(?)", [path]).fetchall()}
    c.expect(kv == expected.key_values, f"key-value metadata {kv!r}")

    select = ", ".join(f'epoch_ms("{n}")' if k == "timestamp_ms" else f'"{n}"' for n, k, _ in expected.columns)
    rows = con.execute(f"SELECT {select} FROM read_parquet(?, file_row_number = true) ORDER BY file_row_number",
                       [path]).fetchall()
    for j in range(len(expected.columns)):
        c.values(expected, j, [row[j] for row in rows])

    # Chunk statistics as DuckDB decodes them. The timestamp's bounds come back as text in
    # DuckDB's format: DuckDB parses them back. DuckDB drops an infinite bound (it does so for
    # pyarrow's files too), so an expected ±inf bound is read as absent.
    meta = con.execute("""
        SELECT row_group_id, column_id, stats_null_count,
               CASE WHEN type = 'INT64' AND column_id = ANY(?) THEN epoch_ms(stats_min_value::TIMESTAMPTZ)::VARCHAR ELSE stats_min_value END,
               CASE WHEN type = 'INT64' AND column_id = ANY(?) THEN epoch_ms(stats_max_value::TIMESTAMPTZ)::VARCHAR ELSE stats_max_value END
        FROM parquet_metadata(?) ORDER BY row_group_id, column_id""",
                       [[j for j, (_, k, _) in enumerate(expected.columns) if k == "timestamp_ms"]] * 2 + [path]).fetchall()
    c.expect(len(meta) == len(expected.groups) * len(expected.columns), f"{len(meta)} chunks in parquet_metadata")
    infinite = (float("inf"), float("-inf"))
    for g, j, null_count, lo_text, hi_text in meta:
        name, kind, _ = expected.columns[j]
        lo, hi, nulls = expected.statistics(j, g)
        c.expect(null_count == nulls, f"{name}[{g}]: null_count {null_count}, expected {nulls}")
        parse = float if kind == "double" else int
        for label, text, want in (("min", lo_text, lo), ("max", hi_text, hi)):
            if want is None or want in infinite:
                c.expect(text is None, f"{name}[{g}]: {label} {text!r}, expected none")
            else:
                c.expect(text is not None and same(kind, parse(text), want), f"{name}[{g}]: {label} {text!r}, expected {want!r}")

    # The planner's view: file-wide bounds derived from the chunks' statistics.
    for j, (name, kind, _) in enumerate(expected.columns):
        bounds = expected.bounds_everywhere(j)
        if bounds is None:
            continue
        stats = con.execute(f'SELECT stats("{name}") FROM read_parquet(?) LIMIT 1', [path]).fetchone()[0]
        if not c.expect(isinstance(stats, dict) and "min" in stats and "max" in stats, f"{name}: stats() {stats!r}"):
            continue
        got = (stats["min"], stats["max"])
        if kind == "timestamp_ms":
            got = tuple(millis(x) for x in got)
        c.expect(same(kind, got[0], bounds[0]) and same(kind, got[1], bounds[1]), f"{name}: stats() bounds {got!r}, expected {bounds!r}")


def captured_stderr(body):
    """Runs body() with file descriptor 2 sent to a file (polars logs from Rust); returns both."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            result = body()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        return result, sink.read().decode("utf-8", "replace")


def check_polars(path, expected, c):
    import polars as pl

    types = {"timestamp_ms": pl.Datetime("ms", "UTC"), "int64": pl.Int64, "double": pl.Float64}
    df = pl.read_parquet(path)
    c.expect(df.height == expected.rows, f"read {df.height} rows")
    got_schema = list(df.schema.items())
    c.expect(got_schema == [(n, types[k]) for n, k, _ in expected.columns], f"schema {got_schema}")
    c.expect(pl.read_parquet_metadata(path) == expected.key_values, f"key-value metadata {pl.read_parquet_metadata(path)!r}")
    for j, (name, kind, _) in enumerate(expected.columns):
        series = df[name].cast(pl.Int64) if kind == "timestamp_ms" else df[name]
        c.values(expected, j, series.to_list())

    # Statistics: polars logs how many row groups its predicate pushdown reads.
    groups = len(expected.groups)
    pattern = re.compile(r"Predicate pushdown: reading (\d+) / (\d+) row groups")
    pl.Config.set_verbose(True)
    try:
        for j, (name, kind, _) in enumerate(expected.columns):
            bounds = expected.bounds_everywhere(j)
            if bounds is None:
                continue

            def literal(x):
                return pl.lit(x, dtype=pl.Int64).cast(types[kind]) if kind == "timestamp_ms" else pl.lit(x, dtype=types[kind])

            col = pl.col(name)
            if kind == "double":
                # Polars does not push `>`/`>=` on floats down to statistics (NaN sorts above
                # everything for it), but does push equality and is_between.
                checks = (("== next above max", col == literal(math.nextafter(bounds[1], math.inf)), 0),
                          ("== next below min", col == literal(math.nextafter(bounds[0], -math.inf)), 0),
                          ("is_between(min, max)", col.is_between(literal(bounds[0]), literal(bounds[1])), groups))
            else:
                checks = (("> max", col > literal(bounds[1]), 0),
                          ("< min", col < literal(bounds[0]), 0),
                          (">= min", col >= literal(bounds[0]), groups))
            for label, predicate, want_read in checks:
                frame, log_text = captured_stderr(lambda: pl.scan_parquet(path).filter(predicate).collect())
                reads = pattern.findall(log_text)
                c.expect(reads == [(str(want_read), str(groups))],
                         f"{name} {label}: pushdown read {reads or 'no log line'}, expected {want_read} / {groups}")
                if want_read == 0:
                    c.expect(frame.height == 0, f"{name} {label}: {frame.height} rows")
    finally:
        pl.Config.set_verbose(False)


def expected_from_run(directory, name):
    """What DIR/NAME.parquet must hold, from the run's NAME.csv (each cell as a CSV reader reads
    it: an integer column's digits as an int, any other as float(), which rounds correctly; an
    empty cell as null) and NAME.json (the column types, and the metadata stored whole)."""
    import csv
    with open(os.path.join(directory, name + ".json"), encoding="utf-8") as f:
        document = f.read()
    types = {c["name"]: c["type"] for c in json.loads(document)["columns"]}
    with open(os.path.join(directory, name + ".csv"), newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    columns = []
    for i, column in enumerate(header):
        kind = "timestamp_ms" if i == 0 else ("int64" if types[column] == "integer" else "double")
        values = []
        for row in body:
            cell = row[i]
            if cell == "":
                values.append(None)
            elif kind == "double":
                values.append(struct.pack(">d", float(cell)).hex())
            else:
                values.append(str(int(cell)))
        columns.append({"name": column, "kind": kind, "values": values})
    return Expected(data={"rows": len(body), "row_group_rows": RUN_ROW_GROUP_ROWS,
                          "key_value_metadata": [["tickforge.metadata", document]], "columns": columns})


# Rows per row group of tickforge's outputs (ParquetTableWriter.rowGroupRows).
RUN_ROW_GROUP_ROWS = 1 << 20


def main(argv):
    if len(argv) == 2 and argv[0] == "--describe":
        # Rows, row groups and rows per row group, as pyarrow sees them.
        ensure_venv()
        import pyarrow.parquet as pq
        meta = pq.ParquetFile(argv[1]).metadata
        print(json.dumps({"rows": meta.num_rows, "row_groups": [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]}))
        return 0
    if len(argv) == 2 and argv[0] == "--run":
        # A `tickforge features --format both` run: each Parquet file against its CSV twin.
        ensure_venv()
        ok = True
        for name in ("features", "targets"):
            path = os.path.join(argv[1], name + ".parquet")
            expected = expected_from_run(argv[1], name)
            for reader, check in (("pyarrow", check_pyarrow), ("duckdb", check_duckdb), ("polars", check_polars)):
                checker = Checker(reader, name + ".parquet")
                try:
                    check(path, expected, checker)
                except Exception as error:
                    checker.problems.append(f"{type(error).__name__}: {error}")
                ok = checker.report() and ok
        return 0 if ok else 1
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_venv()
    ok = True
    for path, expected_path in zip(argv[0::2], argv[1::2]):
        expected = Expected(expected_path)
        name = os.path.basename(path)
        for reader, check in (("pyarrow", check_pyarrow), ("duckdb", check_duckdb), ("polars", check_polars)):
            checker = Checker(reader, name)
            try:
                check(path, expected, checker)
            except Exception as error:  # a reader refusing the file is a failure to report, not a crash
                checker.problems.append(f"{type(error).__name__}: {error}")
            ok = checker.report() and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
