#!/usr/bin/env python3
"""Convert a Binance USD-M websocket capture (hftbacktest .jsonl.gz) into Tardis order-book files.

Standard library only.  Test support for the tickforge Book / Bands groups (docs/FEATURES.md).

Usage:
  python3 Scripts/wsfeed_to_tardis.py FEED.jsonl.gz OUTDIR [--bands 0.1,0.2] [--bands-every 30]
      [--exchange binance-futures] [--summary SUMMARY.json]

Input: one message a line, `<local_receive_ns> <json>`.  Messages of the combined streams
(`{"stream": ..., "data": ...}`) of which only `<sym>@depth...` (e="depthUpdate") is used
(`@trade` and `@bookTicker` are counted and skipped), plus exactly one REST depth snapshot line
(`{"lastUpdateId", "E", "T", "bids", "asks"}`, 1000 levels a side in the sample feeds).

Writes into OUTDIR:
  incremental_book_L2.csv  exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount
  book_snapshot_25.csv     exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,
                           bids[0].price,bids[0].amount,...,asks[24].*,bids[24].*   (Tardis order:
                           per level i the ask pair, then the bid pair)
  bookDepth.csv            (only with --bands) timestamp,percentage,depth,notional
and prints a JSON summary (events, rows, merges, gaps, ...) to stderr (and to --summary).

Decisions (all deliberate; the tests and check_book_top.py rely on them):
  * Times.  timestamp = the event's exchange transaction time `T` (ms) x 1000, in us.  The REST
    snapshot is stamped with ITS `T` (not its `E`): T is the matching-engine time of update
    lastUpdateId, the same clock as the diffs' T, and (unlike E) it is never later than the first
    applied diff's T.  local_timestamp = the feed's local receive time (ns) // 1000, in us.  The
    file is written in sequence (update-id) order, which is also T order; the REST snapshot's
    local receive time is later than that of the first few applied diffs (the REST answer
    arrives after the stream started), so local_timestamp is not monotone right after the
    snapshot (counted as `local_time_decreases`).  Consumers must not re-sort by local_timestamp
    (a sort by (timestamp, local_timestamp) would move diffs that share the snapshot's T in
    front of it).
  * Sequencing (Binance "how to manage a local order book correctly", USD-M): all depth events
    are taken in file (arrival) order; events with u < lastUpdateId are dropped; the first
    kept event must have U <= lastUpdateId <= u; every later event must have pu == the previous
    kept event's u.  Any violation (or a missing / second snapshot, or a non-monotone T) is
    reported on stderr and the program stops with exit status 3 BEFORE writing anything: no
    gap repair, no partial files.
  * Rows.  The snapshot first: is_snapshot=true rows, bids then asks, best first (REST order).
    Then every applied event: its `b` levels then its `a` levels, in message order, side
    `bid` / `ask`, amount = the new quantity (0 deletes).  Price / quantity strings are copied
    byte for byte from the feed (never through float); levels are keyed by their exact
    decimal value.  A price repeated inside one message side is counted (`dup_levels_in_msg`);
    it is written as is (later row wins, which is also what the feed means).
  * Tardis grouping.  Tardis readers merge consecutive rows with the same timestamp into one
    update.  Two applied events (or the snapshot and the first diff) with the same T therefore
    become one update; this is the layout's semantics and is kept.  The summary counts such
    merges (`same_T_merges` = events whose T equals the previous written event's T).
  * book_snapshot_25 has one row per *update as a Tardis reader sees it*, i.e. per group of
    events sharing a timestamp (state after the group's last event, local_timestamp of that
    last event); this equals one row per applied event whenever there is no same-T merge, and it
    makes the snapshot layout and the incremental layout give identical Book-group outputs
    (book_updates included).  The state right after the REST snapshot is a row too.  Unlike
    Tardis' own product, a row is written even when the top 25 did not change.  A side with
    fewer than 25 levels leaves its remaining cells empty.  Crossed books are written as they
    are (no repair); the summary counts them.
  * --bands P1,P2,... (percent, decimals allowed): a Binance `bookDepth` file.  Stamps are the
    UTC whole seconds S that are multiples of --bands-every (default 30), written as
    `YYYY-MM-DD HH:MM:SS`.  The state used for stamp S is the book after the last event with
    T < (S+1) s, i.e. the last state within the stamped second: tickforge takes a text time as
    known one second after its stamp, so this is never used before it existed, and it is the
    freshest state compatible with that rule.  Stamps run from the first S whose second ends
    after the snapshot's T to the last S with (S+1) s <= the last applied event's T (a second
    that is not fully covered by data is not stamped).  mid = (best bid + best ask) / 2 (exact);
    percentage -p: bid levels with price >= mid * (1 - p/100); +p: ask levels with price <=
    mid * (1 + p/100) (both inclusive); depth = sum of quantities, notional = sum of
    price * quantity, both exact decimals (trailing zeros removed).  Rows of one stamp: -p for
    p descending, then +p for p ascending; the percentage cell is the flag's text with a '-'
    for the bid side.  A stamp at which a side is empty is skipped (counted).
    ONLY LEVELS WITHIN THE RANGE OF THE 1000-LEVEL REST SNAPSHOT ARE REAL: a level beyond it is
    known only if a diff touched it after the snapshot.  For BTCUSDT the snapshot spans about
    -0.24 % / +0.28 % around the mid, for ETHUSDT about +-0.5 %, so bands wider than that are
    incomplete; every band row whose edge lies beyond the snapshot's deepest bid / ask price is
    counted in the summary (`band_rows_beyond_snapshot_range`) and warned about.
"""

