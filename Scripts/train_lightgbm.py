#!/usr/bin/env python3
"""Trains LightGBM on a tickforge run, fold by fold of its splits.json, and shows how much a leaky
(shuffled) split would flatter the same model.

Usage:
  python3 Scripts/train_lightgbm.py DIR [--horizon H ...] [--quick] [--max-rows N] [--seed S]
                                        [--threads T] [--format auto|csv|parquet]
                                        [--rounds R] [--num-leaves L]
  python3 Scripts/train_lightgbm.py --self-test

DIR is the --out directory of `tickforge features ... --splits METHOD` (docs/FEATURES.md):
features.parquet/targets.parquet when both are there (else features.csv/targets.csv),
features.json/targets.json and splits.json.

For every fold of splits.json and every horizon h (all of the run's, or those given by --horizon):
  * features: every column of the features file but `timestamp`; undefined cells stay missing
    (NaN), which LightGBM treats as missing values;
  * targets: fwd_up_{h} (binary) and fwd_dir_{h} (-1/0/1, three classes); rows whose target is
    undefined (the last h rows of the run) are dropped from train and test;
  * a model is trained on the fold's train rows and scored on its test rows (holdout's
    validation set is not used: there is no early stopping);
  * metrics, each next to the majority-class baseline (the train labels' most frequent class,
    the smallest label on a tie, predicted for every test row with certainty):
      AUC       binary: rank AUC (ties count one half); fwd_dir: macro one-vs-rest AUC, the mean
                over the classes that occur in the test rows and do not make up all of them
                ("n/a" when there is none, e.g. a test set with one class);
      F1        binary: F1 of class 1; fwd_dir: macro F1 over the classes that occur in the test
                labels or the predictions (as scikit-learn's average="macro"); a class with no
                true and no predicted row scores 0;
      accuracy  the share of test rows predicted right (binary: probability > 0.5; fwd_dir: the
                most probable class).
Then the same again on a shuffled split: for each fold, as many train and test rows as the real
fold, drawn at random (seeded) from the rows where the target is defined, with no purge and no
embargo: neighbouring bars, whose forward windows overlap, land on both sides, and the scores show
what that leakage is worth.
Means are over the folds whose metric is defined.

--quick (for CI) trains 20 rounds of 7 leaves; the default is 200 rounds of 31 leaves, learning
rate 0.05. --max-rows N keeps N rows drawn at random (seeded, so the same rows every time) before
anything else; the folds are the splits' sets restricted to them, so purge and embargo still hold.
Deterministic: LightGBM runs with deterministic=true, force_row_wise, a fixed seed and a fixed
thread count (--threads, default 2); the same inputs and options print the same numbers.

LightGBM, numpy and pyarrow live in a venv (.venv-train/ in the repository root, or
$TICKFORGE_TRAIN_VENV), made with pinned versions on first use and reused after; the script runs
itself again with the venv's python. pyarrow reads both the Parquet and the CSV files, so neither
pandas nor polars is needed. --self-test checks the metric functions against brute-force
definitions (pair counts for AUC, confusion counts for F1) and exits.

Exit status: 0 on success, 2 on a usage or input error (the message says what to do).
"""
import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import script_venv  # noqa: E402

