#!/usr/bin/env python3
"""Self-test of Scripts/reference_features.py on tiny hand-written inputs.

Run: python3 Scripts/test_reference.py      (standard library only)

Every expected value is derived by hand in the comments next to it.
"""

import csv
import math
import os
import statistics
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.join(HERE, 'reference_features.py')
CMP = os.path.join(HERE, 'compare_outputs.py')

# 2024-08-09 00:00:00 UTC, a Friday (weekday 4), in ms.
T0 = 1723161600000


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def run_ref(*args):
    subprocess.run([sys.executable, REF, '--quiet'] + list(args), check=True)


def read(path):
    with open(path, newline='') as f:
        rows = list(csv.DictReader(f))
    with open(path, newline='') as f:
        header = next(csv.reader(f))
    return header, rows


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

    def close(self, got, want, msg=''):
        self.assertIsNotNone(got, msg)
        self.assertTrue(abs(got - want) <= max(1e-12, 1e-9 * max(abs(got), abs(want))),
                        '%s: got %r want %r' % (msg, got, want))


# ----------------------------------------------------------------------------------------
# Case 1: Binance trades + bookTicker, 1s bars, windows 1,2, horizons 1,2.
#
# Trades (time in ms, is_buyer_maker=true => SELL aggressor):
#   id 1  100.0 x 1.0  T0+100   buy
#   id 2  101.0 x 2.0  T0+100   sell   (same ms as id 1: both count)
#   id 2  101.0 x 2.0  T0+100   sell   DUPLICATE id -> skipped
#   id 3   99.5 x 1.0  T0+900   buy
#   (bar 1 = [T0+1000, T0+2000) has no trades)
#   id 4  102.0 x 0.5  T0+2500  sell
#   id 5  101.5 x 1.5  T0+2600  buy
# -> 3 bars (t = 0, 1, 2).
# ----------------------------------------------------------------------------------------
TRADES_1 = """id,price,qty,quote_qty,time,is_buyer_maker
1,100.0,1.0,100.0,{a},false
2,101.0,2.0,202.0,{a},true
2,101.0,2.0,202.0,{a},true
3,99.5,1.0,99.5,{b},false
4,102.0,0.5,51.0,{c},true
5,101.5,1.5,152.25,{d},false
""".format(a=T0 + 100, b=T0 + 900, c=T0 + 2500, d=T0 + 2600)

# Quotes (bookTicker; b, B, a, A):
#   q1 T0-500   99   3  100   1   before the first bar: state + OFI history only
#   q2 T0        99   1  100   1   exactly at the start of bar 0 -> in bar 0, obi 0
#   q3 T0+250    99.5 1  100   3   obi -0.5, but zero weight (q4 has the same time)
#   q4 T0+250    99.5 3  100   1   obi +0.5, in force 750 ms of bar 0
#   q5 T0+1000   99   3   99.5 1   exactly at the start of bar 1, obi +0.5, 600 ms
#   q6 T0+1600   99   0   99.5 0   B+A == 0: obi undefined, "no state" for 400 ms
#   q7 T0+3000  100   1  101   1   at the end of the last bar -> ignored
QUOTES_1 = """update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,transaction_time,event_time
1,99,3,100,1,{q1},{q1}
2,99,1,100,1,{q2},{q2}
3,99.5,1,100,3,{q3},{q3}
4,99.5,3,100,1,{q3},{q3}
5,99,3,99.5,1,{q5},{q5}
6,99,0,99.5,0,{q6},{q6}
7,100,1,101,1,{q7},{q7}
""".format(q1=T0 - 500, q2=T0, q3=T0 + 250, q5=T0 + 1000, q6=T0 + 1600, q7=T0 + 3000)


