#!/usr/bin/env python3
"""Self-test of Scripts/reference_aux.py (bands, derivatives, liquidations) on tiny
hand-written inputs.

Run: python3 Scripts/test_reference_aux.py      (standard library only)

Every expected value is derived by hand in the comments next to it.
Notation: T0 = 2024-08-09 00:00:00 UTC in ms; with 1s bars, bar t covers
[T0 + 1000 t, T0 + 1000 (t + 1)) and E_t = T0 + 1000 (t + 1) is its end.  A sample is used at
bar t when its known time is < E_t.  Text times are known at stamp + 1 s.
"""

import csv
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, 'reference_aux.py')

T0 = 1723161600000                     # 2024-08-09 00:00:00 UTC, ms

TRADES_HDR = 'id,price,qty,quote_qty,time,is_buyer_maker\n'
BANDS_HDR = 'timestamp,percentage,depth,notional\n'
METRICS_HDR = ('create_time,symbol,sum_open_interest,sum_open_interest_value,'
               'count_toptrader_long_short_ratio,sum_toptrader_long_short_ratio,'
               'count_long_short_ratio,sum_taker_long_short_vol_ratio\n')
FUNDING_HDR = 'calc_time,funding_interval_hours,last_funding_rate\n'
TICKER_HDR = ('exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,'
              'predicted_funding_rate,open_interest,last_price,index_price,mark_price\n')
LIQ_HDR = 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n'


def trades(times_ms):
    """Binance USD-M trades, one 60000 x 0.001 trade at each time (ms)."""
    return TRADES_HDR + ''.join('%d,60000.0,0.001,60,%d,false\n' % (i + 1, t)
                                for i, t in enumerate(times_ms))


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def read(path):
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    header = rows[0]
    return header, [dict(zip(header, r)) for r in rows[1:]]


def num(s):
    return None if s == '' else float(s)


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.d = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.d, name)

    def run_ref(self, files, *extra, check=True):
        """files: {option: text or list of (name, text)}.  Returns (header, rows, summary)
        or the CompletedProcess when check is False."""
        args = [sys.executable, REF, '--quiet', '--out', self.path('out.csv'),
                '--summary', self.path('summary.json'), '--interval', '1s']
        for opt, spec in files.items():
            if isinstance(spec, str):
                spec = [(opt + '.csv', spec)]
            paths = []
            for name, text in spec:
                p = self.path(name)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                if name.endswith('.gz'):
                    with gzip.open(p, 'wt') as f:
                        f.write(text)
                else:
                    write(p, text)
                paths.append(p)
            args += ['--' + opt] + paths
        p = subprocess.run(args + list(extra), capture_output=True, text=True)
        if not check:
            return p
        self.assertEqual(p.returncode, 0, p.stderr)
        h, rows = read(self.path('out.csv'))
        with open(self.path('summary.json')) as f:
            summ = json.load(f)
        return h, rows, summ

    def col(self, rows, name):
        return [r[name] for r in rows]

    def close(self, got, want, msg=''):
        self.assertIsNotNone(got, msg)
        self.assertTrue(abs(got - want) <= max(1e-12, 1e-9 * max(abs(got), abs(want))),
                        '%s: got %r want %r' % (msg, got, want))


# ----------------------------------------------------------------------------------------
# Bands
# ----------------------------------------------------------------------------------------


