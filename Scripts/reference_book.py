#!/usr/bin/env python3
"""Independent reference for the Book group of the tickforge contract (docs/FEATURES.md,
"Book" and "Top of book from the book").  Standard library only.

Usage:
  python3 Scripts/reference_book.py --trades FILE --book FILE --out OUT.csv
      [--interval 1s] [--depth-levels 1,5,10] [--quotes-out Q.csv] [--summary S.json]
      [--symbol SYM] [--quiet]

  OUT.csv      timestamp (bar start, epoch ms), book_bid_qty_{k}, book_ask_qty_{k} for each k,
               then book_imb_{k} for each k, then book_imb_twa_{k} for each k, then book_updates.
  --quotes-out the "top of book from the book" quote stream as a Tardis quotes file
               (exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount),
               so that `python3 Scripts/reference_features.py --trades F --quotes Q.csv --out DIR`
               gives the reference of every quote column computed from the book.
  --summary    JSON: updates, rows, quote updates, crossed updates, ... (also printed to stderr).

The raster comes from the trades (read with reference_features.read_trades: Binance trades /
aggTrades with or without header, Tardis trades; only the first and last trade times matter):
every bar from the first trade's bar to the last trade's bar.

Book input, recognised from the header:
  * Tardis incremental_book_L2 (exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,
    amount): consecutive rows with the same timestamp form one update, applied as a whole.  A row
    with is_snapshot=true that follows a row with is_snapshot=false, or is the first row, empties
    the book first (the rule looks at the previous row of the file, whatever its timestamp, so a
    snapshot may also start in the middle of an update, and snapshot rows continuing over
    several timestamps keep building the same snapshot).  amount = the level's new quantity,
    0 deletes it.  A stream that does not start with a snapshot starts from an empty book.
  * Tardis book_snapshot_N (exchange,symbol,timestamp,local_timestamp,asks[0].price,
    asks[0].amount,bids[0].price,bids[0].amount,...): every row is one update that replaces the
    whole state; a level whose price or amount cell is empty, or whose amount is 0, is absent.
No repair of crossed books in either layout.

Exactness: prices and quantities are parsed as scaled integers (one common scale per column per
file), so sums are exact; every ratio of two exact numbers is one correctly rounded int/int
division (CPython); book_imb_twa is math.fsum of the exact-then-rounded terms
(imb * duration) divided by the weighted duration, i.e. the very formula reference_features.py
uses for obi_twa.

Decisions where the contract is silent (each one deliberate):
  * Time unit of the book file: detected from the magnitude of the first row's timestamp like
    every input (Tardis files are in us); ns are floored to us.  Bars and weights are in integer us.
  * Order: book rows must be in non-decreasing timestamp order (strict mode of the contract); a
    row going back in time is an error naming the line.  The sort mode is not implemented.
    local_timestamp is carried along, never used for ordering.
  * Symbols: a book file naming several symbols is an error unless --symbol selects one (other
    rows are then skipped, before grouping).
  * Incremental rows: `side` must be bid or ask and is_snapshot true or false (case-insensitive),
    amount must be >= 0; anything else is an error.  Deleting a level that is not in the book is
    a no-op (counted).  Rows of one update are applied in file order, so a price repeated inside
    one update takes its last amount.
  * Snapshot rows: a row's levels are sorted by price (bids descending, asks ascending), not
    trusted to be in column order; a price given twice on one side of one row is an error.  Rows
    sharing a timestamp are separate updates (each counts in book_updates; the earlier ones are
    in force for zero time).
  * "Best k levels" are the k highest bid prices and the k lowest ask prices, whatever the
    other side holds (a crossed book is summed as it is).  With fewer than k levels the side's
    levels are all summed; an empty side sums to 0.
  * Bar assignment (as reference_features.py does for quotes): an update at time tau belongs to
    the bar containing tau, an update exactly at a bar start belongs to that bar and its state is
    in force from that instant.  Updates before the first bar build the state but belong to no
    bar; updates at or after the end of the last bar are ignored.  Before the first update every
    value column is undefined (empty) and book_updates is 0.
  * book_imb_twa_{k}: each state in force on [s, e) inside the bar, e > s, with bid + ask > 0,
    adds ((bid - ask) * (e - s)) / (bid + ask) and e - s to the weight; the time before the first
    update and the time of states with bid + ask = 0 carry no weight; undefined when the weight is 0.
  * Output numbers: quantity sums as exact decimals (trailing zeros removed; 0 as "0");
    imbalances as the shortest repr of the double; book_updates as an integer.
  * Quote stream (--quotes-out): after each book update, if both sides are non-empty and
    (best bid price, best bid qty, best ask price, best ask qty) differs from the values before
    the update, where a side that was empty before (or no state before the first update) always
    counts as different, the update is one quote at the update's time.  The comparison is with
    the state just before the update, not with the last emitted quote (so an update that empties
    a side and a later one that restores the same top are: no quote, then a quote).  An update
    leaving a side empty is never a quote.  Crossed tops are quotes like any other.  Written:
    exchange and symbol of the book file, timestamp = update time in us, local_timestamp =
    the local_timestamp of the update's last row (the timestamp when that cell is empty),
    decimal strings = exact values (trailing zeros removed, so 61800.20 is written 61800.2).
  * Crossed count: number of updates after which both sides are non-empty and best bid >= best
    ask (also counted: updates after which a side is empty).
"""

