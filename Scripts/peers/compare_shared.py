#!/usr/bin/env python3
"""Compare a peer's features.csv / targets.csv with tickforge's, on the columns both have.

Usage: compare_shared.py TICKFORGE_DIR PEER_DIR [--name NAME] [--summary FILE]

Tolerance as in docs/FEATURES.md: every value defined on both sides must agree within
abs(a-b) <= max(1e-12, 1e-9*max(|a|,|b|)), and the undefined cells must be the same: an empty
cell in tickforge must be null or NaN in the peer and vice versa (a peer's inf is a value, and so
a mismatch).  Timestamps and row counts must be identical.  Prints a per-column report; writes one
line for the peers table to --summary ("yes (...)" or "no: ...").  Exit status 0 when everything
agrees, 1 otherwise.  Needs polars and numpy (the peers' virtual environment).
"""
import argparse
import os
import sys

import numpy as np
import polars as pl

REL_TOL = 1e-9
ABS_TOL = 1e-12
FILES = ('features.csv', 'targets.csv')


def load(path):
    # All columns as text: empty cells become null, nothing is guessed.
    return pl.read_csv(path, infer_schema=False)


def as_float(s):
    return s.str.strip_chars().cast(pl.Float64, strict=False).to_numpy()


def short(x):
    return '%.3g' % x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('tickforge_dir')
    ap.add_argument('peer_dir')
    ap.add_argument('--name', default='peer')
    ap.add_argument('--summary')
    a = ap.parse_args()

    problems, failing, rows_out = [], [], []
    not_computed, extra = [], []
    tot_cells, max_abs, max_rel = 0, 0.0, 0.0
    worst = (0.0, 0.0, 0.0)                      # (deviation / tolerance, abs, rel) of the worst cell
    for fname in FILES:
        pa, pb = os.path.join(a.tickforge_dir, fname), os.path.join(a.peer_dir, fname)
        if not os.path.isfile(pb):
            problems.append(f'{fname} missing in peer output')
            continue
        A, B = load(pa), load(pb)
        if A.height != B.height:
            problems.append(f'{fname}: {A.height} rows in tickforge, {B.height} in {a.name}')
        n = min(A.height, B.height)
        A, B = A.head(n), B.head(n)
        ta, tb = as_float(A['timestamp']), as_float(B['timestamp'])
        if not np.array_equal(ta, tb):
            i = int(np.argmax(ta != tb))
            problems.append(f'{fname}: timestamps differ, first at data row {i + 1} ({A["timestamp"][i]} vs {B["timestamp"][i]})')
        not_computed += [c for c in A.columns if c not in B.columns]
        extra += [c for c in B.columns if c not in A.columns]
        for col in [c for c in A.columns if c in B.columns and c != 'timestamp']:
            x, y = as_float(A[col]), as_float(B[col])
            raw_a = A[col].str.strip_chars().fill_null('').to_numpy()
            ux = raw_a == ''                     # tickforge: only an empty cell is undefined
            bad_text = ~ux & np.isnan(x)
            if bad_text.any():
                problems.append(f'{fname} {col}: tickforge cell is not a number: {raw_a[np.argmax(bad_text)]!r}')
            uy = np.isnan(y)                     # peer: null or NaN is undefined
            tf_only = ~ux & uy                   # defined in tickforge, undefined in the peer
            peer_only = ux & ~uy
            both = ~ux & ~uy
            xb, yb = x[both], y[both]
            with np.errstate(invalid='ignore', over='ignore'):
                d = np.abs(xb - yb)
                scale = np.maximum(np.abs(xb), np.abs(yb))
                ratio = d / np.maximum(ABS_TOL, REL_TOL * scale)   # <= 1 is within tolerance
                bad = ~(ratio <= 1)
                rel = np.where(scale > 0, d / np.where(scale > 0, scale, 1), 0.0)
            if ratio.size:
                key = np.where(np.isnan(ratio), np.inf, ratio)
                top = np.flatnonzero(key == key.max())
                k = int(top[np.argmax(np.where(np.isnan(d[top]), np.inf, d[top]))])   # ties: the largest |a-b|
                if (key[k], d[k]) > (worst[0], worst[1]):
                    worst = (float(key[k]), float(d[k]), float(rel[k]))
            cm_abs = float(np.max(d)) if d.size else 0.0
            cm_rel = float(np.max(rel)) if rel.size else 0.0
            tot_cells += int(both.sum())
            max_abs, max_rel = max(max_abs, cm_abs), max(max_rel, cm_rel)
            nbad, ntf, npeer = int(bad.sum()), int(tf_only.sum()), int(peer_only.sum())
            line = f'  {fname:<12} {col:<16} {int(both.sum()):>9} cells  max abs {short(cm_abs):>9}  max rel {short(cm_rel):>9}'
            if nbad or ntf or npeer:
                failing.append(col)
                parts = []
                if nbad:
                    idx = int(np.flatnonzero(both)[np.argmax(np.where(bad, rel, -1.0))])
                    parts.append(f'{nbad} values beyond tolerance (worst at timestamp {A["timestamp"][idx]}: '
                                 f'tickforge {A[col][idx]} vs {B[col][idx]})')
                if ntf:
                    i = int(np.argmax(tf_only))
                    parts.append(f'{ntf} cells undefined in {a.name} but defined in tickforge '
                                 f'(first at timestamp {A["timestamp"][i]}: tickforge {A[col][i]} vs {B[col][i]!r})')
                if npeer:
                    i = int(np.argmax(peer_only))
                    parts.append(f'{npeer} cells defined in {a.name} but empty in tickforge '
                                 f'(first at timestamp {A["timestamp"][i]}: {a.name} {B[col][i]})')
                line += '  MISMATCH: ' + '; '.join(parts)
            rows_out.append(line)

    print(f'{a.name} vs tickforge: {tot_cells} cell pairs compared, max abs {short(max_abs)}, max rel {short(max_rel)}')
    for line in rows_out:
        print(line)
    if not_computed:
        print(f'  not computed by {a.name}: {", ".join(not_computed)}')
    if extra:
        print(f'  only in {a.name} (ignored): {", ".join(extra)}')
    for p in problems:
        print('  PROBLEM: ' + p)
    dev = f'worst cell {short(worst[0])}x tol (abs {short(worst[1])}, rel {short(worst[2])})'
    if problems or failing:
        names = ','.join(failing[:5]) + (',...' if len(failing) > 5 else '')
        summary = f'no: {len(failing)} col(s) {names}' if failing else 'no'
        if problems:
            summary += f' + {len(problems)} problem(s)'
        summary += '; ' + dev
    else:
        summary = 'yes; ' + dev
    if a.summary:
        with open(a.summary, 'w') as f:
            f.write(summary + '\n')
    print('  => ' + summary)
    return 1 if (problems or failing) else 0


if __name__ == '__main__':
    sys.exit(main())
