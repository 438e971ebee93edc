#!/usr/bin/env python3
"""Peer implementation of the tickforge trade features (docs/FEATURES.md) in DuckDB SQL,
written the way a DuckDB user would: read_csv with an explicit schema, GROUP BY to bars, a
range() raster LEFT JOINed to the bars, then window functions (ROWS frames, lag/lead).
DOUBLE throughout.  ewm_vol is left out: it is a recursion, which SQL cannot express short of a
recursive CTE with one step per bar.

Usage: peer_duckdb.py --trades FILE --out DIR [--interval 1s] [--windows 10,60,300]
           [--horizons 10,60] [--no-header] [--ncols 6] [--time-unit ms]
Writes DIR/features.csv and DIR/targets.csv (same column names as tickforge; NULL = empty cell).
"""
import argparse
import os
import re

import duckdb

from peer_args import LAMBDA, PER_MS, THETA, UNIT_MS, parse_args  # noqa: E402,F401


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def main():
    a = parse_args()
    names = ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker', 'is_best_match'][:a.ncols]
    types = ['BIGINT', 'DOUBLE', 'DOUBLE', 'DOUBLE', 'BIGINT', 'BOOLEAN', 'BOOLEAN'][:a.ncols]
    columns = '{' + ', '.join(f"'{n}': '{t}'" for n, t in zip(names, types)) + '}'
    div = a.delta_ms * PER_MS[a.time_unit]
    W, H = a.windows, a.horizons
    wmin, wmax = min(W), max(W)

    def roll(expr, w):        # sum over bars t-w+1 .. t
        return f'sum({expr}) OVER (ORDER BY t ROWS BETWEEN {w - 1} PRECEDING AND CURRENT ROW)'

    def defined(w, expr):     # spec: undefined for t < w
        return f'CASE WHEN t >= {w} THEN {expr} END'

    f = []
    for w in W:
        f.append(f'ln(close / lag(close, {w}) OVER (ORDER BY t)) AS ret_{w}')
    for w in W:
        rv = 'sqrt(' + roll('r2', w) + ')'
        f.append(f'{defined(w, rv)} AS rv_{w}')
    for w in W:
        pk = 'sqrt(' + roll('hl2', w) + ' / (4 * ln(2)))'
        f.append(f'{defined(w, pk)} AS parkinson_{w}')
    for w in W:
        sv, imb = roll('volume', w), roll('buy_volume - sell_volume', w)
        tfi_w = f'CASE WHEN {sv} <> 0 THEN {imb} / {sv} ELSE 0 END'
        f.append(f'{defined(w, tfi_w)} AS tfi_{w}')
    for w in W:
        f.append(f'{defined(w, roll("volume", w))} AS volume_{w}')
    for w in W:
        f.append(f'{defined(w, roll("trade_count", w))} AS trades_{w}')
    f.append(f'CASE WHEN t >= {wmax + 1} THEN corr(ar_prev, ar) OVER '
             f'(ORDER BY t ROWS BETWEEN {wmax - 1} PRECEDING AND CURRENT ROW) END AS absret_autocorr')
    tg = []
    for h in H:
        tg.append(f'ln(lead(close, {h}) OVER (ORDER BY t) / close) AS fwd_ret_{h}')
    for h in H:
        tg.append(f'CASE WHEN t + {h} <= n - 1 THEN sqrt(sum(r2) OVER '
                  f'(ORDER BY t ROWS BETWEEN 1 FOLLOWING AND {h} FOLLOWING)) END AS fwd_rv_{h}')

    con = duckdb.connect()
    con.execute(f"""
    CREATE TEMP TABLE bars AS
    WITH ticks AS (
        SELECT time // {div} AS bar, price, qty, id, NOT is_buyer_maker AS buyer
        FROM read_csv({sql_str(a.trades)}, header = {str(not a.no_header).lower()}, columns = {columns})
    ), agg AS (
        SELECT bar,
               arg_min(price, id) AS open, max(price) AS high, min(price) AS low, arg_max(price, id) AS close,
               sum(qty) AS volume,
               coalesce(sum(qty) FILTER (WHERE buyer), 0) AS buy_volume,
               coalesce(sum(qty) FILTER (WHERE NOT buyer), 0) AS sell_volume,
               count(*) AS trade_count, sum(price * qty) AS pq
        FROM ticks GROUP BY bar
    ), grid AS (
        SELECT range AS bar FROM range((SELECT min(bar) FROM agg), (SELECT max(bar) + 1 FROM agg))
    ), dense AS (
        SELECT g.bar, agg.* EXCLUDE (bar),
               last_value(agg.close IGNORE NULLS) OVER (ORDER BY g.bar ROWS UNBOUNDED PRECEDING) AS c_ff
        FROM grid g LEFT JOIN agg USING (bar)
    )
    SELECT bar - (SELECT min(bar) FROM agg) AS t,
           bar * {a.delta_ms} AS timestamp,
           coalesce(open, c_ff) AS open, coalesce(high, c_ff) AS high, coalesce(low, c_ff) AS low,
           c_ff AS close,
           coalesce(volume, 0) AS volume, coalesce(buy_volume, 0) AS buy_volume,
           coalesce(sell_volume, 0) AS sell_volume, coalesce(trade_count, 0) AS trade_count,
           CASE WHEN coalesce(volume, 0) <> 0 THEN pq / volume ELSE c_ff END AS vwap,
           CASE WHEN coalesce(volume, 0) <> 0 THEN (buy_volume - sell_volume) / volume ELSE 0 END AS tfi
    FROM dense
    """)
    con.execute(f"""
    CREATE TEMP TABLE feats AS
    WITH b AS (
        SELECT *, ln(close / lag(close) OVER (ORDER BY t)) AS log_return FROM bars
    ), b2 AS (
        SELECT *, log_return * log_return AS r2, ln(high / low) ^ 2 AS hl2,
               abs(log_return) AS ar, lag(abs(log_return)) OVER (ORDER BY t) AS ar_prev,
               count(*) OVER () AS n
        FROM b
    )
    SELECT timestamp, open, high, low, close, volume, buy_volume, sell_volume, trade_count, vwap, tfi,
           log_return, {', '.join(f)}, {', '.join(tg)},
           2 * pi() * ((timestamp % 86400000) / 3600000) / 24 AS a_h,
           2 * pi() * (((timestamp // 86400000 + 3) % 7) + (timestamp % 86400000) / 3600000 / 24) / 7 AS a_d
    FROM b2 ORDER BY t
    """)
    fcols = (['open', 'high', 'low', 'close', 'volume', 'buy_volume', 'sell_volume', 'trade_count',
              'vwap', 'tfi', 'log_return']
             + [f'{m}_{w}' for m in ('ret', 'rv', 'parkinson', 'tfi', 'volume', 'trades') for w in W])
    vr = f'CASE WHEN rv_{wmax} <> 0 THEN rv_{wmin} / rv_{wmax} END AS vol_ratio'
    cal = 'sin(a_h) AS hour_sin, cos(a_h) AS hour_cos, sin(a_d) AS dow_sin, cos(a_d) AS dow_cos'
    tcols = ([f'fwd_ret_{h}' for h in H]
             + [f'CASE WHEN fwd_ret_{h} > {THETA} THEN 1 WHEN fwd_ret_{h} < -{THETA} THEN -1 '
                f'WHEN fwd_ret_{h} IS NOT NULL THEN 0 END AS fwd_dir_{h}' for h in H]
             + [f'(fwd_ret_{h} > 0)::INTEGER AS fwd_up_{h}' for h in H]
             + [f'fwd_rv_{h}' for h in H])
    os.makedirs(a.out, exist_ok=True)
    con.execute(f"COPY (SELECT timestamp, {', '.join(fcols)}, {vr}, absret_autocorr, {cal} FROM feats) "
                f"TO {sql_str(os.path.join(a.out, 'features.csv'))} (HEADER)")
    con.execute(f"COPY (SELECT timestamp, {', '.join(tcols)} FROM feats) "
                f"TO {sql_str(os.path.join(a.out, 'targets.csv'))} (HEADER)")


if __name__ == '__main__':
    main()
