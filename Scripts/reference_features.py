#!/usr/bin/env python3
"""Independent reference implementation of the tickforge feature/target contract
(docs/FEATURES.md).  Standard library only.

Covers every version 1 column, plus from version 2 the quote column `quote_age_s` and the
stale-quote flag `--max-quote-age`.  (The other version 2 groups -- book, bands, derivatives,
liquidations, regimes, splits, Parquet -- and the version 2 input options are not covered.)

Usage:
  python3 Scripts/reference_features.py --trades FILE [--quotes FILE] --out DIR
      [--interval 1s] [--windows 10,60,300] [--horizons 10,60]
      [--threshold-bps 5] [--ewm-lambda 0.94] [--complete-rows-only]
      [--max-quote-age SECONDS]

Writes DIR/features.csv and DIR/targets.csv.

Design: written to be obviously correct, not fast.
  * Prices and quantities are parsed exactly as scaled integers (value = n / 10**scale, one
    common scale per column per file).  Sums of volumes, buy volumes, price*qty and OFI are
    exact integer sums.  Every ratio of two exact quantities is computed as a correctly
    rounded int/int true division (CPython guarantees correct rounding), then converted.
  * Returns: r_t = math.log(c_t / c_{t-1}) of the closes as published, i.e. each close
    rounded to its nearest double, then one floating-point division (what pandas, polars and
    DuckDB compute from the CSV).  The same for ret_w, fwd_ret_h and the Parkinson ln(h/l).
  * Rolling windows are recomputed from scratch for every row (math.fsum over the window
    for floats, exact int sums for decimals); no incremental updates.
  * absret_autocorr is computed exactly on the binary values of |r| (big-int arithmetic);
    the zero-variance test is therefore exact.
  * Times are integer microseconds (ns inputs are floored to us).
  * quote_age_s = (E - u) / 1e6 with E the bar end and u the time of the last quote update
    with time < E, both integer us: one correctly rounded int/int division.
  * --max-quote-age A is parsed exactly into integer us (at most 6 fraction digits), so every
    staleness test below is an exact integer comparison.

Decisions where the spec is silent (agreed with the Swift implementation):
  * obi (and each state's contribution to obi_twa) is undefined when B + A == 0; such time
    counts as "no state" in the obi_twa time weighting.  microprice_bps is undefined when
    B + A == 0.  spread_bps and microprice_bps are undefined when mid == 0.
  * Quote updates before the first bar count for the state and as the "previous update"
    of OFI but belong to no bar; updates at or after the end of the last bar are ignored.
  * A quote update exactly at a bar start belongs to that bar; its state is in force from
    that instant.  Several updates at the same time: the last one wins; the earlier ones
    get zero weight in obi_twa but each counts in quote_count and in OFI.
  * Calendar: weekday of the bar start in UTC, Monday = 0; h = (ms since UTC midnight)/3.6e6.
  * Column order of expanded columns: metric-major, i.e. ret_10, ret_60, ret_300, rv_10, ...
    (each row of a spec table expands to one column per window/horizon, windows in the
    order given by the flag).

Version 2 quote decisions (read from the contract's words only; not yet cross-checked with
the Swift implementation):
  * quote_age_s is the age of the last quote *update*, whatever it contains: an update that
    repeats the previous values, or one with B + A == 0, still resets the age.
  * Stale quotes (--max-quote-age A): a state with update time u is "at most A old" at the
    instant x when x - u <= A (age exactly A is still fresh).  At the bar end E it is stale
    when E - u > A, i.e. when quote_age_s > A: bid, ask, bid_qty, ask_qty, mid, spread_bps,
    obi and microprice_bps are then undefined.  Inside the bar a state in force on [s, e)
    is weighted in obi_twa by the length of [s, min(e, u + A)) (the single instant u + A
    has no length), and not at all if that is empty; obi_twa is undefined when no time of
    the bar is weighted.  obi_{w} averages the resulting obi_twa values as before.
    quote_count, ofi, ofi_{w} and quote_age_s do not depend on the flag.  A = 0 is allowed
    (then every state is stale as soon as it is set: all those columns are undefined).
    Without --quotes the flag has no effect.
  * Quote coverage (run summary, stderr only): a bar is covered when quote_age_s is defined
    and at most A (at most 60 s without the flag); a warning is printed below 90 %.
"""

