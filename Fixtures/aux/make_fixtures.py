#!/usr/bin/env python3
"""Regenerate the auxiliary-input fixtures in this directory (deterministic, seeded).

Run: python3 Fixtures/aux/make_fixtures.py      (standard library only)

Synthetic BTCUSDT USD-M data in the exact published layouts (Binance public data trades,
bookDepth, metrics, fundingRate; Tardis derivative_ticker and liquidations), covering
2024-08-08 23:00:00 -> 2024-08-09 01:00:00 UTC (a day boundary).  The quirks each file carries
are listed in README.md; every value is made up from one seeded generator, so running this
script again rewrites byte-identical files.
"""

import os
import random
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240808

T_START = 1723158000000        # 2024-08-08 23:00:00 UTC, ms
T_MID = 1723161600000          # 2024-08-09 00:00:00
T_END = 1723165200000          # 2024-08-09 01:00:00
BASE = T_START - 300_000       # price path starts 5 minutes early
PATH_SECONDS = 2 * 3600 + 900  # ... and runs 10 minutes past the end

rng = random.Random(SEED)


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def text_time(ms):
    """epoch ms -> 'YYYY-MM-DD HH:MM:SS' UTC (ms dropped)."""
    s = ms // 1000
    days, rem = divmod(s, 86400)
    # civil_from_days (H. Hinnant)
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y += m <= 2
    return '%04d-%02d-%02d %02d:%02d:%02d' % (y, m, d, rem // 3600, rem // 60 % 60, rem % 60)


def dec(n, k, pad=None):
    """Integer n scaled by 10^-k as a decimal string; pad = number of fraction digits to
    write (zeros appended), default k."""
    pad = k if pad is None else pad
    neg = n < 0
    s = str(-n if neg else n).rjust(k + 1, '0')
    ip, fp = (s[:-k], s[-k:]) if k else (s, '')
    fp = fp + '0' * (pad - len(fp))
    return ('-' if neg else '') + ip + ('.' + fp if fp else '')


def js(n, k):
    """As JavaScript prints the number n / 10^k (Tardis CSVs): no trailing zeros."""
    s = dec(n, k)
    if '.' in s:
        s = s.rstrip('0').rstrip('.')
    return s


def write(rel, header, lines):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', newline='') as f:
        f.write(header + '\n')
        for line in lines:
            f.write(line + '\n')
    return path


# ------------------------------------------------------------------------------------------
# one price path (tenths of a dollar), one value per second from BASE
# ------------------------------------------------------------------------------------------

mid = []
p = 612_345                    # 61234.5
for _ in range(PATH_SECONDS):
    p += int(round(rng.gauss(0, 6)))      # ~0.6 $ per second
    mid.append(p)


def mid_at(ms):
    return mid[(ms - BASE) // 1000]


# ------------------------------------------------------------------------------------------
# trades: Binance USD-M `id,price,qty,quote_qty,time,is_buyer_maker`, ms
# ------------------------------------------------------------------------------------------

def make_trades():
    rows = []
    tid = 5_266_000_000
    t = T_START + rng.randint(300, 900)
    while t < T_END - 2500:
        burst = 1 + (rng.randint(1, 3) if rng.random() < 0.15 else 0)
        maker = rng.random() < 0.5
        for _ in range(burst):
            price = mid_at(t) + rng.choice((-2, -1, 0, 0, 1, 2))          # tenths
            qty = max(1, int(rng.expovariate(1 / 60)))                       # thousandths
            quote = price * qty                                              # 10^-4
            q = dec(quote, 4).rstrip('0').rstrip('.')
            rows.append((t, '%d,%s,%s,%s,%d,%s' % (tid, dec(price * 10, 2), dec(qty, 3), q, t,
                                                   'true' if maker else 'false')))
            tid += 1
        t += rng.randint(1000, 3000)
    hdr = 'id,price,qty,quote_qty,time,is_buyer_maker'
    write('trades/BTCUSDT-trades-2024-08-08.csv', hdr, [r for tt, r in rows if tt < T_MID])
    write('trades/BTCUSDT-trades-2024-08-09.csv', hdr, [r for tt, r in rows if tt >= T_MID])
    return rows[0][0], rows[-1][0], len(rows)


# ------------------------------------------------------------------------------------------
# metrics: Binance `create_time,symbol,sum_open_interest,...`, every 5 min, text time
# ------------------------------------------------------------------------------------------

def make_metrics():
    hdr = ('create_time,symbol,sum_open_interest,sum_open_interest_value,'
           'count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,'
           'count_long_short_ratio,sum_taker_long_short_vol_ratio')
    oi = 80_321_456                        # thousandths of BTC: 80321.456
    r = [166_153_847, 155_102_040, 193_457_944, 103_620_000]   # 1e-8
    rows = {}
    for k in range(-18, 13 + 1):           # 22:30:00 .. 01:05:00
        ms = T_MID + k * 300_000
        oi += rng.randint(-60_000, 60_000)
        r = [max(50_000_000, x + rng.randint(-3_000_000, 3_000_000)) for x in r]
        val = oi * mid_at(ms)              # 10^-4
        cells = [text_time(ms), 'BTCUSDT', dec(oi, 3, 16), dec(val, 4, 16)] + [dec(x, 8) for x in r]
        rows[ms] = cells
    # empty cells, in different columns
    rows[T_MID - 30 * 60_000][2] = ''      # 23:30 sum_open_interest
    rows[T_MID - 15 * 60_000][6] = ''      # 23:45 count_long_short_ratio
    rows[T_MID + 15 * 60_000][7] = ''      # 00:15 sum_taker_long_short_vol_ratio
    rows[T_MID + 40 * 60_000][4] = ''      # 00:40 count_toptrader_long_short_ratio
    rows[T_MID + 40 * 60_000][5] = ''      #       and sum_toptrader_long_short_ratio
    line = {ms: ','.join(c) for ms, c in rows.items()}
    day1 = [line[ms] for ms in sorted(line) if ms <= T_MID]          # includes 00:00:00
    day2 = [line[ms] for ms in sorted(line) if ms >= T_MID]          # starts with 00:00:00
    # verbatim repeated rows
    i = day1.index(line[T_MID - 40 * 60_000])                        # 23:20:00 twice
    day1.insert(i + 1, day1[i])
    i = day2.index(line[T_MID + 35 * 60_000])                        # 00:35:00 twice
    day2.insert(i + 1, day2[i])
    # two rows swapped out of order: 00:25:00 before 00:20:00
    a, b = day2.index(line[T_MID + 20 * 60_000]), day2.index(line[T_MID + 25 * 60_000])
    day2[a], day2[b] = day2[b], day2[a]
    write('metrics/BTCUSDT-metrics-2024-08-08.csv', hdr, day1)
    write('metrics/BTCUSDT-metrics-2024-08-09.csv', hdr, day2)


# ------------------------------------------------------------------------------------------
# fundingRate: Binance monthly `calc_time,funding_interval_hours,last_funding_rate`, ms
# ------------------------------------------------------------------------------------------

def make_funding():
    aug1 = 1722470400000               # 2024-08-01 00:00:00 UTC
    lines = []
    rate = 10_000                      # 1e-8: 0.00010000
    for day in range(31):
        for h in (0, 8, 16):
            ms = aug1 + day * 86_400_000 + h * 3_600_000
            rate = max(-3_000, min(12_000, rate + rng.randint(-2_500, 2_500)))
            lines.append('%d,8,%s' % (ms, dec(rate, 8)))
    write('funding/BTCUSDT-fundingRate-2024-08.csv',
          'calc_time,funding_interval_hours,last_funding_rate', lines)


# ------------------------------------------------------------------------------------------
# bookDepth: Binance `timestamp,percentage,depth,notional`, snapshots ~ every 30 s, text time
# ------------------------------------------------------------------------------------------

def make_bands():
    pcts = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)
    day1, day2 = [], []
    ms = T_START - 22_000              # 22:59:38
    missing_at = T_MID - 20 * 60_000   # first snapshot after 23:40:00 lacks +3
    dup_at = T_MID + 30 * 60_000       # first snapshot after 00:30:00 repeats its -2 row
    done_missing = done_dup = False
    while ms < T_END + 30_000:
        m = mid_at(ms)
        cum = {}
        for side in (-1, 1):
            c = 0
            for k in range(1, 6):
                c += rng.randint(600_000, 1_800_000) if k == 1 else rng.randint(900_000, 2_200_000)
                cum[side * k] = c                                     # thousandths of BTC
        rows = []
        for pc in pcts:
            if pc == 3 and not done_missing and ms >= missing_at:
                done_missing = True
                continue
            # notional ~ depth x average price inside the band, 8 decimals
            avg = Fraction(m, 10) * (1 + Fraction(pc, 200))
            notional = round(Fraction(cum[pc], 1000) * avg * 10 ** 8)
            line = '%s,%d,%s,%s' % (text_time(ms), pc, dec(cum[pc], 3, 8), dec(notional, 8))
            rows.append(line)
            if pc == -2 and not done_dup and ms >= dup_at:
                done_dup = True
                rows.append(line)
        (day1 if ms < T_MID else day2).extend(rows)
        ms += rng.choice((29_000, 30_000, 30_000, 31_000)) + rng.randint(0, 999)
    hdr = 'timestamp,percentage,depth,notional'
    write('bands/BTCUSDT-bookDepth-2024-08-08.csv', hdr, day1)
    write('bands/BTCUSDT-bookDepth-2024-08-09.csv', hdr, day2)


# ------------------------------------------------------------------------------------------
# Tardis derivative_ticker, us
# ------------------------------------------------------------------------------------------

def make_ticker():
    hdr = ('exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,'
           'predicted_funding_rate,open_interest,last_price,index_price,mark_price')
    day1, day2 = [], []
    ms = T_START - 2_600
    fr = 6_512                          # 1e-8
    oi = 80_321_456                     # thousandths
    rows_in_day = 0
    day = None
    while ms < T_END + 5_000:
        d = T_MID if ms >= T_MID else T_START
        if d != day:
            day, rows_in_day = d, 0
            if d == T_MID:
                fr = 1_204              # new funding period: the estimate restarts
        rows_in_day += 1
        m = mid_at(ms)
        last = m + rng.choice((-1, 0, 0, 1))
        index = m * 10 ** 7 + rng.randint(-9 * 10 ** 7, 9 * 10 ** 7)        # 1e-8
        mark = index + rng.randint(-3 * 10 ** 8, 6 * 10 ** 8)                # 1e-8
        fr += rng.randint(-40, 40)
        oi += rng.randint(-800, 800)
        fund_ts = (T_MID if ms < T_MID else T_MID + 8 * 3_600_000) * 1000
        ts = ms * 1000
        local = ts + rng.randint(2_000, 60_000)
        pred = ''
        if T_MID - 30 * 60_000 <= ms < T_MID + 10 * 60_000:
            pred = js(fr + rng.randint(-200, 200), 8)
        oi_cell = js(oi, 3)
        if rows_in_day <= 3:                                     # before the day's first OI poll
            oi_cell = ''
        if T_MID + 30 * 60_000 <= ms < T_MID + 31 * 60_000:      # a minute without OI
            oi_cell = ''
        index_cell = js(index, 8)
        if d == T_MID and rows_in_day == 1:
            index_cell = ''
        line = ','.join(['binance-futures', 'BTCUSDT', str(ts), str(local), str(fund_ts), js(fr, 8),
                         pred, oi_cell, js(last, 1), index_cell, js(mark, 8)])
        (day1 if ms < T_MID else day2).append(line)
        ms += rng.randint(1_000, 5_000)
    write('ticker/binance-futures_derivative_ticker_2024-08-08_BTCUSDT.csv', hdr, day1)
    write('ticker/binance-futures_derivative_ticker_2024-08-09_BTCUSDT.csv', hdr, day2)


# ------------------------------------------------------------------------------------------
# Tardis liquidations (trades layout), us
# ------------------------------------------------------------------------------------------

def make_liquidations(first_trade, last_trade):
    hdr = 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount'
    events = []                                   # (ms, side, count)
    for ms in (T_START - 95_412, T_START - 31_007, T_START - 1_250):     # before the first trade
        events.append((ms, 'sell', 1))
    for _ in range(26):
        events.append((rng.randint(first_trade + 1, last_trade - 1), rng.choice(('buy', 'sell')), 1))
    events.append((T_MID - 19 * 60_000 + 417, 'sell', 4))                # a cascade: 4 rows, one ms
    events.append((T_MID + 17 * 60_000 + 52, 'buy', 2))                  # 2 rows, one ms
    events.append((T_MID - 1_871, 'buy', 1))                             # just before midnight
    events.append((T_MID + 2_309, 'sell', 1))                            # just after midnight
    events.append((last_trade // 1000 * 1000 + 1_500, 'sell', 1))        # after the last 1s bar
    for ms in (T_END + 604, T_END + 44_118, T_END + 130_990):            # after the last trade
        events.append((ms, rng.choice(('buy', 'sell')), 1))
    events.sort()
    day1, day2 = [], []
    for ms, side, cnt in events:
        ts = ms * 1000
        local = ts + rng.randint(3_000, 40_000)
        for _ in range(cnt):
            m = mid_at(ms)
            price = m + (rng.randint(5, 40) if side == 'buy' else -rng.randint(5, 40))
            amount = rng.choice((2, 3, 5, 8, 12, 25, 40, 66, 100, 150, 250, 480, 1000, 2300))
            line = 'binance-futures,BTCUSDT,%d,%d,,%s,%s,%s' % (ts, local, side, js(price, 1), js(amount, 3))
            (day1 if ms < T_MID else day2).append(line)
    write('liquidations/binance-futures_liquidations_2024-08-08_BTCUSDT.csv', hdr, day1)
    write('liquidations/binance-futures_liquidations_2024-08-09_BTCUSDT.csv', hdr, day2)


if __name__ == '__main__':
    first, last, n = make_trades()
    make_metrics()
    make_funding()
    make_bands()
    make_ticker()
    make_liquidations(first, last)
    print('trades: %d, first %d, last %d' % (n, first, last))