class TestBands(Base):
    def test_text_time_boundary(self):
        # Trades T0+100, T0+3100 -> bars t = 0..3, E = T0+1000 .. T0+4000.
        # Snapshot A stamped 00:00:00 -> known T0+1000; D(-1) = 3, D(+1) = 1.
        # Snapshot B stamped 00:00:02 -> known T0+3000; D(-1) = 1, D(+1) = 1.
        #   t=0 E=T0+1000: A known T0+1000, not < E -> undefined (also the age)
        #   t=1 E=T0+2000: A: (3-1)/(3+1) = 0.5, age (2000-1000)/1000 = 1.0
        #   t=2 E=T0+3000: B known T0+3000, not < E -> still A: 0.5, age 2.0
        #   t=3 E=T0+4000: B: 0, age 1.0
        bands = BANDS_HDR + ('2024-08-09 00:00:00,-1,3,180000\n'
                             '2024-08-09 00:00:00,1,1,60000\n'
                             '2024-08-09 00:00:02,-1,1,60000\n'
                             '2024-08-09 00:00:02,1,1,60000\n')
        h, rows, _ = self.run_ref({'trades': trades([T0 + 100, T0 + 3100]), 'bands': bands},
                                  '--band-levels', '1')
        self.assertEqual(h, ['timestamp', 'band_imb_1', 'band_age_s'])
        self.assertEqual(self.col(rows, 'timestamp'), [str(T0 + 1000 * t) for t in range(4)])
        self.assertEqual([num(x) for x in self.col(rows, 'band_imb_1')], [None, 0.5, 0.5, 0.0])
        self.assertEqual([num(x) for x in self.col(rows, 'band_age_s')], [None, 1.0, 2.0, 1.0])

    def test_decimal_level_missing_level_and_exact_percentages(self):
        # Trades T0+1100, T0+2100 -> bars t=0 (E=T0+2000), t=1 (E=T0+3000).
        # Snapshot A stamped 00:00:00 (known T0+1000), used at t=0:
        #   -0.20: 4, 0.2: 1        -> band_imb_0p2 = (4-1)/5 = 0.6   (-0.20 == -0.2 exactly)
        #   -1.00: 5, 1: 5          -> band_imb_1 = 0                  (-1.00 == -1)
        #   -2: 2, no +2            -> band_imb_2 undefined
        #   -3: 0, 3: 0             -> sum 0 -> band_imb_3 undefined
        #   age (2000 - 1000)/1000 = 1.0
        # Snapshot B stamped 00:00:01 (known T0+2000), used at t=1, has only -1: 2, 1: 1:
        #   band_imb_1 = 1/3; 0.2, 2, 3 missing from B -> undefined (no fall back to A);
        #   age (3000 - 2000)/1000 = 1.0
        bands = BANDS_HDR + ('2024-08-09 00:00:00,-3,0,0\n'
                             '2024-08-09 00:00:00,-2,2,120000\n'
                             '2024-08-09 00:00:00,-1.00,5,300000\n'
                             '2024-08-09 00:00:00,-0.20,4,240000\n'
                             '2024-08-09 00:00:00,0.2,1,60000\n'
                             '2024-08-09 00:00:00,1,5,300000\n'
                             '2024-08-09 00:00:00,3,0,0\n'
                             '2024-08-09 00:00:01,-1,2,120000\n'
                             '2024-08-09 00:00:01,1,1,60000\n')
        h, rows, summ = self.run_ref({'trades': trades([T0 + 1100, T0 + 2100]), 'bands': bands},
                                     '--band-levels', '0.2,1,2,3')
        self.assertEqual(h, ['timestamp', 'band_imb_0p2', 'band_imb_1', 'band_imb_2', 'band_imb_3',
                             'band_age_s'])
        r0, r1 = rows
        self.assertEqual(num(r0['band_imb_0p2']), 0.6)
        self.assertEqual(num(r0['band_imb_1']), 0.0)
        self.assertEqual((r0['band_imb_2'], r0['band_imb_3']), ('', ''))
        self.assertEqual(num(r0['band_age_s']), 1.0)
        self.close(num(r1['band_imb_1']), 1 / 3)
        self.assertEqual((r1['band_imb_0p2'], r1['band_imb_2'], r1['band_imb_3']), ('', '', ''))
        self.assertEqual(num(r1['band_age_s']), 1.0)
        self.assertEqual(summ['inputs']['bands']['snapshots'], 2)

    def test_duplicates_and_unsorted_rows(self):
        # File order: snapshot B (00:00:02) comes before snapshot A (00:00:00); A's -1 row
        # appears twice verbatim (the second is dropped and counted).  After the stable sort:
        # A (known T0+1000): -1: 3, 1: 1 -> 0.5;  B (known T0+3000): -1: 1, 1: 3 -> -0.5.
        # Trades T0+1100, T0+3100 -> t=0 (E 2000): A 0.5; t=1 (E 3000): A; t=2 (E 4000): B.
        # If the duplicate were kept it would change nothing here, but the count must be 1.
        bands = BANDS_HDR + ('2024-08-09 00:00:02,-1,1,60000\n'
                             '2024-08-09 00:00:02,1,3,180000\n'
                             '2024-08-09 00:00:00,-1,3,180000\n'
                             '2024-08-09 00:00:00,-1,3,180000\n'
                             '2024-08-09 00:00:00,1,1,60000\n')
        _, rows, summ = self.run_ref({'trades': trades([T0 + 1100, T0 + 3100]), 'bands': bands},
                                     '--band-levels', '1')
        self.assertEqual([num(x) for x in self.col(rows, 'band_imb_1')], [0.5, 0.5, -0.5])
        self.assertEqual([num(x) for x in self.col(rows, 'band_age_s')], [1.0, 2.0, 1.0])
        s = summ['inputs']['bands']
        self.assertEqual((s['rows_read'], s['duplicates_dropped'], s['bad_rows']), (5, 1, 0))


