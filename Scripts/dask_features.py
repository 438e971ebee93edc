#!/usr/bin/env python3
"""Runs `tickforge features` on a Dask cluster: the ingest of every input file is spread over the
cluster's workers as `tickforge shard` tasks, then `tickforge finish` writes exactly the outputs
`tickforge features` would (features.csv, targets.csv, features.json, targets.json).

Usage:
  Scripts/dask_features.py [--scheduler ADDRESS | --workers N] [--shard-size SIZE] [--retries R]
                           [--binary PATH] -- <tickforge features options>
  Scripts/dask_features.py [--scheduler ADDRESS | --workers N] [--shard-size SIZE] [--retries R]
                           [--binary PATH] --tree ROOT --out-root OUTROOT [--symbols A,B]
                           [-- <tickforge features options but --trades, --quotes and --out>]

  --scheduler   a running Dask scheduler (tcp://host:8786); every worker must see the inputs,
                the output directory and the binary at the same paths as this machine, and
                this script's working directory.
  --workers     without --scheduler: a LocalCluster of N worker processes, one thread each
                (default: this machine's cores).
  --shard-size  input bytes per shard, as `tickforge plan --shard-size` (e.g. 64MiB; default
                tickforge's).
  --retries     how often a failed shard or finish is run again (default 3); a worker process
                that dies mid-shard counts too (the scheduler's allowed-failures is raised to
                at least this).
  --binary      tickforge (default: $TICKFORGE_BINARY, else <repo>/.build/release/tickforge).
  --tree        a data.binance.vision-style tree: every folder whose parent is named `trades`
                or `aggTrades` is a symbol (ROOT/data/futures/um/daily/trades/BTCUSDT/...), with
                the quotes of the same path under `bookTicker` when that folder exists. Each
                symbol is its own run, written to OUTROOT/SYMBOL.
  --symbols     only these symbols of the tree.

One run: `tickforge plan --json` (in the current directory), one Dask task per shard running
`tickforge shard DIR --index K --json --workers 1`, and when every shard has finished a task
running `tickforge finish DIR`, whose output is printed. Many symbols: the plans of all symbols
first, then every shard of every symbol on the cluster at once; each symbol's finish starts as
soon as that symbol's shards are done. A shard's tickforge process dies with the worker process
that started it (PR_SET_PDEATHSIG); the shard is idempotent and resumes, so the scheduler runs it
again elsewhere.

Progress goes to stderr, a line per shard; at the end a summary line on stderr and one JSON
object on stdout (the last line): runs, shards, retries (attempts run again after a failure or a
lost worker), workers lost, the largest peak RSS of a shard, and the wall times of the plan,
shards and finish phases.

Exit status: 0 when every run finished; 1 when a plan, a shard (after its retries) or a finish
failed (no finish is run for a run whose shard failed); 2 on usage errors.

Dask and distributed come from PyPI into a venv made on first use (<repo>/.venv-dask, or
$TICKFORGE_DASK_VENV), in which this script then runs.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import script_venv  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.environ.get("TICKFORGE_DASK_VENV") or os.path.join(ROOT, ".venv-dask")
PACKAGES = ["dask==2026.8.0", "distributed==2026.8.0"]
script_venv.ensure("dask_features", VENV, PACKAGES)

import argparse  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

NAME = "dask_features"
# The scheduler's event topic on which every task attempt says that it started.
START_TOPIC = "tickforge-dask-start"
# A shard whose lock is still held (its earlier attempt's process is still dying) is tried again
# for this long inside the same task before the task fails.
LOCK_WAIT_SECONDS = 60


class UsageError(Exception):
    pass


def log(message):
    print(f"{NAME}: {message}", file=sys.stderr, flush=True)


def mib(n):
    return f"{n / 1048576:.0f} MiB"


# ---------------------------------------------------------------------------------------------
# What runs on the workers. Plain functions of this module: cloudpickle sends them by value.

def _die_with_parent():
    """A preexec_fn that makes the child get SIGKILL when the thread that started it dies (the
    worker process killed, or its machine gone), and exits at once if that already happened."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    parent = os.getpid()
    PR_SET_PDEATHSIG = 1

    def preexec():
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)
    return preexec


def _run_tickforge(arguments):
    """Runs tickforge to its end; returns (status, stdout, stderr, seconds)."""
    started = time.monotonic()
    process = subprocess.run(arguments, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, preexec_fn=_die_with_parent())
    return (process.returncode, process.stdout.decode("utf-8", "replace"),
            process.stderr.decode("utf-8", "replace"), time.monotonic() - started)


