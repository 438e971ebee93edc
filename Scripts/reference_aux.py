#!/usr/bin/env python3
"""Independent reference implementation of the tickforge version 2 auxiliary feature groups
Bands, Derivatives and Liquidations (docs/FEATURES.md, sections "Inputs", "Bars", "Bands",
"Derivatives", "Liquidations").  Standard library only.  Written from the contract's words,
without looking at the Swift implementation.

Usage:
  python3 Scripts/reference_aux.py --trades F [F ...] [--bands F ...] [--metrics F ...]
      [--funding F ...] [--ticker F ...] [--liquidations F ...] --out OUT.csv
      [--interval 1s] [--windows 10,60,300] [--band-levels 1,2,3,4,5]
      [--summary OUT.json] [--symbol SYM] [--quarantine] [--quiet]

Writes OUT.csv: `timestamp` (bar start, integer epoch ms), then the columns of the groups whose
inputs are given, in the contract's order: bands, derivatives, liquidations.  Empty cell =
undefined.  The trades only give the bar raster (dense, from the bar of the first trade to the
bar of the last trade, bars aligned to the epoch).

Exit status: 0 ok; 1 data error (message names the file and line); 2 usage error (including
--metrics together with --ticker).

Design (obviously correct, not fast):
  * Decimals (depth, open interest, ratios, rates, prices, amounts) are parsed exactly
    (fractions.Fraction of the decimal text; never through float).  Every ratio of exact
    quantities is one correctly rounded conversion of an exact Fraction to float
    (Fraction.__float__ is a correctly rounded int/int division).
  * Values copied from the inputs (oi, oi_value, the four long/short ratios, funding_rate,
    predicted_funding_rate, funding_settled_rate, liq volumes, liq_volume_{w}) are written as
    exact decimal strings, trailing fraction zeros stripped (`80412.3450000000000000` ->
    `80412.345`).  liq_count is an integer.  Computed floats are written with repr().
  * oi_chg_{w} = math.log(float(Fraction(oi_t) / Fraction(oi_{t-w}))): the exact ratio
    correctly rounded to a double, then math.log (as reference_features.py does for returns;
    within 1 ulp of the ratio of the two rounded values).
  * Times are integer microseconds (ns floored to us).  Ages are
    (bar end - known time) in integer us / 1_000_000: one correctly rounded int/int division.
  * Text times `YYYY-MM-DD HH:MM:SS` (UTC) are known at stamp + 1 s (contract), so a metrics
    row stamped 00:00:00 is first used by the bar whose end is after 00:00:01.

Decisions where the contract is silent (or where this reference is deliberately narrow):
  Files and rows
  * An input option takes files, directories (every regular file below it, recursively; names
    starting with `.` -- hidden files and hidden directories -- and `*.CHECKSUM` sidecars are
    skipped) or glob patterns.  The same file named twice is read once.  Containers are
    recognised by content: plain, gzip, zip (exactly one member); zstd is not supported here.
    A UTF-8 BOM at the start of a file is ignored.
  * Lines are split on LF; a trailing CR is removed.  Blank (whitespace-only) lines are not
    rows.  Line numbers in messages are 1-based physical lines of the file (header = line 1).
  * Files of one input are taken in the order of their first data row's time, ties by the
    paths' byte order; rows keep file order inside a file.
  * "Raw text" for the verbatim duplicate rule is the line without its line terminator,
    compared across all files of the input in the order above.  Duplicates are dropped before
    the row is parsed (so a repeated bad row is one bad row plus one duplicate).
  * Small series (bands, metrics, funding, ticker) are then stably sorted by time only (not by
    Tardis `local_timestamp`): among equal times the stream order above is kept.
  * Headers: Binance layouts (bookDepth, metrics, fundingRate) may come without a header when
    the column count matches (4, 8, 3); Tardis layouts (derivative_ticker, liquidations) must
    have their header.  Header names are matched case-insensitively by name (extra columns
    are allowed); a data row whose cell count differs from the header's is a bad row.
  * Numbers: plain decimals with optional sign and optional exponent (`1e-05`, as JavaScript
    writes small Tardis values) are accepted and parsed exactly; `nan`, `inf`, anything else
    is a bad row.  The version-2 "more than 8 fraction digits is a bad row" rule for exchange
    layouts is NOT applied to these inputs (Binance metrics publish 16 fraction digits).
  * Numeric times (fundingRate `calc_time`, Tardis `timestamp`) use the per-file unit rule of
    the contract (magnitude of the file's first data row's value: < 1e11 s, < 1e14 ms,
    < 1e17 us, else ns) and are exact (no +1 s).  Text-time columns (bookDepth `timestamp`,
    metrics `create_time`) must be exactly `YYYY-MM-DD HH:MM:SS`; anything else (including an
    epoch number) is a bad row.
  * Bad rows are an error (exit 1, file and line named) by default; with --quarantine they are
    skipped and counted in the summary.  A liquidation earlier than the previous kept row of its
    file is always an error (the contract's spike look-back and sort mode are not implemented).
  * Cells not used by any column are validated lightly: numeric columns (notional,
    funding_interval_hours, local_timestamp, funding_timestamp, liquidation price) must be empty
    or a number; `exchange`, `symbol` and `id` are free text.
  * Symbols: an input whose rows name more than one `symbol` is an error naming them, unless
    --symbol selects one (other rows are then skipped and counted as filtered).  Symbols are
    not compared across inputs.
  Trades (raster only)
  * Only the time column is read (Binance trades `time`, aggTrades `transact_time`, Tardis
    `timestamp`; headerless Binance files by column count).  The raster runs from the bar of the
    smallest to the bar of the largest trade time over all trade files; no order, id or side
    checks are made on trades.
  Bands
  * Percentages and band levels are compared as exact decimals: `-1`, `-1.0`, `-1.00` are the
    same level; `0.2` matches `0.20`.  `+1` equals `1`.
  * Band-level flag: positive decimals; the column name uses the decimal with trailing fraction
    zeros removed and `.` written as `p` (`0.20` -> `band_imb_0p2`, `1.0` -> `band_imb_1`).
    A level given twice (e.g. `1,1.0`) or a level <= 0 is a usage error.
  * A percentage repeated inside one snapshot with different depths: the last row (in the
    sorted stream order) wins.  An empty `depth` cell means the level is missing (also when an
    earlier row of the snapshot gave it a depth).  `notional` is not used.  Depths are used as given (no check that they are positive or cumulative).
  * band_imb_{p} is undefined when D(-p) or D(+p) is missing from the snapshot in force (no
    fall back to older snapshots) or D(-p) + D(+p) == 0.  band_age_s counts from the snapshot's
    known time (stamp + 1 s), so it is always > 0.
  Derivatives
  * An empty cell carries no value for that field (the as-of value falls back to the last
    non-empty cell) but the row still is a sample: it moves `{src}_age_s`.  A cell `0` is a
    value (not empty).
  * mark_premium_bps / last_basis_bps use the as-of mark/last and as-of index (each its own
    last non-empty cell, possibly from different rows); undefined when either is undefined or
    the index is 0.  Computed exactly: (m - i) * 10^4 / i.
  * oi_chg_{w} is undefined for t < w or where oi_t or oi_{t-w} is undefined or <= 0 (a
    negative open interest is nonsense; no log of a non-positive ratio is taken).
  * `funding_interval_hours`, `funding_timestamp`, `exchange`, `local_timestamp` are not used.
  * funding_settled_rate appears only with both --funding and --ticker (funding_rate then
    comes from the ticker); funding_age_s appears whenever --funding is given.
  * oi comes from metrics `sum_open_interest` or ticker `open_interest` (never both: error).
  Liquidations
  * side is compared case-insensitively after trimming: `buy` or `sell`; anything else
    (including `unknown` and empty) is a bad row.  amount must be a non-negative decimal;
    price must be a number; `id` is ignored (empty for Binance).
  * Liquidations are never de-duplicated (the contract gives them no id rules): a repeated row
    counts twice.  Equal times are normal.  Each file must be in order on its own; files are
    merged, which does not change any sum.
  * A liquidation belongs to the bar floor(t/Delta)*Delta; those before the first bar's start
    or at/after the last bar's end are not used and are counted (before_first_bar /
    after_last_bar).  liq_buy_volume, liq_sell_volume and liq_count are 0 in a bar without
    liquidations; liq_volume_{w} is the exact sum over bars t-w+1 .. t, undefined for t < w.
  Summary (--summary OUT.json): per input the files, rows_read (data rows, before anything
  is dropped), duplicates_dropped (small series), bad_rows, filtered_symbol_rows, rows_used;
  for liquidations also before_first_bar, after_last_bar, rows_in_raster; for bands the
  snapshot count.
"""