class TestBinanceCase(Base):
    def run_case(self, trades_text, quotes_text=QUOTES_1, extra=()):
        write(self.path('t.csv'), trades_text)
        args = ['--trades', self.path('t.csv'), '--out', self.path('out'),
                '--interval', '1s', '--windows', '1,2', '--horizons', '1,2'] + list(extra)
        if quotes_text is not None:
            write(self.path('q.csv'), quotes_text)
            args += ['--quotes', self.path('q.csv')]
        run_ref(*args)
        return read(self.path('out/features.csv')), read(self.path('out/targets.csv'))

    def test_header(self):
        (fh, _), (th, _) = self.run_case(TRADES_1)
        self.assertEqual(fh, [
            'timestamp', 'open', 'high', 'low', 'close', 'volume', 'buy_volume', 'sell_volume',
            'trade_count', 'vwap', 'tfi', 'log_return',
            'ret_1', 'ret_2', 'rv_1', 'rv_2', 'parkinson_1', 'parkinson_2', 'tfi_1', 'tfi_2',
            'volume_1', 'volume_2', 'trades_1', 'trades_2',
            'ewm_vol', 'vol_ratio', 'absret_autocorr',
            'bid', 'ask', 'bid_qty', 'ask_qty', 'mid', 'spread_bps', 'obi', 'obi_twa',
            'microprice_bps', 'quote_count', 'ofi', 'ofi_1', 'ofi_2', 'obi_1', 'obi_2',
            'quote_age_s',
            'hour_sin', 'hour_cos', 'dow_sin', 'dow_cos'])
        self.assertEqual(th, ['timestamp', 'fwd_ret_1', 'fwd_ret_2', 'fwd_dir_1', 'fwd_dir_2',
                              'fwd_up_1', 'fwd_up_2', 'fwd_rv_1', 'fwd_rv_2'])

    def test_trade_bars(self):
        (_, f), (_, g) = self.run_case(TRADES_1)
        self.assertEqual([r['timestamp'] for r in f], [str(T0), str(T0 + 1000), str(T0 + 2000)])
        self.assertEqual([r['timestamp'] for r in g], [r['timestamp'] for r in f])
        b0, b1, b2 = f
        # bar 0: trades 100 x1 (buy), 101 x2 (sell), 99.5 x1 (buy); duplicate skipped
        self.assertEqual([b0[k] for k in ('open', 'high', 'low', 'close')], ['100', '101', '99.5', '99.5'])
        self.assertEqual([b0[k] for k in ('volume', 'buy_volume', 'sell_volume', 'trade_count')],
                         ['4', '2', '2', '3'])
        self.close(num(b0['vwap']), 100.375)           # (100 + 202 + 99.5) / 4 = 401.5 / 4
        self.assertEqual(num(b0['tfi']), 0.0)          # (2 - 2) / 4
        self.assertEqual(b0['log_return'], '')         # undefined at t = 0
        # bar 1: empty -> OHLC = previous close, zero volume, vwap = close, tfi 0, r = 0
        self.assertEqual([b1[k] for k in ('open', 'high', 'low', 'close')], ['99.5'] * 4)
        self.assertEqual([b1[k] for k in ('volume', 'buy_volume', 'sell_volume', 'trade_count')],
                         ['0', '0', '0', '0'])
        self.assertEqual(num(b1['vwap']), 99.5)
        self.assertEqual(num(b1['tfi']), 0.0)
        self.assertEqual(num(b1['log_return']), 0.0)
        # bar 2: 102 x0.5 (sell), 101.5 x1.5 (buy)
        self.assertEqual([b2[k] for k in ('open', 'high', 'low', 'close')], ['102', '102', '101.5', '101.5'])
        self.assertEqual([b2[k] for k in ('volume', 'buy_volume', 'sell_volume', 'trade_count')],
                         ['2', '1.5', '0.5', '2'])
        self.close(num(b2['vwap']), 101.625)           # (51 + 152.25) / 2
        self.close(num(b2['tfi']), 0.5)                # (1.5 - 0.5) / 2
        r2 = math.log(101.5 / 99.5)
        self.close(num(b2['log_return']), r2)

    def test_rolling_and_vol(self):
        (_, f), _ = self.run_case(TRADES_1)
        b0, b1, b2 = f
        r2 = math.log(101.5 / 99.5)
        # w = 1: defined from t = 1; w = 2: defined from t = 2
        for k in ('ret_1', 'rv_1', 'parkinson_1', 'tfi_1', 'volume_1', 'trades_1',
                  'ret_2', 'rv_2', 'parkinson_2', 'tfi_2', 'volume_2', 'trades_2'):
            self.assertEqual(b0[k], '', k)
        for k in ('ret_2', 'rv_2', 'parkinson_2', 'tfi_2', 'volume_2', 'trades_2'):
            self.assertEqual(b1[k], '', k)
        # t = 1 (empty bar): ret 0, rv 0, parkinson 0 (high = low), tfi 0 (no volume)
        self.assertEqual([num(b1[k]) for k in ('ret_1', 'rv_1', 'parkinson_1', 'tfi_1')], [0.0] * 4)
        self.assertEqual((b1['volume_1'], b1['trades_1']), ('0', '0'))
        # t = 2
        self.close(num(b2['ret_1']), r2)                   # ln(101.5 / 99.5)
        self.close(num(b2['ret_2']), r2)                   # ln(c_2 / c_0) = ln(101.5 / 99.5)
        self.close(num(b2['rv_1']), abs(r2))
        self.close(num(b2['rv_2']), abs(r2))               # sqrt(0^2 + r2^2)
        pk = math.log(102 / 101.5) / (2 * math.sqrt(math.log(2)))   # sqrt(ln(h/l)^2 / (4 ln 2))
        self.close(num(b2['parkinson_1']), pk)
        self.close(num(b2['parkinson_2']), pk)             # bar 1 contributes ln(1)^2 = 0
        self.close(num(b2['tfi_1']), 0.5)
        self.close(num(b2['tfi_2']), 0.5)                  # (0 + 1.5 - 0.5) / (0 + 2)
        self.assertEqual((b2['volume_1'], b2['volume_2'], b2['trades_1'], b2['trades_2']),
                         ('2', '2', '2', '2'))
        # ewm: v_1 = r_1^2 = 0; v_2 = 0.94 * 0 + 0.06 * r2^2
        self.assertEqual(b0['ewm_vol'], '')
        self.assertEqual(num(b1['ewm_vol']), 0.0)
        self.close(num(b2['ewm_vol']), math.sqrt(0.06) * abs(r2))
        # vol_ratio = rv_1 / rv_2, from t = w_max = 2: |r2| / |r2| = 1
        self.assertEqual((b0['vol_ratio'], b1['vol_ratio']), ('', ''))
        self.close(num(b2['vol_ratio']), 1.0)
        # absret_autocorr needs t >= w_max + 1 = 3: never defined here
        self.assertEqual([r['absret_autocorr'] for r in f], ['', '', ''])

    def test_quotes(self):
        (_, f), _ = self.run_case(TRADES_1)
        b0, b1, b2 = f
        # bar 0 ends in state q4 = (99.5, 3, 100, 1)
        self.assertEqual([b0[k] for k in ('bid', 'ask', 'bid_qty', 'ask_qty')], ['99.5', '100', '3', '1'])
        self.close(num(b0['mid']), 99.75)
        self.close(num(b0['spread_bps']), 0.5 / 99.75 * 1e4)        # 50.1253...
        self.close(num(b0['obi']), 0.5)                             # (3 - 1) / 4
        # microprice = (99.5*1 + 100*3) / 4 = 99.875 -> (99.875 - 99.75) / 99.75 * 1e4
        self.close(num(b0['microprice_bps']), 0.125 / 99.75 * 1e4)
        # obi_twa bar 0: q1 weight 0 (replaced at T0 by q2), q2 obi 0 for 250 ms, q3 weight 0,
        # q4 obi 0.5 for 750 ms: (0*250 + 0.5*750) / 1000 = 0.375
        self.close(num(b0['obi_twa']), 0.375)
        self.assertEqual(b0['quote_count'], '3')                    # q2, q3, q4 (q1 is before)
        # OFI, e_n = 1[b>=b0]B - 1[b<=b0]B0 - 1[a<=a0]A + 1[a>=a0]A0:
        #   q2 vs q1: bid equal: 1 - 3 = -2; ask equal: -1 + 1 = 0            -> -2
        #   q3 vs q2: bid up: +1;            ask equal: -3 + 1 = -2           -> -1
        #   q4 vs q3: bid equal: 3 - 1 = 2;  ask equal: -1 + 3 = 2            -> +4
        self.assertEqual(b0['ofi'], '1')
        # bar 1: q5 at its start (obi 0.5 for 600 ms), q6 with B + A = 0 for 400 ms (no state)
        self.close(num(b1['obi_twa']), 0.5)
        self.assertEqual([b1[k] for k in ('bid', 'ask', 'bid_qty', 'ask_qty')], ['99', '99.5', '0', '0'])
        self.close(num(b1['mid']), 99.25)
        self.close(num(b1['spread_bps']), 0.5 / 99.25 * 1e4)
        self.assertEqual((b1['obi'], b1['microprice_bps']), ('', ''))   # B + A == 0
        self.assertEqual(b1['quote_count'], '2')
        #   q5 vs q4: bid down: -B0 = -3; ask down: -A = -1                     -> -4
        #   q6 vs q5: bid equal: 0 - 3 = -3; ask equal: -0 + 1 = 1              -> -2
        self.assertEqual(b1['ofi'], '-6')
        # bar 2: no update inside (q7 at T0+3000 is past the last bar); state q6 all along
        self.assertEqual(b2['obi_twa'], '')
        self.assertEqual((b2['bid'], b2['ask_qty'], b2['quote_count'], b2['ofi']), ('99', '0', '0', '0'))
        self.assertEqual((b2['obi'], b2['microprice_bps']), ('', ''))
        # rolling quote columns
        self.assertEqual((b0['ofi_1'], b0['obi_1'], b1['ofi_2'], b1['obi_2']), ('', '', '', ''))
        self.assertEqual(b1['ofi_1'], '-6')
        self.close(num(b1['obi_1']), 0.5)
        self.assertEqual(b2['ofi_1'], '0')
        self.assertEqual(b2['obi_1'], '')                # no defined obi_twa in the window
        self.assertEqual(b2['ofi_2'], '-6')
        self.close(num(b2['obi_2']), 0.5)                # mean of defined values {0.5}
        # quote_age_s = (bar end - time of the last update before it) / 1000:
        #   bar 0: T0+1000 - (T0+250) (q3/q4)                                 -> 0.75
        #   bar 1: T0+2000 - (T0+1600) (q6: B + A == 0 still is an update)   -> 0.4
        #   bar 2: T0+3000 - (T0+1600) (q7 at T0+3000 is not < the bar end)  -> 1.4
        self.assertEqual([r['quote_age_s'] for r in f], ['0.75', '0.4', '1.4'])

    def test_calendar(self):
        (_, f), _ = self.run_case(TRADES_1)
        b0, b1, _ = f
        # bar 0 starts Friday 00:00:00 UTC: h = 0, d = 4
        self.assertEqual(num(b0['hour_sin']), 0.0)
        self.assertEqual(num(b0['hour_cos']), 1.0)
        self.close(num(b0['dow_sin']), math.sin(2 * math.pi * 4 / 7))
        self.close(num(b0['dow_cos']), math.cos(2 * math.pi * 4 / 7))
        # bar 1: h = 1/3600, d = 4 + 1/86400
        self.close(num(b1['hour_sin']), math.sin(2 * math.pi / 86400))
        self.close(num(b1['dow_sin']), math.sin(2 * math.pi * (4 + 1 / 86400) / 7))

    def test_targets(self):
        _, (_, g) = self.run_case(TRADES_1)
        g0, g1, g2 = g
        r2 = math.log(101.5 / 99.5)          # ~ 0.0199 > 5 bps
        self.assertEqual(num(g0['fwd_ret_1']), 0.0)                    # ln(99.5 / 99.5)
        self.assertEqual((g0['fwd_dir_1'], g0['fwd_up_1']), ('0', '0'))
        self.assertEqual(num(g0['fwd_rv_1']), 0.0)
        self.close(num(g0['fwd_ret_2']), r2)
        self.assertEqual((g0['fwd_dir_2'], g0['fwd_up_2']), ('1', '1'))
        self.close(num(g0['fwd_rv_2']), abs(r2))                       # sqrt(0 + r2^2)
        self.close(num(g1['fwd_ret_1']), r2)
        self.assertEqual((g1['fwd_dir_1'], g1['fwd_up_1']), ('1', '1'))
        self.close(num(g1['fwd_rv_1']), abs(r2))
        self.assertEqual([g1[k] for k in ('fwd_ret_2', 'fwd_dir_2', 'fwd_up_2', 'fwd_rv_2')], [''] * 4)
        self.assertTrue(all(v == '' for k, v in g2.items() if k != 'timestamp'))

    def test_complete_rows_only(self):
        # t=0 lacks log_return, t=1 lacks ret_2, t=2 lacks targets -> no row survives
        (fh, f), (th, g) = self.run_case(TRADES_1, extra=['--complete-rows-only'])
        self.assertEqual((len(f), len(g)), (0, 0))
        self.assertEqual(fh[0], 'timestamp')

    def test_no_quotes(self):
        (fh, f), _ = self.run_case(TRADES_1, quotes_text=None)
        self.assertNotIn('bid', fh)
        self.assertNotIn('ofi', fh)
        self.assertNotIn('quote_age_s', fh)
        self.assertEqual(len(f), 3)

    def test_time_units_and_layouts(self):
        """Same trades in us, ns, headerless and aggTrades layouts give identical files."""
        self.run_case(TRADES_1)
        with open(self.path('out/features.csv')) as fh:
            base_f = fh.read()
        lines = TRADES_1.strip().split('\n')[1:]

        def scaled(mult, add=0):
            out = []
            for ln in lines:
                c = ln.split(',')
                c[4] = str(int(c[4]) * mult + add)
                out.append(','.join(c))
            return out
        variants = {
            'us': 'id,price,qty,quote_qty,time,is_buyer_maker\n' + '\n'.join(scaled(1000, 999)) + '\n',
            'ns': 'id,price,qty,quote_qty,time,is_buyer_maker\n' + '\n'.join(scaled(10 ** 6, 999_999)) + '\n',
            'headerless': '\n'.join(lines) + '\n',
            'agg': 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n'
                   + '\n'.join('{0},{1},{2},{0},{0},{4},{5}'.format(*ln.split(',')) for ln in lines) + '\n',
        }
        for name, text in variants.items():
            self.run_case(text)
            with open(self.path('out/features.csv')) as fh:
                self.assertEqual(fh.read(), base_f, name)