# ----------------------------------------------------------------------------------------
# Derivatives
# ----------------------------------------------------------------------------------------

# Metrics, file order (r0 and r1 swapped, r0 repeated verbatim):
#   r1 00:00:02 (known T0+3000)  oi 101, value 5000, 1.1, 1.2, 1.3, 0.9
#   r0 23:59:59 (known T0)       oi 100, value 4000, 1.0, 1.5, 2.0, 0.8
#   r0 again                     verbatim duplicate -> dropped
#   r2 00:00:03 (known T0+4000)  oi EMPTY, value 6000, top_ls_accounts EMPTY, 1.25, 1.35,
#                                taker EMPTY
# Sorted: r0, r1, r2.  Trades T0+100, T0+5100 -> t = 0..5, E = T0+1000 .. T0+6000.
#   t=0 E 1000: r0 -> oi 100, age (1000 - 0)/1000 = 1.0
#   t=1 E 2000: r0, age 2.0
#   t=2 E 3000: r1 known 3000 not < 3000 -> r0, age 3.0
#   t=3 E 4000: r1 -> oi 101, value 5000, 1.1, 1.2, 1.3, 0.9, age 1.0
#   t=4 E 5000: r2 -> oi 101 (falls back to r1), value 6000, top_ls_accounts 1.1 (r1),
#               top_ls_positions 1.25, ls_accounts 1.35, taker 0.9 (r1); age 1.0 (from r2)
#   t=5 E 6000: r2, age 2.0
# oi_chg_1: '', ln(100/100)=0, 0, ln(101/100), 0, 0
# oi_chg_2: '', '', 0, ln(101/100), ln(101/100), 0
METRICS_1 = METRICS_HDR + (
    '2024-08-09 00:00:02,BTCUSDT,101,5000,1.1,1.2,1.3,0.9\n'
    '2024-08-08 23:59:59,BTCUSDT,100.000,4000.0000,1.0,1.5,2.0,0.8\n'
    '2024-08-08 23:59:59,BTCUSDT,100.000,4000.0000,1.0,1.5,2.0,0.8\n'
    '2024-08-09 00:00:03,BTCUSDT,,6000,,1.25,1.35,\n')


