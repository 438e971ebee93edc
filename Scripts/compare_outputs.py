#!/usr/bin/env python3
"""Compare the features.csv / targets.csv of two output directories.

Usage: python3 Scripts/compare_outputs.py DIR_EXPECTED DIR_ACTUAL

Checks, per file: same header (names and order), same row count, identical `timestamp`
columns; for every cell: both empty or both non-empty, and non-empty values numerically equal
within abs(a-b) <= max(1e-12, 1e-9*max(|a|,|b|)).  NaN/inf text is always a mismatch.
Also checks that features.csv and targets.csv of each directory have identical timestamps.
Prints a summary; exit status 1 on any mismatch, 0 otherwise.  Standard library only.
"""

import csv
import math
import os
import sys

REL_TOL = 1e-9
ABS_TOL = 1e-12
MAX_REPORTED = 10
FILES = ('features.csv', 'targets.csv')


def load(path):
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    if not rows:
        return None, []
    return rows[0], rows[1:]


def to_num(s):
    v = float(s)
    if not math.isfinite(v):
        raise ValueError('non-finite')
    return v


class Report:
    def __init__(self):
        self.problems = []      # structural problems
        self.mismatches = []    # (file, row, column, expected, actual, why)
        self.n_mismatch = 0

    def problem(self, msg):
        self.problems.append(msg)

    def mismatch(self, fname, row, col, a, b, why):
        self.n_mismatch += 1
        if len(self.mismatches) < MAX_REPORTED:
            self.mismatches.append((fname, row, col, a, b, why))


def timestamps(rows):
    return [r[0] if r else '' for r in rows]


def compare_file(fname, dir_a, dir_b, rep, stats):
    pa, pb = os.path.join(dir_a, fname), os.path.join(dir_b, fname)
    for p in (pa, pb):
        if not os.path.isfile(p):
            rep.problem('missing file: %s' % p)
            return None
    ha, ra = load(pa)
    hb, rb = load(pb)
    if ha is None or hb is None:
        rep.problem('%s: empty file (expected %s, actual %s)' % (fname, ha is None, hb is None))
        return None
    ha = [h.strip() for h in ha]
    hb = [h.strip() for h in hb]
    info = {'rows': len(ra), 'cols': len(ha)}
    ok_header = ha == hb
    if not ok_header:
        if sorted(ha) == sorted(hb):
            rep.problem('%s: same column names but different order' % fname)
            first = next(i for i, (x, y) in enumerate(zip(ha, hb)) if x != y)
            rep.problem('  first difference at column %d: expected %r, actual %r' % (first, ha[first], hb[first]))
        else:
            only_a = [h for h in ha if h not in hb]
            only_b = [h for h in hb if h not in ha]
            rep.problem('%s: header differs; only in expected: %s; only in actual: %s'
                        % (fname, only_a or '-', only_b or '-'))
    if ha and ha[0] != 'timestamp':
        rep.problem('%s: first expected column is %r, not timestamp' % (fname, ha[0]))
    if hb and hb[0] != 'timestamp':
        rep.problem('%s: first actual column is %r, not timestamp' % (fname, hb[0]))
    if len(ra) != len(rb):
        rep.problem('%s: row count differs: expected %d, actual %d' % (fname, len(ra), len(rb)))
    for name, rows, hdr in (('expected', ra, ha), ('actual', rb, hb)):
        bad = [i for i, r in enumerate(rows) if len(r) != len(hdr)]
        if bad:
            rep.problem('%s (%s): %d rows with a wrong number of cells, first at data row %d'
                        % (fname, name, len(bad), bad[0] + 1))
    ta, tb = timestamps(ra), timestamps(rb)
    if ta != tb:
        n = min(len(ta), len(tb))
        first = next((i for i in range(n) if ta[i] != tb[i]), n)
        rep.problem('%s: timestamp columns differ (first at data row %d: expected %r, actual %r)'
                    % (fname, first + 1, ta[first] if first < len(ta) else None,
                       tb[first] if first < len(tb) else None))
    # Cells: compare columns present in both (by name), over common rows.
    cols_b = {h: i for i, h in enumerate(hb)}
    common = [(j, cols_b[h], h) for j, h in enumerate(ha) if h in cols_b]
    nrows = min(len(ra), len(rb))
    for i in range(nrows):
        row_a, row_b = ra[i], rb[i]
        ts = row_a[0] if row_a else ''
        for ja, jb, name in common:
            a = row_a[ja].strip() if ja < len(row_a) else None
            b = row_b[jb].strip() if jb < len(row_b) else None
            if a is None or b is None:
                continue  # already reported as a wrong cell count
            if a == '' and b == '':
                continue
            if (a == '') != (b == ''):
                rep.mismatch(fname, i + 1, name, a, b, 'defined/undefined (timestamp %s)' % ts)
                continue
            if name == 'timestamp':
                continue  # compared exactly above
            try:
                x, y = to_num(a), to_num(b)
            except ValueError:
                rep.mismatch(fname, i + 1, name, a, b, 'not a finite number')
                continue
            d = abs(x - y)
            scale = max(abs(x), abs(y))
            rel = d / scale if scale > 0 else 0.0
            if d > stats['max_abs']:
                stats['max_abs'] = d
                stats['max_abs_at'] = (fname, i + 1, name, a, b)
            if rel > stats['max_rel']:
                stats['max_rel'] = rel
                stats['max_rel_at'] = (fname, i + 1, name, a, b)
            stats['cells'] += 1
            if d > max(ABS_TOL, REL_TOL * scale):
                rep.mismatch(fname, i + 1, name, a, b, 'abs %.3g rel %.3g (timestamp %s)' % (d, rel, ts))
    return info, ta, tb


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    dir_a, dir_b = argv[1], argv[2]
    rep = Report()
    stats = {'max_abs': 0.0, 'max_rel': 0.0, 'max_abs_at': None, 'max_rel_at': None, 'cells': 0}
    infos = {}
    ts = {}
    for fname in FILES:
        res = compare_file(fname, dir_a, dir_b, rep, stats)
        if res is not None:
            infos[fname], ts[(fname, 'a')], ts[(fname, 'b')] = res
    for side, d in (('a', dir_a), ('b', dir_b)):
        if ('features.csv', side) in ts and ('targets.csv', side) in ts:
            if ts[('features.csv', side)] != ts[('targets.csv', side)]:
                rep.problem('%s: features.csv and targets.csv timestamp columns differ' % d)

    print('expected: %s' % dir_a)
    print('actual:   %s' % dir_b)
    for fname in FILES:
        if fname in infos:
            print('  %-13s %d rows x %d columns' % (fname, infos[fname]['rows'], infos[fname]['cols']))
    print('  %d non-empty numeric cell pairs compared' % stats['cells'])
    print('  max abs deviation: %.3g%s' % (stats['max_abs'],
          '' if not stats['max_abs_at'] else '  at %s row %d %s (%s vs %s)' % stats['max_abs_at']))
    print('  max rel deviation: %.3g%s' % (stats['max_rel'],
          '' if not stats['max_rel_at'] else '  at %s row %d %s (%s vs %s)' % stats['max_rel_at']))
    for p in rep.problems:
        print('PROBLEM: ' + p)
    if rep.n_mismatch:
        print('%d cell mismatches; first %d:' % (rep.n_mismatch, len(rep.mismatches)))
        for fname, row, col, a, b, why in rep.mismatches:
            print('  %s data row %d column %s: expected %r actual %r  [%s]' % (fname, row, col, a, b, why))
    if rep.problems or rep.n_mismatch:
        print('RESULT: MISMATCH')
        return 1
    print('RESULT: OK')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
