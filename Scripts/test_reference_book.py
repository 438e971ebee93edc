#!/usr/bin/env python3
"""Self-test of Scripts/reference_book.py (and a little of Scripts/wsfeed_to_tardis.py) on tiny
hand-written books.  Standard library only.

  python3 Scripts/test_reference_book.py -v

Every expected value is derived by hand in the comments next to it.  Times: B is a whole second
in epoch ms (so bar 0 = [B, B+1000) ms with --interval 1s); book files are in us (Tardis).
The trades files only set the raster (first trade's bar .. last trade's bar).
"""

import csv
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
import unittest
from contextlib import redirect_stderr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_book  # noqa: E402
import reference_features  # noqa: E402
import wsfeed_to_tardis  # noqa: E402

B = 1_723_161_300_000          # ms, a whole second (2024-08-09 00:00:00 UTC... -ish; any second works)
INC_HDR = 'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount'


def us(ms_offset):
    """Book time in us for B + ms_offset ms."""
    return (B + ms_offset) * 1000


def inc(rows):
    """rows: (ms offset, is_snapshot bool, side, price, amount) -> incremental_book_L2 text."""
    out = [INC_HDR]
    for off, snap, side, p, a in rows:
        out.append('binance-futures,TEST,%d,%d,%s,%s,%s,%s' % (us(off), us(off) + 7, 'true' if snap else 'false',
                                                             side, p, a))
    return '\n'.join(out) + '\n'


def snap_layout(n, rows):
    """rows: (ms offset, [(ask p, ask q)...], [(bid p, bid q)...]) -> book_snapshot_n text ('' = empty)."""
    hdr = ['exchange', 'symbol', 'timestamp', 'local_timestamp']
    for i in range(n):
        hdr += ['asks[%d].price' % i, 'asks[%d].amount' % i, 'bids[%d].price' % i, 'bids[%d].amount' % i]
    out = [','.join(hdr)]
    for off, asks, bids in rows:
        cells = ['binance-futures', 'TEST', str(us(off)), str(us(off))]
        for i in range(n):
            for lv in (asks, bids):
                cells += list(lv[i]) if i < len(lv) else ['', '']
        out.append(','.join(cells))
    return '\n'.join(out) + '\n'


def trades(offsets_ms):
    out = ['id,price,qty,quote_qty,time,is_buyer_maker']
    for i, off in enumerate(offsets_ms):
        out.append('%d,100,1,100,%d,false' % (i + 1, B + off))
    return '\n'.join(out) + '\n'


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='test_reference_book.')

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, text):
        p = os.path.join(self.dir, name)
        with open(p, 'w') as f:
            f.write(text)
        return p

    def run_book(self, book_text, trade_offsets=(0,), levels='1,5', quotes=False):
        tp = self.write('trades.csv', trades(trade_offsets))
        bp = self.write('book.csv', book_text)
        out = os.path.join(self.dir, 'out.csv')
        summ = os.path.join(self.dir, 'summary.json')
        argv = ['--trades', tp, '--book', bp, '--out', out, '--depth-levels', levels,
                '--summary', summ, '--quiet']
        qp = os.path.join(self.dir, 'quotes.csv')
        if quotes:
            argv += ['--quotes-out', qp]
        self.assertEqual(reference_book.main(argv), 0)
        with open(out, newline='') as f:
            rows = list(csv.DictReader(f))
        with open(summ) as f:
            self.summary = json.load(f)
        if quotes:
            with open(qp, newline='') as f:
                self.quotes = list(csv.DictReader(f))
        return rows