import argparse
import csv
import glob
import gzip
import io
import json
import math
import os
import re
import sys
import zipfile
from fractions import Fraction

# ----------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------


class DataError(Exception):
    pass


NUM_RE = re.compile(r'^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$')
TEXT_TIME_RE = re.compile(r'^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$')


def parse_num(s):
    """Exact decimal text -> Fraction, or raise ValueError."""
    s = s.strip()
    if not NUM_RE.match(s):
        raise ValueError('not a number: %r' % s)
    return Fraction(s)          # Fraction parses decimal/exponent text exactly


def fmt_exact(f):
    """Exact decimal string of a Fraction whose denominator is 2^a 5^b (no exponent, no
    trailing fraction zeros)."""
    d = f.denominator
    a = b = 0
    while d % 2 == 0:
        d //= 2
        a += 1
    while d % 5 == 0:
        d //= 5
        b += 1
    if d != 1:
        raise ValueError('not a finite decimal: %r' % f)
    k = max(a, b)
    n = f.numerator * 10 ** k // f.denominator          # exact
    neg = n < 0
    s = str(-n if neg else n)
    if k:
        s = s.rjust(k + 1, '0')
        s = s[:-k] + '.' + s[-k:]
    return ('-' if neg else '') + s


def fmt_float(x):
    if x is None:
        return ''
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        raise ValueError('non-finite value produced: %r' % x)
    return repr(x)


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of the proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def text_time_known_us(s):
    """`YYYY-MM-DD HH:MM:SS` (UTC) -> the time it is known, integer us: stamp + 1 s."""
    m = TEXT_TIME_RE.match(s.strip())
    if not m:
        raise ValueError('not a YYYY-MM-DD HH:MM:SS time: %r' % s)
    y, mo, d, hh, mi, ss = map(int, m.groups())
    mdays = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28,
             31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if not (1 <= mo <= 12 and 1 <= d <= mdays[mo - 1] and hh < 24 and mi < 60 and ss < 60):
        raise ValueError('not a valid date/time: %r' % s)
    secs = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss
    return (secs + 1) * 1_000_000


