#!/usr/bin/env python3
"""Independent reference for the regime columns (docs/FEATURES.md, "### Regimes"), written from
the contract's words, not from tickforge's code.  numpy, in a venv this script creates
(.venv-regimes/ beside the repository's Scripts/, gitignored) and re-executes itself in.

Usage:
  python3 Scripts/reference_regimes.py --out DIR [--states K]

Reads DIR/features.csv (timestamp, log_return, regime, regime_p{j}), DIR/splits.json (the fit
rows: the train set of the holdout split, or of walk-forward fold 1) and DIR/features.json (the
fitted parameters tickforge recorded), fits the model itself and filters every row, then
compares.  Prints a JSON summary of the largest differences; exits 1 when any is beyond the
contract's tolerance (1e-6 absolute on regime_p{j}; `regime` may differ only where the two
largest probabilities are within 1e-6) or the fitted parameters differ by more than 1e-6
(relative to the value, absolute below 1).

Design: in memory, plain, obviously correct, not fast.
  * x = r_t over the fit rows where it is defined (M of them); fewer than K is an error.
  * Start: stable argsort of |x|; group j = ranks [floor(jM/K), floor((j+1)M/K)); var_j = mean
    x^2 of the group, floored at 0.01*mean(x^2); pi = 1/K; A = 0.9 on the diagonal, 0.1/(K-1)
    elsewhere.
  * Each iteration: scaled forward pass (log densities minus their row maximum, exponentiated),
    LL = sum(log c_t + row max); backward pass; gamma = alpha*beta (normalised per row), xi;
    pi = gamma_0, A = sum xi / sum_{t<M-1} gamma, var = max(floor, sum gamma x^2 / sum gamma).
    Stop after the iteration whose LL is less than 1e-10*|LL| above the previous one, or after
    200; the parameters are those after that iteration's update, the LL that iteration's.
  * Renumber states by increasing variance (stable).
  * Filter: p at the first row with r defined is proportional to pi*b(x), then
    p_t proportional to (p_{t-1} A) * b(x_t); regime = argmax (lowest j on ties).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import script_venv  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
script_venv.ensure("reference_regimes", os.path.join(ROOT, ".venv-regimes"), ["numpy==2.4.6"])

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402

import numpy as np  # noqa: E402

TOL = 1e-6


def log_densities(x, var):
    """log N(x; 0, var_j) for every x (rows) and state (columns)."""
    return -0.5 * np.log(2 * np.pi * var)[None, :] - (x[:, None] ** 2) / (2 * var[None, :])


def fit(x, k):
    m = len(x)
    if m < k:
        raise SystemExit(f"error: {m} observations for {k} states")
    x2 = x ** 2
    mean_sq = x2.mean()
    if mean_sq == 0:
        raise SystemExit("error: mean(x^2) = 0")
    floor = 0.01 * mean_sq
    order = np.argsort(np.abs(x), kind="stable")
    var = np.array([x2[order[(j * m) // k:((j + 1) * m) // k]].mean() for j in range(k)])
    var = np.maximum(var, floor)
    pi = np.full(k, 1.0 / k)
    a = np.full((k, k), 0.1 / (k - 1))
    np.fill_diagonal(a, 0.9)
    previous = None
    iterations = 0
    ll = None
    while iterations < 200:
        iterations += 1
        logb = log_densities(x, var)
        top = logb.max(axis=1)
        b = np.exp(logb - top[:, None])
        alpha = np.empty((m, k))
        c = np.empty(m)
        for t in range(m):
            prior = pi if t == 0 else alpha[t - 1] @ a
            v = prior * b[t]
            c[t] = v.sum()
            alpha[t] = v / c[t]
        ll = float(np.sum(np.log(c) + top))
        beta = np.empty((m, k))
        beta[m - 1] = 1.0
        for t in range(m - 2, -1, -1):
            beta[t] = a @ (b[t + 1] * beta[t + 1]) / c[t + 1]
        gamma = alpha * beta
        gamma /= gamma.sum(axis=1, keepdims=True)
        xi_sum = np.zeros((k, k))
        for t in range(m - 1):
            xi_sum += alpha[t][:, None] * a * (b[t + 1] * beta[t + 1])[None, :] / c[t + 1]
        pi = gamma[0].copy()
        a = xi_sum / gamma[:-1].sum(axis=0)[:, None]
        var = np.maximum(floor, (gamma * x2[:, None]).sum(axis=0) / gamma.sum(axis=0))
        if previous is not None and ll - previous < 1e-10 * abs(ll):
            break
        previous = ll
    order = np.argsort(var, kind="stable")
    return var[order], a[np.ix_(order, order)], pi[order], iterations, ll


def filtered(returns, var, a, pi):
    k = len(var)
    probs = np.full((len(returns), k), np.nan)
    state = None
    for t, x in enumerate(returns):
        if np.isnan(x):
            continue
        logb = log_densities(np.array([x]), var)[0]
        b = np.exp(logb - logb.max())
        v = (pi if state is None else state @ a) * b
        state = v / v.sum()
        probs[t] = state
    return probs


def cell(text):
    return float(text) if text != "" else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--states", type=int)
    args = ap.parse_args()
    with open(os.path.join(args.out, "features.csv"), newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    meta = json.load(open(os.path.join(args.out, "features.json")))
    k = args.states or meta["regimes"]["states"]
    col = {name: i for i, name in enumerate(header)}
    returns = np.array([cell(r[col["log_return"]]) for r in rows])
    splits = json.load(open(os.path.join(args.out, "splits.json")))
    fold = splits["folds"][0] if splits["method"] == "holdout" else next(f for f in splits["folds"] if f["fold"] == 1)
    fit_rows = [r for a, b in fold["train"]["rows"] for r in range(a, b)]
    x = returns[fit_rows]
    x = x[~np.isnan(x)]
    var, a, pi, iterations, ll = fit(x, k)
    probs = filtered(returns, var, a, pi)

    failures = []
    got_p = np.array([[cell(r[col[f"regime_p{j}"]]) for j in range(k)] for r in rows])
    got_regime = [r[col["regime"]] for r in rows]
    if not np.array_equal(np.isnan(got_p), np.isnan(probs)):
        failures.append("regime_p cells defined on different rows")
    both = ~np.isnan(probs)
    max_p = float(np.max(np.abs(got_p[both] - probs[both]))) if both.any() else 0.0
    if max_p > TOL:
        failures.append(f"regime_p differs by {max_p}")
    regime_mismatches = 0
    for t in range(len(rows)):
        if np.isnan(probs[t, 0]):
            if got_regime[t] != "":
                failures.append(f"row {t}: regime '{got_regime[t]}' where r_t is undefined")
            continue
        expected = int(np.argmax(probs[t]))
        if got_regime[t] == "" or int(got_regime[t]) != expected:
            regime_mismatches += 1
            top2 = np.sort(probs[t])[-2:]
            if top2[1] - top2[0] > TOL:
                failures.append(f"row {t}: regime {got_regime[t]}, expected {expected} (p = {probs[t].tolist()})")

    recorded = meta["regimes"]

    def rel(got, want):
        got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))

    def rel_var(got, want):
        got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
        return float(np.max(np.abs(got - want) / np.abs(want)))

    diffs = {
        "rows": len(rows), "observations": len(x), "iterations": iterations,
        "max_abs_probability": max_p, "regime_mismatches_within_tolerance": regime_mismatches,
        "sigma_relative": rel_var(recorded["sigma"], np.sqrt(var)),
        "transition_abs": rel(recorded["transition_matrix"], a),
        "initial_abs": rel(recorded["initial_distribution"], pi),
        "log_likelihood_relative": abs(recorded["log_likelihood"] - ll) / max(1.0, abs(ll)),
    }
    if recorded["observations"] != len(x):
        failures.append(f"observations {recorded['observations']}, expected {len(x)}")
    if recorded["iterations"] != iterations:
        failures.append(f"iterations {recorded['iterations']}, expected {iterations}")
    for name in ("sigma_relative", "transition_abs", "initial_abs", "log_likelihood_relative"):
        if diffs[name] > TOL:
            failures.append(f"{name} {diffs[name]}")
    diffs["failures"] = failures[:20]
    print(json.dumps(diffs))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