class TestBookUpdates(Base):
    def test_column_order(self):
        rows = self.run_book(inc([(100, True, 'bid', '10', '1')]), levels='1,5,10')
        self.assertEqual(list(rows[0].keys()), [
            'timestamp', 'book_bid_qty_1', 'book_ask_qty_1', 'book_bid_qty_5', 'book_ask_qty_5',
            'book_bid_qty_10', 'book_ask_qty_10', 'book_imb_1', 'book_imb_5', 'book_imb_10',
            'book_imb_twa_1', 'book_imb_twa_5', 'book_imb_twa_10', 'book_updates'])

    def test_snapshot_restart_rule(self):
        rows = self.run_book(inc([
            (100, True, 'bid', '100', '2'),    # first row, true -> empty the book, start a snapshot
            (100, True, 'ask', '101', '3'),
            (200, False, 'bid', '99', '1'),    # diff: bids {100:2, 99:1}
            (300, True, 'bid', '50', '5'),     # true after false -> book emptied: bids {50:5}
            (300, True, 'ask', '60', '7'),     #   asks {60:7}
            (400, True, 'bid', '49', '1'),     # true after true -> NOT emptied: bids {50:5, 49:1}
        ]))
        r = rows[0]
        # bar end: bids {50:5, 49:1}, asks {60:7}; k=1: 5 vs 7 -> (5-7)/12 = -1/6
        # k=5: 6 vs 7 -> -1/13.  Levels 100, 99, 101 are gone.
        self.assertEqual((r['book_bid_qty_1'], r['book_ask_qty_1']), ('5', '7'))
        self.assertEqual((r['book_bid_qty_5'], r['book_ask_qty_5']), ('6', '7'))
        self.assertEqual(float(r['book_imb_1']), -1 / 6)
        self.assertEqual(float(r['book_imb_5']), -1 / 13)
        self.assertEqual(r['book_updates'], '4')              # timestamps 100, 200, 300, 400
        self.assertEqual(self.summary['snapshot_restarts'], 2)

    def test_stream_without_snapshot_starts_empty(self):
        rows = self.run_book(inc([(100, False, 'bid', '10', '2'), (200, False, 'ask', '11', '2')]))
        # empty book + bid 10:2 + ask 11:2 -> 2 vs 2, imb 0
        self.assertEqual((rows[0]['book_bid_qty_1'], rows[0]['book_ask_qty_1']), ('2', '2'))
        self.assertEqual(float(rows[0]['book_imb_1']), 0.0)

    def test_same_timestamp_grouping(self):
        rows = self.run_book(inc([
            (100, True, 'bid', '10', '1'),
            (100, True, 'ask', '11', '1'),     # update 1 at 100: bid 10:1, ask 11:1
            (500, False, 'bid', '10', '2'),
            (500, False, 'ask', '11', '4'),
            (500, False, 'bid', '9', '1'),     # update 2 at 500 (three rows, one update)
        ]), quotes=True)
        r = rows[0]
        self.assertEqual(r['book_updates'], '2')
        # end state: bids {10:2, 9:1}, asks {11:4}; k=1: (2-4)/6 = -1/3; k=5: (3-4)/7 = -1/7
        self.assertEqual(float(r['book_imb_1']), -1 / 3)
        self.assertEqual(float(r['book_imb_5']), -1 / 7)
        # twa_1 over [0,1000) ms: no state on [0,100); (1-1)/2 = 0 on [100,500) (400 ms);
        # -1/3 on [500,1000) (500 ms) -> (0*400 + (-1/3)*500) / 900 = -5/27
        self.assertAlmostEqual(float(r['book_imb_twa_1']), -5 / 27, places=15)
        # quote stream: 2 quotes (the grouped update is one quote; its intermediate states unseen)
        self.assertEqual(len(self.quotes), 2)
        self.assertEqual([(q['bid_price'], q['bid_amount'], q['ask_price'], q['ask_amount'])
                          for q in self.quotes], [('10', '1', '11', '1'), ('10', '2', '11', '4')])
        self.assertEqual(self.summary['updates'], 2)

    def test_delete_by_zero_amount(self):
        rows = self.run_book(inc([
            (100, True, 'bid', '10', '1'),
            (100, True, 'bid', '9', '2'),
            (100, True, 'ask', '11', '3'),
            (200, False, 'bid', '10', '0.000'),   # deletes 10 -> bids {9:2}
            (300, False, 'ask', '12', '0'),       # delete of an absent level: no-op
        ]))
        r = rows[0]
        # bids {9:2}, asks {11:3}: k=1 2 vs 3 -> -1/5; k=5 the same
        self.assertEqual((r['book_bid_qty_1'], r['book_ask_qty_1']), ('2', '3'))
        self.assertEqual((r['book_bid_qty_5'], r['book_ask_qty_5']), ('2', '3'))
        self.assertEqual(float(r['book_imb_1']), -0.2)
        self.assertEqual(self.summary['deletes_of_absent_level'], 1)

    def test_crossed_book_kept(self):
        rows = self.run_book(inc([
            (100, True, 'bid', '10', '1'),
            (100, True, 'ask', '11', '1'),
            (200, False, 'bid', '12', '5'),     # bid 12 >= ask 11: crossed, not repaired
        ]), quotes=True)
        r = rows[0]
        # bids {12:5, 10:1}, asks {11:1}: k=1 5 vs 1 -> 4/6; k=5 6 vs 1 -> 5/7
        self.assertEqual((r['book_bid_qty_1'], r['book_bid_qty_5'], r['book_ask_qty_5']), ('5', '6', '1'))
        self.assertEqual(float(r['book_imb_1']), 4 / 6)
        self.assertEqual(float(r['book_imb_5']), 5 / 7)
        self.assertEqual(self.summary['crossed_updates'], 1)
        # the crossed top is a quote like any other
        self.assertEqual((self.quotes[-1]['bid_price'], self.quotes[-1]['ask_price']), ('12', '11'))

    def test_k_larger_than_side(self):
        rows = self.run_book(inc([
            (100, True, 'bid', '10', '1'),
            (100, True, 'bid', '9', '2'),
            (100, True, 'bid', '8', '3'),
            (100, True, 'ask', '11', '4'),
        ]), levels='1,5')
        r = rows[0]
        # k=1: bid 1 (best = 10), ask 4 -> -3/5; k=5: all bids 1+2+3 = 6, ask 4 -> 2/10
        self.assertEqual((r['book_bid_qty_1'], r['book_ask_qty_1']), ('1', '4'))
        self.assertEqual((r['book_bid_qty_5'], r['book_ask_qty_5']), ('6', '4'))
        self.assertEqual(float(r['book_imb_1']), -0.6)
        self.assertEqual(float(r['book_imb_5']), 0.2)

    def test_empty_side_and_undefined_imbalance(self):
        rows = self.run_book(inc([
            (100, True, 'bid', '10', '2'),      # ask side empty: imb (2-0)/2 = 1
            (600, False, 'bid', '10', '0'),     # both sides empty: imb undefined
        ]), trade_offsets=(0, 1500))
        r0, r1 = rows
        # bar 0: end state both empty -> sums 0 and 0, imb undefined
        self.assertEqual((r0['book_bid_qty_1'], r0['book_ask_qty_1'], r0['book_imb_1']), ('0', '0', ''))
        # twa: [0,100) no state, [100,600) imb 1 (500 ms), [600,1000) undefined -> no weight => 1
        self.assertEqual(float(r0['book_imb_twa_1']), 1.0)
        self.assertEqual(r0['book_updates'], '2')
        # bar 1: state both empty the whole bar -> twa undefined, sums 0, no updates
        self.assertEqual((r1['book_bid_qty_5'], r1['book_ask_qty_5'], r1['book_imb_5'], r1['book_imb_twa_5'],
                          r1['book_updates']), ('0', '0', '', '', '0'))

    def test_before_first_update_undefined(self):
        rows = self.run_book(inc([(1500, True, 'bid', '10', '2'), (1500, True, 'ask', '11', '2')]),
                             trade_offsets=(0, 1900))
        r0, r1 = rows
        # bar 0 has no state at all: every value cell empty, 0 updates
        self.assertEqual([r0[c] for c in r0 if c != 'timestamp'], [''] * 8 + ['0'])
        # bar 1: state from 1500 -> imb 0, twa 0 (weight 500 ms only)
        self.assertEqual((r1['book_imb_1'], r1['book_imb_twa_1'], r1['book_updates']), ('0.0', '0.0', '1'))

    def test_twa_update_inside_bar_and_before_raster(self):
        rows = self.run_book(inc([
            (-500, True, 'bid', '10', '3'),     # before the first bar: state only, not counted
            (-500, True, 'ask', '11', '1'),     #   imb (3-1)/4 = 0.5
            (250, False, 'ask', '11', '3'),     # inside bar 0: 3 vs 3 -> imb 0
        ]), trade_offsets=(0, 1500))
        r0, r1 = rows
        # bar 0: 0.5 on [0,250) and 0 on [250,1000) -> (0.5*250 + 0*750)/1000 = 0.125
        self.assertEqual(float(r0['book_imb_twa_1']), 0.125)
        self.assertEqual(float(r0['book_imb_1']), 0.0)
        self.assertEqual(r0['book_updates'], '1')
        # bar 1: state unchanged -> twa 0, no updates
        self.assertEqual((float(r1['book_imb_twa_1']), r1['book_updates']), (0.0, '0'))

    def test_update_at_bar_start_belongs_to_bar(self):
        rows = self.run_book(inc([
            (0, True, 'bid', '10', '3'), (0, True, 'ask', '11', '1'),   # exactly at B: bar 0, imb 0.5
            (1000, False, 'bid', '10', '1'),                            # exactly at B+1s: bar 1, imb 0
        ]), trade_offsets=(0, 1999))
        r0, r1 = rows
        # bar 0: 0.5 the whole bar; bar 1: 0 the whole bar
        self.assertEqual((float(r0['book_imb_twa_1']), r0['book_updates']), (0.5, '1'))
        self.assertEqual((float(r1['book_imb_twa_1']), r1['book_updates']), (0.0, '1'))

    def test_decimal_sums_exact(self):
        rows = self.run_book(inc([
            (100, True, 'bid', '10.0', '0.1'), (100, True, 'bid', '9.9', '0.2'),
            (100, True, 'ask', '10.1', '0.30'),
        ]))
        # 0.1 + 0.2 = 0.3 exactly (not 0.30000000000000004); imb (0.3-0.3)/0.6 = 0
        self.assertEqual((rows[0]['book_bid_qty_5'], rows[0]['book_ask_qty_5']), ('0.3', '0.3'))
        self.assertEqual(float(rows[0]['book_imb_5']), 0.0)

    def test_out_of_order_is_error(self):
        with self.assertRaises(SystemExit):
            self.run_book(inc([(200, True, 'bid', '10', '1'), (100, False, 'bid', '10', '2')]))


