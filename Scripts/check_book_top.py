#!/usr/bin/env python3
"""Check the order-book test inputs against the exchange's own top of book.  Standard library only.

Usage:
  python3 Scripts/check_book_top.py [--data DIR] [--work DIR] [--symbols BTC,ETH] [--min-agree 0.95]

For each symbol (BTCUSDT, ETHUSDT of the 2024-08-08 23:54-24:00 Binance USD-M capture):
  1. Scripts/wsfeed_to_tardis.py converts the wsfeed into incremental_book_L2.csv and
     book_snapshot_25.csv (checks the snapshot header against the Tardis sample in formats/).
  2. Scripts/reference_book.py runs on the incremental file (with --quotes-out: the contract's
     "top of book from the book" quote stream) and on the snapshot file, both with
     --depth-levels 1,5,10,25 and the matching trades file for the raster.  The two Book-group
     outputs must be byte-identical (k <= 25 is all a 25-level snapshot can carry).
  3. The quote stream from the book is compared with the real bookTicker
     (binance-um-SYMBOL-bookTicker-...from-ws.csv, transaction_time) at 1-second bar ends E
     (state = last update with time < E, as the contract's quote columns take it) over the
     seconds both cover: E from the first whole second after both streams' first update to
     the last whole second not after either stream's last update.  Reported: the share of bar
     ends where best bid price AND best ask price agree (the pass criterion), and, for
     information, where both quantities agree too, and where all four agree.
     Values are compared as exact decimals (61800.2 == 61800.20).
  4. Diagnostic, also a hard check: the same bar ends, but the bookTicker taken at the book's
     information cutoff, i.e. its last update whose update_id <= u of the last depth event with
     T < E (update ids of both streams come from one sequence).  This isolates the rebuild from
     the depth stream's batching: a depth event (~every 50 ms) reports the changes up to its T,
     so at a bar end the book lags the bookTicker by the changes made after the last depth event
     before E.  Every price must agree here (a sequencing or parsing error would show); the
     disagreements of step 3 are listed with their lag E - T (ms).

Exit status 1 if the price agreement of step 3 is below --min-agree (default 0.95) for any
symbol, or the step 4 price agreement is below 100 %, or the two Book-group outputs differ, or the snapshot header differs from the Tardis sample; 0 otherwise.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from bisect import bisect_left, bisect_right
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
WINDOW = '2024-08-08T2354Z-2400Z'


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit('command failed (%d): %s' % (p.returncode, ' '.join(cmd)))
    return dt, p.stderr


def read_stream(path, tcol, cols, t_mul):
    """-> list of (time_us, (bid, bidq, ask, askq)) in file order; values exact Decimals."""
    with open(path, newline='') as f:
        rd = csv.reader(f)
        hdr = [c.strip() for c in next(rd)]
        it = hdr.index(tcol)
        idx = [hdr.index(c) for c in cols]
        out = []
        for r in rd:
            if not r:
                continue
            out.append((int(r[it]) * t_mul, tuple(Decimal(r[i]) for i in idx)))
    for a, b in zip(out, out[1:]):
        if b[0] < a[0]:
            raise SystemExit('%s is not in time order' % path)
    return out


def states_at(stream, ends):
    """State (last update with time < E) for each bar end E (ascending)."""
    out = []
    i = 0
    cur = None
    for E in ends:
        while i < len(stream) and stream[i][0] < E:
            cur = stream[i][1]
            i += 1
        out.append(cur)
    return out


def compare_top(book_q, ticker):
    first = max(book_q[0][0], ticker[0][0])
    last = min(book_q[-1][0], ticker[-1][0])
    sec = 1_000_000
    ends = list(range(first // sec * sec + sec, last // sec * sec + 1, sec))
    sb = states_at(book_q, ends)
    st = states_at(ticker, ends)
    n = len(ends)
    price = sum(1 for x, y in zip(sb, st) if x[0] == y[0] and x[2] == y[2])
    qty = sum(1 for x, y in zip(sb, st) if x[1] == y[1] and x[3] == y[3])
    allv = sum(1 for x, y in zip(sb, st) if x == y)
    bid_only = sum(1 for x, y in zip(sb, st) if x[0] == y[0])
    ask_only = sum(1 for x, y in zip(sb, st) if x[2] == y[2])
    return {'bar_ends': n, 'first_end_us': ends[0] if ends else None, 'last_end_us': ends[-1] if ends else None,
            'price_agree': price, 'price_agree_share': price / n if n else 0.0,
            'bid_price_agree_share': bid_only / n if n else 0.0,
            'ask_price_agree_share': ask_only / n if n else 0.0,
            'qty_agree': qty, 'qty_agree_share': qty / n if n else 0.0,
            'all_four_agree_share': allv / n if n else 0.0}


def aligned_check(feed, book_q, ticker_path):
    """Step 4: book top at bar end E vs the bookTicker's last update with update_id <= u of the
    book's last depth event with T < E."""
    sys.path.insert(0, HERE)
    import wsfeed_to_tardis as w
    snap, events, _ = w.read_feed(feed)
    applied, _ = w.sequence(snap, events)
    ev_t = [snap['T'] * 1000] + [e['T'] * 1000 for e in applied]
    ev_u = [snap['L']] + [e['u'] for e in applied]
    with open(ticker_path, newline='') as f:
        rd = csv.reader(f)
        hdr = next(rd)
        iu, it = hdr.index('update_id'), hdr.index('transaction_time')
        ib, ia = hdr.index('best_bid_price'), hdr.index('best_ask_price')
        tk = [(int(r[iu]), int(r[it]) * 1000, Decimal(r[ib]), Decimal(r[ia])) for r in rd if r]
    tk_u = [x[0] for x in tk]
    tk_t = [x[1] for x in tk]
    bq_t = [x[0] for x in book_q]
    first = max(book_q[0][0], tk[0][1])
    last = min(book_q[-1][0], tk[-1][1])
    sec = 1_000_000
    n = ok = 0
    lags = []
    for E in range(first // sec * sec + sec, last // sec * sec + 1, sec):
        b = book_q[bisect_left(bq_t, E) - 1][1]
        i = bisect_left(ev_t, E) - 1
        j = bisect_right(tk_u, ev_u[i]) - 1
        n += 1
        if j >= 0 and tk[j][2] == b[0] and tk[j][3] == b[2]:
            ok += 1
        plain = tk[bisect_left(tk_t, E) - 1]
        if not (plain[2] == b[0] and plain[3] == b[2]):
            lags.append((E - ev_t[i]) // 1000)
    return {'bar_ends': n, 'price_agree_aligned_by_update_id': ok,
            'price_agree_aligned_share': ok / n if n else 0.0,
            'bar_end_disagreement_lags_ms': sorted(lags)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', default='/work/shared/data/real')
    ap.add_argument('--work', help='keep the converted files here (default: a temporary directory)')
    ap.add_argument('--symbols', default='BTC,ETH')
    ap.add_argument('--min-agree', type=float, default=0.95)
    args = ap.parse_args(argv)

    work = args.work or tempfile.mkdtemp(prefix='check_book_top.')
    os.makedirs(work, exist_ok=True)
    sample = os.path.join(args.data, 'formats', 'binance-futures_book_snapshot_25_BTCUSDT.csv')
    with open(sample, newline='') as f:
        sample_header = next(csv.reader(f))
    ok = True
    report = {}
    for base in [s.strip() for s in args.symbols.split(',') if s.strip()]:
        sym = base + 'USDT'
        feed = os.path.join(args.data, 'binance-um-%s-wsfeed-%s.hftbacktest.jsonl.gz' % (sym, WINDOW))
        trades = os.path.join(args.data, 'binance-um-%s-trades-%s.from-ws.csv' % (sym, WINDOW))
        ticker = os.path.join(args.data, 'binance-um-%s-bookTicker-%s.from-ws.csv' % (sym, WINDOW))
        out = os.path.join(work, sym)
        rep = {}
        dt, _ = run([sys.executable, os.path.join(HERE, 'wsfeed_to_tardis.py'), feed, out,
                     '--summary', os.path.join(out + '.conversion.json')])
        rep['convert_seconds'] = round(dt, 2)
        with open(out + '.conversion.json') as f:
            conv = json.load(f)
        rep['conversion'] = {k: conv[k] for k in ('depth_events', 'dropped_before_snapshot', 'applied_events',
                                                  'gaps', 'same_T_merges', 'incremental_rows',
                                                  'book_snapshot_25_rows')}
        with open(os.path.join(out, 'book_snapshot_25.csv'), newline='') as f:
            hdr = next(csv.reader(f))
        rep['snapshot_header_matches_tardis_sample'] = hdr == sample_header
        if hdr != sample_header:
            ok = False
        outs = {}
        for layout in ('incremental_book_L2', 'book_snapshot_25'):
            res = os.path.join(out, 'book_%s.csv' % layout)
            cmd = [sys.executable, os.path.join(HERE, 'reference_book.py'), '--trades', trades,
                   '--book', os.path.join(out, layout + '.csv'), '--out', res,
                   '--depth-levels', '1,5,10,25', '--summary', os.path.join(out, 'book_%s.json' % layout),
                   '--quiet']
            if layout == 'incremental_book_L2':
                cmd += ['--quotes-out', os.path.join(out, 'quotes_from_book.csv')]
            dt, _ = run(cmd)
            rep['reference_book_seconds_' + layout] = round(dt, 2)
            with open(os.path.join(out, 'book_%s.json' % layout)) as f:
                s = json.load(f)
            rep['summary_' + layout] = {k: s[k] for k in ('updates', 'updates_in_raster', 'crossed_updates',
                                                          'updates_leaving_a_side_empty', 'quote_updates', 'bars')}
            with open(res, 'rb') as f:
                outs[layout] = f.read()
        same = outs['incremental_book_L2'] == outs['book_snapshot_25']
        rep['book_group_identical_incremental_vs_snapshot25'] = same
        if not same:
            ok = False
            a = outs['incremental_book_L2'].decode().splitlines()
            b = outs['book_snapshot_25'].decode().splitlines()
            rep['differing_lines'] = sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b))
        bq = read_stream(os.path.join(out, 'quotes_from_book.csv'), 'timestamp',
                         ('bid_price', 'bid_amount', 'ask_price', 'ask_amount'), 1)
        tk = read_stream(ticker, 'transaction_time',
                         ('best_bid_price', 'best_bid_qty', 'best_ask_price', 'best_ask_qty'), 1000)
        rep['top_vs_bookTicker'] = compare_top(bq, tk)
        share = rep['top_vs_bookTicker']['price_agree_share']
        rep['pass_price_agreement'] = share >= args.min_agree
        if share < args.min_agree:
            ok = False
        al = aligned_check(feed, bq, ticker)
        rep['aligned_diagnostic'] = al
        if al['price_agree_aligned_by_update_id'] != al['bar_ends']:
            ok = False
        report[sym] = rep
        print('%s: price agreement %.2f %% of %d 1-s bar ends (bid %.2f %%, ask %.2f %%), qty agreement '
              '%.2f %%, all four %.2f %%; aligned by update id %.2f %%; incremental vs snapshot_25 Book '
              'group identical: %s'
              % (sym, 100 * share, rep['top_vs_bookTicker']['bar_ends'],
                 100 * rep['top_vs_bookTicker']['bid_price_agree_share'],
                 100 * rep['top_vs_bookTicker']['ask_price_agree_share'],
                 100 * rep['top_vs_bookTicker']['qty_agree_share'],
                 100 * rep['top_vs_bookTicker']['all_four_agree_share'],
                 100 * al['price_agree_aligned_share'], same))
        if share < args.min_agree:
            print('%s: FAIL: bar-end price agreement %.2f %% < %.2f %%; the lags E - T (ms) of the %d '
                  'disagreeing bar ends are %s (the depth stream is batched ~50 ms)'
                  % (sym, 100 * share, 100 * args.min_agree, len(al['bar_end_disagreement_lags_ms']),
                     al['bar_end_disagreement_lags_ms']))
    print(json.dumps(report, indent=1, sort_keys=True))
    print('work directory: %s' % work)
    print('check_book_top: %s' % ('PASS' if ok else 'FAIL'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
