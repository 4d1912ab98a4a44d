#!/usr/bin/env python3
"""CPU distance matrices: Biolens against scikit-learn's pairwise_distances (10,000 x 10,000
at 2,000 dimensions) and SciPy's pdist (10,000 items at 50 dimensions), Euclidean, in the
same run on the same data.

Usage:
    pip install numpy polars scipy scikit-learn
    cargo build --release --no-default-features
    python3 benches/distances_vs_scipy.py [--biolens target/release/biolens]

Biolens' figure is the compute time `biolens distances` reports (preparing the rows and
the full f64 matrix; reading the CSV and writing the result are not counted, as the
Python side is timed on the in-memory array). Targets (issue 5): ratio <= 1 for both.
"""
import argparse
import os
import re
import subprocess
import time

import numpy as np


def make(path, n, d):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    if not os.path.exists(path):
        import polars as pl
        df = pl.DataFrame({f"g{j}": X[:, j] for j in range(d)})
        df.insert_column(0, pl.Series("sample_id", [f"s{i}" for i in range(n)]))
        df.write_csv(path)
    return X


def ours(binary, path):
    proc = subprocess.run([binary, "distances", path, "--samples-in-rows", "--device", "cpu", "--out", "/dev/null"],
                          capture_output=True, check=True, text=True)
    return float(re.search(r"in ([0-9.]+) s", proc.stdout).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--biolens", default="target/release/biolens")
    ap.add_argument("--dir", default="/tmp/biolens-bench")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    from scipy.spatial.distance import pdist
    from sklearn.metrics import pairwise_distances

    path = os.path.join(args.dir, "dist_10000x2000.csv")
    X = make(path, 10_000, 2_000)
    t = time.perf_counter()
    pairwise_distances(X, metric="euclidean", n_jobs=-1)
    sk = time.perf_counter() - t
    b = ours(args.biolens, path)
    print(f"10,000 x 10,000 at 2,000 dims: scikit-learn {sk:.2f} s, biolens {b:.2f} s, ratio {b / sk:.2f}")

    path = os.path.join(args.dir, "dist_10000x50.csv")
    X = make(path, 10_000, 50)
    t = time.perf_counter()
    pdist(X, metric="euclidean")
    sp = time.perf_counter() - t
    b = ours(args.biolens, path)
    print(f"10,000 x 10,000 at 50 dims: SciPy pdist {sp:.2f} s, biolens {b:.2f} s, ratio {b / sp:.2f}")


if __name__ == "__main__":
    main()