# ----------------------------------------------------------------------------------------
# Case 2: Tardis trades (us, side = aggressor), 1s bars, windows 1,3 -> w_max = 3,
# absret_autocorr defined for t >= 4 over the pairs (|r_{i-1}|, |r_i|), i = t-2 .. t.
#   closes: t=0 100, t=1 101, t=2 101, t=3 103, t=4 103.5, t=5 103.5, t=6..8 empty, t=9 103.5
#   r: r1 = ln(1.01), r2 = 0, r3 = ln(103/101), r4 = ln(103.5/103), r5 .. r9 = 0
#   t=4: x = (|r1|,|r2|,|r3|), y = (|r2|,|r3|,|r4|) -> Pearson (checked vs statistics.correlation)
#   t=5: x = (|r2|,|r3|,|r4|), y = (|r3|,|r4|,|r5|)
#   t=6: x = (|r3|,|r4|,0),    y = (|r4|,0,0)
#   t=7: y = (0,0,0) zero variance -> undefined; t=8, t=9: all zero -> undefined
# ----------------------------------------------------------------------------------------
class TestTardisAutocorr(Base):
    def test_autocorr(self):
        base = T0 * 1000
        prices = {0: '100', 1: '101', 2: '101', 3: '103', 4: '103.5', 5: '103.5', 9: '103.5'}
        lines = ['exchange,symbol,timestamp,local_timestamp,id,side,price,amount']
        tid = 10
        for t, p in prices.items():
            ts = base + t * 1_000_000 + 123_456
            lines.append('binance-futures,BTCUSDT,%d,%d,%d,%s,%s,0.5' % (ts, ts + 5, tid, 'buy' if t % 2 else 'sell', p))
            tid += 1
        write(self.path('t.csv'), '\n'.join(lines) + '\n')
        run_ref('--trades', self.path('t.csv'), '--out', self.path('out'), '--windows', '1,3', '--horizons', '1')
        _, f = read(self.path('out/features.csv'))
        self.assertEqual(len(f), 10)
        self.assertEqual(f[1]['buy_volume'], '0.5')    # t=1: side buy
        self.assertEqual(f[2]['buy_volume'], '0')      # t=2: side sell
        c = [100, 101, 101, 103, 103.5, 103.5, 103.5, 103.5, 103.5, 103.5]
        a = [None] + [abs(math.log(c[i] / c[i - 1])) for i in range(1, 10)]
        ac = [num(r['absret_autocorr']) for r in f]
        self.assertEqual(ac[:4], [None] * 4)
        for t in (4, 5, 6):
            xs = [a[i - 1] for i in range(t - 2, t + 1)]
            ys = [a[i] for i in range(t - 2, t + 1)]
            self.close(ac[t], statistics.correlation(xs, ys), 't=%d' % t)
        self.assertEqual(ac[7:], [None] * 3)
        # vol_ratio = rv_1 / rv_3: at t = 3, |r3| / sqrt(r1^2 + 0 + r3^2); at t >= 8 rv_3 = 0 -> undefined
        r = [None] + [math.log(c[i] / c[i - 1]) for i in range(1, 10)]
        self.close(num(f[3]['vol_ratio']), abs(r[3]) / math.sqrt(r[1] ** 2 + r[3] ** 2))
        self.assertEqual((f[8]['vol_ratio'], f[9]['vol_ratio']), ('', ''))


