#!/usr/bin/env python3
"""The memory promise, measured from outside over a grid of runs.

For every combination of interval, windows/horizons and quote density, runs `tickforge features`
under --memory-limit LIMIT on generated inputs at least 4x the limit and reads the child's peak
resident set size from the kernel (wait4). A run must either stay within 10 % above the limit or
be refused up front naming a limit; a refused run is then repeated at the limit it named, which
must work and stay within 10 % of it.

Usage:
  python3 Scripts/memory_grid.py [--binary PATH] [--limit 64MiB] [--size 256MiB] [--work DIR]
                                 [--grid quick|full] [--json]

  --size   trades file size (the generated quotes are about twice that); at least 4 x --limit.
  --grid   quick: the CI grid (Tests/TickPipelineTests/MemoryGridTests.swift runs it);
           full: more intervals and halos (run by hand, see README).

Prints one line per run and exits 1 if any run breaks the promise.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
UNITS = {'KiB': 1 << 10, 'MiB': 1 << 20, 'GiB': 1 << 30}


def size(text):
    m = re.fullmatch(r'(\d+)(KiB|MiB|GiB)', text)
    if not m:
        raise argparse.ArgumentTypeError('a size such as 64MiB')
    return int(m.group(1)) * UNITS[m.group(2)]


def mib(n):
    return '%dMiB' % (n >> 20)


def run(binary, args):
    """Runs the binary; returns (exit code, peak RSS bytes, stderr text, seconds)."""
    started = time.monotonic()
    with open(os.devnull, 'wb') as null:
        p = subprocess.Popen([binary] + args, stdout=null, stderr=subprocess.PIPE)
        # Read stderr while it runs, then reap with wait4 for this child's own rusage.
        err = p.stderr.read().decode('utf-8', 'replace')
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, usage.ru_maxrss * 1024, err, time.monotonic() - started


# (name, extra flags, inputs). Inputs: 'trades'; 'quotes' (trades and bookTicker quotes); 'bad'
# (the trades with nine rows in ten malformed) and 'badrun' (5,000 good rows, then only bad ones),
# both in quarantine mode. Long halos only at intervals where the windows' O(w) work per row stays
# short; 1h bars hold about 150,000 quotes each (a quote builder that buffered a bar would show it).
QUICK = [
    ('1s default', ['--interval', '1s'], 'quotes'),
    ('100ms default', ['--interval', '100ms'], 'quotes'),
    ('1h few bars, dense quotes', ['--interval', '1h', '--windows', '2,5', '--horizons', '1,3'], 'quotes'),
    ('1s long halo', ['--interval', '1s', '--windows', '10,2000,10000', '--horizons', '10,5000'], 'trades'),
    ('1s halo over the limit', ['--interval', '1s', '--windows', '10,40000', '--horizons', '10,20000'], 'trades'),
    ('1m mostly bad rows', ['--interval', '1m', '--windows', '5,30', '--horizons', '5', '--bad-rows', 'quarantine'], 'bad'),
    ('1s a long run of bad rows', ['--interval', '1s', '--windows', '2,5', '--horizons', '1', '--bad-rows', 'quarantine'], 'badrun'),
    ('1m, 120 windows, quotes', ['--interval', '1m', '--windows', ','.join(map(str, range(2, 122))),
                                 '--horizons', ','.join(map(str, range(1, 41)))], 'quotes'),
    ('1s monthly and daily overlap', ['--interval', '1s'], 'overlap'),
    ('1s unsorted, --order sort', ['--interval', '1s', '--order', 'sort'], 'shuffled'),
    ('1s shuffled end to end, sort', ['--interval', '1s', '--order', 'sort'], 'scrambled'),
    ('100ms CSV and Parquet, splits', ['--interval', '100ms', '--format', 'both', '--splits', 'kfold:5'], 'quotes'),
    ('1m, 120 windows, Parquet', ['--interval', '1m', '--windows', ','.join(map(str, range(2, 122))),
                                  '--horizons', ','.join(map(str, range(1, 41))), '--format', 'parquet'], 'quotes'),
    # The second pass: returns and fit observations in scratch files, the fit's checkpoints.
    ('1s regimes, walk-forward', ['--interval', '1s', '--splits', 'walk-forward:3', '--regimes', '3'], 'trades'),
]
FULL = QUICK + [
    ('100ms long halo', ['--interval', '100ms', '--windows', '10,1000,5000', '--horizons', '10,20000'], 'trades'),
    ('10s long halo with quotes', ['--interval', '10s', '--windows', '10,1000,5000', '--horizons', '10,2000'], 'quotes'),
    ('5m default', ['--interval', '5m', '--windows', '2,5,10', '--horizons', '2,5'], 'quotes'),
    ('1s one worker', ['--interval', '1s', '--workers', '1'], 'quotes'),
    ('1m trades only', ['--interval', '1m', '--windows', '5,30', '--horizons', '5'], 'trades'),
]


def make_overlap(trades, folder):
    """A "monthly" file of every trade and a "daily" file repeating its middle half: two files read
    at once over half the run (their repeated rows are read once). Streamed: a child forked from a
    large parent starts with the parent's resident size, which wait4 would report as its own."""
    os.makedirs(folder, exist_ok=True)
    with open(trades, 'rb') as src:
        rows = sum(1 for _ in src) - 1
    monthly, daily = (os.path.join(folder, name) for name in ('monthly.csv', 'daily.csv'))
    with open(trades, 'rb') as src, open(monthly + '.part', 'wb') as m, open(daily + '.part', 'wb') as d:
        for i, line in enumerate(src):
            m.write(line)
            if i == 0 or rows // 4 < i <= 3 * rows // 4:
                d.write(line)
    os.replace(monthly + '.part', monthly)
    os.replace(daily + '.part', daily)


