#!/usr/bin/env python3
"""Independent reference for splits.json (docs/FEATURES.md, Files), written from the contract's
words, not from tickforge's code.  Standard library only.

Usage:
  python3 Scripts/reference_splits.py --features DIR/features.csv --splits METHOD
      --purge P --embargo E --interval-ms D [--compare DIR/splits.json]

Reads the written rows' timestamps from features.csv and prints the expected splits.json (as
JSON), or, with --compare, checks tickforge's file against it and exits 1 on any difference.
When a set is empty it prints `error: needs N rows` with N the fewest rows of a dense raster
for which every set of every fold has a row (found by trying every N upward), and exits 3.

Design: row by row and set by set, obviously correct, not fast.
  * A row r belongs to the purge before a test range starting at row s when its bar lies
    within P bars before the bar of s:  ts(s) - P*D <= ts(r) < ts(s).  The embargo after a
    test range whose last row is l holds the rows with ts(l) < ts(r) <= ts(l) + E*D.  In a
    dense raster these are the rows [s-P, s) and [l+1, l+1+E).
  * walk-forward trains on "[0, start - P)": the rows before the purge, ts(r) < ts(s) - P*D.
  * holdout: fractions read with fractions.Fraction from their decimal text (exact);
    n1 = floor(a*N), n2 = floor((a+b)*N); train = rows r < n1 with ts(r) < ts(n1) - P*D,
    validation = rows n1 <= r < n2 with ts(r) < ts(n2) - P*D, test = [n2, N).
"""
import argparse
import csv
import json
import sys
from fractions import Fraction


def ranges(rows):
    """Maximal runs of consecutive row numbers, as [first, end)."""
    out = []
    for r in sorted(rows):
        if out and out[-1][1] == r:
            out[-1][1] = r + 1
        else:
            out.append([r, r + 1])
    return out


def row_set(rows, ts, d):
    rs = ranges(rows)
    return {"count": len(rows), "rows": rs, "timestamps": [[ts[a], ts[b - 1] + d] for a, b in rs]}


def folds(method, ts, p, e, d):
    n = len(ts)
    kind, _, arg = method.partition(":")
    out = []

    def purge(s):
        return set(r for r in range(n) if s < n and ts[s] - p * d <= ts[r] < ts[s])

    def embargo(last):
        return set(r for r in range(n) if ts[last] < ts[r] <= ts[last] + e * d)

    if kind == "kfold":
        f = int(arg)
        for k in range(f):
            s, t = k * n // f, (k + 1) * n // f
            test = set(range(s, t))
            excluded = set(test)
            if test:
                excluded |= purge(s) | embargo(t - 1)
            train = set(range(n)) - excluded
            out.append({"fold": k, "train": train, "test": test})
    elif kind == "walk-forward":
        f = int(arg)
        b = [j * n // (f + 1) for j in range(f + 2)]
        for k in range(1, f + 1):
            s = b[k]
            train = set(r for r in range(s) if s < n and ts[r] < ts[s] - p * d) if s < n else set(range(s))
            out.append({"fold": k, "train": train, "test": set(range(b[k], b[k + 1]))})
    elif kind == "holdout":
        a, bb, c = (Fraction(x) for x in arg.split(","))
        if a + bb + c != 1:
            raise SystemExit("error: fractions do not sum to 1")
        n1, n2 = (a * n).__floor__(), ((a + bb) * n).__floor__()
        train = set(r for r in range(n1) if not (n1 < n and ts[r] >= ts[n1] - p * d))
        validation = set(r for r in range(n1, n2) if not (n2 < n and ts[r] >= ts[n2] - p * d))
        out.append({"fold": 0, "train": train, "validation": validation, "test": set(range(n2, n))})
    else:
        raise SystemExit("unknown method " + method)
    return out


def empty(fs):
    return any(not f[k] for f in fs for k in ("train", "validation", "test") if k in f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", required=True)
    ap.add_argument("--splits", required=True)
    ap.add_argument("--purge", type=int, required=True)
    ap.add_argument("--embargo", type=int, required=True)
    ap.add_argument("--interval-ms", type=int, required=True)
    ap.add_argument("--compare")
    args = ap.parse_args()
    with open(args.features, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        ts = [int(row[0]) for row in reader]
    p, e, d = args.purge, args.embargo, args.interval_ms
    fs = folds(args.splits, ts, p, e, d)
    if empty(fs):
        n = 1
        while empty(folds(args.splits, [i * d for i in range(n)], p, e, d)):
            n += 1
            if n > 2_000_000:
                print("error: no number of rows works")
                sys.exit(3)
        print("error: needs %d rows" % n)
        sys.exit(3)
    doc = {"format_version": 1, "method": args.splits.partition(":")[0], "rows": len(ts), "purge_bars": p,
           "embargo_bars": e, "interval_ms": d,
           "folds": [{k: (v if k == "fold" else row_set(v, ts, d)) for k, v in f.items()} for f in fs]}
    if not args.compare:
        print(json.dumps(doc, indent=1, sort_keys=True))
        return
    with open(args.compare) as f:
        actual = json.load(f)
    if actual != doc:
        for key in doc:
            if doc[key] != actual.get(key):
                print("differs at %s:\n expected %s\n actual   %s" % (key, json.dumps(doc[key])[:2000], json.dumps(actual.get(key))[:2000]))
        extra = set(actual) - set(doc)
        if extra:
            print("unexpected keys: %s" % sorted(extra))
        sys.exit(1)
    print("splits.json matches the reference: %d folds over %d rows" % (len(fs), len(ts)))


if __name__ == "__main__":
    main()