import argparse
import calendar
import decimal
import gzip
import io
import json
import os
import re
import sys
import time
from bisect import bisect_left, insort
from decimal import Decimal

NUM_RE = re.compile(r'^\d+(\.\d+)?$')
TOP_N = 25


class FeedError(Exception):
    pass


def open_text(path):
    with open(path, 'rb') as f:
        magic = f.read(2)
    if magic == b'\x1f\x8b':
        return io.TextIOWrapper(gzip.open(path, 'rb'), encoding='utf-8')
    return open(path, encoding='utf-8')


def dec(s, what):
    if not isinstance(s, str) or not NUM_RE.match(s):
        raise FeedError('bad %s: %r' % (what, s))
    return Decimal(s)


def read_feed(path):
    """Returns (snapshot, depth_events, counts).  snapshot = dict(local_ns, L, E, T, bids, asks);
    depth event = dict(local_ns, E, T, U, u, pu, s, b, a)."""
    snaps = []
    events = []
    counts = {}
    with open_text(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            sp = line.find(' ')
            if sp < 0:
                raise FeedError('line %d: no "<local_ns> <json>"' % lineno)
            local_ns = int(line[:sp])
            msg = json.loads(line[sp + 1:], parse_float=Decimal)
            if 'stream' in msg:
                stream = msg['stream']
                key = stream.split('@', 1)[1] if '@' in stream else stream
                counts[key] = counts.get(key, 0) + 1
                d = msg['data']
                if d.get('e') == 'depthUpdate':
                    events.append({'local_ns': local_ns, 'E': d['E'], 'T': d['T'], 'U': d['U'],
                                   'u': d['u'], 'pu': d['pu'], 's': d['s'], 'b': d['b'], 'a': d['a'],
                                   'line': lineno})
            elif 'lastUpdateId' in msg:
                counts['rest_snapshot'] = counts.get('rest_snapshot', 0) + 1
                snaps.append({'local_ns': local_ns, 'L': msg['lastUpdateId'], 'E': msg.get('E'),
                              'T': msg.get('T'), 'bids': msg['bids'], 'asks': msg['asks'],
                              'line': lineno})
            else:
                counts['unknown'] = counts.get('unknown', 0) + 1
    if len(snaps) != 1:
        raise FeedError('expected exactly one REST depth snapshot line, found %d' % len(snaps))
    snap = snaps[0]
    if snap['T'] is None:
        raise FeedError('REST snapshot has no "T"')
    return snap, events, counts


def sequence(snap, events):
    """Binance USD-M rule.  Returns (applied events, number dropped).  Raises FeedError on a gap."""
    L = snap['L']
    applied = []
    dropped = 0
    for ev in events:
        if not applied:
            if ev['u'] < L:
                dropped += 1
                continue
            if not (ev['U'] <= L <= ev['u']):
                raise FeedError('GAP: first event after the snapshot (line %d) has U=%d u=%d, '
                                'lastUpdateId=%d is not in [U, u]' % (ev['line'], ev['U'], ev['u'], L))
        else:
            prev = applied[-1]
            if ev['pu'] != prev['u']:
                raise FeedError('GAP: event at line %d has pu=%d but the previous applied event '
                                '(line %d) has u=%d' % (ev['line'], ev['pu'], prev['line'], prev['u']))
        applied.append(ev)
    if not applied:
        raise FeedError('no depth event at or after the snapshot\'s lastUpdateId')
    return applied, dropped


class Book:
    """Exact L2 book: price (Decimal) -> (price string, qty string, qty Decimal)."""

    def __init__(self):
        self.lv = {'bid': {}, 'ask': {}}
        self.keys = {'bid': [], 'ask': []}      # ascending prices

    def set(self, side, ps, qs):
        p = dec(ps, 'price')
        q = dec(qs, 'quantity')
        lv, ks = self.lv[side], self.keys[side]
        if q == 0:
            if p in lv:
                del lv[p]
                ks.pop(bisect_left(ks, p))
            return
        if p not in lv:
            insort(ks, p)
        lv[p] = (ps, qs, q)

    def top(self, side, n):
        ks = self.keys[side]
        sel = ks[::-1][:n] if side == 'bid' else ks[:n]
        return [(p, self.lv[side][p]) for p in sel]

    def best(self, side):
        ks = self.keys[side]
        if not ks:
            return None
        return ks[-1] if side == 'bid' else ks[0]


def fmt_decimal(d):
    """Exact plain decimal string, trailing zeros removed."""
    s = format(d, 'f')
    if '.' in s:
        s = s.rstrip('0').rstrip('.')
    return s if s not in ('-0', '') else '0'


def stamp_text(sec):
    return time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(sec))