import argparse
import csv
import gzip
import io
import json
import math
import os
import re
import sys
import time
from bisect import bisect_left, insort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_features import (detect_unit, fmt_dec, fmt_float, parse_dec,  # noqa: E402
                                parse_int_list, parse_interval, read_trades, time_to_us)

SNAP_COL = re.compile(r'^(asks|bids)\[(\d+)\]\.(price|amount)$')


def open_text(path):
    with open(path, 'rb') as f:
        magic = f.read(2)
    if magic == b'\x1f\x8b':
        return io.TextIOWrapper(gzip.open(path, 'rb'), encoding='utf-8', newline='')
    return open(path, newline='', encoding='utf-8')


def frac_digits(s):
    s = s.strip()
    if 'e' in s or 'E' in s:
        return parse_dec(s)[1]
    return len(s) - s.index('.') - 1 if '.' in s else 0


def to_scaled(s, K):
    n, k = parse_dec(s)
    return n * 10 ** (K - k)


# ----------------------------------------------------------------------------------------
# Book state
# ----------------------------------------------------------------------------------------

class Side:
    """price (scaled int) -> qty (scaled int); keys kept sorted so that keys[0] is the best."""

    def __init__(self, is_bid):
        self.sign = -1 if is_bid else 1
        self.qty = {}
        self.keys = []          # sign * price, ascending

    def clear(self):
        self.qty.clear()
        self.keys.clear()

    def set(self, price, q):
        """Returns False when a delete hit an absent level."""
        k = self.sign * price
        if q == 0:
            if price in self.qty:
                del self.qty[price]
                self.keys.pop(bisect_left(self.keys, k))
                return True
            return False
        if price not in self.qty:
            insort(self.keys, k)
        self.qty[price] = q
        return True

    def best(self):
        if not self.keys:
            return None
        p = self.sign * self.keys[0]
        return p, self.qty[p]

    def sums(self, ks):
        """Σ qty of the best k levels, for each k in ks."""
        kmax = max(ks)
        q = self.qty
        cum = [0]
        for key in self.keys[:kmax]:
            cum.append(cum[-1] + q[self.sign * key])
        return [cum[min(k, len(cum) - 1)] for k in ks]


# ----------------------------------------------------------------------------------------
# Book readers -> list of updates
#   update = (time_us, local_us or None, bid sums tuple, ask sums tuple, best bid, best ask)
#   best = (price, qty) scaled ints, or None for an empty side
# ----------------------------------------------------------------------------------------

def read_book(path, ks, symbol=None):
    f = open_text(path)
    rd = csv.reader(f)
    header = None
    for header in rd:
        if header and any(c.strip() for c in header):
            break
    if not header:
        raise SystemExit('empty book file: %s' % path)
    low = [c.strip().lower() for c in header]
    rows = []
    for lineno, r in enumerate(rd, 2):
        if r and any(c.strip() for c in r):
            rows.append((lineno, r))
    f.close()
    if 'is_snapshot' in low and 'side' in low:
        return read_incremental(path, low, rows, ks, symbol)
    if any(SNAP_COL.match(c) for c in low):
        return read_snapshots(path, low, rows, ks, symbol)
    raise SystemExit('unrecognised book header in %s: %r' % (path, header))


