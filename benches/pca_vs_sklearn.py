#!/usr/bin/env python3
"""PCA of a 10,000 x 2,000 matrix, 50 components: Biolens' randomized PCA against
scikit-learn's (svd_solver="randomized") on the same data, in the same run.

Usage:
    pip install numpy polars scikit-learn
    cargo build --release --no-default-features --example pca_timing
    python3 benches/pca_vs_sklearn.py [--example target/release/examples/pca_timing]

Both are timed on the in-memory matrix (best of --repeat); Biolens loads the CSV first,
untimed. Target (issue 4): ratio <= 1; stretch <= 0.5. Also prints the largest difference
in explained-variance ratio between the two.
"""
import argparse
import json
import os
import subprocess
import time

import numpy as np

N, P, K = 10_000, 2_000, 50


def make_matrix(path):
    rng = np.random.default_rng(0)
    # Low-rank structure (20 factors) plus noise: expression-like spectra.
    X = rng.normal(size=(N, 20)) @ rng.normal(size=(20, P)) * 0.5 + rng.normal(size=(N, P))
    if not os.path.exists(path):
        import polars as pl
        df = pl.DataFrame({f"g{j}": X[:, j] for j in range(P)})
        df.insert_column(0, pl.Series("sample_id", [f"s{i}" for i in range(N)]))
        df.write_csv(path)
    return X


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--example", default="target/release/examples/pca_timing")
    ap.add_argument("--file", default="/tmp/biolens-bench/pca_10000x2000.csv")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.makedirs(os.path.dirname(args.file), exist_ok=True)
    X = make_matrix(args.file)
    from sklearn.decomposition import PCA
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        p = PCA(n_components=K, svd_solver="randomized", random_state=0).fit(X)
        best = min(best, time.perf_counter() - t0)
    out = subprocess.run([args.example, args.file, str(K), str(args.repeat)], capture_output=True, check=True)
    ours = json.loads(out.stdout)
    diff = max(abs(a - b) for a, b in zip(ours["evr"], p.explained_variance_ratio_))
    print(f"PCA {N} x {P}, {K} components: scikit-learn {best:.2f} s, biolens {ours['seconds']:.2f} s, "
          f"ratio {ours['seconds'] / best:.2f}; max |EVR difference| {diff:.2e}")


if __name__ == "__main__":
    main()
