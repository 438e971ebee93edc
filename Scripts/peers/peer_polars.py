#!/usr/bin/env python3
"""Peer implementation of the tickforge trade features (docs/FEATURES.md) in polars,
written the way a polars user would: a lazy scan aggregated to bars by the streaming engine,
then rolling expressions on the (small) bar frame.  Float64 throughout, as polars users do.

Usage: peer_polars.py --trades FILE --out DIR [--interval 1s] [--windows 10,60,300]
           [--horizons 10,60] [--no-header] [--ncols 6] [--time-unit ms]
Writes DIR/features.csv and DIR/targets.csv (same column names as tickforge; null = empty cell).
"""
import argparse
import math
import os
import re

import polars as pl

from peer_args import LAMBDA, PER_MS, THETA, UNIT_MS, parse_args  # noqa: E402,F401


def main():
    a = parse_args()
    names = ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker', 'is_best_match'][:a.ncols]
    types = [pl.Int64, pl.Float64, pl.Float64, pl.Float64, pl.Int64, pl.Boolean, pl.Boolean][:a.ncols]
    div = a.delta_ms * PER_MS[a.time_unit]

    # --- stage 1: ticks -> bars (streaming engine; only the bars are materialised) ---
    buyer = ~pl.col('is_buyer_maker')          # is_buyer_maker = true: the seller aggressed
    bars = (
        pl.scan_csv(a.trades, has_header=not a.no_header, schema=dict(zip(names, types)))
        .group_by((pl.col('time') // div).alias('bar'))
        .agg(
            open=pl.col('price').first(),
            high=pl.col('price').max(),
            low=pl.col('price').min(),
            close=pl.col('price').last(),
            volume=pl.col('qty').sum(),
            buy_volume=pl.col('qty').filter(buyer).sum(),
            sell_volume=pl.col('qty').filter(~buyer).sum(),
            trade_count=pl.len(),
            pq=(pl.col('price') * pl.col('qty')).sum(),
        )
        .collect(engine='streaming')
    )

    # --- stage 2: dense raster + features on the bar frame ---
    lo, hi = bars['bar'].min(), bars['bar'].max()
    grid = pl.DataFrame({'bar': pl.int_range(lo, hi + 1, eager=True)})
    df = grid.join(bars, on='bar', how='left', maintain_order='left')

    c = pl.col('close')
    t = pl.int_range(pl.len())
    vol, buy, sell = pl.col('volume'), pl.col('buy_volume'), pl.col('sell_volume')
    df = df.lazy().with_columns(
        timestamp=pl.col('bar') * a.delta_ms,
        close=c.forward_fill(),
        volume=vol.fill_null(0.0), buy_volume=buy.fill_null(0.0), sell_volume=sell.fill_null(0.0),
        trade_count=pl.col('trade_count').fill_null(0), pq=pl.col('pq').fill_null(0.0),
    ).with_columns(
        open=pl.col('open').fill_null(c), high=pl.col('high').fill_null(c), low=pl.col('low').fill_null(c),
        vwap=pl.when(vol != 0).then(pl.col('pq') / vol).otherwise(c),
        tfi=pl.when(vol != 0).then((buy - sell) / vol).otherwise(0.0),
        log_return=(c / c.shift(1)).log(),
    ).with_columns(
        r2=pl.col('log_return') ** 2,
        hl2=(pl.col('high') / pl.col('low')).log() ** 2,
        imb=buy - sell,
    )
    W, H = a.windows, a.horizons
    r2 = pl.col('r2')
    defined = lambda w, e: pl.when(t >= w).then(e)   # noqa: E731  (spec: undefined for t < w)
    four_ln2 = 4.0 * math.log(2.0)
    exprs = {}
    for w in W:
        exprs[f'ret_{w}'] = (c / c.shift(w)).log()
    for w in W:
        exprs[f'rv_{w}'] = r2.rolling_sum(w).sqrt()          # r_0 is null -> null for t < w
    for w in W:
        exprs[f'parkinson_{w}'] = defined(w, (pl.col('hl2').rolling_sum(w) / four_ln2).sqrt())
    for w in W:
        sv = vol.rolling_sum(w)
        exprs[f'tfi_{w}'] = defined(w, pl.when(sv != 0).then(pl.col('imb').rolling_sum(w) / sv).otherwise(0.0))
    for w in W:
        exprs[f'volume_{w}'] = defined(w, vol.rolling_sum(w))
    for w in W:
        exprs[f'trades_{w}'] = defined(w, pl.col('trade_count').rolling_sum(w))
    exprs['ewm_vol'] = r2.ewm_mean(alpha=1 - LAMBDA, adjust=False).sqrt()
    wmin, wmax = min(W), max(W)
    exprs['vol_ratio'] = pl.when(pl.col(f'rv_{wmax}') != 0).then(pl.col(f'rv_{wmin}') / pl.col(f'rv_{wmax}'))
    ar = pl.col('log_return').abs()
    exprs['absret_autocorr'] = defined(wmax + 1, pl.rolling_corr(ar.shift(1), ar, window_size=wmax))
    ms_of_day = pl.col('timestamp') % 86_400_000
    h = ms_of_day / 3_600_000
    d = ((pl.col('timestamp') // 86_400_000 + 3) % 7) + h / 24          # 1970-01-01 was a Thursday
    exprs['hour_sin'] = (2 * math.pi * h / 24).sin()
    exprs['hour_cos'] = (2 * math.pi * h / 24).cos()
    exprs['dow_sin'] = (2 * math.pi * d / 7).sin()
    exprs['dow_cos'] = (2 * math.pi * d / 7).cos()
    targets = {}
    for hh in H:
        targets[f'fwd_ret_{hh}'] = (c.shift(-hh) / c).log()
    for hh in H:
        f = pl.col(f'fwd_ret_{hh}')
        targets[f'fwd_dir_{hh}'] = (pl.when(f > THETA).then(1).when(f < -THETA).then(-1)
                                    .when(f.is_not_null()).then(0))
    for hh in H:
        targets[f'fwd_up_{hh}'] = (pl.col(f'fwd_ret_{hh}') > 0).cast(pl.Int8)
    for hh in H:
        targets[f'fwd_rv_{hh}'] = r2.rolling_sum(hh).sqrt().shift(-hh)

    rv_cols = {k: v for k, v in exprs.items() if k.startswith('rv_')}
    other = {k: v for k, v in exprs.items() if not k.startswith('rv_')}
    fwd_ret = {k: v for k, v in targets.items() if k.startswith('fwd_ret_')}
    rest_t = {k: v for k, v in targets.items() if not k.startswith('fwd_ret_')}
    out = (df.with_columns(**rv_cols).with_columns(**other)
           .with_columns(**fwd_ret).with_columns(**rest_t)
           .collect())

    fcols = ['open', 'high', 'low', 'close', 'volume', 'buy_volume', 'sell_volume', 'trade_count',
             'vwap', 'tfi', 'log_return'] + list(exprs)
    os.makedirs(a.out, exist_ok=True)
    out.select(['timestamp'] + fcols).write_csv(os.path.join(a.out, 'features.csv'))
    out.select(['timestamp'] + list(targets)).write_csv(os.path.join(a.out, 'targets.csv'))


if __name__ == '__main__':
    main()