class TestSnapshotLayout(Base):
    def test_rows_are_states(self):
        rows = self.run_book(snap_layout(3, [
            (100, [('11', '1'), ('12', '2')], [('10', '3'), ('9', '0')]),   # bid 9 with 0: absent
            (100, [('11', '2')], [('10', '3'), ('9', '1'), ('', '')]),     # same ts: its own update
        ]), levels='1,5')
        r = rows[0]
        # last row: bids {10:3, 9:1}, asks {11:2}: k=1 3 vs 2 -> 1/5; k=5 4 vs 2 -> 1/3
        self.assertEqual((r['book_bid_qty_5'], r['book_ask_qty_5']), ('4', '2'))
        self.assertEqual(float(r['book_imb_1']), 0.2)
        self.assertEqual(float(r['book_imb_5']), 1 / 3)
        self.assertEqual(r['book_updates'], '2')          # two rows, two updates
        # twa: the first row is in force for 0 time -> only the second counts: 1/5
        self.assertEqual(float(r['book_imb_twa_1']), 0.2)

    def test_levels_sorted_by_price(self):
        # columns out of price order: asks[0]=12, asks[1]=11 -> best ask is 11 (qty 5)
        rows = self.run_book(snap_layout(2, [(100, [('12', '1'), ('11', '5')], [('10', '2')])]),
                             levels='1')
        self.assertEqual((rows[0]['book_bid_qty_1'], rows[0]['book_ask_qty_1']), ('2', '5'))

    def test_same_outputs_as_incremental(self):
        inc_text = inc([
            (100, True, 'bid', '10', '1'), (100, True, 'bid', '9', '2'), (100, True, 'ask', '11', '3'),
            (400, False, 'ask', '12', '1'), (400, False, 'bid', '10', '0'),
            (1300, False, 'bid', '9.5', '4'),
        ])
        snap_text = snap_layout(5, [
            (100, [('11', '3')], [('10', '1'), ('9', '2')]),
            (400, [('11', '3'), ('12', '1')], [('9', '2')]),
            (1300, [('11', '3'), ('12', '1')], [('9.5', '4'), ('9', '2')]),
        ])
        a = self.run_book(inc_text, trade_offsets=(0, 2500), levels='1,2,5')
        b = self.run_book(snap_text, trade_offsets=(0, 2500), levels='1,2,5')
        self.assertEqual(a, b)