def detect_unit(v):
    """v: Fraction time value -> unit by magnitude (contract's rule)."""
    if v < 10 ** 11:
        return 's'
    if v < 10 ** 14:
        return 'ms'
    if v < 10 ** 17:
        return 'us'
    return 'ns'


UNIT_TO_US = {'s': Fraction(1_000_000), 'ms': Fraction(1_000), 'us': Fraction(1), 'ns': Fraction(1, 1000)}


def num_time_us(v, unit):
    return math.floor(v * UNIT_TO_US[unit])


INTERVAL_RE = re.compile(r'^\s*(\d+)\s*(ms|s|m|h|d)\s*$')
UNIT_US = {'ms': 1_000, 's': 1_000_000, 'm': 60_000_000, 'h': 3_600_000_000, 'd': 86_400_000_000}


def parse_interval(s):
    m = INTERVAL_RE.match(s)
    if not m or int(m.group(1)) <= 0:
        raise argparse.ArgumentTypeError('bad interval %r (want e.g. 100ms, 1s, 15m, 1h, 1d)' % s)
    return int(m.group(1)) * UNIT_US[m.group(2)]


def parse_windows(s):
    try:
        out = [int(x) for x in s.split(',')]
    except ValueError:
        raise argparse.ArgumentTypeError('bad windows %r' % s)
    if not out or any(v <= 0 for v in out) or len(set(out)) != len(out):
        raise argparse.ArgumentTypeError('bad windows %r (positive, distinct)' % s)
    return out


def parse_band_levels(s):
    out = []
    for x in s.split(','):
        try:
            v = parse_num(x)
        except ValueError:
            raise argparse.ArgumentTypeError('bad band level %r' % x)
        if v <= 0:
            raise argparse.ArgumentTypeError('band level must be > 0: %r' % x)
        if v in out:
            raise argparse.ArgumentTypeError('band level given twice: %r' % x)
        out.append(v)
    return out


def band_name(p):
    return 'band_imb_' + fmt_exact(p).replace('.', 'p')


# ----------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------