# ----------------------------------------------------------------------------------------
# Case 3 (version 2): quote_age_s.  Binance trades + bookTicker (ms), 1s bars, windows 1,2.
#   Trades at T0+100 and T0+5100 -> 6 bars, t = 0 .. 5 (bar t = [T0+1000t, T0+1000(t+1))).
#   Quotes (b, B, a, A):
#     q1 T0+1000  100 1 101 1   exactly at the start of bar 1
#     q2 T0+2250  100 2 101 1
#     q3 T0+4999  100 1 101 2   1 ms before the end of bar 4
#     q4 T0+6000  100 1 101 1   at the end of bar 5 = the end of the raster -> not used
#   quote_age_s = (bar end - last update with time < bar end) / 1000:
#     t=0: no update yet                      -> undefined
#     t=1: T0+2000 - (T0+1000) = 1000 ms      -> 1.0  (update exactly at the bar start)
#     t=2: T0+3000 - (T0+2250) =  750 ms      -> 0.75
#     t=3: T0+4000 - (T0+2250) = 1750 ms      -> 1.75 (no update in the bar: the age grows)
#     t=4: T0+5000 - (T0+4999) =    1 ms      -> 0.001
#     t=5: T0+6000 - (T0+4999) = 1001 ms      -> 1.001 (q4 is not < T0+6000)
# ----------------------------------------------------------------------------------------
BOOKTICKER_HDR = ('update_id,best_bid_price,best_bid_qty,best_ask_price,best_ask_qty,'
                  'transaction_time,event_time\n')