import argparse
import csv
import math
import os
import re
import sys
import time
from decimal import Decimal
from fractions import Fraction

# ----------------------------------------------------------------------------------------
# Parsing helpers
# ----------------------------------------------------------------------------------------


def parse_dec(s):
    """Exact decimal string -> (n, k) with value = n / 10**k, k >= 0."""
    s = s.strip()
    if 'e' in s or 'E' in s:
        d = Decimal(s)
        sign, digits, exp = d.as_tuple()
        n = int(''.join(map(str, digits))) if digits else 0
        if sign:
            n = -n
        if exp >= 0:
            return n * 10 ** exp, 0
        return n, -exp
    if '.' in s:
        ip, fp = s.split('.')
        if ip in ('', '+', '-'):
            ip = ip + '0'
        return int(ip + fp) if fp else int(ip), len(fp)
    return int(s), 0


def rescale(pairs):
    """List of (n, k) -> (list of ints at common scale K, K)."""
    K = max((k for _, k in pairs), default=0)
    return [n * 10 ** (K - k) for n, k in pairs], K


def fmt_dec(n, k):
    """Exact decimal string of n / 10**k, no trailing zeros, no exponent."""
    neg = n < 0
    s = str(-n if neg else n)
    if k > 0:
        s = s.rjust(k + 1, '0')
        ip, fp = s[:-k], s[-k:].rstrip('0')
        s = ip + ('.' + fp if fp else '')
    return ('-' if neg and s != '0' else '') + s


def fmt_float(x):
    if x is None:
        return ''
    if math.isnan(x) or math.isinf(x):
        raise ValueError('non-finite value produced: %r' % x)
    return repr(float(x))


def time_to_us(s, unit):
    """Time string in `unit` -> integer microseconds (floored)."""
    n, k = parse_dec(s)
    # value = n / 10**k  [unit]
    mul = {'s': 1_000_000, 'ms': 1_000, 'us': 1, 'ns': 1}[unit]
    div = 10 ** k * (1_000 if unit == 'ns' else 1)
    return (n * mul) // div


def detect_unit(s):
    n, k = parse_dec(s)
    v = Fraction(n, 10 ** k)
    if v < 10 ** 11:
        return 's'
    if v < 10 ** 14:
        return 'ms'
    if v < 10 ** 17:
        return 'us'
    return 'ns'


def is_bool(s):
    return s.strip().lower() in ('true', 'false')


def to_bool(s):
    v = s.strip().lower()
    if v == 'true':
        return True
    if v == 'false':
        return False
    raise ValueError('not a boolean: %r' % s)


def looks_numeric(s):
    try:
        parse_dec(s)
        return True
    except Exception:
        return False


# ----------------------------------------------------------------------------------------
# Readers
# ----------------------------------------------------------------------------------------

BINANCE_TRADES = ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker', 'is_best_match']
BINANCE_AGG = ['agg_trade_id', 'price', 'quantity', 'first_trade_id', 'last_trade_id',
               'transact_time', 'is_buyer_maker', 'is_best_match']
BOOKTICKER = ['update_id', 'best_bid_price', 'best_bid_qty', 'best_ask_price', 'best_ask_qty',
              'transaction_time', 'event_time']


def read_rows(path):
    with open(path, newline='') as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    return rows