def parse_bands(s):
    out = []
    for x in s.split(','):
        x = x.strip()
        if not x:
            continue
        if not NUM_RE.match(x) or Decimal(x) <= 0:
            raise SystemExit('bad band percentage: %r' % x)
        out.append((x, Decimal(x)))
    if not out:
        raise SystemExit('empty --bands')
    return out


def convert(path, outdir, bands=None, every=30, exchange='binance-futures'):
    ctx = decimal.getcontext()
    ctx.prec = 200
    ctx.traps[decimal.Inexact] = True
    ctx.traps[decimal.Rounded] = True
    t0 = time.perf_counter()
    snap, events, counts = read_feed(path)
    applied, dropped = sequence(snap, events)
    symbols = {ev['s'] for ev in applied}
    if len(symbols) != 1:
        raise FeedError('depth events name several symbols: %s' % sorted(symbols))
    symbol = symbols.pop()

    # written events in order: the snapshot, then the applied diffs
    written = [{'kind': 'snapshot', 'T': snap['T'], 'local_ns': snap['local_ns'], 'ev': snap}]
    written += [{'kind': 'diff', 'T': ev['T'], 'local_ns': ev['local_ns'], 'ev': ev} for ev in applied]
    merges = 0
    for a, b in zip(written, written[1:]):
        if b['T'] < a['T']:
            raise FeedError('exchange time T goes backwards: %d after %d (u=%s)'
                            % (b['T'], a['T'], b['ev'].get('u')))
        if b['T'] == a['T']:
            merges += 1

    # snapshot range (for the bands warning)
    snap_min_bid = min(dec(p, 'price') for p, _ in snap['bids']) if snap['bids'] else None
    snap_max_ask = max(dec(p, 'price') for p, _ in snap['asks']) if snap['asks'] else None

    os.makedirs(outdir, exist_ok=True)
    inc_path = os.path.join(outdir, 'incremental_book_L2.csv')
    top_path = os.path.join(outdir, 'book_snapshot_25.csv')
    band_path = os.path.join(outdir, 'bookDepth.csv')
    tmp = lambda p: p + '.tmp'

    book = Book()
    stats = {'input': os.path.abspath(path), 'symbol': symbol, 'exchange': exchange,
             'messages': counts, 'depth_events': len(events), 'dropped_before_snapshot': dropped,
             'applied_events': len(applied), 'gaps': 0,
             'snapshot': {'lastUpdateId': snap['L'], 'T': snap['T'], 'E': snap['E'],
                          'bids': len(snap['bids']), 'asks': len(snap['asks']),
                          'timestamp_used': 'T', 'deepest_bid': str(snap_min_bid),
                          'deepest_ask': str(snap_max_ask)},
             'first_applied': {'U': applied[0]['U'], 'u': applied[0]['u'], 'T': applied[0]['T']},
             'same_T_merges': merges, 'snapshot_merged_with_first_diff': written[1]['T'] == written[0]['T'],
             'incremental_rows': 0, 'snapshot_rows': 0, 'diff_rows': 0, 'deletes': 0,
             'deletes_of_absent_level': 0, 'dup_levels_in_msg': 0, 'book_snapshot_25_rows': 0,
             'crossed_states_in_book_snapshot_25': 0, 'local_time_decreases': 0}

    header25 = ['exchange', 'symbol', 'timestamp', 'local_timestamp']
    for i in range(TOP_N):
        header25 += ['asks[%d].price' % i, 'asks[%d].amount' % i, 'bids[%d].price' % i, 'bids[%d].amount' % i]

    fi = open(tmp(inc_path), 'w', newline='')
    ft = open(tmp(top_path), 'w', newline='')
    fb = open(tmp(band_path), 'w', newline='') if bands else None
    fi.write('exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n')
    ft.write(','.join(header25) + '\n')
    band_stats = {'band_snapshots': 0, 'band_rows': 0, 'band_stamps_skipped_empty_side': 0,
                  'band_rows_beyond_snapshot_range': 0}
    if fb:
        fb.write('timestamp,percentage,depth,notional\n')
        bands_sorted = sorted(bands, key=lambda x: x[1])
        first_T_s = snap['T'] // 1000                   # first S with (S+1) s > snapshot T
        next_stamp = -(-first_T_s // every) * every
        last_T = written[-1]['T']

    def emit_bands(S):
        bb, ba = book.best('bid'), book.best('ask')
        if bb is None or ba is None:
            band_stats['band_stamps_skipped_empty_side'] += 1
            return
        m2 = bb + ba                                     # 2 * mid, exact
        band_stats['band_snapshots'] += 1
        rows = []
        for text, p in reversed(bands_sorted):
            edge2 = m2 * (100 - p)                        # 200 * bid edge price
            dq = dn = Decimal(0)
            for px in reversed(book.keys['bid']):
                if px * 200 < edge2:
                    break
                q = book.lv['bid'][px][2]
                dq += q
                dn += px * q
            if snap_min_bid is None or snap_min_bid * 200 > edge2:
                band_stats['band_rows_beyond_snapshot_range'] += 1
            rows.append('%s,-%s,%s,%s' % (stamp_text(S), text, fmt_decimal(dq), fmt_decimal(dn)))
        for text, p in bands_sorted:
            edge2 = m2 * (100 + p)
            dq = dn = Decimal(0)
            for px in book.keys['ask']:
                if px * 200 > edge2:
                    break
                q = book.lv['ask'][px][2]
                dq += q
                dn += px * q
            if snap_max_ask is None or snap_max_ask * 200 < edge2:
                band_stats['band_rows_beyond_snapshot_range'] += 1
            rows.append('%s,%s,%s,%s' % (stamp_text(S), text, fmt_decimal(dq), fmt_decimal(dn)))
        fb.write('\n'.join(rows) + '\n')
        band_stats['band_rows'] += len(rows)

    prefix = '%s,%s,' % (exchange, symbol)
    prev_local = None
    for idx, w in enumerate(written):
        T = w['T']
        if fb:
            # stamps S whose second ends at or before this event: state = book before this event
            while next_stamp is not None and (next_stamp + 1) * 1000 <= T:
                emit_bands(next_stamp)
                next_stamp += every
        ts_us = T * 1000
        loc_us = w['local_ns'] // 1000
        if prev_local is not None and loc_us < prev_local:
            stats['local_time_decreases'] += 1
        prev_local = loc_us
        head = '%s%d,%d,' % (prefix, ts_us, loc_us)
        out = []
        if w['kind'] == 'snapshot':
            for side, levels in (('bid', snap['bids']), ('ask', snap['asks'])):
                for ps, qs in levels:
                    dec(qs, 'quantity')
                    book.set(side, ps, qs)
                    out.append('%strue,%s,%s,%s' % (head, side, ps, qs))
            stats['snapshot_rows'] += len(out)
        else:
            ev = w['ev']
            for side, levels in (('bid', ev['b']), ('ask', ev['a'])):
                seen = set()
                for ps, qs in levels:
                    p = dec(ps, 'price')
                    if p in seen:
                        stats['dup_levels_in_msg'] += 1
                    seen.add(p)
                    if dec(qs, 'quantity') == 0:
                        stats['deletes'] += 1
                        if p not in book.lv[side]:
                            stats['deletes_of_absent_level'] += 1
                    book.set(side, ps, qs)
                    out.append('%sfalse,%s,%s,%s' % (head, side, ps, qs))
            stats['diff_rows'] += len(out)
        if out:
            fi.write('\n'.join(out) + '\n')
        # one book_snapshot_25 row per timestamp group (= Tardis update): after its last event
        if idx + 1 == len(written) or written[idx + 1]['T'] != T:
            asks = book.top('ask', TOP_N)
            bids = book.top('bid', TOP_N)
            cells = [exchange, symbol, str(ts_us), str(loc_us)]
            for i in range(TOP_N):
                for lv in (asks, bids):
                    if i < len(lv):
                        cells += [lv[i][1][0], lv[i][1][1]]
                    else:
                        cells += ['', '']
            ft.write(','.join(cells) + '\n')
            stats['book_snapshot_25_rows'] += 1
            if bids and asks and bids[0][0] >= asks[0][0]:
                stats['crossed_states_in_book_snapshot_25'] += 1
    if fb:
        while next_stamp is not None and (next_stamp + 1) * 1000 <= last_T:
            emit_bands(next_stamp)
            next_stamp += every
    stats['incremental_rows'] = stats['snapshot_rows'] + stats['diff_rows']
    for f in (fi, ft, fb):
        if f:
            f.close()
    os.replace(tmp(inc_path), inc_path)
    os.replace(tmp(top_path), top_path)
    if fb:
        os.replace(tmp(band_path), band_path)
        stats.update(band_stats)
        stats['bands'] = [t for t, _ in bands]
        stats['bands_every_s'] = every
    stats['tardis_updates'] = stats['book_snapshot_25_rows']
    stats['first_T'] = written[0]['T']
    stats['last_T'] = written[-1]['T']
    stats['seconds'] = round(time.perf_counter() - t0, 3)
    return stats


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('feed')
    ap.add_argument('outdir')
    ap.add_argument('--bands', help='comma-separated percentages, e.g. 0.1,0.2 (writes bookDepth.csv)')
    ap.add_argument('--bands-every', type=int, default=30, help='seconds between band stamps (default 30)')
    ap.add_argument('--exchange', default='binance-futures')
    ap.add_argument('--summary', help='also write the JSON summary to this file')
    args = ap.parse_args(argv)
    if args.bands_every <= 0:
        raise SystemExit('--bands-every must be positive')
    bands = parse_bands(args.bands) if args.bands else None
    try:
        stats = convert(args.feed, args.outdir, bands, args.bands_every, args.exchange)
    except FeedError as e:
        print('wsfeed_to_tardis: ERROR: %s' % e, file=sys.stderr)
        print('wsfeed_to_tardis: nothing written (sequencing must be continuous).', file=sys.stderr)
        return 3
    text = json.dumps(stats, indent=1, sort_keys=True)
    print(text, file=sys.stderr)
    if args.summary:
        with open(args.summary, 'w') as f:
            f.write(text + '\n')
    if stats.get('band_rows_beyond_snapshot_range'):
        print('wsfeed_to_tardis: WARNING: %d band rows reach beyond the REST snapshot\'s price range '
              '(their depth is incomplete)' % stats['band_rows_beyond_snapshot_range'], file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