def _failure(arguments, status, stderr):
    if status >= 0:
        what = f"exited {status}"
    else:
        try:
            what = f"was killed by {signal.Signals(-status).name}"
        except ValueError:
            what = f"was killed by signal {-status}"
    tail = "\n".join(stderr.strip().splitlines()[-15:])
    return RuntimeError(f"{' '.join(arguments)} {what}: {tail}")


def _worker_address():
    try:
        from distributed import get_worker
        return get_worker().address
    except Exception:
        return None


def _record_start():
    """Tells the scheduler, and waits until it has heard, that this attempt started: a task
    moved off a lost worker before it started there is not a retry. (Not a worker event: those
    are batched and die with a worker killed soon after.)"""
    try:
        from distributed import get_client, get_worker
        worker = get_worker()
        get_client().log_event(START_TOPIC, {"key": str(worker.get_current_task()), "worker": worker.address})
    except Exception:
        pass


def shard_task(binary, directory, index):
    """`tickforge shard DIR --index K --json --workers 1`: its JSON, plus where and how long."""
    _record_start()
    arguments = [binary, "shard", directory, "--index", str(index), "--json", "--workers", "1"]
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        status, stdout, stderr, seconds = _run_tickforge(arguments)
        # The attempt before this one, on a worker that died, may still hold the shard's lock
        # for a moment: wait for it rather than spend a retry.
        if status == 1 and "is already running" in stderr and time.monotonic() < deadline:
            time.sleep(0.2)
            continue
        break
    if status != 0:
        raise _failure(arguments, status, stderr)
    result = json.loads(stdout.strip().splitlines()[-1])
    result["task_seconds"] = seconds
    result["worker"] = _worker_address()
    return result


def finish_task(binary, directory):
    """`tickforge finish DIR`: its output, and how long it took."""
    _record_start()
    arguments = [binary, "finish", directory]
    status, stdout, stderr, seconds = _run_tickforge(arguments)
    if status != 0:
        raise _failure(arguments, status, stderr)
    return {"stdout": stdout, "stderr": stderr, "seconds": seconds, "worker": _worker_address()}


def _scheduler_report(dask_scheduler, keys, prefixes):
    """On the scheduler: for each key, (retries left, deaths of workers it was on, attempts
    started); and the workers that died (were removed unexpectedly) while they had a task whose
    key starts with one of `prefixes`."""
    starts = dict.fromkeys(keys, 0)
    for _, event in dask_scheduler.get_events(START_TOPIC):
        if isinstance(event, dict) and event.get("key") in starts:
            starts[event["key"]] += 1
    tasks = {}
    for key in keys:
        task = dask_scheduler.tasks.get(key)
        if task is not None:
            tasks[key] = (task.retries, task.suspicious, starts[key])
    lost = []
    for _, event in dask_scheduler.get_events("all"):
        if (isinstance(event, dict) and event.get("action") == "remove-worker" and not event.get("expected")
                and any(str(key).startswith(prefixes) for key in event.get("processing-tasks", ()))):
            lost.append(event.get("worker"))
    return tasks, lost


def _scheduler_allow_failures(dask_scheduler, count):
    """On the scheduler: let a task outlive at least `count` dead workers; returns the value."""
    dask_scheduler.allowed_failures = max(dask_scheduler.allowed_failures, count)
    return dask_scheduler.allowed_failures


# ---------------------------------------------------------------------------------------------
# The command line.

def split_arguments(argv):
    if "--" in argv:
        at = argv.index("--")
        return argv[:at], argv[at + 1:], True
    return argv, [], False


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        raise UsageError(message)