def read_trades(path):
    """Returns dict with lists t_us, price (scaled int), qty (scaled int), is_buy, and scales."""
    rows = read_rows(path)
    if not rows:
        raise SystemExit('empty trades file: %s' % path)
    first = [c.strip() for c in rows[0]]
    low = [c.lower() for c in first]
    if 'side' in low and 'amount' in low and 'timestamp' in low:          # Tardis trades
        hdr = {c: i for i, c in enumerate(low)}
        data = rows[1:]
        it, ip, iq, iid = hdr['timestamp'], hdr['price'], hdr['amount'], hdr.get('id')
        iside = hdr['side']
        fixed_unit = 'us'

        def side(r):
            return r[iside].strip().lower() == 'buy'
    else:
        if 'transact_time' in low or 'agg_trade_id' in low:
            names = low
            it, ip, iq, iid = (names.index('transact_time'), names.index('price'),
                               names.index('quantity'), names.index('agg_trade_id'))
            im = names.index('is_buyer_maker')
            data = rows[1:]
        elif 'is_buyer_maker' in low:
            names = low
            it, ip, iq, iid = names.index('time'), names.index('price'), names.index('qty'), names.index('id')
            im = names.index('is_buyer_maker')
            data = rows[1:]
        elif looks_numeric(first[0]):                                     # no header
            data = rows
            if len(first) in (6, 7) and is_bool(first[5]):
                it, ip, iq, iid, im = 4, 1, 2, 0, 5                           # Binance trades
            elif len(first) in (7, 8) and is_bool(first[6]):
                it, ip, iq, iid, im = 5, 1, 2, 0, 6                           # Binance aggTrades
            else:
                raise SystemExit('unrecognised headerless trades layout: %s' % path)
        else:
            raise SystemExit('unrecognised trades header in %s: %r' % (path, first))
        fixed_unit = None

        def side(r):
            # is_buyer_maker = true means the seller aggressed
            return not to_bool(r[im])

    if not data:
        raise SystemExit('no trades in %s' % path)
    unit = fixed_unit or detect_unit(data[0][it])
    ts, prices, qtys, buys = [], [], [], []
    prev_id = None
    dups = 0
    for r in data:
        if iid is not None:
            tid = r[iid].strip()
            if prev_id is not None and tid == prev_id:
                dups += 1
                continue
            prev_id = tid
        ts.append(time_to_us(r[it], unit))
        prices.append(parse_dec(r[ip]))
        qtys.append(parse_dec(r[iq]))
        buys.append(side(r))
    p, pk = rescale(prices)
    q, qk = rescale(qtys)
    return {'t': ts, 'p': p, 'pk': pk, 'q': q, 'qk': qk, 'buy': buys, 'dups': dups, 'unit': unit}


def read_quotes(path):
    rows = read_rows(path)
    if not rows:
        raise SystemExit('empty quotes file: %s' % path)
    first = [c.strip() for c in rows[0]]
    low = [c.lower() for c in first]
    fixed_unit = None
    if 'ask_amount' in low and 'bid_amount' in low:                      # Tardis quotes
        h = {c: i for i, c in enumerate(low)}
        it, ib, iB, ia, iA = h['timestamp'], h['bid_price'], h['bid_amount'], h['ask_price'], h['ask_amount']
        data = rows[1:]
        fixed_unit = 'us'
    elif 'best_bid_price' in low:
        h = {c: i for i, c in enumerate(low)}
        it = h['transaction_time']
        ib, iB, ia, iA = h['best_bid_price'], h['best_bid_qty'], h['best_ask_price'], h['best_ask_qty']
        data = rows[1:]
    elif looks_numeric(first[0]) and len(first) == 7:
        it, ib, iB, ia, iA = 5, 1, 2, 3, 4
        data = rows
    else:
        raise SystemExit('unrecognised quotes header in %s: %r' % (path, first))
    if not data:
        return {'t': [], 'b': [], 'B': [], 'a': [], 'A': [], 'pk': 0, 'qk': 0}
    unit = fixed_unit or detect_unit(data[0][it])
    ts, px, qx = [], [], []
    for r in data:
        ts.append(time_to_us(r[it], unit))
        px.append(parse_dec(r[ib]))
        px.append(parse_dec(r[ia]))
        qx.append(parse_dec(r[iB]))
        qx.append(parse_dec(r[iA]))
    p, pk = rescale(px)
    q, qk = rescale(qx)
    return {'t': ts, 'b': p[0::2], 'a': p[1::2], 'B': q[0::2], 'A': q[1::2], 'pk': pk, 'qk': qk,
            'unit': unit}