def expand_paths(specs, what):
    out = []
    seen = set()

    def add(p):
        rp = os.path.realpath(p)
        if rp not in seen:
            seen.add(rp)
            out.append(p)

    for spec in specs:
        if os.path.isdir(spec):
            found = []
            for root, dirs, files in os.walk(spec):
                dirs[:] = [d for d in dirs if not d.startswith('.')]
                for name in files:
                    if name.startswith('.') or name.endswith('.CHECKSUM'):
                        continue
                    p = os.path.join(root, name)
                    if os.path.isfile(p):
                        found.append(p)
            for p in sorted(found, key=os.fsencode):
                add(p)
        elif os.path.isfile(spec):
            add(spec)
        elif any(ch in spec for ch in '*?['):
            hits = [p for p in glob.glob(spec, recursive=True)
                    if os.path.isfile(p) and not os.path.basename(p).startswith('.')
                    and not p.endswith('.CHECKSUM')]
            if not hits:
                raise DataError('--%s: pattern %r matches no file' % (what, spec))
            for p in sorted(hits, key=os.fsencode):
                add(p)
        else:
            raise DataError('--%s: no such file or directory: %s' % (what, spec))
    if not out:
        raise DataError('--%s: no files' % what)
    return out


def read_lines(path):
    """File (plain / gzip / zip by content) -> list of (line_number, raw_line) of non-blank lines."""
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    elif data[:4] == b'PK\x03\x04':
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = [i for i in z.infolist() if not i.is_dir()]
            if len(members) != 1:
                raise DataError('%s: zip must hold exactly one file, holds %d' % (path, len(members)))
            data = z.read(members[0])
    elif data[:4] == b'\x28\xb5\x2f\xfd':
        raise DataError('%s: zstd is not supported by this reference' % path)
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        raise DataError('%s: not UTF-8 (byte offset %d)' % (path, e.start))
    if text.startswith('\ufeff'):
        text = text[1:]
    out = []
    for i, line in enumerate(text.split('\n'), 1):
        if line.endswith('\r'):
            line = line[:-1]
        if line.strip():
            out.append((i, line))
    return out


def split_csv(line):
    return [c.strip() for c in next(csv.reader([line]))]


# ----------------------------------------------------------------------------------------
# Layouts
# ----------------------------------------------------------------------------------------

LAYOUTS = {
    # kind: header names; time column; text time (stamp + 1 s) or numeric; headerless
    # allowed; symbol column; numeric columns (empty or a number); required (non-empty)
    # columns; the value columns used
    'bands': dict(names=['timestamp', 'percentage', 'depth', 'notional'], time='timestamp',
                  text_time=True, headerless=True, symbol=None,
                  numeric=['percentage', 'depth', 'notional'],
                  required=['percentage'],
                  fields=['percentage', 'depth']),
    'metrics': dict(names=['create_time', 'symbol', 'sum_open_interest', 'sum_open_interest_value',
                           'count_toptrader_long_short_ratio', 'sum_toptrader_long_short_ratio',
                           'count_long_short_ratio', 'sum_taker_long_short_vol_ratio'],
                    time='create_time', text_time=True, headerless=True, symbol='symbol',
                    numeric=['sum_open_interest', 'sum_open_interest_value',
                             'count_toptrader_long_short_ratio', 'sum_toptrader_long_short_ratio',
                             'count_long_short_ratio', 'sum_taker_long_short_vol_ratio'],
                    required=[],
                    fields=['sum_open_interest', 'sum_open_interest_value',
                            'count_toptrader_long_short_ratio', 'sum_toptrader_long_short_ratio',
                            'count_long_short_ratio', 'sum_taker_long_short_vol_ratio']),
    'funding': dict(names=['calc_time', 'funding_interval_hours', 'last_funding_rate'],
                    time='calc_time', text_time=False, headerless=True, symbol=None,
                    numeric=['funding_interval_hours', 'last_funding_rate'], required=[],
                    fields=['last_funding_rate']),
    'ticker': dict(names=['exchange', 'symbol', 'timestamp', 'local_timestamp', 'funding_timestamp',
                          'funding_rate', 'predicted_funding_rate', 'open_interest', 'last_price',
                          'index_price', 'mark_price'],
                   time='timestamp', text_time=False, headerless=False, symbol='symbol',
                   numeric=['local_timestamp', 'funding_timestamp', 'funding_rate',
                            'predicted_funding_rate', 'open_interest', 'last_price', 'index_price',
                            'mark_price'], required=[],
                   fields=['funding_rate', 'predicted_funding_rate', 'open_interest', 'last_price',
                           'index_price', 'mark_price']),
    'liquidations': dict(names=['exchange', 'symbol', 'timestamp', 'local_timestamp', 'id', 'side',
                                'price', 'amount'],
                         time='timestamp', text_time=False, headerless=False, symbol='symbol',
                         numeric=['local_timestamp', 'price', 'amount'], required=['price', 'amount'],
                         fields=['side', 'amount']),
}