def make_shuffled(trades, path, window=5000):
    """The trades with their rows shuffled within windows of `window` rows (seeded), as
    interleaved monthly files are out of order. Streamed, like make_overlap."""
    import random
    rng = random.Random(3)
    with open(trades, 'rb') as src, open(path + '.part', 'wb') as out:
        out.write(src.readline())
        block = []
        for line in src:
            block.append(line)
            if len(block) == window:
                rng.shuffle(block)
                out.writelines(block)
                block = []
        rng.shuffle(block)
        out.writelines(block)
    os.replace(path + '.part', path)


def make_scrambled(trades, path):
    """The trades with every row shuffled end to end, by `shuf` in its own process (a child
    forked from a large parent starts with the parent's resident size); seeded by the file."""
    with open(trades, 'rb') as src, open(path + '.part', 'wb') as out:
        out.write(src.readline())
        out.flush()
        body = subprocess.Popen(['tail', '-n', '+2', trades], stdout=subprocess.PIPE)
        subprocess.run(['shuf', '--random-source=' + trades], stdin=body.stdout, stdout=out, check=True)
        body.wait()
    os.replace(path + '.part', path)


def make_bad(trades, path, every=10, good_prefix=0):
    """The trades with an extra column (a bad row, quarantined) on every row but one in `every`
    and but the first `good_prefix`."""
    with open(trades, 'rb') as src, open(path + '.part', 'wb') as out:
        for i, line in enumerate(src):
            good = i == 0 or i <= good_prefix or (every and i % every == 0)
            out.write(line if good else line.rstrip(b'\n') + b',x\n')
    os.replace(path + '.part', path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--binary', default=os.path.join(HERE, '..', '.build', 'release', 'tickforge'))
    ap.add_argument('--limit', type=size, default=64 << 20)
    ap.add_argument('--size', type=size, default=256 << 20)
    ap.add_argument('--work', default='/tmp/tickforge-memory-grid')
    ap.add_argument('--grid', choices=['quick', 'full'], default='quick')
    ap.add_argument('--json', action='store_true', help='one JSON object per run')
    args = ap.parse_args()
    if args.size < 4 * args.limit:
        sys.exit('--size must be at least 4 x --limit, or the grid cannot fail')

    os.makedirs(args.work, exist_ok=True)
    trades = os.path.join(args.work, 'trades-%s.csv' % mib(args.size))
    quotes = os.path.join(args.work, 'quotes-%s.csv' % mib(args.size))
    if not (os.path.exists(trades) and os.path.exists(quotes)):
        subprocess.run([args.binary, 'gen', trades, '--size', mib(args.size), '--quotes', quotes, '--seed', '11'],
                       check=True, stdout=subprocess.DEVNULL)

    bad = os.path.join(args.work, 'bad-%s.csv' % mib(args.size))
    badrun = os.path.join(args.work, 'badrun-%s.csv' % mib(args.size))
    failures = 0
    for name, flags, kind in (QUICK if args.grid == 'quick' else FULL):
        limit = args.limit
        if kind == 'bad' and not os.path.exists(bad):
            make_bad(trades, bad)
        overlap = os.path.join(args.work, 'overlap-%s' % mib(args.size))
        if kind == 'overlap' and not os.path.exists(os.path.join(overlap, 'daily.csv')):
            make_overlap(trades, overlap)
        shuffled = os.path.join(args.work, 'shuffled-%s.csv' % mib(args.size))
        if kind == 'shuffled' and not os.path.exists(shuffled):
            make_shuffled(trades, shuffled)
        scrambled = os.path.join(args.work, 'scrambled-%s.csv' % mib(args.size))
        if kind == 'scrambled' and not os.path.exists(scrambled):
            make_scrambled(trades, scrambled)
        if kind == 'badrun' and not os.path.exists(badrun):
            make_bad(trades, badrun, every=0, good_prefix=5000)   # good rows, then only bad ones
        inputs = {'trades': ['--trades', trades], 'quotes': ['--trades', trades, '--quotes', quotes],
                  'bad': ['--trades', bad], 'badrun': ['--trades', badrun],
                  'overlap': ['--trades', os.path.join(overlap, 'monthly.csv'), '--trades', os.path.join(overlap, 'daily.csv')],
                  'shuffled': ['--trades', shuffled], 'scrambled': ['--trades', scrambled]}[kind]
        attempts = []
        while True:
            out = os.path.join(args.work, 'out')
            shutil.rmtree(out, ignore_errors=True)   # this script's own scratch: every run starts cold
            base = ['features'] + inputs + ['--out', out, '--memory-limit', mib(limit)] + flags
            code, peak, err, seconds = run(args.binary, base)
            named = re.search(r'--memory-limit (\d+)MiB or more', err)
            attempts.append({'limit': limit, 'exit': code, 'peak': peak, 'seconds': round(seconds, 2)})
            if code != 0 and named and not len(attempts) > 1:
                limit = int(named.group(1)) << 20   # refused up front: try the limit it named
                continue
            break
        ok = code == 0 and peak <= limit * 1.1
        refused = len(attempts) > 1
        failures += 0 if ok else 1
        record = {'run': name, 'flags': flags, 'inputs': kind, 'attempts': attempts, 'ok': ok,
                  'input_bytes': sum(os.path.getsize(inputs[i]) for i in range(1, len(inputs), 2))}
        if args.json:
            print(json.dumps(record), flush=True)
        else:
            last = attempts[-1]
            print('%-28s %s  limit %4d MiB  peak %6.1f MiB (%5.1f %%)  %5.1f s%s%s' % (
                name, 'ok  ' if ok else 'FAIL', last['limit'] >> 20, last['peak'] / 2 ** 20,
                100.0 * last['peak'] / last['limit'], last['seconds'],
                '  (refused at %d MiB, named %d MiB)' % (attempts[0]['limit'] >> 20, last['limit'] >> 20) if refused else '',
                '' if code == 0 else '  exit %d: %s' % (code, err.strip().splitlines()[-1] if err.strip() else '')), flush=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