# ----------------------------------------------------------------------------------------
# Feature computation
# ----------------------------------------------------------------------------------------

INTERVAL_RE = re.compile(r'^\s*(\d+)\s*(ms|s|m|h|d)\s*$')
UNIT_US = {'ms': 1_000, 's': 1_000_000, 'm': 60_000_000, 'h': 3_600_000_000, 'd': 86_400_000_000}


def parse_interval(s):
    m = INTERVAL_RE.match(s)
    if not m or int(m.group(1)) <= 0:
        raise SystemExit('bad interval: %r' % s)
    return int(m.group(1)) * UNIT_US[m.group(2)]


MAX_AGE_RE = re.compile(r'^(\d+)(?:\.(\d+))?$')      # digits, optionally '.' and digits


def parse_max_quote_age(s):
    """'--max-quote-age SECONDS' -> integer microseconds, exactly.  SECONDS is a non-negative
    decimal with at most 6 fraction digits ('5', '0.25', '60', '0.000001'); anything else
    (negative, exponent, more digits, inf/nan) is rejected rather than rounded."""
    text = s.strip()
    m = MAX_AGE_RE.match(text)
    if not m:
        if text.startswith('-'):
            raise argparse.ArgumentTypeError('must not be negative: %r' % s)
        raise argparse.ArgumentTypeError(
            'expected a non-negative decimal number of seconds such as 5, 0.25 or 60, got %r' % s)
    ip, fp = m.group(1), m.group(2) or ''
    if len(fp) > 6:
        raise argparse.ArgumentTypeError(
            'at most 6 fraction digits (whole microseconds) allowed, got %r' % s)
    return int(ip) * 1_000_000 + int(fp.ljust(6, '0'))


def parse_int_list(s):
    out = [int(x) for x in s.split(',') if x.strip()]
    if not out or any(v <= 0 for v in out):
        raise SystemExit('bad list: %r' % s)
    return out


def ratio_log(num, den, scale):
    """ln(x/y) for the prices x = num/scale and y = den/scale as published: each is first
    rounded to its nearest double (as a reader of the CSV gets it), then divided in floating
    point.  The exact ratio would differ from this by an ulp now and then, which moves a
    near-zero absret_autocorr by more than 1e-12."""
    return math.log((num / scale) / (den / scale))


def abs_corr_exact(vals):
    """vals: list of (numerator, exponent k) with |r| = numerator / 2**k.
    Returns Pearson correlation of (vals[j-1], vals[j]) for j = 1..len-1, or None when either
    side has zero variance.  Exact arithmetic, one final rounding + sqrt."""
    K = max(k for _, k in vals)
    ints = [n << (K - k) for n, k in vals]
    xs = ints[:-1]
    ys = ints[1:]
    n = len(xs)
    sx = sum(xs)
    sy = sum(ys)
    sxx = sum(x * x for x in xs)
    syy = sum(y * y for y in ys)
    sxy = sum(x * y for x, y in zip(xs, ys))
    vx = n * sxx - sx * sx
    vy = n * syy - sy * sy
    if vx == 0 or vy == 0:
        return None
    cov = n * sxy - sx * sy
    if cov == 0:
        return 0.0
    c2 = (cov * cov) / (vx * vy)          # correctly rounded
    return math.copysign(math.sqrt(c2), cov)