def bookticker(rows):
    """rows: (time ms, b, B, a, A) -> bookTicker text, update_id 1, 2, ..."""
    return BOOKTICKER_HDR + ''.join('%d,%s,%s,%s,%s,%d,%d\n' % (i + 1, b, B, a, A, tm, tm)
                                    for i, (tm, b, B, a, A) in enumerate(rows))


def binance_trades(times):
    """One 100 x 1 trade at each time (ms), alternating buy / sell aggressor."""
    return 'id,price,qty,quote_qty,time,is_buyer_maker\n' + ''.join(
        '%d,100,1,100,%d,%s\n' % (i + 1, tm, 'true' if i % 2 else 'false') for i, tm in enumerate(times))


QUOTES_3 = bookticker([(T0 + 1000, 100, 1, 101, 1), (T0 + 2250, 100, 2, 101, 1),
                       (T0 + 4999, 100, 1, 101, 2), (T0 + 6000, 100, 1, 101, 1)])

# The bar-end quote columns that --max-quote-age masks.
MASKED = ('bid', 'ask', 'bid_qty', 'ask_qty', 'mid', 'spread_bps', 'obi', 'microprice_bps')


class QuoteBase(Base):
    def run_q(self, trades_text, quotes_text, *extra, windows='1,2', out='out'):
        write(self.path('t.csv'), trades_text)
        write(self.path('q.csv'), quotes_text)
        run_ref('--trades', self.path('t.csv'), '--quotes', self.path('q.csv'),
                '--out', self.path(out), '--interval', '1s', '--windows', windows,
                '--horizons', '1', *extra)
        return read(self.path(out + '/features.csv'))