def parse(argv):
    own, features, dashed = split_arguments(argv)
    parser = Parser(prog="dask_features.py", description=__doc__.split("\n\n")[0],
                    usage="%(prog)s [--scheduler ADDRESS | --workers N] [--shard-size SIZE] [--retries R] "
                          "[--binary PATH] [--tree ROOT --out-root OUTROOT [--symbols A,B]] -- <tickforge features options>")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler")
    where.add_argument("--workers", type=int, metavar="N", help="worker processes of a LocalCluster (default: cores)")
    parser.add_argument("--shard-size", metavar="SIZE", help="input bytes per shard (tickforge plan --shard-size)")
    parser.add_argument("--retries", type=int, default=3, metavar="R", help="runs again of a failed task (default 3)")
    parser.add_argument("--binary", metavar="PATH", help="tickforge (default: $TICKFORGE_BINARY, else <repo>/.build/release/tickforge)")
    parser.add_argument("--tree", metavar="ROOT", help="a data.binance.vision-style tree: one run per symbol")
    parser.add_argument("--out-root", metavar="OUTROOT", help="with --tree: each symbol's run goes to OUTROOT/SYMBOL")
    parser.add_argument("--symbols", metavar="A,B", help="with --tree: only these symbols")
    args = parser.parse_args(own)
    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.retries < 0:
        parser.error("--retries must be 0 or more")
    if args.tree is None:
        if args.out_root is not None or args.symbols is not None:
            parser.error("--out-root and --symbols go with --tree")
        if not dashed or not features:
            parser.error("give the options of `tickforge features` after --, e.g. -- --trades DIR --out OUT")
    else:
        if args.out_root is None:
            parser.error("--tree needs --out-root OUTROOT (each symbol's run goes to OUTROOT/SYMBOL)")
        for option in features:
            name = option.split("=", 1)[0]
            if name in ("--trades", "--quotes", "--out"):
                parser.error(f"with --tree the features options must not contain {name}: each symbol's "
                             "--trades, --quotes and --out come from the tree and --out-root")
    args.features = features
    return args


