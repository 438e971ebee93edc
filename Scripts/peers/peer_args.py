"""Command line shared by the peer implementations (peer_polars.py, peer_duckdb.py,
peer_pandas.py): the same flags as `tickforge features`, plus the input's shape."""
import argparse
import re

UNIT_MS = {'ms': 1, 's': 1000, 'm': 60_000, 'h': 3_600_000}
PER_MS = {'ms': 1, 'us': 1000, 'ns': 1_000_000}
LAMBDA = 0.94
THETA = 5e-4


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument('--trades', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--interval', default='1s')
    ap.add_argument('--windows', default='10,60,300')
    ap.add_argument('--horizons', default='10,60')
    ap.add_argument('--no-header', action='store_true')
    ap.add_argument('--ncols', type=int, default=6)
    ap.add_argument('--time-unit', default='ms', choices=sorted(PER_MS))
    a = ap.parse_args()
    m = re.fullmatch(r'(\d+)(ms|s|m|h)', a.interval)
    a.delta_ms = int(m.group(1)) * UNIT_MS[m.group(2)]
    a.windows = [int(x) for x in a.windows.split(',')]
    a.horizons = [int(x) for x in a.horizons.split(',')]
    return a