class TestQuoteAge(QuoteBase):
    def test_quote_age(self):
        _, f = self.run_q(binance_trades([T0 + 100, T0 + 5100]), QUOTES_3)
        self.assertEqual(len(f), 6)
        self.assertEqual([r['quote_age_s'] for r in f], ['', '1.0', '0.75', '1.75', '0.001', '1.001'])
        # t=0: before the first quote every state column is undefined, as quote_age_s
        self.assertTrue(all(f[0][k] == '' for k in MASKED + ('obi_twa',)))
        # t=1: q1 in force over the whole bar, from its start: obi_twa = obi(q1) = 0
        self.assertEqual((f[1]['quote_count'], num(f[1]['obi_twa'])), ('1', 0.0))
        # t=4: q3 (T0+4999) is the bar-end state
        self.assertEqual([f[4][k] for k in ('bid', 'bid_qty', 'ask', 'ask_qty')], ['100', '1', '101', '2'])

    def test_quotes_before_first_bar(self):
        # Same quotes, trades only from bar 3 on (T0+3100, T0+5100): the raster is bars 3..5.
        # q1, q2 precede the first bar: they belong to no bar but set the state, so bar 3
        # (no update inside) carries q2 (T0+2250): age T0+4000 - (T0+2250) = 1.75 s; then as
        # in the full run: 0.001, 1.001.
        _, f = self.run_q(binance_trades([T0 + 3100, T0 + 5100]), QUOTES_3)
        self.assertEqual([r['timestamp'] for r in f], [str(T0 + 3000), str(T0 + 4000), str(T0 + 5000)])
        self.assertEqual([r['quote_age_s'] for r in f], ['1.75', '0.001', '1.001'])
        self.assertEqual([f[0][k] for k in ('bid', 'bid_qty', 'ask', 'ask_qty', 'quote_count')],
                         ['100', '2', '101', '1', '0'])
        self.close(num(f[0]['obi_twa']), 1 / 3)          # q2 all bar long: (2 - 1) / 3

    def test_column_order(self):
        # quote_age_s is the last quote column: right after the last obi_{w} (windows in the
        # order given by the flag, here 3,1,2), right before the calendar.
        fh, _ = self.run_q(binance_trades([T0 + 100, T0 + 5100]), QUOTES_3, windows='3,1,2')
        i = fh.index('quote_age_s')
        self.assertEqual(fh[i - 5:i + 2], ['ofi_1', 'ofi_2', 'obi_3', 'obi_1', 'obi_2', 'quote_age_s',
                                           'hour_sin'])
        self.assertEqual(fh.count('quote_age_s'), 1)

    def test_tardis_us_quotes(self):
        # Tardis quotes are stamped in us (exchange `timestamp`).  base = T0 in us.
        #   qa base +   123_457  bid 100 x 3, ask 101 x 1   obi +0.5
        #   qb base + 1_999_999  bid 100 x 1, ask 101 x 3   obi -0.5   (1 us before bar 1 ends)
        # trades at T0+100, T0+1100 -> bars 0, 1.
        #   t=0: (1_000_000 - 123_457) us = 0.876543 s;  t=1: 1 us = 1e-06 s.
        base = T0 * 1000
        q = ('exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n'
             'binance-futures,BTCUSDT,%d,%d,1,101,100,3\n'
             'binance-futures,BTCUSDT,%d,%d,3,101,100,1\n') % (
                 base + 123_457, base + 123_500, base + 1_999_999, base + 2_000_100)
        trades = binance_trades([T0 + 100, T0 + 1100])
        _, f = self.run_q(trades, q)
        self.assertEqual([r['quote_age_s'] for r in f], ['0.876543', '1e-06'])
        # obi_twa without the flag, t=1: qa 999_999 us at +0.5, qb 1 us at -0.5
        #   -> (0.5 * 999_999 - 0.5) / 1e6 = 0.499999
        self.close(num(f[1]['obi_twa']), 0.499999)
        # --max-quote-age 0.000001 (1 us): every state is fresh for 1 us after its update.
        #   t=0: bar-end age 0.876543 > 1e-6 -> masked; obi_twa: qa weighted on
        #        [123_457, 123_458) only (starts and goes stale inside the bar) -> +0.5
        #   t=1: bar-end age 1 us = A -> still fresh, defined (qb); obi_twa: qa stale all
        #        along, qb on [1_999_999, 2_000_000) -> -0.5
        _, g = self.run_q(trades, q, '--max-quote-age', '0.000001', out='out2')
        self.assertTrue(all(g[0][k] == '' for k in MASKED))
        self.assertEqual(num(g[0]['obi_twa']), 0.5)
        self.assertEqual([g[1][k] for k in ('bid', 'bid_qty', 'ask', 'ask_qty')], ['100', '1', '101', '3'])
        self.assertEqual(num(g[1]['obi']), -0.5)
        self.assertEqual(num(g[1]['obi_twa']), -0.5)
        self.assertEqual([r['quote_age_s'] for r in g], ['0.876543', '1e-06'])