PACKAGES = ["lightgbm==4.7.0", "numpy==2.4.6", "scipy==1.17.1", "narwhals==2.29.0", "pyarrow==26.0.1"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.abspath(os.environ.get("TICKFORGE_TRAIN_VENV", os.path.join(ROOT, ".venv-train")))

QUICK = {"rounds": 20, "num_leaves": 7, "learning_rate": 0.1}
FULL = {"rounds": 200, "num_leaves": 31, "learning_rate": 0.05}


class InputError(Exception):
    """A problem with the run directory or the options: printed as is, exit status 2."""


def log(message):
    print(f"train_lightgbm: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The venv


def ensure_venv():
    """Re-runs this script with the venv's python (Scripts/script_venv.py makes it if needed)."""
    script_venv.ensure("train_lightgbm", VENV, PACKAGES)


# ---------------------------------------------------------------------------------------------
# Options and the run directory (standard library only: checked before the venv is made)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="train_lightgbm.py",
        description="Train LightGBM on a tickforge run fold by fold (splits.json), print AUC, F1 and accuracy "
                    "against the majority-class baseline, and compare with a leaky shuffled split.",
        epilog="Run `tickforge features --trades ... --out DIR --splits walk-forward:5` first. "
               "Details: the docstring at the top of this file.")
    parser.add_argument("dir", nargs="?", help="the run directory (tickforge features --out DIR --splits METHOD)")
    parser.add_argument("--horizon", type=int, action="append", metavar="H",
                        help="a target horizon in bars (repeat for several; default: every horizon of the run)")
    parser.add_argument("--quick", action="store_true",
                        help=f"few rounds of small trees, for CI ({QUICK['rounds']} rounds, {QUICK['num_leaves']} leaves)")
    parser.add_argument("--max-rows", type=int, metavar="N",
                        help="use at most N rows, drawn at random with the seed (the same rows every time)")
    parser.add_argument("--seed", type=int, default=42, help="seed of LightGBM, the subsample and the shuffled split (default 42)")
    parser.add_argument("--threads", type=int, default=2, help="LightGBM threads (default 2)")
    parser.add_argument("--format", choices=["auto", "csv", "parquet"], default="auto",
                        help="which files to read (default auto: Parquet when both Parquet files are there, else CSV)")
    parser.add_argument("--rounds", type=int, help="boosting rounds (default 200, or 20 with --quick)")
    parser.add_argument("--num-leaves", type=int, help="leaves per tree (default 31, or 7 with --quick)")
    parser.add_argument("--self-test", action="store_true", help="check the metric functions against brute force and exit")
    args = parser.parse_args(argv)
    if not args.self_test and args.dir is None:
        parser.error("the run directory DIR is required (or --self-test)")
    for name in ("max_rows", "rounds", "num_leaves", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.num_leaves is not None and args.num_leaves < 2:
        parser.error("--num-leaves must be at least 2")
    return args


class Run:
    """What the run directory holds, read with the standard library: which files to use, the
    splits, the horizons of the targets."""

    def __init__(self, directory, fmt, horizons):
        self.dir = directory
        if not os.path.isdir(directory):
            raise InputError(f"{directory} is not a directory: give the --out directory of `tickforge features`")
        splits = os.path.join(directory, "splits.json")
        if not os.path.exists(splits):
            raise InputError(f"{directory} has no splits.json: run tickforge features with --splits METHOD "
                             f"(e.g. --splits walk-forward:5 or kfold:5) to write the folds this script trains on")
        with open(splits) as f:
            self.splits = json.load(f)
        if self.splits.get("format_version") != 1:
            raise InputError(f"{splits}: format_version {self.splits.get('format_version')!r}, this script reads 1")

        def present(kind):
            return all(os.path.exists(os.path.join(directory, f"{name}.{kind}")) for name in ("features", "targets"))
        if fmt == "auto":
            fmt = "parquet" if present("parquet") else "csv"
        if not present(fmt):
            raise InputError(f"{directory} has no features.{fmt} and targets.{fmt}"
                             + (" (run tickforge features with --format parquet or both)" if fmt == "parquet" else
                                " (run tickforge features with --format csv or both)"))
        self.format = fmt
        self.features_path = os.path.join(directory, f"features.{fmt}")
        self.targets_path = os.path.join(directory, f"targets.{fmt}")

        targets_json = os.path.join(directory, "targets.json")
        if not os.path.exists(targets_json):
            raise InputError(f"{directory} has no targets.json: not a complete tickforge features run")
        with open(targets_json) as f:
            metadata = json.load(f)
        columns = metadata["columns"]
        self.threshold_bps = metadata.get("flags", {}).get("threshold_bps", "?")
        names = {c["name"] for c in columns}
        available = sorted({c["horizon_bars"] for c in columns
                            if c.get("group") == "target" and "horizon_bars" in c
                            and f"fwd_up_{c['horizon_bars']}" in names and f"fwd_dir_{c['horizon_bars']}" in names})
        if not available:
            raise InputError(f"{targets_json} lists no fwd_up_{{h}}/fwd_dir_{{h}} targets")
        if horizons:
            unknown = [h for h in horizons if h not in available]
            if unknown:
                raise InputError(f"--horizon {', '.join(map(str, unknown))}: this run has no such target "
                                 f"(its horizons: {', '.join(map(str, available))}; tickforge features --horizons sets them)")
            self.horizons = list(dict.fromkeys(horizons))
        else:
            self.horizons = available


# ---------------------------------------------------------------------------------------------
# Metrics (numpy; checked by --self-test against the brute-force versions below)


def auc(y, score):
    """Rank AUC of binary labels y (0/1) and scores: P(score of a positive > score of a negative),
    ties counting one half (the Mann-Whitney U with average ranks). NaN when y has one class."""
    import numpy as np
    y = np.asarray(y).astype(bool)
    score = np.asarray(score, dtype=np.float64)
    positives = int(y.sum())
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        return math.nan
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    # Average rank (1-based) of each distinct value: the ranks it spans, first to last, halved.
    ends = np.cumsum(counts)
    average = ends - (counts - 1) / 2.0
    rank_sum = average[inverse][y].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def macro_ovr_auc(y, proba, classes):
    """Mean of the one-vs-rest AUCs of the classes (column j of proba belongs to classes[j]) for
    which the test labels hold both that class and another; NaN when none does."""
    import numpy as np
    y = np.asarray(y)
    values = [auc(y == c, proba[:, j]) for j, c in enumerate(classes)]
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


def f1_of(y, predicted, label):
    """F1 of one class: 2 TP / (2 TP + FP + FN); 0 when the class is neither true nor predicted."""
    import numpy as np
    y = np.asarray(y)
    predicted = np.asarray(predicted)
    tp = int(np.sum((y == label) & (predicted == label)))
    fp = int(np.sum((y != label) & (predicted == label)))
    fn = int(np.sum((y == label) & (predicted != label)))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def macro_f1(y, predicted):
    """Mean F1 over the classes that occur in y or in the predictions."""
    import numpy as np
    labels = np.union1d(np.unique(y), np.unique(predicted))
    return float(np.mean([f1_of(y, predicted, label) for label in labels]))


def accuracy(y, predicted):
    import numpy as np
    y = np.asarray(y)
    return float(np.mean(y == np.asarray(predicted))) if y.size else math.nan


def majority(labels):
    """The most frequent label, the smallest on a tie."""
    import numpy as np
    values, counts = np.unique(labels, return_counts=True)
    return values[int(np.argmax(counts))]  # argmax takes the first maximum: values are sorted


def scores(kind, y, proba, classes):
    """(AUC, F1, accuracy) of predicted probabilities: a vector P(1) for binary, a matrix with one
    column per class for fwd_dir."""
    import numpy as np
    if kind == "binary":
        predicted = (proba > 0.5).astype(np.int64)
        return auc(y, proba), f1_of(y, predicted, 1), accuracy(y, predicted)
    predicted = np.asarray(classes)[np.argmax(proba, axis=1)]
    return macro_ovr_auc(y, proba, classes), macro_f1(y, predicted), accuracy(y, predicted)


def baseline_scores(kind, y_train, y_test, classes):
    """The scores of predicting the train set's majority class for every test row, with certainty."""
    import numpy as np
    label = majority(y_train)
    if kind == "binary":
        proba = np.full(len(y_test), float(label))
    else:
        proba = np.zeros((len(y_test), len(classes)))
        proba[:, list(classes).index(label)] = 1.0
    return scores(kind, y_test, proba, classes)


# Brute force, for the self-test: definitions written out, no numpy tricks.

def brute_auc(y, score):
    pos = [s for s, t in zip(score, y) if t]
    neg = [s for s, t in zip(score, y) if not t]
    if not pos or not neg:
        return math.nan
    total = 0.0
    for p in pos:
        for n in neg:
            total += 1.0 if p > n else 0.5 if p == n else 0.0
    return total / (len(pos) * len(neg))


def brute_f1(y, predicted, label):
    tp = sum(1 for t, p in zip(y, predicted) if t == label and p == label)
    fp = sum(1 for t, p in zip(y, predicted) if t != label and p == label)
    fn = sum(1 for t, p in zip(y, predicted) if t == label and p != label)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def self_test():
    import numpy as np
    failures = []
    checked = 0

    def check(name, got, want, tolerance=1e-12):
        nonlocal checked
        checked += 1
        same = (math.isnan(got) and math.isnan(want)) or abs(got - want) <= tolerance
        if not same:
            failures.append(f"{name}: got {got!r}, want {want!r}")

    # Hand-computed cases.
    check("auc textbook", auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75)
    check("auc all tied", auc([0, 1, 0, 1, 1], [0.3] * 5), 0.5)
    check("auc one tie across classes", auc([0, 1], [0.5, 0.5]), 0.5)
    check("auc perfect", auc([0, 0, 1], [0.1, 0.2, 0.9]), 1.0)
    check("auc reversed", auc([1, 1, 0], [0.1, 0.2, 0.9]), 0.0)
    check("auc one class", auc([1, 1, 1], [0.1, 0.2, 0.9]), math.nan)
    # pos {0.5, 0.7}, neg {0.5, 0.2, 0.7}: 0.5 vs (tie .5, win, lose) = 1.5; 0.7 vs (win, win, tie) = 2.5
    check("auc ties hand", auc([1, 0, 0, 1, 0], [0.5, 0.5, 0.2, 0.7, 0.7]), 4.0 / 6.0)
    check("f1 hand", f1_of([1, 1, 0, 0, 1], [1, 0, 1, 0, 1], 1), 2 * 2 / (2 * 2 + 1 + 1))
    check("f1 nothing predicted", f1_of([1, 0, 1], [0, 0, 0], 1), 0.0)
    check("f1 class absent", f1_of([0, 0], [0, 0], 1), 0.0)
    check("accuracy hand", accuracy([1, 0, 1, 1], [1, 1, 1, 0]), 0.5)
    # macro F1 over {-1, 0, 1}: class -1: tp1 fp0 fn1 -> 2/3; class 0: tp1 fp2 fn0 -> 1/2; class 1: tp1 fp0 fn1 -> 2/3
    check("macro f1 hand", macro_f1(np.array([-1, -1, 0, 1, 1]), np.array([-1, 0, 0, 1, 0])),
          (2 / 3 + 1 / 2 + 2 / 3) / 3)
    check("majority tie takes the smallest", float(majority(np.array([1, 0, 1, 0]))), 0.0)
    check("majority", float(majority(np.array([-1, 1, 1, 0]))), 1.0)
    base = baseline_scores("binary", np.array([1, 1, 0]), np.array([1, 0, 1, 1]), [0, 1])
    check("baseline auc", base[0], 0.5)
    check("baseline f1 (predicts 1: precision 3/4, recall 1)", base[1], 2 * 0.75 / 1.75)
    check("baseline accuracy", base[2], 0.75)
    base = baseline_scores("multiclass", np.array([0, 0, 1, -1]), np.array([1, 0, -1, 0]), [-1, 0, 1])
    check("baseline multiclass auc", base[0], 0.5)
    check("baseline multiclass f1 (class 0: 2/3, -1 and 1: 0)", base[1], (2 / 3) / 3)
    check("baseline multiclass accuracy", base[2], 0.5)

    # Random cases with many ties, against the brute-force definitions.
    rng = np.random.default_rng(7)
    for trial in range(300):
        n = int(rng.integers(2, 60))
        y = rng.integers(0, 2, n)
        score = rng.integers(0, int(rng.integers(1, 8)), n) / 4.0  # few distinct values: ties
        check(f"auc random {trial}", auc(y, score), brute_auc(y.tolist(), score.tolist()))
        predicted = rng.integers(0, 2, n)
        check(f"f1 random {trial}", f1_of(y, predicted, 1), brute_f1(y.tolist(), predicted.tolist(), 1))
        check(f"accuracy random {trial}", accuracy(y, predicted), sum(a == b for a, b in zip(y, predicted)) / n)
        y3 = rng.integers(-1, 2, n)
        proba = rng.integers(0, 4, (n, 3)).astype(np.float64)
        want = [brute_auc([t == c for t in y3.tolist()], proba[:, j].tolist()) for j, c in enumerate([-1, 0, 1])]
        want = [w for w in want if not math.isnan(w)]
        check(f"macro auc random {trial}", macro_ovr_auc(y3, proba, [-1, 0, 1]), sum(want) / len(want) if want else math.nan)
        predicted3 = rng.integers(-1, 2, n)
        labels = sorted(set(y3.tolist()) | set(predicted3.tolist()))
        check(f"macro f1 random {trial}", macro_f1(y3, predicted3),
              sum(brute_f1(y3.tolist(), predicted3.tolist(), c) for c in labels) / len(labels))
    # A large case: the rank formula in floating point against exact pair counting by sorting.
    y = rng.integers(0, 2, 200_000)
    score = rng.integers(0, 1000, 200_000).astype(np.float64)
    pos, neg = np.sort(score[y == 1]), np.sort(score[y == 0])
    below = np.searchsorted(neg, pos, side="left")
    equal = np.searchsorted(neg, pos, side="right") - below
    check("auc large", auc(y, score), float((below.sum() + 0.5 * equal.sum()) / (pos.size * neg.size)), 1e-9)

    if failures:
        for failure in failures[:20]:
            print(f"FAIL {failure}")
        print(f"self-test: {checked - len(failures)} passed, {len(failures)} failed")
        return 1
    print(f"self-test: {checked} passed, 0 failed")
    return 0


# ---------------------------------------------------------------------------------------------
# Data


def read_table(path, fmt):
    """A pyarrow Table whose columns (but `timestamp`) are float64 with nulls for undefined cells."""
    import pyarrow as pa
    if fmt == "parquet":
        import pyarrow.parquet as pq
        table = pq.read_table(path)
    else:
        import pyarrow.csv as pacsv
        with open(path) as f:
            header = f.readline().rstrip("\r\n").split(",")
        types = {name: (pa.int64() if name == "timestamp" else pa.float64()) for name in header}
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
    if not table.column_names or table.column_names[0] != "timestamp":
        raise InputError(f"{path}: the first column is not timestamp")
    return table


def column(table, name, rows=None):
    """One column as float64 numpy, NaN where undefined; only `rows` (indices) when given."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    data = table.column(name)
    if rows is not None:
        data = data.take(pa.array(rows))
    data = pc.cast(data, pa.float64())
    return data.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def set_rows(entry, rows, where):
    """The row indices of a splits.json SET, checked against the row count."""
    import numpy as np
    parts = []
    for first, end in entry["rows"]:
        if not 0 <= first <= end <= rows:
            raise InputError(f"splits.json: {where} range [{first}, {end}) is outside the {rows} rows")
        parts.append(np.arange(first, end, dtype=np.int64))
    indices = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if indices.size != entry["count"]:
        raise InputError(f"splits.json: {where} count {entry['count']} but its ranges hold {indices.size} rows")
    return indices


# ---------------------------------------------------------------------------------------------
# Training


def train_and_score(kind, x_train, y_train, x_test, y_test, classes, settings, seed):
    """Trains one model, returns ((auc, f1, acc), (baseline auc, f1, acc))."""
    import lightgbm as lgb
    import numpy as np
    params = {
        "objective": "binary" if kind == "binary" else "multiclass",
        "learning_rate": settings["learning_rate"],
        "num_leaves": settings["num_leaves"],
        "min_data_in_leaf": 20,
        "feature_fraction": 0.9,
        "seed": seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": settings["threads"],
        "verbose": -1,
    }
    if kind == "binary":
        labels = y_train
    else:
        params["num_class"] = len(classes)
        labels = np.searchsorted(classes, y_train)  # -1/0/1 -> 0/1/2
    data = lgb.Dataset(x_train, label=labels, params={"verbose": -1, "seed": seed})
    booster = lgb.train(params, data, num_boost_round=settings["rounds"])
    proba = booster.predict(x_test, num_threads=settings["threads"])
    return scores(kind, y_test, proba, classes), baseline_scores(kind, y_train, y_test, classes)


def mean(values):
    defined = [v for v in values if not math.isnan(v)]
    return sum(defined) / len(defined) if defined else math.nan


def fmt_number(value):
    return "  n/a" if math.isnan(value) else f"{value:.3f}"


def main(argv):
    args = parse_arguments(argv)
    if args.self_test:
        ensure_venv()
        return self_test()
    run = Run(args.dir, args.format, args.horizon)  # errors here come before any install
    ensure_venv()

    # OpenMP threads that wait by spinning slow LightGBM tenfold on a busy machine (2 shared cores:
    # a quick run took 24 s instead of 2.5 s). Passive waiting changes no number. Read by libgomp
    # when lightgbm loads it, so it is set before the import.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    import lightgbm as lgb
    import numpy as np

    settings = dict(QUICK if args.quick else FULL, threads=args.threads)
    if args.rounds is not None:
        settings["rounds"] = args.rounds
    if args.num_leaves is not None:
        settings["num_leaves"] = args.num_leaves

    started = time.monotonic()
    features = read_table(run.features_path, run.format)
    targets = read_table(run.targets_path, run.format)
    rows = features.num_rows
    if targets.num_rows != rows:
        raise InputError(f"{run.targets_path} has {targets.num_rows} rows, {run.features_path} {rows}: not one run")
    if run.splits["rows"] != rows:
        raise InputError(f"splits.json is over {run.splits['rows']} rows but the features have {rows}: "
                         f"splits.json belongs to another run (run tickforge features again with --splits)")
    if not features.column("timestamp").equals(targets.column("timestamp")):
        raise InputError("features and targets have different timestamps: not one run")

    # The rows used: all, or a seeded subsample.
    if args.max_rows is not None and args.max_rows < rows:
        universe = np.sort(np.random.default_rng(args.seed).choice(rows, size=args.max_rows, replace=False))
    else:
        universe = np.arange(rows, dtype=np.int64)
    in_universe = np.zeros(rows, dtype=bool)
    in_universe[universe] = True

    feature_names = [name for name in features.column_names if name != "timestamp"]
    x = np.column_stack([column(features, name, universe) for name in feature_names]) if feature_names \
        else np.zeros((universe.size, 0))
    del features
    position = np.full(rows, -1, dtype=np.int64)  # data row -> row of x
    position[universe] = np.arange(universe.size)

    folds = []
    for fold in run.splits["folds"]:
        k = fold["fold"]
        train = set_rows(fold["train"], rows, f"fold {k} train")
        test = set_rows(fold["test"], rows, f"fold {k} test")
        folds.append((k, position[train[in_universe[train]]], position[test[in_universe[test]]]))

    s = run.splits
    print(f"tickforge training example: {os.path.abspath(run.dir)} ({os.path.basename(run.features_path)}, "
          f"{os.path.basename(run.targets_path)})")
    used = f"{universe.size} of {rows} rows (--max-rows, seed {args.seed})" if universe.size < rows else f"{rows} rows"
    print(f"{used}, {len(feature_names)} features; splits {s['method']}: {len(folds)} fold{'' if len(folds) == 1 else 's'}, "
          f"purge {s['purge_bars']} bars, embargo {s['embargo_bars']} bars, interval {s['interval_ms']} ms")
    print(f"LightGBM {lgb.__version__}: {settings['rounds']} rounds, {settings['num_leaves']} leaves, learning rate "
          f"{settings['learning_rate']}, seed {args.seed}, {settings['threads']} threads, deterministic"
          + (" (--quick)" if args.quick else ""))
    print("AUC: binary rank AUC, fwd_dir macro one-vs-rest; F1: binary class 1, fwd_dir macro; acc: accuracy;")
    print("base: the train set's majority class predicted for every test row; "
          "shuffled: rows drawn at random (seeded), no purge or embargo")

    # Per target: its labels, the folds without the rows where it is undefined, and the shuffled
    # split: per fold as many train and test rows, drawn at random from the rows where it is defined.
    # Every train set is checked before anything is trained.
    tasks = []
    for h in run.horizons:
        for kind, name, classes in (("binary", f"fwd_up_{h}", [0, 1]), ("multiclass", f"fwd_dir_{h}", [-1, 0, 1])):
            y_all = column(targets, name, universe)
            defined = ~np.isnan(y_all)
            candidates = np.flatnonzero(defined)
            purged, shuffled = [], []
            for k, train, test in folds:
                train, test = train[defined[train]], test[defined[test]]
                if train.size == 0:
                    raise InputError(
                        f"fold {k}: no train rows with {name} defined"
                        + (f" among the {universe.size} rows kept by --max-rows (raise it)" if universe.size < rows else
                           " (the run is too short for its horizons and splits: more rows, fewer folds or shorter --horizons)"))
                purged.append((k, train, test))
                order = np.random.default_rng([args.seed, k]).permutation(candidates)
                shuffled.append((k, np.sort(order[test.size:test.size + train.size]), np.sort(order[:test.size])))
            present = np.unique(y_all[defined])
            note = None
            if present.size == 1:
                note = f"note: every defined {name} is {int(present[0])}"
                if kind == "multiclass":
                    note += (f": no move over {h} bars leaves the dead band of ±{run.threshold_bps} bps "
                             f"(tickforge features --threshold-bps), so accuracy is trivially 1 and AUC undefined")
            tasks.append((kind, name, np.array(classes), y_all, purged, shuffled, note))

    means = {}
    for kind, name, classes, y_all, purged, shuffled, note in tasks:
        print()
        print(f"{name} ({'binary' if kind == 'binary' else '3 classes: -1, 0, 1'})")
        if note:
            print(note)
        print(f"{'split':<9}{'fold':>5}{'train':>9}{'test':>9}  {'AUC':>5}  {'base':>5}  {'F1':>5}  {'base':>5}"
              f"  {'acc':>5}  {'base':>5}")
        for split_name, split in (("purged", purged), ("shuffled", shuffled)):
            per_fold = []
            for k, train, test in split:
                y_train = y_all[train].astype(np.int64)
                if test.size == 0:
                    model = base = (math.nan, math.nan, math.nan)
                else:
                    model, base = train_and_score(kind, x[train], y_train, x[test], y_all[test].astype(np.int64), classes,
                                                  settings, args.seed)
                per_fold.append((model, base))
                print(f"{split_name:<9}{k:>5}{train.size:>9}{test.size:>9}  "
                      + "  ".join(f"{fmt_number(m)}  {fmt_number(b)}" for m, b in zip(model, base)), flush=True)
            model_means = [mean([m[i] for m, _ in per_fold]) for i in range(3)]
            base_means = [mean([b[i] for _, b in per_fold]) for i in range(3)]
            means[(name, split_name)] = (model_means, base_means)
            print(f"{split_name:<9}{'mean':>5}{'':>18}  "
                  + "  ".join(f"{fmt_number(m)}  {fmt_number(b)}" for m, b in zip(model_means, base_means)))

    print()
    print("leakage: mean over folds, purged split (as splits.json) vs shuffled split, and shuffled - purged")
    print(f"{'target':<14}{'metric':<8}{'purged':>8}{'shuffled':>10}{'diff':>8}")
    for h in run.horizons:
        for name in (f"fwd_up_{h}", f"fwd_dir_{h}"):
            purged, leaky = means[(name, "purged")][0], means[(name, "shuffled")][0]
            for i, metric in enumerate(("AUC", "F1", "acc")):
                diff = leaky[i] - purged[i]
                print(f"{name:<14}{metric:<8}{fmt_number(purged[i]):>8}{fmt_number(leaky[i]):>10}"
                      f"{'  n/a' if math.isnan(diff) else f'{diff:+.3f}':>8}")
    sys.stdout.flush()
    log(f"done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as error:
        print(f"train_lightgbm: error: {error}", file=sys.stderr)
        sys.exit(2)
