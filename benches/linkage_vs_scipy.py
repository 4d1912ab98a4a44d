#!/usr/bin/env python3
"""Hierarchical clustering, distances included: Biolens against SciPy's linkage (which runs pdist
itself) for 10,000 samples at 50 dimensions, average and Ward, in the same run on the same data,
with peak memory.

Usage:
    pip install numpy polars scipy
    cargo build --release --no-default-features
    python3 benches/linkage_vs_scipy.py [--biolens target/release/biolens]

Biolens' time is what `biolens cluster` reports (condensed distances and the linkage; reading
the CSV and writing the merges are not counted, as SciPy is timed on the in-memory array). Peak
memory is GNU time's maximum resident set of the whole `biolens cluster` process, against the
400 MB of one condensed matrix. Targets (issue 6): ratio <= 1; one condensed matrix, no n² copy.
"""
import argparse
import os
import re
import subprocess
import time

import numpy as np


def make(path, n, d):
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=4.0, size=(12, d))
    X = centres[rng.integers(0, 12, size=n)] + rng.normal(size=(n, d))
    if not os.path.exists(path):
        import polars as pl
        df = pl.DataFrame({f"g{j}": X[:, j] for j in range(d)})
        df.insert_column(0, pl.Series("sample_id", [f"s{i}" for i in range(n)]))
        df.write_csv(path)
    return X


def ours(binary, path, method):
    proc = subprocess.run(["/usr/bin/time", "-v", binary, "cluster", path, "--samples-in-rows", "--method", method,
                           "--linkage-out", "/dev/null"], capture_output=True, check=True, text=True)
    seconds = float(re.search(r"\(([0-9.]+) s\)", proc.stdout).group(1))
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return seconds, peak_kb / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--biolens", default="target/release/biolens")
    ap.add_argument("--dir", default="/tmp/biolens-bench")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    from scipy.cluster.hierarchy import linkage

    path = os.path.join(args.dir, "linkage_10000x50.csv")
    X = make(path, 10_000, 50)
    condensed_mb = 10_000 * 9_999 / 2 * 8 / 2**20
    for method in ["average", "ward"]:
        t = time.perf_counter()
        linkage(X, method=method, metric="euclidean")
        sp = time.perf_counter() - t
        b, peak = ours(args.biolens, path, method)
        print(f"{method:8s} 10,000 x 50: SciPy {sp:.2f} s, biolens {b:.2f} s, ratio {b / sp:.2f}; "
              f"biolens peak RSS {peak:.0f} MB (one condensed matrix: {condensed_mb:.0f} MB)")


if __name__ == "__main__":
    main()