# ----------------------------------------------------------------------------------------
# Case 4 (version 2): --max-quote-age 0.5 (A = 500 ms).  Binance, 1s bars, windows 1,2.
#   Trades at T0+100, T0+4100 -> 5 bars, t = 0 .. 4.
#   Quotes (b, B, a, A), obi = (B - A) / (B + A); a state updated at u is fresh until u + 500:
#     qa T0-300   100 3 101 1   obi +1/2   before the first bar; fresh until T0+200
#     qb T0+600   100 1 101 3   obi -1/2   fresh until T0+1100
#     qc T0+3800  100 2 101 1   obi +1/3   fresh until T0+4300
#     qd T0+4500  100 1 101 2   obi -1/3   fresh until T0+5000
#   quote_age_s (unaffected): t=0 1000-600 = 0.4, t=1 1.4, t=2 2.4, t=3 4000-3800 = 0.2,
#     t=4 5000-4500 = 0.5.  Bar-end stale when age > 0.5: t=1 and t=2 only (t=4: age = A exactly,
#     fresh).
#   obi_twa with the flag (weights in ms):
#     t=0: qa on [0, 600) fresh on [0, 200): 200 at +1/2; qb on [600, 1000): 400 at -1/2
#          -> (100 - 200) / 600 = -1/6                              (without: 0.1)
#     t=1: qb all bar, fresh on [1000, 1100): 100 at -1/2 -> -1/2    (without: -1/2)
#     t=2: qb stale over the whole bar -> undefined                  (without: -1/2)
#     t=3: qb [3000, 3800) stale; qc [3800, 4000) fresh: 200 at +1/3 -> +1/3
#                                          (without: (-400 + 200/3) / 1000 = -1/3)
#     t=4: qc [4000, 4500) fresh until 4300: 300 at +1/3; qd [4500, 5000) fresh: 500 at -1/3
#          -> (100 - 500/3) / 800 = -1/12                           (without: 0)
#   obi_1 = obi_twa from t=1 (t=2: undefined, its only value is stale);
#   obi_2 = mean of the defined obi_twa of t-1, t, from t=2:
#     t=2: {-1/2 (t=1)} -> -1/2; t=3: {1/3} -> 1/3; t=4: (1/3 - 1/12) / 2 = 1/8
#   Unaffected: quote_count 1,0,0,1,1; OFI: qb vs qa: (1-3) + (-3+1) = -4; qc vs qb: (2-1) +
#     (-1+3) = 3; qd vs qc: (1-2) + (-2+1) = -2 -> ofi -4,0,0,3,-2;
#     ofi_2 from t=2: 0+0 = 0, 0+3 = 3, 3-2 = 1.
# ----------------------------------------------------------------------------------------
QUOTES_4 = bookticker([(T0 - 300, 100, 3, 101, 1), (T0 + 600, 100, 1, 101, 3),
                       (T0 + 3800, 100, 2, 101, 1), (T0 + 4500, 100, 1, 101, 2)])
TRADES_4 = binance_trades([T0 + 100, T0 + 4100])


