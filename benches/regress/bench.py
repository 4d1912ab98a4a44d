#!/usr/bin/env python3
"""Regression speed: Biolens against scikit-learn on the same data, in the same run (issue 18).

1. The full lasso path, 100 alphas (eps 1e-3, tol 1e-4, warm starts), on 200 samples x 5,000
   genes: scikit-learn's `lasso_path` on the centred data against Biolens' `enet_path`.
   Target: ratio <= 1.0.
2. 5-fold CV (KFold(5, shuffle=True, random_state=0), StandardScaler in each training fold) of
   every model Biolens' Predict view offers, one after the other, on 100 samples x 2,000 genes.
   Target: Biolens < 5 s. scikit-learn's time for the same models is printed beside it.

Data (seeded): the target is a sparse linear function of 20 genes plus noise; genes have a
low-rank correlation structure (10 factors), like expression data. Files under
/tmp/biolens-bench/. Both sides time the computation on the in-memory matrix (best of
--repeat); Biolens loads the CSV first, untimed.

Usage:
    pip install numpy polars "scikit-learn<1.7"
    cargo build --release --no-default-features --features nn --example regress_timing
    python3 benches/regress/bench.py [--example $CARGO_TARGET_DIR/release/examples/regress_timing]
"""
import argparse
import json
import os
import subprocess
import time
import warnings

import numpy as np

DIR = "/tmp/biolens-bench"


def make(path, n, p, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 10)) @ rng.normal(size=(10, p)) * 0.5 + rng.normal(size=(n, p))
    w = np.zeros(p)
    w[rng.choice(p, 20, replace=False)] = rng.normal(size=20)
    y = x @ w + rng.normal(size=n)
    if not os.path.exists(path):
        import polars as pl
        cols = {"sample_id": [f"s{i}" for i in range(n)], "target": y}
        cols.update({f"g{j}": x[:, j] for j in range(p)})
        pl.DataFrame(cols).write_csv(path, float_precision=10)
    # What Biolens reads: values as written.
    import polars as pl
    frame = pl.read_csv(path)
    data = frame.drop("sample_id").to_numpy().astype(float)
    return data[:, 1:], data[:, 0]


def best_of(repeat, f):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def sklearn_models():
    from sklearn.dummy import DummyRegressor
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import ElasticNet, HuberRegressor, Lasso, LinearRegression, Ridge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.svm import SVR
    from sklearn.tree import DecisionTreeRegressor
    return {
        "ols": LinearRegression(), "ridge": Ridge(), "lasso": Lasso(), "elasticnet": ElasticNet(),
        "knn": KNeighborsRegressor(), "tree": DecisionTreeRegressor(random_state=0),
        "rf": RandomForestRegressor(random_state=0), "svr-linear": SVR(kernel="linear"),
        "svr-rbf": SVR(), "mlp": MLPRegressor(random_state=0), "huber": HuberRegressor(),
        "baseline": DummyRegressor(),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--example", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release/examples/regress_timing"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    os.makedirs(DIR, exist_ok=True)
    from sklearn.linear_model import lasso_path
    from sklearn.model_selection import KFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    path_csv = os.path.join(DIR, "regress_path_200x5000.csv")
    x, y = make(path_csv, 200, 5000, 0)
    xc, yc = x - x.mean(axis=0), y - y.mean()
    xf = np.asfortranarray(xc)
    theirs = best_of(args.repeat, lambda: lasso_path(xf, yc, eps=1e-3, n_alphas=100, tol=1e-4))
    ours = json.loads(subprocess.check_output([args.example, path_csv, "path", str(args.repeat)]))
    _, coefs, _ = lasso_path(xf, yc, eps=1e-3, n_alphas=100, tol=1e-4)
    # Non-zero counts per alpha; scikit-learn's below 1e-12 in size are rounding (at exactly
    # alpha_max it can keep one coefficient at ~1e-16), reported apart.
    counts = [int((coefs[:, a] != 0).sum()) for a in range(coefs.shape[1])]
    real = [int((np.abs(coefs[:, a]) > 1e-12).sum()) for a in range(coefs.shape[1])]
    differ = [a for a in range(len(counts)) if counts[a] != ours["nonzero"][a]]
    beyond_rounding = [a for a in differ if real[a] != ours["nonzero"][a]]
    print(f"lasso path 200 x 5000, 100 alphas: Biolens {ours['seconds']:.3f} s, scikit-learn {theirs:.3f} s, "
          f"ratio {ours['seconds'] / theirs:.2f} (target <= 1.0); non-zero counts differ at alphas {differ}, "
          f"beyond scikit-learn's <1e-12 rounding at {beyond_rounding}")

    cv_csv = os.path.join(DIR, "regress_cv_100x2000.csv")
    x, y = make(cv_csv, 100, 2000, 1)
    cv = KFold(5, shuffle=True, random_state=0)
    per = {}
    total = 0.0
    for name, m in sklearn_models().items():
        t = time.perf_counter()
        r2 = cross_val_score(make_pipeline(StandardScaler(), m), x, y, cv=cv, scoring="r2").mean()
        per[name] = (time.perf_counter() - t, r2)
        total += per[name][0]
    ours = json.loads(subprocess.check_output([args.example, cv_csv, "cv", "1"]))
    print(f"5-fold CV of every model, 100 x 2000: Biolens {ours['seconds']:.2f} s (target < 5 s), "
          f"scikit-learn {total:.2f} s, ratio {ours['seconds'] / total:.2f}")
    for name, v in ours["models"].items():
        print(f"  Biolens {name:45s} {v['seconds']:7.3f} s  R2 {v['r2']:.3f}")
    for name, (t, r2) in per.items():
        print(f"  scikit-learn {name:40s} {t:7.3f} s  R2 {r2:.3f}")


if __name__ == "__main__":
    main()