class TestTopOfBook(Base):
    def test_quote_rule(self):
        self.run_book(inc([
            (100, True, 'bid', '10', '1'),      # 1: ask side empty -> not a quote
            (200, False, 'ask', '11', '2'),     # 2: both present, ask was empty -> quote
            (300, False, 'ask', '11', '0'),     # 3: leaves the ask side empty -> not a quote
            (400, False, 'ask', '11', '2'),     # 4: same top as quote 2, but ask empty before -> quote
            (500, False, 'bid', '8', '5'),      # 5: deep level only -> not a quote
            (600, False, 'bid', '10', '1'),     # 6: best bid rewritten with the same qty -> no change
            (700, False, 'bid', '10', '4'),     # 7: best bid qty changes -> quote
            (800, False, 'ask', '10.5', '1'),   # 8: best ask price changes -> quote
        ]), quotes=True)
        got = [(int(q['timestamp']), q['bid_price'], q['bid_amount'], q['ask_price'], q['ask_amount'])
               for q in self.quotes]
        self.assertEqual(got, [(us(200), '10', '1', '11', '2'), (us(400), '10', '1', '11', '2'),
                               (us(700), '10', '4', '11', '2'), (us(800), '10', '4', '10.5', '1')])
        self.assertEqual(self.quotes[0]['local_timestamp'], str(us(200) + 7))
        self.assertEqual(self.summary['updates_leaving_a_side_empty'], 2)   # updates 1 and 3

    def test_first_update_is_quote(self):
        self.run_book(inc([(100, True, 'bid', '10.50', '1.000'), (100, True, 'ask', '10.60', '2')]), quotes=True)
        self.assertEqual(len(self.quotes), 1)
        # exact values, trailing zeros removed
        q = self.quotes[0]
        self.assertEqual((q['bid_price'], q['bid_amount'], q['ask_price'], q['ask_amount']),
                         ('10.5', '1', '10.6', '2'))

    def test_quotes_feed_reference_features(self):
        self.run_book(inc([
            (100, True, 'bid', '10', '3'), (100, True, 'ask', '11', '1'),
            (600, False, 'ask', '11', '3'),
        ]), trade_offsets=(0, 1500), quotes=True)
        tp = os.path.join(self.dir, 'trades.csv')
        qp = os.path.join(self.dir, 'quotes.csv')
        out = os.path.join(self.dir, 'feat')
        with redirect_stderr(io.StringIO()):
            reference_features.main(['--trades', tp, '--quotes', qp, '--out', out, '--quiet'])
        with open(os.path.join(out, 'features.csv'), newline='') as f:
            r0 = next(csv.DictReader(f))
        # quote states: (10,3,11,1) from 100 ms, (10,3,11,3) from 600 ms
        # obi_twa = (0.5*500 + 0*400)/900 = 5/18; bar end obi 0; quote_count 2
        self.assertEqual((r0['bid'], r0['ask'], r0['bid_qty'], r0['ask_qty']), ('10', '11', '3', '3'))
        self.assertAlmostEqual(float(r0['obi_twa']), 5 / 18, places=15)
        self.assertEqual(r0['quote_count'], '2')