class TestStaleQuotes(QuoteBase):
    def both(self, *flag):
        fh0, f0 = self.run_q(TRADES_4, QUOTES_4, out='plain')
        fh1, f1 = self.run_q(TRADES_4, QUOTES_4, *flag, out='flag')
        self.assertEqual(fh0, fh1)                      # the flag adds no column
        return fh0, f0, f1

    def test_without_flag(self):
        _, f = self.run_q(TRADES_4, QUOTES_4)
        twa = [num(r['obi_twa']) for r in f]
        self.close(twa[0], 0.1)
        self.close(twa[1], -0.5)
        self.close(twa[2], -0.5)
        self.close(twa[3], -1 / 3)
        self.assertEqual(twa[4], 0.0)
        self.assertTrue(all(r[k] != '' for r in f for k in MASKED))

    def test_masking(self):
        fh, f0, f = self.both('--max-quote-age', '0.5')
        self.assertEqual([r['quote_age_s'] for r in f], ['0.4', '1.4', '2.4', '0.2', '0.5'])
        # t=1, t=2: every bar-end column is undefined
        for t in (1, 2):
            self.assertEqual([f[t][k] for k in MASKED], [''] * len(MASKED), 't=%d' % t)
        # t=0 (age 0.4), t=3 (0.2) and t=4 (0.5 = A) keep their bar-end values, as without the flag
        for t in (0, 3, 4):
            self.assertEqual([f[t][k] for k in MASKED], [f0[t][k] for k in MASKED], 't=%d' % t)
        # t=4 bar-end state qd = (100, 1, 101, 2): mid 100.5, obi -1/3,
        # microprice (100*2 + 101*1) / 3 = 100.3333.. -> (301/3 - 100.5) / 100.5 * 1e4
        self.assertEqual([f[4][k] for k in ('bid', 'bid_qty', 'ask', 'ask_qty')], ['100', '1', '101', '2'])
        self.close(num(f[4]['mid']), 100.5)
        self.close(num(f[4]['spread_bps']), 1 / 100.5 * 1e4)
        self.close(num(f[4]['obi']), -1 / 3)
        self.close(num(f[4]['microprice_bps']), (301 / 3 - 100.5) / 100.5 * 1e4)

    def test_obi_twa_and_windows(self):
        _, _, f = self.both('--max-quote-age', '0.5')
        twa = [num(r['obi_twa']) for r in f]
        self.close(twa[0], -1 / 6)                      # qa goes stale mid-bar (T0+200)
        self.close(twa[1], -0.5)                        # qb goes stale mid-bar (T0+1100)
        self.assertIsNone(twa[2])                       # stale over the whole bar
        self.close(twa[3], 1 / 3)
        self.close(twa[4], -1 / 12)                     # qc stale from T0+4300, qd fresh
        self.assertEqual(f[0]['obi_1'], '')             # t < w
        for t in range(1, 5):
            if twa[t] is None:
                self.assertEqual(f[t]['obi_1'], '')     # the only obi_twa in the window is stale
            else:
                self.close(num(f[t]['obi_1']), twa[t])
        obi2 = [num(r['obi_2']) for r in f]
        self.assertEqual(obi2[:2], [None, None])        # t < w
        self.close(obi2[2], -0.5)                       # only t=1 is defined in the window
        self.close(obi2[3], 1 / 3)                      # only t=3 is defined in the window
        self.close(obi2[4], 1 / 8)

    def test_unaffected_columns(self):
        fh, f0, f = self.both('--max-quote-age', '0.5')
        self.assertEqual([r['quote_count'] for r in f], ['1', '0', '0', '1', '1'])
        self.assertEqual([r['ofi'] for r in f], ['-4', '0', '0', '3', '-2'])
        self.assertEqual([r['ofi_2'] for r in f], ['', '', '0', '3', '1'])
        affected = set(MASKED) | {'obi_twa', 'obi_1', 'obi_2'}
        for k in fh:
            if k not in affected:
                self.assertEqual([r[k] for r in f], [r[k] for r in f0], k)

    def test_zero_and_large(self):
        # A = 0: every state is stale as soon as it is set (E - u > 0 and [s, min(e, u)) is
        # empty since s >= u): all masked columns, obi_twa and obi_{w} undefined everywhere.
        fh, f0, f = self.both('--max-quote-age', '0')
        for k in MASKED + ('obi_twa', 'obi_1', 'obi_2'):
            self.assertEqual([r[k] for r in f], [''] * 5, k)
        self.assertEqual([r['quote_age_s'] for r in f], [r['quote_age_s'] for r in f0])
        # A = 60 s exceeds every age here (at most 2.4 s): the file equals the run without flag
        self.run_q(TRADES_4, QUOTES_4, '--max-quote-age', '60', out='big')
        with open(self.path('big/features.csv')) as a, open(self.path('plain/features.csv')) as b:
            self.assertEqual(a.read(), b.read())

    def test_flag_parsing(self):
        # '0.5' and '0.500000' both mean exactly 500_000 us
        self.run_q(TRADES_4, QUOTES_4, '--max-quote-age', '0.5', out='a')
        self.run_q(TRADES_4, QUOTES_4, '--max-quote-age', '0.500000', out='b')
        with open(self.path('a/features.csv')) as a, open(self.path('b/features.csv')) as b:
            self.assertEqual(a.read(), b.read())
        # negative, a 7th fraction digit, exponent, no digit before / after the point, junk
        for bad in ('-1', '-0', '0.0000001', '0.5000000', '1e3', '.5', '5.', 'abc', '', 'inf', '0.5s'):
            p = subprocess.run([sys.executable, REF, '--quiet', '--trades', self.path('t.csv'),
                                '--quotes', self.path('q.csv'), '--out', self.path('bad'),
                                '--max-quote-age', bad], capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, bad)
            self.assertIn('--max-quote-age', p.stderr, bad)
            self.assertFalse(os.path.exists(self.path('bad')), bad)

    def test_coverage_warning(self):
        # Run summary: a bar is covered when quote_age_s <= A (60 s without the flag).
        #   A = 0.5: covered t = 0, 3, 4 -> 3 of 5 = 60 % < 90 % -> warning.
        #   no flag: all ages <= 2.4 s -> 5 of 5, no warning.
        write(self.path('t.csv'), TRADES_4)
        write(self.path('q.csv'), QUOTES_4)
        args = [sys.executable, REF, '--trades', self.path('t.csv'), '--quotes', self.path('q.csv'),
                '--out', self.path('out')]
        p = subprocess.run(args + ['--max-quote-age', '0.5'], capture_output=True, text=True, check=True)
        self.assertIn('WARNING: quotes cover less than 90 % of the bars: 3 of 5', p.stderr)
        p = subprocess.run(args, capture_output=True, text=True, check=True)
        self.assertNotIn('WARNING', p.stderr)
        self.assertIn('quote coverage 5 of 5 bars', p.stderr)


class TestCompare(Base):
    def test_compare(self):
        write(self.path('t.csv'), TRADES_1)
        for d in ('a', 'b'):
            run_ref('--trades', self.path('t.csv'), '--out', self.path(d), '--windows', '1,2', '--horizons', '1')
        ok = subprocess.run([sys.executable, CMP, self.path('a'), self.path('b')], capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stdout)
        p = self.path('b/features.csv')
        with open(p) as fh:
            rows = fh.read().split('\n')
        cells = rows[3].split(',')
        cells[9] = repr(float(cells[9]) * (1 + 1e-10))      # vwap within tolerance
        rows[3] = ','.join(cells)
        write(p, '\n'.join(rows))
        ok = subprocess.run([sys.executable, CMP, self.path('a'), self.path('b')], capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stdout)
        cells[9] = repr(float(cells[9]) * (1 + 1e-8))       # beyond tolerance
        rows[3] = ','.join(cells)
        write(p, '\n'.join(rows))
        bad = subprocess.run([sys.executable, CMP, self.path('a'), self.path('b')], capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1, bad.stdout)
        self.assertIn('vwap', bad.stdout)


if __name__ == '__main__':
    unittest.main()