def find_binary(given):
    binary = given or os.environ.get("TICKFORGE_BINARY") or os.path.join(ROOT, ".build", "release", "tickforge")
    binary = os.path.abspath(binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise UsageError(f"no tickforge binary at {binary}: build it with "
                         f"`cd {ROOT} && swift build -c release --product tickforge`, or give --binary PATH "
                         "(or set TICKFORGE_BINARY)")
    return binary


def symbols_of_tree(root, only):
    """{SYMBOL: (trades folder, bookTicker folder or None)} of a data.binance.vision-style tree."""
    if not os.path.isdir(root):
        raise UsageError(f"--tree {root} is not a folder")
    found = {}
    for folder, subfolders, _ in os.walk(root):
        subfolders.sort()
        parent = os.path.basename(os.path.dirname(folder))
        if parent in ("trades", "aggTrades") and folder != root:
            symbol = os.path.basename(folder)
            found.setdefault(symbol, []).append(folder)
    runs = {}
    for symbol, folders in sorted(found.items()):
        if len(folders) > 1:
            raise UsageError(f"symbol {symbol} is in {len(folders)} folders of the tree ({', '.join(folders)}): "
                             "give --tree a narrower ROOT (one market and one of daily or monthly, e.g. "
                             "ROOT/data/futures/um/daily), so that each symbol is one run")
        trades = folders[0]
        kind = os.path.dirname(trades)
        quotes = os.path.join(os.path.dirname(kind), "bookTicker", symbol)
        runs[symbol] = (trades, quotes if os.path.isdir(quotes) else None)
    if only is not None:
        wanted = [s.strip() for s in only.split(",") if s.strip()]
        missing = [s for s in wanted if s not in runs]
        if missing:
            raise UsageError(f"--symbols {', '.join(missing)}: not in the tree {root} "
                             f"(it has {', '.join(runs) or 'no symbol'})")
        runs = {s: runs[s] for s in wanted}
    if not runs:
        raise UsageError(f"--tree {root} has no symbol folder (a folder whose parent is named trades or aggTrades)")
    return runs


# ---------------------------------------------------------------------------------------------
# The client side.

class Run:
    """One planned features run: its shards and, once they are done, its finish."""

    def __init__(self, name, plan):
        self.name = name
        # Absolute: a worker's tickforge starts in that worker's directory (it then moves to
        # the plan's, where the plan's own relative paths hold).
        self.out = os.path.abspath(plan["out"])
        self.shards = plan["shards"]
        self.bytes = plan["bytes"]
        self.files = plan["files"]
        with open(plan["plan"]) as f:
            self.plan_id = json.load(f)["id"]
        self.done = {}
        self.failed = {}
        self.finish = None
        self.finish_error = None
        self.started = None
        self.shards_seconds = None
        self.finish_submitted = None
        self.finish_seconds = None

    @property
    def key_prefix(self):
        return f"{self.name}-{self.plan_id}"


def make_plan(binary, shard_size, features):
    arguments = [binary, "plan", "--json"] + (["--shard-size", shard_size] if shard_size else []) + features
    process = subprocess.run(arguments, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if process.returncode != 0:
        sys.stderr.write(process.stderr.decode("utf-8", "replace"))
        # ArgumentParser's validation errors exit 64.
        if process.returncode == 64:
            raise UsageError("tickforge plan refused the options (above)")
        raise SystemExit(f"{NAME}: tickforge plan failed (exit {process.returncode}); nothing was run")
    return json.loads(process.stdout.decode().strip().splitlines()[-1])


def main(argv):
    args = parse(argv)
    binary = find_binary(args.binary)
    if args.tree is not None:
        runs_wanted = [(symbol, ["--trades", trades] + (["--quotes", quotes] if quotes else [])
                        + ["--out", os.path.join(args.out_root, symbol)] + args.features)
                       for symbol, (trades, quotes) in symbols_of_tree(args.tree, args.symbols).items()]
    else:
        runs_wanted = [(None, args.features)]

    started = time.monotonic()
    runs = []
    for symbol, features in runs_wanted:
        plan = make_plan(binary, args.shard_size, features)
        name = symbol or os.path.basename(os.path.normpath(plan["out"])) or "run"
        run = Run(name, plan)
        runs.append(run)
        log(f"{name}: planned {run.shards} shard{'s' if run.shards != 1 else ''} of {run.files} "
            f"file{'s' if run.files != 1 else ''} ({run.bytes / 1e6:.1f} MB) in {run.out}")
    plan_seconds = time.monotonic() - started

    import dask
    from distributed import Client, LocalCluster, as_completed

    # A worker that dies mid-task makes the task "suspicious"; the scheduler gives up on it
    # (KilledWorker) after allowed-failures deaths. Each death should cost at most one retry.
    allowed = max(args.retries, dask.config.get("distributed.scheduler.allowed-failures"))
    dask.config.set({"distributed.scheduler.allowed-failures": allowed})
    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        workers = args.workers or os.cpu_count() or 1
        # Shards beyond twice the threads wait on the scheduler, not queued on a worker (where
        # they would be lost with it and no idle worker could take them): Dask's queuing, at
        # one task per thread.
        dask.config.set({"distributed.scheduler.worker-saturation": 1.0})
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        client = Client(cluster)
    try:
        client.run_on_scheduler(_scheduler_allow_failures, count=allowed)
        log(f"cluster: {len(client.scheduler_info()['workers'])} workers at {client.scheduler.address}")
        return drive(client, as_completed, binary, runs, args.retries, started, plan_seconds)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def error_of(future):
    """Why a future did not finish (an erred task's exception, or its cancellation)."""
    try:
        return future.exception()
    except BaseException as error:  # a cancelled future raises CancelledError
        return f"{type(error).__name__} (the task is {future.status}) {error}".rstrip()


def ordinal(n):
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def drive(client, as_completed, binary, runs, retries, started, plan_seconds):
    """Submits every shard of every run, each run's finish once its shards are done, and
    reports as they end. Returns the exit status."""
    total = sum(run.shards for run in runs)
    prefixes = tuple(prefix for run in runs for prefix in (f"shard-{run.key_prefix}-", f"finish-{run.key_prefix}"))
    tasks = {}
    futures = []
    shards_started = time.monotonic()
    for run in runs:
        run.started = shards_started
        for index in range(run.shards):
            key = f"shard-{run.key_prefix}-{index}"
            futures.append(client.submit(shard_task, binary, run.out, index, key=key, pure=False, retries=retries))
            tasks[key] = (run, index)
    pending = as_completed(futures, with_results=False)
    del futures
    done = 0
    retried = 0
    moved = 0
    lost = []
    peak = 0
    shards_end = None
    many = len(runs) > 1

    def attempts(future):
        """A note on the attempts before the one that ended ("" when it was the first)."""
        nonlocal retried, moved, lost
        states, lost = client.run_on_scheduler(_scheduler_report, keys=[future.key], prefixes=prefixes)
        left, deaths, starts = states.get(future.key, (retries, 0, 1))
        failed = retries - left
        # A lost worker may have had the task waiting, not started: the scheduler counts that
        # against allowed-failures too, but nothing was run again.
        killed = max(0, min(deaths, starts - 1 - failed))
        waiting = deaths - killed
        retried += failed + killed
        moved += waiting
        notes = []
        if failed or killed:
            causes = ([f"{failed} failed"] if failed else []) + \
                ([f"{killed} lost with {'its worker' if killed == 1 else 'their workers'}"] if killed else [])
            notes.append(f"{ordinal(failed + killed + 1)} attempt; earlier: {', '.join(causes)}")
        if waiting:
            notes.append(f"moved {'once' if waiting == 1 else f'{waiting} times'} from a lost worker before it started")
        return f" ({'; '.join(notes)})" if notes else ""

    for future in pending:
        run, index = tasks[future.key]
        again = attempts(future)
        if index is not None:
            done += 1
            label = f"{run.name} shard {index}/{run.shards}" if many else f"shard {index}/{run.shards}"
            if future.status == "finished":
                result = future.result()
                run.done[index] = result
                peak = max(peak, result["peak_resident_bytes"])
                log(f"{label} done in {result['wall_seconds']:.2f} s, peak {mib(result['peak_resident_bytes'])}, "
                    f"{result['partitions_written']} tick partitions written, {result['partitions_reused']} reused{again}; "
                    f"{done}/{total} shards done, retries so far {retried}, lost workers {len(lost)}")
            else:
                run.failed[index] = error_of(future)
                log(f"{label} FAILED{again}: {run.failed[index]}")
            # Forgotten by the scheduler: a worker lost later holds no result to compute again.
            future.release()
            if len(run.done) + len(run.failed) == run.shards:
                run.shards_seconds = time.monotonic() - run.started
                if run.failed:
                    log(f"{run.name}: {len(run.failed)} of {run.shards} shards failed "
                        f"({', '.join(map(str, sorted(run.failed)))}); not finishing it")
                else:
                    log(f"{run.name}: all {run.shards} shards done in {run.shards_seconds:.1f} s; finishing")
                    run.finish_submitted = time.monotonic()
                    key = f"finish-{run.key_prefix}"
                    run.finish = client.submit(finish_task, binary, run.out, key=key, pure=False, retries=retries)
                    tasks[key] = (run, None)
                    pending.add(run.finish)
            if done == total:
                shards_end = time.monotonic()
        else:
            run.finish_seconds = time.monotonic() - run.finish_submitted
            if future.status == "finished":
                result = future.result()
                sys.stdout.write(result["stdout"])
                sys.stdout.flush()
                log(f"{run.name}: finish done in {result['seconds']:.1f} s{again} ({run.out})")
            else:
                run.finish_error = error_of(future)
                log(f"{run.name}: finish FAILED{again}: {run.finish_error}")
            future.release()
    end = time.monotonic()
    shards_end = shards_end or end
    failed = [run for run in runs if run.failed or run.finish_error is not None]
    summary = {
        "runs": [{"name": run.name, "out": run.out, "shards": run.shards, "bytes": run.bytes,
                  "shards_failed": sorted(run.failed), "shards_seconds": round(run.shards_seconds or 0, 3),
                  "finish_seconds": None if run.finish_seconds is None else round(run.finish_seconds, 3),
                  "finished": run.finish is not None and run.finish_error is None} for run in runs],
        "shards": total,
        "retries": retried,
        "lost_workers": len(lost),
        "moved_from_lost_workers": moved,
        "max_shard_peak_resident_bytes": peak,
        "plan_seconds": round(plan_seconds, 3),
        "shards_phase_seconds": round(shards_end - shards_started, 3),
        "finish_phase_seconds": round(end - shards_end, 3),
        "total_seconds": round(end - started, 3),
        "ok": not failed,
    }
    log(f"{total} shard{'s' if total != 1 else ''} of {len(runs)} run{'s' if len(runs) != 1 else ''}: "
        f"plan {plan_seconds:.1f} s, shards {shards_end - shards_started:.1f} s (largest peak RSS {mib(peak)}, "
        f"retries {retried}, lost workers {len(lost)}{f', {moved} moved off them before starting' if moved else ''}), finish {end - shards_end:.1f} s, total {end - started:.1f} s")
    print(json.dumps(summary, sort_keys=True), flush=True)
    if failed:
        log("FAILED: " + "; ".join(
            f"{run.name}: " + (f"shard{'s' if len(run.failed) > 1 else ''} {', '.join(map(str, sorted(run.failed)))} "
                               f"failed after {retries} retr{'y' if retries == 1 else 'ies'}, so it was not finished"
                               if run.failed else "its finish failed") for run in failed))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except UsageError as error:
        print(f"{NAME}: error: {error}", file=sys.stderr)
        sys.exit(2)