# ----------------------------------------------------------------------------------------
# wsfeed_to_tardis on a tiny synthetic feed
# ----------------------------------------------------------------------------------------

def depth(local, T, U, u, pu, b, a, sym='TESTUSDT'):
    return '%d %s' % (local, json.dumps({'stream': sym.lower() + '@depth@0ms', 'data': {
        'e': 'depthUpdate', 'E': T + 1, 'T': T, 's': sym, 'U': U, 'u': u, 'pu': pu, 'b': b, 'a': a}}))


class TestWsfeed(Base):
    def feed(self, lines):
        p = os.path.join(self.dir, 'feed.jsonl.gz')
        with gzip.open(p, 'wt') as f:
            f.write('\n'.join(lines) + '\n')
        return p

    def convert(self, lines, *extra):
        p = self.feed(lines)
        out = os.path.join(self.dir, 'out')
        with redirect_stderr(io.StringIO()):
            rc = wsfeed_to_tardis.main([p, out, '--summary', os.path.join(self.dir, 's.json')] + list(extra))
        return rc, out

    def snapshot_line(self, local, L, T):
        return '%d %s' % (local, json.dumps({'lastUpdateId': L, 'E': T + 5, 'T': T,
                                             'bids': [['100.0', '1.0'], ['99.5', '2']],
                                             'asks': [['100.5', '3'], ['101.0', '4']]}))

    def test_sequencing_merge_and_layouts(self):
        T0 = B
        lines = [
            depth(1, T0 - 10, 1, 5, 0, [['100.0', '9']], []),          # u=5 < L=10: dropped
            depth(2, T0, 6, 12, 5, [['100.0', '1.5']], []),            # U=6 <= 10 <= 12: first applied
            '3 {"stream":"testusdt@trade","data":{"e":"trade"}}',       # other streams: skipped
            self.snapshot_line(4, 10, T0),                            # snapshot T == first diff T: merge
            depth(5, T0 + 50, 13, 15, 12, [['99.5', '0']], [['100.5', '3.50']]),
            depth(6, T0 + 50, 16, 16, 15, [], [['102.0', '1']]),        # same T again: merge
            depth(7, T0 + 1700, 17, 18, 16, [['100.0', '0']], []),
        ]
        rc, out = self.convert(lines, '--bands', '0.5,1', '--bands-every', '1')
        self.assertEqual(rc, 0)
        with open(os.path.join(self.dir, 's.json')) as f:
            s = json.load(f)
        self.assertEqual((s['dropped_before_snapshot'], s['applied_events'], s['same_T_merges']), (1, 4, 2))
        self.assertEqual(s['incremental_rows'], 4 + 1 + 2 + 1 + 1)
        with open(os.path.join(out, 'incremental_book_L2.csv'), newline='') as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], INC_HDR.split(','))
        self.assertEqual(rows[1], ['binance-futures', 'TESTUSDT', str(T0 * 1000), '0', 'true', 'bid', '100.0', '1.0'])
        self.assertEqual(rows[5], ['binance-futures', 'TESTUSDT', str(T0 * 1000), '0', 'false', 'bid', '100.0', '1.5'])
        self.assertEqual(rows[7][4:], ['false', 'ask', '100.5', '3.50'])     # strings copied verbatim
        with open(os.path.join(out, 'book_snapshot_25.csv'), newline='') as f:
            snaps = list(csv.reader(f))
        self.assertEqual(snaps[0][4:12], ['asks[0].price', 'asks[0].amount', 'bids[0].price', 'bids[0].amount',
                                          'asks[1].price', 'asks[1].amount', 'bids[1].price', 'bids[1].amount'])
        # one row per timestamp group: T0 (snapshot + first diff), T0+50 (two events), T0+1700
        self.assertEqual(len(snaps) - 1, 3)
        # after T0: bids {100.0:1.5, 99.5:2}, asks {100.5:3, 101.0:4}
        self.assertEqual(snaps[1][4:12], ['100.5', '3', '100.0', '1.5', '101.0', '4', '99.5', '2'])
        # after T0+50: bids {100.0:1.5}, asks {100.5:3.50, 101.0:4, 102.0:1}; bids[1] empty
        self.assertEqual(snaps[2][4:16], ['100.5', '3.50', '100.0', '1.5', '101.0', '4', '', '',
                                          '102.0', '1', '', ''])
        # the two layouts give the same Book group
        tp = self.write('trades.csv', trades((0, 1900)))
        res = []
        for name in ('incremental_book_L2.csv', 'book_snapshot_25.csv'):
            o = os.path.join(self.dir, name + '.out')
            reference_book.main(['--trades', tp, '--book', os.path.join(out, name), '--out', o,
                                 '--depth-levels', '1,2,25', '--quiet'])
            with open(o) as f:
                res.append(f.read())
        self.assertEqual(res[0], res[1])
        # bands, one stamp per second: stamp S uses the state after the last event with T < S+1 s.
        # S = B/1000: state after T0+50: mid = (100.0+100.5)/2 = 100.25;
        #   -0.5 %: bids >= 99.74875 -> 100.0:1.5 -> depth 1.5, notional 150
        #   -1 %:   bids >= 99.2475  -> the same (99.5 was deleted)
        #   +0.5 %: asks <= 100.75125 -> 100.5:3.50 -> 3.5, 351.75
        #   +1 %:   asks <= 101.2525 -> + 101.0:4 -> 7.5, 755.75 (102.0 is beyond)
        # S+1 is the last stamp with (S+2) s <= last T (T0+1700 < T0+2000: not stamped)
        with open(os.path.join(out, 'bookDepth.csv'), newline='') as f:
            bd = list(csv.reader(f))
        self.assertEqual(bd[0], ['timestamp', 'percentage', 'depth', 'notional'])
        import time as _t
        st = _t.strftime('%Y-%m-%d %H:%M:%S', _t.gmtime(B // 1000))
        self.assertEqual(bd[1:5], [[st, '-1', '1.5', '150'], [st, '-0.5', '1.5', '150'],
                                   [st, '0.5', '3.5', '351.75'], [st, '1', '7.5', '755.75']])
        self.assertEqual(len(bd), 5)

    def test_gap_stops(self):
        T0 = B
        lines = [
            self.snapshot_line(1, 10, T0),
            depth(2, T0 + 5, 8, 12, 7, [['100.0', '1.5']], []),
            depth(3, T0 + 9, 14, 15, 13, [['100.0', '2']], []),       # pu 13 != previous u 12
        ]
        rc, out = self.convert(lines)
        self.assertEqual(rc, 3)
        self.assertFalse(os.path.exists(os.path.join(out, 'incremental_book_L2.csv')))

    def test_first_event_must_straddle(self):
        lines = [self.snapshot_line(1, 10, B), depth(2, B + 5, 11, 12, 10, [['100.0', '1.5']], [])]
        rc, _ = self.convert(lines)
        self.assertEqual(rc, 3)                                       # U=11 > lastUpdateId=10


if __name__ == '__main__':
    unittest.main()
