#!/usr/bin/env python3
"""Compare the columns a reference writes for one column group with the same columns of a
tickforge features.csv.

Usage: python3 Scripts/compare_columns.py EXPECTED.csv ACTUAL_features.csv

EXPECTED.csv has `timestamp` and some columns (e.g. what Scripts/reference_aux.py writes).
Checks: every expected column is in the actual file, in the same relative order; the same rows
and timestamps; for every cell, both empty or both defined and within the contract's tolerance
(abs(a-b) <= max(1e-12, 1e-9*max(|a|,|b|))).  Exit status 1 on any mismatch.  Standard library only.
"""

import csv
import math
import sys

REL_TOL, ABS_TOL, SHOWN = 1e-9, 1e-12, 10


def load(path):
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    he, re_ = load(argv[1])
    ha, ra = load(argv[2])
    problems, cells = [], 0
    missing = [h for h in he if h not in ha]
    if missing:
        problems.append('columns missing from %s: %s' % (argv[2], ', '.join(missing)))
    order = [ha.index(h) for h in he if h in ha]
    if order != sorted(order):
        problems.append('the columns are not in the expected order: expected %s' % ', '.join(he))
    if len(re_) != len(ra):
        problems.append('row count differs: expected %d, actual %d' % (len(re_), len(ra)))
    where = {h: ha.index(h) for h in he if h in ha}
    shown = 0
    for i, (e, a) in enumerate(zip(re_, ra)):
        if e[0] != a[ha.index('timestamp')]:
            problems.append('data row %d: timestamp %s, actual %s' % (i + 1, e[0], a[0]))
            break
        for j, name in enumerate(he):
            if name == 'timestamp' or name not in where:
                continue
            x, y = e[j].strip(), a[where[name]].strip()
            bad = None
            if (x == '') != (y == ''):
                bad = 'defined/undefined'
            elif x != '':
                cells += 1
                u, v = float(x), float(y)
                if not (math.isfinite(u) and math.isfinite(v)):
                    bad = 'not finite'
                elif abs(u - v) > max(ABS_TOL, REL_TOL * max(abs(u), abs(v))):
                    bad = 'differs by %.3g' % abs(u - v)
            if bad:
                problems.append('row %d (timestamp %s) %s: expected %r, actual %r: %s' % (i + 1, e[0], name, x, y, bad))
                shown += 1
                if shown >= SHOWN:
                    break
        if shown >= SHOWN:
            problems.append('(stopped after %d mismatches)' % SHOWN)
            break
    if problems:
        print('\n'.join(problems))
        return 1
    print('OK: %d rows, %d columns, %d defined cells agree' % (len(re_), len(he) - 1, cells))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