def _filter_symbol(path, low, rows, symbol):
    if 'symbol' not in low:
        return rows, None, 0
    isym = low.index('symbol')
    syms = sorted({r[isym].strip() for _, r in rows})
    if symbol is None:
        if len(syms) > 1:
            raise SystemExit('book file %s holds several symbols %s: select one with --symbol' % (path, syms))
        return rows, (syms[0] if syms else None), 0
    kept = [(ln, r) for ln, r in rows if r[isym].strip() == symbol]
    return kept, symbol, len(rows) - len(kept)


def _times(path, low, rows):
    it = low.index('timestamp')
    il = low.index('local_timestamp') if 'local_timestamp' in low else None
    if not rows:
        raise SystemExit('no book rows in %s' % path)
    unit = detect_unit(rows[0][1][it])
    lunit = None
    ts, ls = [], []
    prev = None
    for ln, r in rows:
        t = time_to_us(r[it], unit)
        if prev is not None and t < prev:
            raise SystemExit('%s line %d: timestamp %s goes back in time (previous row %d us)'
                             % (path, ln, r[it].strip(), prev))
        prev = t
        ts.append(t)
        lt = None
        if il is not None and r[il].strip():
            if lunit is None:
                lunit = detect_unit(r[il])
            lt = time_to_us(r[il], lunit)
        ls.append(lt)
    return ts, ls, unit


def _exchange(low, rows):
    if 'exchange' in low and rows:
        return rows[0][1][low.index('exchange')].strip()
    return ''


def read_incremental(path, low, rows, ks, symbol):
    rows, sym, filtered = _filter_symbol(path, low, rows, symbol)
    ts, ls, unit = _times(path, low, rows)
    isnap, iside, ip, ia = (low.index(c) for c in ('is_snapshot', 'side', 'price', 'amount'))
    pk = max(frac_digits(r[ip]) for _, r in rows)
    qk = max(frac_digits(r[ia]) for _, r in rows)
    bids, asks = Side(True), Side(False)
    updates = []
    info = {'layout': 'incremental_book_L2', 'rows': len(rows), 'rows_filtered_symbol': filtered,
            'time_unit': unit, 'snapshot_restarts': 0, 'deletes_of_absent_level': 0,
            'price_scale': pk, 'qty_scale': qk, 'exchange': _exchange(low, rows), 'symbol': sym}
    prev_snap = False          # "previous row is a snapshot row"; the first row counts as after false
    n = len(rows)
    i = 0
    while i < n:
        t = ts[i]
        j = i
        while j < n and ts[j] == t:
            ln, r = rows[j]
            sflag = r[isnap].strip().lower()
            if sflag not in ('true', 'false'):
                raise SystemExit('%s line %d: is_snapshot must be true or false, got %r' % (path, ln, r[isnap]))
            is_snap = sflag == 'true'
            if is_snap and not prev_snap:
                bids.clear()
                asks.clear()
                info['snapshot_restarts'] += 1
            prev_snap = is_snap
            side = r[iside].strip().lower()
            if side == 'bid':
                book_side = bids
            elif side == 'ask':
                book_side = asks
            else:
                raise SystemExit('%s line %d: side must be bid or ask, got %r' % (path, ln, r[iside]))
            try:
                price = to_scaled(r[ip], pk)
                q = to_scaled(r[ia], qk)
            except Exception:
                raise SystemExit('%s line %d: bad price/amount %r/%r' % (path, ln, r[ip], r[ia]))
            if q < 0:
                raise SystemExit('%s line %d: negative amount %r' % (path, ln, r[ia]))
            if not book_side.set(price, q):
                info['deletes_of_absent_level'] += 1
            j += 1
        updates.append((t, ls[j - 1], tuple(bids.sums(ks)), tuple(asks.sums(ks)), bids.best(), asks.best()))
        i = j
    return updates, pk, qk, info