class Input:
    """Reads one input (several files) of a layout into parsed rows."""

    def __init__(self, kind, specs, args):
        self.kind = kind
        self.lay = LAYOUTS[kind]
        self.quarantine = args.quarantine
        self.symbol = args.symbol
        self.paths = expand_paths(specs, kind)
        self.stats = {'files': self.paths, 'rows_read': 0, 'bad_rows': 0,
                      'filtered_symbol_rows': 0}
        if kind != 'liquidations':
            self.stats['duplicates_dropped'] = 0

    def bad(self, path, line, msg):
        if not self.quarantine:
            raise DataError('%s: %s:%d: %s' % (self.kind, path, line, msg))
        self.stats['bad_rows'] += 1

    def header_map(self, path, lines):
        """Returns (index map, data lines)."""
        lay = self.lay
        if not lines:
            return None, []
        first = [c.lower() for c in split_csv(lines[0][1])]
        if lay['time'] in first or set(lay['names']) & set(first):
            missing = [n for n in lay['names'] if n not in first]
            if missing:
                raise DataError('%s: %s:%d: header lacks %s' % (self.kind, path, lines[0][0],
                                                                ', '.join(missing)))
            return ({n: first.index(n) for n in lay['names']}, len(first)), lines[1:]
        if lay['headerless'] and len(first) == len(lay['names']):
            return ({n: i for i, n in enumerate(lay['names'])}, len(first)), lines
        raise DataError('%s: %s:%d: unrecognised header (want %s)' % (
            self.kind, path, lines[0][0], ','.join(lay['names'])))

    def parse_row(self, path, ln, raw, hm, unit_box):
        """-> (time_us, dict of field -> value or None, symbol) or None for a bad row."""
        lay = self.lay
        idx, ncols = hm
        cells = split_csv(raw)
        if len(cells) != ncols:
            self.bad(path, ln, '%d cells, header has %d: %r' % (len(cells), ncols, raw))
            return None
        tcell = cells[idx[lay['time']]]
        try:
            if lay['text_time']:
                t = text_time_known_us(tcell)
            else:
                v = parse_num(tcell)
                if unit_box[0] is None:
                    unit_box[0] = detect_unit(v)
                t = num_time_us(v, unit_box[0])
        except ValueError as e:
            self.bad(path, ln, 'column %s: %s' % (lay['time'], e))
            return None
        vals = {}
        for name in lay['numeric']:
            c = cells[idx[name]]
            if c == '':
                if name in lay['required']:
                    self.bad(path, ln, 'column %s is empty' % name)
                    return None
                vals[name] = None
                continue
            try:
                vals[name] = parse_num(c)
            except ValueError as e:
                self.bad(path, ln, 'column %s: %s' % (name, e))
                return None
        if self.kind == 'liquidations':
            side = cells[idx['side']].lower()
            if side not in ('buy', 'sell'):
                self.bad(path, ln, 'column side: %r is neither buy nor sell' % cells[idx['side']])
                return None
            vals['side'] = side
            if vals['amount'] < 0:
                self.bad(path, ln, 'column amount: negative %r' % cells[idx['amount']])
                return None
        sym = cells[idx[lay['symbol']]] if lay['symbol'] else None
        return t, vals, sym

    def read(self):
        """Returns the list of (time_us, vals) rows: small series de-duplicated and stably
        sorted by time; liquidations checked in order per file."""
        per_file = []
        for path in self.paths:
            lines = read_lines(path)
            hm, data = self.header_map(path, lines)
            self.stats['rows_read'] += len(data)
            first_t = None
            parsed = data        # [(line number, raw line)]
            # first data row's time, for the file order
            if data and hm is not None:
                try:
                    cells = split_csv(data[0][1])
                    tc = cells[hm[0][self.lay['time']]]
                    if self.lay['text_time']:
                        first_t = text_time_known_us(tc)
                    else:
                        v = parse_num(tc)
                        first_t = num_time_us(v, detect_unit(v))
                except (ValueError, IndexError):
                    first_t = None
            per_file.append((first_t, os.fsencode(path), path, hm, parsed))
        # files ordered by their first row's time (files without a parsable first time last),
        # ties by the paths' byte order
        per_file.sort(key=lambda x: (x[0] is None, x[0] if x[0] is not None else 0, x[1]))
        self.paths = [x[2] for x in per_file]
        self.stats['files'] = self.paths
        small = self.kind != 'liquidations'
        seen_raw = set()
        rows = []
        symbols = {}
        for _, _, path, hm, parsed in per_file:
            unit_box = [None]
            prev_t = None
            for ln, raw in parsed:
                if small:
                    if raw in seen_raw:
                        self.stats['duplicates_dropped'] += 1
                        continue
                    seen_raw.add(raw)
                r = self.parse_row(path, ln, raw, hm, unit_box)
                if r is None:
                    continue
                t, vals, sym = r
                if sym is not None:
                    if self.symbol is not None and sym != self.symbol:
                        self.stats['filtered_symbol_rows'] += 1
                        continue
                    symbols.setdefault(sym, '%s:%d' % (path, ln))
                if not small:
                    if prev_t is not None and t < prev_t:
                        raise DataError('%s: %s:%d: time goes backwards (%s is earlier than the '
                                        'previous row)' % (self.kind, path, ln,
                                                           split_csv(raw)[hm[0][self.lay['time']]]))
                    prev_t = t
                rows.append((t, vals))
        if len(symbols) > 1:
            raise DataError('%s: more than one symbol: %s (select one with --symbol)' % (
                self.kind, ', '.join('%s (first at %s)' % kv for kv in sorted(symbols.items()))))
        if small:
            rows.sort(key=lambda r: r[0])        # stable
        self.stats['rows_used'] = len(rows)
        return rows