class TestMetrics(Base):
    def test_as_of_fallback_age_sort_dup(self):
        h, rows, summ = self.run_ref({'trades': trades([T0 + 100, T0 + 5100]), 'metrics': METRICS_1},
                                     '--windows', '1,2')
        self.assertEqual(h, ['timestamp', 'oi', 'oi_value', 'top_ls_accounts', 'top_ls_positions',
                             'ls_accounts', 'taker_ls_volume', 'metrics_age_s', 'oi_chg_1', 'oi_chg_2'])
        c = lambda k: [num(x) for x in self.col(rows, k)]
        self.assertEqual(c('oi'), [100, 100, 100, 101, 101, 101])
        self.assertEqual(c('oi_value'), [4000, 4000, 4000, 5000, 6000, 6000])
        self.assertEqual(c('top_ls_accounts'), [1.0, 1.0, 1.0, 1.1, 1.1, 1.1])
        self.assertEqual(c('top_ls_positions'), [1.5, 1.5, 1.5, 1.2, 1.25, 1.25])
        self.assertEqual(c('ls_accounts'), [2.0, 2.0, 2.0, 1.3, 1.35, 1.35])
        self.assertEqual(c('taker_ls_volume'), [0.8, 0.8, 0.8, 0.9, 0.9, 0.9])
        self.assertEqual(c('metrics_age_s'), [1.0, 2.0, 3.0, 1.0, 1.0, 2.0])
        L = math.log(101 / 100)
        self.assertEqual(c('oi_chg_1')[0], None)
        self.assertEqual(c('oi_chg_1')[1:3], [0.0, 0.0])
        self.close(c('oi_chg_1')[3], L)
        self.assertEqual(c('oi_chg_1')[4:], [0.0, 0.0])
        self.assertEqual(c('oi_chg_2')[:3], [None, None, 0.0])
        self.close(c('oi_chg_2')[3], L)
        self.close(c('oi_chg_2')[4], L)
        self.assertEqual(c('oi_chg_2')[5], 0.0)
        s = summ['inputs']['metrics']
        self.assertEqual((s['rows_read'], s['duplicates_dropped'], s['rows_used']), (4, 1, 3))

    def test_day_files_directory_gz(self):
        # The same rows split over two daily files in a directory (day 2 gzipped, repeating the
        # day-1 row 00:00:02 verbatim as its first row; a hidden file is ignored) give the same
        # output as the single file; the repeated row is one more duplicate.
        day1 = METRICS_HDR + ('2024-08-08 23:59:59,BTCUSDT,100.000,4000.0000,1.0,1.5,2.0,0.8\n'
                              '2024-08-09 00:00:02,BTCUSDT,101,5000,1.1,1.2,1.3,0.9\n')
        day2 = METRICS_HDR + ('2024-08-09 00:00:02,BTCUSDT,101,5000,1.1,1.2,1.3,0.9\n'
                              '2024-08-09 00:00:03,BTCUSDT,,6000,,1.25,1.35,\n')
        t = trades([T0 + 100, T0 + 5100])
        _, ref_rows, _ = self.run_ref({'trades': t, 'metrics': METRICS_1}, '--windows', '1,2')
        for name, text in (('m/BTCUSDT-metrics-2024-08-09.csv.gz', day2),
                           ('m/BTCUSDT-metrics-2024-08-08.csv', day1),
                           ('m/.hidden.csv', METRICS_HDR + '2024-08-09 00:00:00,BTCUSDT,1,1,1,1,1,1\n')):
            p = self.path(name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if name.endswith('.gz'):
                with gzip.open(p, 'wt') as f:
                    f.write(text)
            else:
                write(p, text)
        write(self.path('t2.csv'), t)
        subprocess.run([sys.executable, REF, '--quiet', '--trades', self.path('t2.csv'),
                        '--metrics', self.path('m'), '--out', self.path('out2.csv'),
                        '--summary', self.path('s2.json'), '--windows', '1,2'], check=True)
        _, rows = read(self.path('out2.csv'))
        self.assertEqual(rows, ref_rows)
        with open(self.path('s2.json')) as f:
            s = json.load(f)['inputs']['metrics']
        self.assertEqual((s['rows_read'], s['duplicates_dropped']), (4, 1))
        self.assertEqual(len(s['files']), 2)

    def test_metrics_and_ticker_is_an_error(self):
        tick = TICKER_HDR + 'binance-futures,BTCUSDT,%d,%d,,0.0001,,1,1,1,1\n' % (T0 * 1000, T0 * 1000)
        p = self.run_ref({'trades': trades([T0 + 100]), 'metrics': METRICS_1, 'ticker': tick},
                         check=False)
        self.assertEqual(p.returncode, 2)
        self.assertIn('--metrics', p.stderr)
        self.assertIn('--ticker', p.stderr)
        self.assertFalse(os.path.exists(self.path('out.csv')))


# Funding: one settled rate at T0 (calc_time ms, exact time, no +1 s).
FUNDING_1 = FUNDING_HDR + '%d,8,0.00010000\n' % T0
# Ticker (timestamp us):
#   k1 T0+500 ms        funding 0.00012, predicted EMPTY, oi 80000.5, last 60010, index 60000,
#                       mark 60003
#   k2 T0+1500.250 ms   funding 0.00013, predicted 0.00011, oi EMPTY, last 60020, index 0,
#                       mark 60006
TICKER_1 = TICKER_HDR + (
    'binance-futures,BTCUSDT,%d,%d,1723190400000000,0.00012,,80000.5,60010,60000,60003\n'
    'binance-futures,BTCUSDT,%d,%d,1723190400000000,0.00013,0.00011,,60020,0,60006\n') % (
        (T0 + 500) * 1000, (T0 + 500) * 1000 + 4321, (T0 + 1500) * 1000 + 250, (T0 + 1500) * 1000 + 9000)


class TestFundingTicker(Base):
    def test_funding_alone(self):
        # Trades T0+100, T0+2100 -> t = 0..2, E = T0+1000, +2000, +3000.
        # funding_rate = last_funding_rate (known T0 < E_0): 0.0001 everywhere;
        # funding_age_s = (E - T0)/1000 = 1, 2, 3.  No oi, no oi_chg.
        h, rows, _ = self.run_ref({'trades': trades([T0 + 100, T0 + 2100]), 'funding': FUNDING_1},
                                  '--windows', '1')
        self.assertEqual(h, ['timestamp', 'funding_rate', 'funding_age_s'])
        self.assertEqual([num(x) for x in self.col(rows, 'funding_rate')], [0.0001] * 3)
        self.assertEqual([num(x) for x in self.col(rows, 'funding_age_s')], [1.0, 2.0, 3.0])

    def test_exact_boundary_numeric_time(self):
        # calc_time = T0 exactly: the bar [T0-1000, T0) ends at T0, not > T0 -> undefined;
        # the bar [T0, T0+1000) has it (age 1.0).
        _, rows, _ = self.run_ref({'trades': trades([T0 - 900, T0 + 100]), 'funding': FUNDING_1})
        self.assertEqual(self.col(rows, 'funding_rate')[0], '')
        self.assertEqual(self.col(rows, 'funding_age_s')[0], '')
        self.assertEqual(num(self.col(rows, 'funding_rate')[1]), 0.0001)
        self.assertEqual(num(self.col(rows, 'funding_age_s')[1]), 1.0)

    def test_source_switch_with_ticker(self):
        # With a ticker, funding_rate comes from the ticker and the settled rate moves to
        # funding_settled_rate.  Same bars t = 0..2.
        #   t=0 E T0+1000: k1 -> oi 80000.5, funding 0.00012, predicted undefined,
        #       mark_premium (60003-60000)/60000*1e4 = 0.5, last_basis 10/60000*1e4 = 5/3,
        #       ticker_age (1_000_000 - 500_000) us = 0.5 s; settled 0.0001, funding_age 1.0
        #   t=1 E T0+2000: k2 -> oi 80000.5 (falls back to k1), funding 0.00013,
        #       predicted 0.00011, index as-of = 0 -> premium and basis undefined,
        #       ticker_age (2_000_000 - 1_500_250) us = 0.49975 s; funding_age 2.0
        #   t=2 E T0+3000: k2, ticker_age 1.49975; funding_age 3.0
        #   oi_chg_1: '', ln(1) = 0, 0
        h, rows, _ = self.run_ref({'trades': trades([T0 + 100, T0 + 2100]), 'funding': FUNDING_1,
                                   'ticker': TICKER_1}, '--windows', '1')
        self.assertEqual(h, ['timestamp', 'oi', 'funding_rate', 'predicted_funding_rate',
                             'mark_premium_bps', 'last_basis_bps', 'ticker_age_s',
                             'funding_settled_rate', 'funding_age_s', 'oi_chg_1'])
        c = lambda k: [num(x) for x in self.col(rows, k)]
        self.assertEqual(c('oi'), [80000.5] * 3)
        self.assertEqual(c('funding_rate'), [0.00012, 0.00013, 0.00013])
        self.assertEqual(c('predicted_funding_rate'), [None, 0.00011, 0.00011])
        self.close(c('mark_premium_bps')[0], 0.5)
        self.close(c('last_basis_bps')[0], 5 / 3)
        self.assertEqual(c('mark_premium_bps')[1:], [None, None])
        self.assertEqual(c('last_basis_bps')[1:], [None, None])
        self.assertEqual(c('ticker_age_s'), [0.5, 0.49975, 1.49975])
        self.assertEqual(c('funding_settled_rate'), [0.0001] * 3)
        self.assertEqual(c('funding_age_s'), [1.0, 2.0, 3.0])
        self.assertEqual(c('oi_chg_1'), [None, 0.0, 0.0])

    def test_oi_zero_undefined_change(self):
        # Ticker oi 0 at T0+500 then 10 at T0+1500: oi_chg_1 at t=1 is ln(10/0): undefined.
        tick = TICKER_HDR + ('binance-futures,BTCUSDT,%d,,,0.0001,,0,1,1,1\n'
                             'binance-futures,BTCUSDT,%d,,,0.0001,,10,1,1,1\n') % (
            (T0 + 500) * 1000, (T0 + 1500) * 1000)
        _, rows, _ = self.run_ref({'trades': trades([T0 + 100, T0 + 2100]), 'ticker': tick},
                                  '--windows', '1')
        self.assertEqual(self.col(rows, 'oi'), ['0', '10', '10'])
        self.assertEqual(self.col(rows, 'oi_chg_1'), ['', '', '0.0'])


# ----------------------------------------------------------------------------------------
# Liquidations
# ----------------------------------------------------------------------------------------

def liq(rows):
    """rows: (time us, side, price, amount)."""
    return LIQ_HDR + ''.join('binance-futures,BTCUSDT,%d,%d,,%s,%s,%s\n' % (t, t + 5000, s, p, a)
                             for t, s, p, a in rows)


US = lambda ms: ms * 1000

# Trades T0+100, T0+3100 -> bars t = 0..3 (the raster is [T0, T0+4000)).
#   T0-1 ms            sell 0.5    before the first bar -> counted, not used
#   T0+200 (x2)        sell 0.010 and sell 0.020 (same timestamp, both count)   bar 0
#   T0+999.999 ms      buy 1.5  (last us of bar 0)                                bar 0
#   T0+1500            buy 0.5                                                    bar 1
#   T0+2000            sell 0.25 (exactly at bar 2's start)                       bar 2
#   T0+4000            sell 3   (at the end of the last bar) -> after, not used
# liq_buy  1.5, 0.5, 0, 0;  liq_sell 0.03, 0, 0.25, 0;  liq_count 3, 1, 1, 0
# totals 1.53, 0.5, 0.25, 0
# liq_volume_1: '', 0.5, 0.25, 0;  liq_volume_2: '', '', 0.5 + 0.25 = 0.75, 0.25 + 0 = 0.25
LIQ_1 = liq([(US(T0 - 1), 'sell', '60000', '0.5'),
             (US(T0 + 200), 'sell', '59990.1', '0.010'),
             (US(T0 + 200), 'sell', '59990.0', '0.020'),
             (US(T0 + 1000) - 1, 'buy', '60100', '1.5'),
             (US(T0 + 1500), 'buy', '60100', '0.5'),
             (US(T0 + 2000), 'sell', '60000', '0.25'),
             (US(T0 + 4000), 'sell', '60000', '3')])


class TestLiquidations(Base):
    def test_sums_windows_outside(self):
        h, rows, summ = self.run_ref({'trades': trades([T0 + 100, T0 + 3100]), 'liquidations': LIQ_1},
                                     '--windows', '1,2')
        self.assertEqual(h, ['timestamp', 'liq_buy_volume', 'liq_sell_volume', 'liq_count',
                             'liq_volume_1', 'liq_volume_2'])
        c = lambda k: [num(x) for x in self.col(rows, k)]
        self.assertEqual(c('liq_buy_volume'), [1.5, 0.5, 0, 0])
        self.assertEqual(c('liq_sell_volume'), [0.03, 0, 0.25, 0])
        self.assertEqual(self.col(rows, 'liq_count'), ['3', '1', '1', '0'])
        self.assertEqual(c('liq_volume_1'), [None, 0.5, 0.25, 0])
        self.assertEqual(c('liq_volume_2'), [None, None, 0.75, 0.25])
        s = summ['inputs']['liquidations']
        self.assertEqual((s['rows_read'], s['before_first_bar'], s['after_last_bar'], s['rows_in_raster']),
                         (7, 1, 1, 5))

    def test_bad_side(self):
        text = liq([(US(T0 + 200), 'sell', '60000', '0.1'),
                    (US(T0 + 300), 'unknown', '60000', '0.1')])
        p = self.run_ref({'trades': trades([T0 + 100]), 'liquidations': text}, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('liquidations.csv:3', p.stderr)          # header is line 1
        self.assertIn('unknown', p.stderr)
        # --quarantine: skipped and counted
        _, rows, summ = self.run_ref({'trades': trades([T0 + 100]), 'liquidations': text},
                                     '--quarantine')
        self.assertEqual(self.col(rows, 'liq_count'), ['1'])
        self.assertEqual(summ['inputs']['liquidations']['bad_rows'], 1)

    def test_out_of_order(self):
        text = liq([(US(T0 + 300), 'sell', '60000', '0.1'),
                    (US(T0 + 300), 'buy', '60000', '0.1'),
                    (US(T0 + 200), 'buy', '60000', '0.1')])
        p = self.run_ref({'trades': trades([T0 + 100]), 'liquidations': text}, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('liquidations.csv:4', p.stderr)
        self.assertIn('backwards', p.stderr)


class TestColumnsAndRaster(Base):
    def test_group_order_and_1m(self):
        # 1m bars: trades at T0-30 s and T0+90 s -> bars [T0-60s, T0), [T0, T0+60s),
        # [T0+60s, T0+120s): 3 rows.  Metrics row 23:59:59 known T0: t=0 (E = T0) does not
        # see it; t=1 (E = T0+60 s) does: age (60000 - 0)/1000 = 60.0.
        metrics = METRICS_HDR + '2024-08-08 23:59:59,BTCUSDT,100,4000,1.0,1.5,2.0,0.8\n'
        bands = BANDS_HDR + '2024-08-08 23:59:00,-1,3,1\n2024-08-08 23:59:00,1,1,1\n'
        h, rows, summ = self.run_ref({'trades': trades([T0 - 30_000, T0 + 90_000]), 'bands': bands,
                                      'metrics': metrics, 'funding': FUNDING_1, 'liquidations': LIQ_1},
                                     '--interval', '1m', '--windows', '2,1', '--band-levels', '2,1')
        self.assertEqual(h, ['timestamp', 'band_imb_2', 'band_imb_1', 'band_age_s', 'oi', 'oi_value',
                             'top_ls_accounts', 'top_ls_positions', 'ls_accounts', 'taker_ls_volume',
                             'metrics_age_s', 'funding_rate', 'funding_age_s', 'oi_chg_2', 'oi_chg_1',
                             'liq_buy_volume', 'liq_sell_volume', 'liq_count', 'liq_volume_2',
                             'liq_volume_1'])
        self.assertEqual(self.col(rows, 'timestamp'), [str(T0 - 60_000), str(T0), str(T0 + 60_000)])
        self.assertEqual([num(x) for x in self.col(rows, 'metrics_age_s')], [None, 60.0, 120.0])
        # bands known 23:59:01 = T0 - 59 s < E_0 = T0: age 59.0, 119.0, 179.0
        self.assertEqual([num(x) for x in self.col(rows, 'band_age_s')], [59.0, 119.0, 179.0])
        # Liquidations: T0-1 ms now lies in bar 0; T0+4000 in bar 1; nothing outside.
        self.assertEqual(self.col(rows, 'liq_count'), ['1', '6', '0'])
        s = summ['inputs']['liquidations']
        self.assertEqual((s['before_first_bar'], s['after_last_bar']), (0, 0))
        self.assertEqual(summ['interval_ms'], 60_000)


if __name__ == '__main__':
    unittest.main()