def read_snapshots(path, low, rows, ks, symbol):
    rows, sym, filtered = _filter_symbol(path, low, rows, symbol)
    ts, ls, unit = _times(path, low, rows)
    cols = {}
    for ci, c in enumerate(low):
        m = SNAP_COL.match(c)
        if m:
            cols[(m.group(1), int(m.group(2)), m.group(3))] = ci
    levels = {'asks': [], 'bids': []}
    for (side, lvl, what) in cols:
        if what == 'price':
            if (side, lvl, 'amount') not in cols:
                raise SystemExit('%s: column %s[%d].price has no amount column' % (path, side, lvl))
            levels[side].append((cols[(side, lvl, 'price')], cols[(side, lvl, 'amount')]))
    pcols = [pi for s in levels.values() for pi, _ in s]
    qcols = [qi for s in levels.values() for _, qi in s]
    pk = max((frac_digits(r[c]) for _, r in rows for c in pcols if c < len(r) and r[c].strip()), default=0)
    qk = max((frac_digits(r[c]) for _, r in rows for c in qcols if c < len(r) and r[c].strip()), default=0)
    info = {'layout': 'book_snapshot_%d' % max(len(levels['asks']), len(levels['bids'])),
            'rows': len(rows), 'rows_filtered_symbol': filtered, 'time_unit': unit,
            'price_scale': pk, 'qty_scale': qk, 'exchange': _exchange(low, rows), 'symbol': sym}
    updates = []
    for idx, (ln, r) in enumerate(rows):
        state = {}
        for side in ('bids', 'asks'):
            sd = Side(side == 'bids')
            for pi, qi in levels[side]:
                ps = r[pi].strip() if pi < len(r) else ''
                qs = r[qi].strip() if qi < len(r) else ''
                if not ps or not qs:
                    continue
                try:
                    price = to_scaled(ps, pk)
                    q = to_scaled(qs, qk)
                except Exception:
                    raise SystemExit('%s line %d: bad price/amount %r/%r' % (path, ln, ps, qs))
                if q < 0:
                    raise SystemExit('%s line %d: negative amount %r' % (path, ln, qs))
                if q == 0:
                    continue
                if price in sd.qty:
                    raise SystemExit('%s line %d: price %s given twice on the %s side' % (path, ln, ps, side))
                sd.set(price, q)
            state[side] = sd
        b, a = state['bids'], state['asks']
        updates.append((ts[idx], ls[idx], tuple(b.sums(ks)), tuple(a.sums(ks)), b.best(), a.best()))
    return updates, pk, qk, info


# ----------------------------------------------------------------------------------------
# Bars
# ----------------------------------------------------------------------------------------

def compute_bars(updates, S0, N, delta_us, ks, qk):
    nk = len(ks)
    cols = {}
    for k in ks:
        for name in ('book_bid_qty_%d', 'book_ask_qty_%d', 'book_imb_%d', 'book_imb_twa_%d'):
            cols[name % k] = [''] * N
    cols['book_updates'] = ['0'] * N
    n = len(updates)
    ui = 0
    state = None
    while ui < n and updates[ui][0] < S0:
        state = ui
        ui += 1
    for t in range(N):
        S = S0 + t * delta_us
        E = S + delta_us
        terms = [[] for _ in range(nk)]
        wtot = [0] * nk
        cur = S

        def seg(st, s, e):
            if st is None:
                return
            dur = e - s
            if dur <= 0:
                return
            bs, as_ = updates[st][2], updates[st][3]
            for j in range(nk):
                den = bs[j] + as_[j]
                if den == 0:
                    continue
                terms[j].append(((bs[j] - as_[j]) * dur) / den)
                wtot[j] += dur

        cnt = 0
        while ui < n and updates[ui][0] < E:
            tau = updates[ui][0]
            seg(state, cur, tau)
            state = ui
            cur = tau
            cnt += 1
            ui += 1
        seg(state, cur, E)
        cols['book_updates'][t] = str(cnt)
        for j, k in enumerate(ks):
            if wtot[j] > 0:
                cols['book_imb_twa_%d' % k][t] = fmt_float(math.fsum(terms[j]) / wtot[j])
        if state is not None:
            bs, as_ = updates[state][2], updates[state][3]
            for j, k in enumerate(ks):
                cols['book_bid_qty_%d' % k][t] = fmt_dec(bs[j], qk)
                cols['book_ask_qty_%d' % k][t] = fmt_dec(as_[j], qk)
                den = bs[j] + as_[j]
                if den != 0:
                    cols['book_imb_%d' % k][t] = fmt_float((bs[j] - as_[j]) / den)
    return cols