def compute(trades, quotes, delta_us, windows, horizons, theta, lam, max_age_us=None):
    """max_age_us: the --max-quote-age flag in integer us, or None.  Returns
    (bar start times in ms, feature columns, target columns, info for the run summary)."""
    T = trades['t']
    P = trades['p']
    Q = trades['q']
    BUY = trades['buy']
    pk, qk = trades['pk'], trades['qk']
    if not T:
        raise SystemExit('no trades')
    first_bar = T[0] // delta_us
    last_bar = T[-1] // delta_us
    N = last_bar - first_bar + 1
    S0 = first_bar * delta_us

    # ---------------- trade bars ----------------
    o = [None] * N
    h = [None] * N
    lo = [None] * N
    c = [None] * N
    vol = [0] * N         # scale qk
    bvol = [0] * N        # scale qk
    pq = [0] * N          # scale pk + qk
    cnt = [0] * N
    for tau, p, q, b in zip(T, P, Q, BUY):
        i = tau // delta_us - first_bar
        if cnt[i] == 0:
            o[i] = h[i] = lo[i] = c[i] = p
        else:
            if p > h[i]:
                h[i] = p
            if p < lo[i]:
                lo[i] = p
            c[i] = p
        cnt[i] += 1
        vol[i] += q
        if b:
            bvol[i] += q
        pq[i] += p * q
    for i in range(N):
        if cnt[i] == 0:
            o[i] = h[i] = lo[i] = c[i] = c[i - 1]
    svol = [v - b for v, b in zip(vol, bvol)]
    vwap = [(pq[i] / (vol[i] * 10 ** pk)) if vol[i] != 0 else c[i] / 10 ** pk for i in range(N)]
    tfi = [((bvol[i] - svol[i]) / vol[i]) if vol[i] != 0 else 0.0 for i in range(N)]
    r = [None] + [ratio_log(c[i], c[i - 1], 10 ** pk) for i in range(1, N)]
    r2 = [None] + [x * x for x in r[1:]]
    hl2 = [ratio_log(h[i], lo[i], 10 ** pk) ** 2 for i in range(N)]

    F = {}   # column name -> list of formatted strings
    info = {}
    F['open'] = [fmt_dec(x, pk) for x in o]
    F['high'] = [fmt_dec(x, pk) for x in h]
    F['low'] = [fmt_dec(x, pk) for x in lo]
    F['close'] = [fmt_dec(x, pk) for x in c]
    F['volume'] = [fmt_dec(x, qk) for x in vol]
    F['buy_volume'] = [fmt_dec(x, qk) for x in bvol]
    F['sell_volume'] = [fmt_dec(x, qk) for x in svol]
    F['trade_count'] = [str(x) for x in cnt]
    F['vwap'] = [fmt_float(x) for x in vwap]
    F['tfi'] = [fmt_float(x) for x in tfi]
    F['log_return'] = [fmt_float(x) for x in r]

    # ---------------- rolling ----------------
    four_ln2 = 4.0 * math.log(2.0)
    roll = {}
    for w in windows:
        ret_w, rv_w, pk_w, tfi_w, vol_w, tr_w = ([None] * N for _ in range(6))
        for t in range(w, N):
            lo_i = t - w + 1
            ret_w[t] = ratio_log(c[t], c[t - w], 10 ** pk)
            rv_w[t] = math.sqrt(math.fsum(r2[lo_i:t + 1]))
            pk_w[t] = math.sqrt(math.fsum(hl2[lo_i:t + 1]) / four_ln2)
            sv = sum(vol[lo_i:t + 1])
            sb = sum(bvol[lo_i:t + 1])
            ss = sum(svol[lo_i:t + 1])
            tfi_w[t] = ((sb - ss) / sv) if sv != 0 else 0.0
            vol_w[t] = sv
            tr_w[t] = sum(cnt[lo_i:t + 1])
        roll[w] = (ret_w, rv_w, pk_w, tfi_w, vol_w, tr_w)
    for w in windows:
        F['ret_%d' % w] = [fmt_float(x) for x in roll[w][0]]
    for w in windows:
        F['rv_%d' % w] = [fmt_float(x) for x in roll[w][1]]
    for w in windows:
        F['parkinson_%d' % w] = [fmt_float(x) for x in roll[w][2]]
    for w in windows:
        F['tfi_%d' % w] = [fmt_float(x) for x in roll[w][3]]
    for w in windows:
        F['volume_%d' % w] = ['' if x is None else fmt_dec(x, qk) for x in roll[w][4]]
    for w in windows:
        F['trades_%d' % w] = ['' if x is None else str(x) for x in roll[w][5]]

    # ---------------- volatility clusters ----------------
    ewm = [None] * N
    one_minus = 1.0 - lam
    v = None
    for t in range(1, N):
        v = r2[1] if t == 1 else lam * v + one_minus * r2[t]
        ewm[t] = math.sqrt(v)
    F['ewm_vol'] = [fmt_float(x) for x in ewm]
    wmin, wmax = min(windows), max(windows)
    rv_min, rv_max = roll[wmin][1], roll[wmax][1]
    vr = [None] * N
    for t in range(wmax, N):
        if rv_max[t] != 0.0:
            vr[t] = rv_min[t] / rv_max[t]
    F['vol_ratio'] = [fmt_float(x) for x in vr]
    absr = [None] + [abs(x).as_integer_ratio() for x in r[1:]]
    absr = [None] + [(n, d.bit_length() - 1) for n, d in absr[1:]]
    ac = [None] * N
    for t in range(wmax + 1, N):
        # pairs (|r_{i-1}|, |r_i|), i = t-wmax+1 .. t  -> values r_{t-wmax} .. r_t
        ac[t] = abs_corr_exact(absr[t - wmax:t + 1])
    F['absret_autocorr'] = [fmt_float(x) for x in ac]

    # ---------------- quotes ----------------
    if quotes is not None:
        qt, qb, qB, qa, qA = quotes['t'], quotes['b'], quotes['B'], quotes['a'], quotes['A']
        qpk, qqk = quotes['pk'], quotes['qk']
        nq = len(qt)
        bid, ask, bidq, askq, mid, spr, obi, twa, micro, age = ([None] * N for _ in range(10))
        qcnt = [0] * N
        ofi = [0] * N          # scale qqk
        qi = 0
        state = None           # index of the update in force
        prev = None            # index of the previous update in the whole stream

        def ofi_e(j0, j):
            if j0 is None:
                return 0
            b0, B0, a0, A0 = qb[j0], qB[j0], qa[j0], qA[j0]
            b, B, a, A = qb[j], qB[j], qa[j], qA[j]
            return ((B if b >= b0 else 0) - (B0 if b <= b0 else 0)
                    - (A if a <= a0 else 0) + (A0 if a >= a0 else 0))

        # updates before the first bar: state + OFI history only
        while qi < nq and qt[qi] < S0:
            prev = qi
            state = qi
            qi += 1
        for t in range(N):
            S = S0 + t * delta_us
            E = S + delta_us
            terms = []
            wtot = 0
            cur = S

            def seg(st, s, e):
                """State st in force on [s, e) inside the bar: add its obi weighted by the
                length of time it is in force there and (with the flag) at most A old, i.e.
                of [s, min(e, u + A)) with u its update time."""
                nonlocal wtot
                if st is None:
                    return
                if max_age_us is not None:
                    e = min(e, qt[st] + max_age_us)
                dur = e - s
                if dur <= 0:
                    return
                den = qB[st] + qA[st]
                if den == 0:
                    return
                terms.append(((qB[st] - qA[st]) * dur) / den)
                wtot += dur

            e_sum = 0
            n_upd = 0
            while qi < nq and qt[qi] < E:
                tau = qt[qi]
                seg(state, cur, tau)
                e_sum += ofi_e(prev, qi)
                prev = qi
                state = qi
                cur = tau
                n_upd += 1
                qi += 1
            seg(state, cur, E)
            qcnt[t] = n_upd
            ofi[t] = e_sum
            twa[t] = (math.fsum(terms) / wtot) if wtot > 0 else None
            if state is not None:
                age[t] = E - qt[state]        # us since the last update with time < E
            # at the bar end a stale state (E - u > A, i.e. quote_age_s > A) counts as no state
            if state is not None and (max_age_us is None or age[t] <= max_age_us):
                b, B, a, A = qb[state], qB[state], qa[state], qA[state]
                bid[t], ask[t], bidq[t], askq[t] = b, a, B, A
                m2 = b + a                                   # 2*mid, scale qpk
                mid[t] = Fraction(m2, 2 * 10 ** qpk)
                if m2 != 0:
                    spr[t] = (2 * (a - b) * 10_000) / m2
                if B + A != 0:
                    obi[t] = (B - A) / (B + A)
                    if m2 != 0:
                        # ((bA + aB)/(B+A) - mid)/mid * 1e4
                        #   = (2(bA + aB) - m2(B+A)) / (m2 (B+A)) * 1e4
                        micro[t] = ((2 * (b * A + a * B) - m2 * (B + A)) * 10_000) / (m2 * (B + A))
        F['bid'] = ['' if x is None else fmt_dec(x, qpk) for x in bid]
        F['ask'] = ['' if x is None else fmt_dec(x, qpk) for x in ask]
        F['bid_qty'] = ['' if x is None else fmt_dec(x, qqk) for x in bidq]
        F['ask_qty'] = ['' if x is None else fmt_dec(x, qqk) for x in askq]
        F['mid'] = ['' if x is None else fmt_float(float(x)) for x in mid]
        F['spread_bps'] = [fmt_float(x) for x in spr]
        F['obi'] = [fmt_float(x) for x in obi]
        F['obi_twa'] = [fmt_float(x) for x in twa]
        F['microprice_bps'] = [fmt_float(x) for x in micro]
        F['quote_count'] = [str(x) for x in qcnt]
        F['ofi'] = [fmt_dec(x, qqk) for x in ofi]
        for w in windows:
            col = [''] * N
            for t in range(w, N):
                col[t] = fmt_dec(sum(ofi[t - w + 1:t + 1]), qqk)
            F['ofi_%d' % w] = col
        for w in windows:
            col = [''] * N
            for t in range(w, N):
                vals = [x for x in twa[t - w + 1:t + 1] if x is not None]
                if vals:
                    col[t] = fmt_float(math.fsum(vals) / len(vals))
            F['obi_%d' % w] = col
        # exact integer us -> seconds: one correctly rounded int/int division
        F['quote_age_s'] = ['' if x is None else fmt_float(x / 1_000_000) for x in age]
        cover_us = 60_000_000 if max_age_us is None else max_age_us
        info['quote_coverage'] = (sum(1 for x in age if x is not None and x <= cover_us), N, cover_us)

    # ---------------- calendar ----------------
    ts_ms = [(S0 + t * delta_us) // 1000 for t in range(N)]
    hs, hc, ds, dc = [], [], [], []
    for ms in ts_ms:
        day, ms_of_day = divmod(ms, 86_400_000)
        wd = (day + 3) % 7                                   # 1970-01-01 was a Thursday
        a_h = math.tau * (ms_of_day / 86_400_000)            # 2*pi*h/24
        a_d = math.tau * ((wd * 86_400_000 + ms_of_day) / (7 * 86_400_000))   # 2*pi*d/7
        hs.append(fmt_float(math.sin(a_h)))
        hc.append(fmt_float(math.cos(a_h)))
        ds.append(fmt_float(math.sin(a_d)))
        dc.append(fmt_float(math.cos(a_d)))
    F['hour_sin'], F['hour_cos'], F['dow_sin'], F['dow_cos'] = hs, hc, ds, dc

    # ---------------- targets ----------------
    TG = {}
    fr = {}
    for hh in horizons:
        fr[hh] = [ratio_log(c[t + hh], c[t], 10 ** pk) if t + hh <= N - 1 else None for t in range(N)]
    for hh in horizons:
        TG['fwd_ret_%d' % hh] = [fmt_float(x) for x in fr[hh]]
    for hh in horizons:
        TG['fwd_dir_%d' % hh] = ['' if x is None else ('1' if x > theta else ('-1' if x < -theta else '0'))
                                 for x in fr[hh]]
    for hh in horizons:
        TG['fwd_up_%d' % hh] = ['' if x is None else ('1' if x > 0 else '0') for x in fr[hh]]
    for hh in horizons:
        TG['fwd_rv_%d' % hh] = [fmt_float(math.sqrt(math.fsum(r2[t + 1:t + hh + 1])))
                                if t + hh <= N - 1 else '' for t in range(N)]

    return ts_ms, F, TG, info


def feature_columns(windows, with_quotes):
    cols = ['open', 'high', 'low', 'close', 'volume', 'buy_volume', 'sell_volume', 'trade_count',
            'vwap', 'tfi', 'log_return']
    for name in ('ret', 'rv', 'parkinson', 'tfi', 'volume', 'trades'):
        cols += ['%s_%d' % (name, w) for w in windows]
    cols += ['ewm_vol', 'vol_ratio', 'absret_autocorr']
    if with_quotes:
        cols += ['bid', 'ask', 'bid_qty', 'ask_qty', 'mid', 'spread_bps', 'obi', 'obi_twa',
                 'microprice_bps', 'quote_count', 'ofi']
        cols += ['ofi_%d' % w for w in windows]
        cols += ['obi_%d' % w for w in windows]
        cols += ['quote_age_s']                 # version 2: last column of the quote group
    cols += ['hour_sin', 'hour_cos', 'dow_sin', 'dow_cos']
    return cols


def target_columns(horizons):
    cols = []
    for name in ('fwd_ret', 'fwd_dir', 'fwd_up', 'fwd_rv'):
        cols += ['%s_%d' % (name, hh) for hh in horizons]
    return cols


def write_csv(path, header, ts, cols, keep):
    with open(path, 'w', newline='') as f:
        f.write(','.join(['timestamp'] + header) + '\n')
        for t in keep:
            f.write(','.join([str(ts[t])] + [cols[name][t] for name in header]) + '\n')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--trades', required=True)
    ap.add_argument('--quotes')
    ap.add_argument('--out', required=True)
    ap.add_argument('--interval', default='1s')
    ap.add_argument('--windows', default='10,60,300')
    ap.add_argument('--horizons', default='10,60')
    ap.add_argument('--threshold-bps', default='5')
    ap.add_argument('--ewm-lambda', default='0.94')
    ap.add_argument('--complete-rows-only', action='store_true')
    ap.add_argument('--max-quote-age', type=parse_max_quote_age, default=None, metavar='SECONDS',
                    help='quote states older than this many seconds count as absent (default: none)')
    ap.add_argument('--quiet', action='store_true')
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    delta_us = parse_interval(args.interval)
    if delta_us % 1000:
        raise SystemExit('interval must be a whole number of ms')
    windows = parse_int_list(args.windows)
    horizons = parse_int_list(args.horizons)
    theta = float(Fraction(args.threshold_bps) / 10_000)
    lam = float(args.ewm_lambda)

    trades = read_trades(args.trades)
    quotes = read_quotes(args.quotes) if args.quotes else None
    ts, F, TG, info = compute(trades, quotes, delta_us, windows, horizons, theta, lam,
                              args.max_quote_age)
    fcols = feature_columns(windows, quotes is not None)
    tcols = target_columns(horizons)
    N = len(ts)
    if args.complete_rows_only:
        keep = [t for t in range(N)
                if all(F[cname][t] != '' for cname in fcols) and all(TG[cname][t] != '' for cname in tcols)]
    else:
        keep = range(N)
    os.makedirs(args.out, exist_ok=True)
    write_csv(os.path.join(args.out, 'features.csv'), fcols, ts, F, keep)
    write_csv(os.path.join(args.out, 'targets.csv'), tcols, ts, TG, keep)
    if not args.quiet:
        print('reference: %d trades (%d duplicates skipped, time unit %s)%s; %d bars, %d rows written; %.2fs'
              % (len(trades['t']), trades['dups'], trades['unit'],
                 '' if quotes is None else ', %d quote updates (unit %s)' % (len(quotes['t']), quotes.get('unit')),
                 N, len(keep), time.perf_counter() - t0), file=sys.stderr)
        if 'quote_coverage' in info:
            covered, nbars, cover_us = info['quote_coverage']
            msg = 'reference: quote coverage %d of %d bars (quote_age_s <= %s s)' % (
                covered, nbars, fmt_dec(cover_us, 6))
            if covered * 10 < nbars * 9:                     # exactly: covered / nbars < 90 %
                msg = 'reference: WARNING: quotes cover less than 90 %% of the bars: %d of %d (quote_age_s <= %s s)' % (
                    covered, nbars, fmt_dec(cover_us, 6))
            print(msg, file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