def read_trade_times(specs, args):
    """Returns (min time us, max time us, stats)."""
    paths = expand_paths(specs, 'trades')
    stats = {'files': paths, 'rows_read': 0, 'bad_rows': 0}
    lo = hi = None
    for path in paths:
        lines = read_lines(path)
        if not lines:
            continue
        first = split_csv(lines[0][1])
        low = [c.lower() for c in first]
        unit = None
        if 'side' in low and 'amount' in low and 'timestamp' in low:          # Tardis trades
            it, data = low.index('timestamp'), lines[1:]
        elif 'transact_time' in low:                                          # Binance aggTrades
            it, data = low.index('transact_time'), lines[1:]
        elif 'is_buyer_maker' in low and 'time' in low:                       # Binance trades
            it, data = low.index('time'), lines[1:]
        elif first and NUM_RE.match(first[0]):                                # headerless Binance
            data = lines
            if len(first) in (6, 7) and first[5].lower() in ('true', 'false'):
                it = 4
            elif len(first) in (7, 8) and first[6].lower() in ('true', 'false'):
                it = 5
            else:
                raise DataError('trades: %s:%d: unrecognised headerless layout' % (path, lines[0][0]))
        else:
            raise DataError('trades: %s:%d: unrecognised header %r' % (path, lines[0][0], first))
        stats['rows_read'] += len(data)
        for ln, raw in data:
            cells = split_csv(raw)
            try:
                v = parse_num(cells[it])
            except (ValueError, IndexError):
                if args.quarantine:
                    stats['bad_rows'] += 1
                    continue
                raise DataError('trades: %s:%d: bad time in %r' % (path, ln, raw))
            if unit is None:
                unit = detect_unit(v)
            t = num_time_us(v, unit)
            lo = t if lo is None or t < lo else lo
            hi = t if hi is None or t > hi else hi
    if lo is None:
        raise DataError('trades: no trades')
    return lo, hi, stats


# ----------------------------------------------------------------------------------------
# Groups
# ----------------------------------------------------------------------------------------


def bar_ends(S0, N, delta):
    return [S0 + (t + 1) * delta for t in range(N)]


def compute_bands(rows, levels, S0, N, delta):
    # group the sorted rows into snapshots (rows sharing a time)
    snaps = []                         # (known_us, {pct Fraction: depth Fraction})
    for t, vals in rows:
        if not snaps or snaps[-1][0] != t:
            snaps.append((t, {}))
        d = snaps[-1][1]
        pct = vals['percentage']
        if vals['depth'] is None:
            d.pop(pct, None)            # empty depth: the level is missing (a later row wins)
        else:
            d[pct] = vals['depth']
    cols = {band_name(p): [''] * N for p in levels}
    age = [''] * N
    j = -1
    for t, E in enumerate(bar_ends(S0, N, delta)):
        while j + 1 < len(snaps) and snaps[j + 1][0] < E:
            j += 1
        if j < 0:
            continue
        known, D = snaps[j]
        age[t] = fmt_float((E - known) / 1_000_000)
        for p in levels:
            lo_, hi_ = D.get(-p), D.get(p)
            if lo_ is None or hi_ is None or lo_ + hi_ == 0:
                continue
            cols[band_name(p)][t] = fmt_float(float((lo_ - hi_) / (lo_ + hi_)))
    out = [(band_name(p), cols[band_name(p)]) for p in levels]
    out.append(('band_age_s', age))
    return out, len(snaps)