def book_columns(ks):
    out = []
    for k in ks:
        out += ['book_bid_qty_%d' % k, 'book_ask_qty_%d' % k]
    out += ['book_imb_%d' % k for k in ks]
    out += ['book_imb_twa_%d' % k for k in ks]
    out.append('book_updates')
    return out


# ----------------------------------------------------------------------------------------
# Top of book from the book
# ----------------------------------------------------------------------------------------

def quote_stream(updates):
    """Indices of the updates that are quote updates (contract rule)."""
    out = []
    prev_b = prev_a = None             # before the first update: no state, both sides empty
    for i, u in enumerate(updates):
        b, a = u[4], u[5]
        if b is not None and a is not None:
            if prev_b is None or prev_a is None or b != prev_b or a != prev_a:
                out.append(i)
        prev_b, prev_a = b, a
    return out


def write_quotes(path, updates, idx, pk, qk, exchange, symbol):
    with open(path, 'w', newline='') as f:
        f.write('exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n')
        for i in idx:
            t, lt, _, _, b, a = updates[i]
            f.write('%s,%s,%d,%d,%s,%s,%s,%s\n' % (
                exchange, symbol, t, t if lt is None else lt,
                fmt_dec(a[1], qk), fmt_dec(a[0], pk), fmt_dec(b[0], pk), fmt_dec(b[1], qk)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--trades', required=True)
    ap.add_argument('--book', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--interval', default='1s')
    ap.add_argument('--depth-levels', default='1,5,10')
    ap.add_argument('--quotes-out')
    ap.add_argument('--summary')
    ap.add_argument('--symbol')
    ap.add_argument('--quiet', action='store_true')
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    delta_us = parse_interval(args.interval)
    if delta_us % 1000:
        raise SystemExit('interval must be a whole number of ms')
    ks = parse_int_list(args.depth_levels)
    trades = read_trades(args.trades)
    T = trades['t']
    if any(b < a for a, b in zip(T, T[1:])):
        raise SystemExit('trades are not in time order: %s' % args.trades)
    first_bar = T[0] // delta_us
    last_bar = T[-1] // delta_us
    N = last_bar - first_bar + 1
    S0 = first_bar * delta_us

    updates, pk, qk, info = read_book(args.book, ks, args.symbol)
    cols = compute_bars(updates, S0, N, delta_us, ks, qk)
    names = book_columns(ks)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w', newline='') as f:
        f.write(','.join(['timestamp'] + names) + '\n')
        for t in range(N):
            f.write(','.join([str((S0 + t * delta_us) // 1000)] + [cols[c][t] for c in names]) + '\n')

    qidx = quote_stream(updates)
    if args.quotes_out:
        write_quotes(args.quotes_out, updates, qidx, pk, qk, info['exchange'], info['symbol'] or '')
    crossed = sum(1 for u in updates if u[4] is not None and u[5] is not None and u[4][0] >= u[5][0])
    one_sided = sum(1 for u in updates if u[4] is None or u[5] is None)
    in_raster = sum(1 for u in updates if S0 <= u[0] < S0 + N * delta_us)
    info.update({'book': os.path.abspath(args.book), 'trades': os.path.abspath(args.trades),
                 'updates': len(updates), 'updates_in_raster': in_raster,
                 'crossed_updates': crossed, 'updates_leaving_a_side_empty': one_sided,
                 'quote_updates': len(qidx), 'bars': N, 'first_bar_ms': S0 // 1000,
                 'interval_ms': delta_us // 1000, 'depth_levels': ks,
                 'seconds': round(time.perf_counter() - t0, 3)})
    text = json.dumps(info, indent=1, sort_keys=True)
    if args.summary:
        with open(args.summary, 'w') as f:
            f.write(text + '\n')
    if not args.quiet:
        print('reference_book: %d updates (%s), %d bars, %d quote updates, %d crossed updates, '
              '%d updates leaving a side empty; %.2fs'
              % (len(updates), info['layout'], N, len(qidx), crossed, one_sided, info['seconds']),
              file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
