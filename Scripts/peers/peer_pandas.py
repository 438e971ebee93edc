#!/usr/bin/env python3
"""Peer implementation of the tickforge trade features (docs/FEATURES.md) in pandas,
written the way a pandas user would: read_csv of the whole file, groupby to bars, reindex to
the dense raster, then rolling()/ewm()/shift().  float64 throughout.

Usage: peer_pandas.py --trades FILE --out DIR [--interval 1s] [--windows 10,60,300]
           [--horizons 10,60] [--no-header] [--ncols 6] [--time-unit ms]
Writes DIR/features.csv and DIR/targets.csv (same column names as tickforge; NaN = empty cell).
"""
import argparse
import math
import os
import re

import numpy as np
import pandas as pd

from peer_args import LAMBDA, PER_MS, THETA, UNIT_MS, parse_args  # noqa: E402,F401


def main():
    a = parse_args()
    names = ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker', 'is_best_match'][:a.ncols]
    div = a.delta_ms * PER_MS[a.time_unit]

    ticks = pd.read_csv(a.trades, header=None if a.no_header else 0, names=names,
                        usecols=['price', 'qty', 'time', 'is_buyer_maker'],
                        dtype={'price': 'float64', 'qty': 'float64', 'time': 'int64', 'is_buyer_maker': 'bool'})
    ticks['bar'] = ticks['time'] // div
    seller = ticks['is_buyer_maker']            # true: the seller aggressed
    ticks['buy'] = ticks['qty'].where(~seller, 0.0)
    ticks['sell'] = ticks['qty'].where(seller, 0.0)
    ticks['pq'] = ticks['price'] * ticks['qty']
    bars = ticks.groupby('bar', sort=True).agg(
        open=('price', 'first'), high=('price', 'max'), low=('price', 'min'), close=('price', 'last'),
        volume=('qty', 'sum'), buy_volume=('buy', 'sum'), sell_volume=('sell', 'sum'),
        trade_count=('qty', 'size'), pq=('pq', 'sum'))
    del ticks, seller

    df = bars.reindex(pd.RangeIndex(bars.index.min(), bars.index.max() + 1, name='bar'))
    c = df['close'] = df['close'].ffill()
    for col in ('open', 'high', 'low'):
        df[col] = df[col].fillna(c)
    for col in ('volume', 'buy_volume', 'sell_volume', 'pq'):
        df[col] = df[col].fillna(0.0)
    df['trade_count'] = df['trade_count'].fillna(0).astype('int64')
    vol, buy, sell = df['volume'], df['buy_volume'], df['sell_volume']
    df['vwap'] = (df['pq'] / vol).where(vol != 0, c)
    df['tfi'] = ((buy - sell) / vol).where(vol != 0, 0.0)
    r = df['log_return'] = np.log(c / c.shift(1))
    r2 = r ** 2
    hl2 = np.log(df['high'] / df['low']) ** 2
    imb = buy - sell
    t = np.arange(len(df))
    W, H = a.windows, a.horizons

    def defined(w, s):        # spec: undefined for t < w
        return s.where(t >= w)

    for w in W:
        df[f'ret_{w}'] = np.log(c / c.shift(w))
    for w in W:
        df[f'rv_{w}'] = np.sqrt(r2.rolling(w).sum())          # r_0 is NaN -> NaN for t < w
    for w in W:
        df[f'parkinson_{w}'] = defined(w, np.sqrt(hl2.rolling(w).sum() / (4 * math.log(2))))
    for w in W:
        sv = vol.rolling(w).sum()
        df[f'tfi_{w}'] = defined(w, (imb.rolling(w).sum() / sv).where(sv != 0, 0.0))
    for w in W:
        df[f'volume_{w}'] = defined(w, vol.rolling(w).sum())
    for w in W:
        df[f'trades_{w}'] = defined(w, df['trade_count'].rolling(w).sum()).astype('Int64')
    df['ewm_vol'] = np.sqrt(r2.ewm(alpha=1 - LAMBDA, adjust=False).mean())
    wmin, wmax = min(W), max(W)
    df['vol_ratio'] = (df[f'rv_{wmin}'] / df[f'rv_{wmax}']).where(df[f'rv_{wmax}'] != 0)
    ar = r.abs()
    df['absret_autocorr'] = defined(wmax + 1, ar.shift(1).rolling(wmax).corr(ar))
    ts = df.index.to_numpy() * a.delta_ms
    df.insert(0, 'timestamp', ts)
    h = (ts % 86_400_000) / 3_600_000
    d = ((ts // 86_400_000 + 3) % 7) + h / 24                # 1970-01-01 was a Thursday
    df['hour_sin'] = np.sin(2 * np.pi * h / 24)
    df['hour_cos'] = np.cos(2 * np.pi * h / 24)
    df['dow_sin'] = np.sin(2 * np.pi * d / 7)
    df['dow_cos'] = np.cos(2 * np.pi * d / 7)

    tg = pd.DataFrame({'timestamp': ts}, index=df.index)
    for hh in H:
        tg[f'fwd_ret_{hh}'] = np.log(c.shift(-hh) / c)
    for hh in H:
        f = tg[f'fwd_ret_{hh}']
        tg[f'fwd_dir_{hh}'] = pd.Series(np.select([f > THETA, f < -THETA], [1, -1], 0),
                                        index=df.index).where(f.notna()).astype('Int64')
    for hh in H:
        f = tg[f'fwd_ret_{hh}']
        tg[f'fwd_up_{hh}'] = (f > 0).astype('int64').where(f.notna()).astype('Int64')
    for hh in H:
        tg[f'fwd_rv_{hh}'] = np.sqrt(r2.rolling(hh).sum()).shift(-hh)

    fcols = (['timestamp', 'open', 'high', 'low', 'close', 'volume', 'buy_volume', 'sell_volume',
              'trade_count', 'vwap', 'tfi', 'log_return']
             + [f'{m}_{w}' for m in ('ret', 'rv', 'parkinson', 'tfi', 'volume', 'trades') for w in W]
             + ['ewm_vol', 'vol_ratio', 'absret_autocorr', 'hour_sin', 'hour_cos', 'dow_sin', 'dow_cos'])
    os.makedirs(a.out, exist_ok=True)
    df[fcols].to_csv(os.path.join(a.out, 'features.csv'), index=False)
    tg.to_csv(os.path.join(a.out, 'targets.csv'), index=False)


if __name__ == '__main__':
    main()