def as_of(rows, fields, S0, N, delta):
    """-> (dict field -> list of as-of values (Fraction or None), list of last-sample times)."""
    vals = {f: [None] * N for f in fields}
    last_t = [None] * N
    cur = {f: None for f in fields}
    lt = None
    j = 0
    for t, E in enumerate(bar_ends(S0, N, delta)):
        while j < len(rows) and rows[j][0] < E:
            lt = rows[j][0]
            for f in fields:
                v = rows[j][1][f]
                if v is not None:
                    cur[f] = v
            j += 1
        for f in fields:
            vals[f][t] = cur[f]
        last_t[t] = lt
    return vals, last_t


def ages(last_t, S0, N, delta):
    return ['' if k is None else fmt_float((E - k) / 1_000_000)
            for k, E in zip(last_t, bar_ends(S0, N, delta))]


def exact_col(xs):
    return ['' if x is None else fmt_exact(x) for x in xs]


def bps(num, den):
    if num is None or den is None or den == 0:
        return ''
    return fmt_float(float((num - den) * 10_000 / den))


def compute_derivatives(metrics, funding, ticker, windows, S0, N, delta):
    out = []
    oi = None
    if metrics is not None:
        mf = LAYOUTS['metrics']['fields']
        mv, mt = as_of(metrics, mf, S0, N, delta)
    if ticker is not None:
        tf = LAYOUTS['ticker']['fields']
        tv, tt = as_of(ticker, tf, S0, N, delta)
    if funding is not None:
        fv, ft = as_of(funding, ['last_funding_rate'], S0, N, delta)
    if metrics is not None:
        oi = mv['sum_open_interest']
    elif ticker is not None:
        oi = tv['open_interest']
    if oi is not None:
        out.append(('oi', exact_col(oi)))
    if metrics is not None:
        out.append(('oi_value', exact_col(mv['sum_open_interest_value'])))
        out.append(('top_ls_accounts', exact_col(mv['count_toptrader_long_short_ratio'])))
        out.append(('top_ls_positions', exact_col(mv['sum_toptrader_long_short_ratio'])))
        out.append(('ls_accounts', exact_col(mv['count_long_short_ratio'])))
        out.append(('taker_ls_volume', exact_col(mv['sum_taker_long_short_vol_ratio'])))
        out.append(('metrics_age_s', ages(mt, S0, N, delta)))
    if ticker is not None:
        out.append(('funding_rate', exact_col(tv['funding_rate'])))
    elif funding is not None:
        out.append(('funding_rate', exact_col(fv['last_funding_rate'])))
    if ticker is not None:
        out.append(('predicted_funding_rate', exact_col(tv['predicted_funding_rate'])))
        out.append(('mark_premium_bps', [bps(m, i) for m, i in zip(tv['mark_price'], tv['index_price'])]))
        out.append(('last_basis_bps', [bps(l, i) for l, i in zip(tv['last_price'], tv['index_price'])]))
        out.append(('ticker_age_s', ages(tt, S0, N, delta)))
    if ticker is not None and funding is not None:
        out.append(('funding_settled_rate', exact_col(fv['last_funding_rate'])))
    if funding is not None:
        out.append(('funding_age_s', ages(ft, S0, N, delta)))
    if oi is not None:
        for w in windows:
            col = [''] * N
            for t in range(w, N):
                a, b = oi[t], oi[t - w]
                if a is None or b is None or a <= 0 or b <= 0:
                    continue
                col[t] = fmt_float(math.log(float(a / b)))
            out.append(('oi_chg_%d' % w, col))
    return out


def compute_liquidations(rows, windows, first_bar, N, delta, stats):
    buy = [Fraction(0)] * N
    sell = [Fraction(0)] * N
    cnt = [0] * N
    before = after = 0
    for t, vals in rows:
        i = t // delta - first_bar
        if i < 0:
            before += 1
            continue
        if i >= N:
            after += 1
            continue
        cnt[i] += 1
        if vals['side'] == 'buy':
            buy[i] += vals['amount']
        else:
            sell[i] += vals['amount']
    stats['before_first_bar'] = before
    stats['after_last_bar'] = after
    stats['rows_in_raster'] = len(rows) - before - after
    out = [('liq_buy_volume', exact_col(buy)), ('liq_sell_volume', exact_col(sell)),
           ('liq_count', [str(c) for c in cnt])]
    tot = [b + s for b, s in zip(buy, sell)]
    for w in windows:
        col = [''] * N
        for t in range(w, N):
            col[t] = fmt_exact(sum(tot[t - w + 1:t + 1], Fraction(0)))
        out.append(('liq_volume_%d' % w, col))
    return out


# ----------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--trades', nargs='+', required=True)
    for k in ('bands', 'metrics', 'funding', 'ticker', 'liquidations'):
        ap.add_argument('--' + k, nargs='+')
    ap.add_argument('--out', required=True)
    ap.add_argument('--interval', type=parse_interval, default=parse_interval('1s'))
    ap.add_argument('--windows', type=parse_windows, default=parse_windows('10,60,300'))
    ap.add_argument('--band-levels', type=parse_band_levels, default=parse_band_levels('1,2,3,4,5'))
    ap.add_argument('--summary')
    ap.add_argument('--symbol', help='keep only rows of this symbol (other rows counted as filtered)')
    ap.add_argument('--quarantine', action='store_true',
                    help='skip and count malformed rows instead of stopping')
    ap.add_argument('--quiet', action='store_true')
    args = ap.parse_args(argv)
    if args.metrics and args.ticker:
        ap.error('--metrics and --ticker cannot be given together (two sources for oi)')
    delta = args.interval
    if delta % 1000:
        ap.error('interval must be a whole number of ms')
    try:
        lo, hi, tstats = read_trade_times(args.trades, args)
        first_bar, last_bar = lo // delta, hi // delta
        N = last_bar - first_bar + 1
        S0 = first_bar * delta
        summary = {'interval_ms': delta // 1000, 'bars': N, 'first_bar_ms': S0 // 1000,
                   'last_bar_ms': (S0 + (N - 1) * delta) // 1000, 'inputs': {'trades': tstats}}
        columns = []
        if args.bands:
            inp = Input('bands', args.bands, args)
            rows = inp.read()
            cols, nsnap = compute_bands(rows, args.band_levels, S0, N, delta)
            inp.stats['snapshots'] = nsnap
            summary['inputs']['bands'] = inp.stats
            columns += cols
        series = {}
        for k in ('metrics', 'funding', 'ticker'):
            if getattr(args, k):
                inp = Input(k, getattr(args, k), args)
                series[k] = inp.read()
                summary['inputs'][k] = inp.stats
        if series:
            columns += compute_derivatives(series.get('metrics'), series.get('funding'),
                                           series.get('ticker'), args.windows, S0, N, delta)
        if args.liquidations:
            inp = Input('liquidations', args.liquidations, args)
            rows = inp.read()
            columns += compute_liquidations(rows, args.windows, first_bar, N, delta, inp.stats)
            summary['inputs']['liquidations'] = inp.stats
    except DataError as e:
        print('reference_aux: error: %s' % e, file=sys.stderr)
        return 1
    d = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(d, exist_ok=True)
    with open(args.out, 'w', newline='') as f:
        f.write(','.join(['timestamp'] + [c for c, _ in columns]) + '\n')
        for t in range(N):
            f.write(','.join([str((S0 + t * delta) // 1000)] + [v[t] for _, v in columns]) + '\n')
    summary['columns'] = [c for c, _ in columns]
    if args.summary:
        with open(args.summary, 'w') as f:
            json.dump(summary, f, indent=2)
            f.write('\n')
    if not args.quiet:
        parts = []
        for k, s in summary['inputs'].items():
            extra = ''
            if 'duplicates_dropped' in s:
                extra += ', %d duplicates' % s['duplicates_dropped']
            if 'before_first_bar' in s:
                extra += ', %d before / %d after the raster' % (s['before_first_bar'], s['after_last_bar'])
            parts.append('%s %d rows%s' % (k, s['rows_read'], extra))
        print('reference_aux: %d bars; %s' % (N, '; '.join(parts)), file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
