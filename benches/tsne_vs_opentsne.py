#!/usr/bin/env python3
"""t-SNE of an n-point (default 20,000), 50-dimension Gaussian mixture, full default run:
Biolens' CPU time against openTSNE's (FFT gradients and approximate neighbours, its defaults
at this size) in the same run.

Usage:
    pip install numpy scikit-learn openTSNE
    cargo build --release --no-default-features
    python3 benches/tsne_vs_opentsne.py [--biolens target/release/biolens] [--n 100000]

CPU time = user + system seconds of all threads. openTSNE is timed on the in-memory
array; Biolens as the whole `biolens tsne` command (read the CSV, PCA, neighbours,
750 iterations, write the result), so its figure includes work openTSNE is not charged
for. Target (issue 4): ratio <= 1.5; stretch <= 1.0. At --n 100000: ratio <= 0.5 with
Biolens' k-NN preservation no lower than openTSNE's - 0.03. Also prints each embedding's
k-NN preservation (k = 10) on a 2,000-point subsample. The data is written once per n
(tsne_<n>x50.csv) and reused.
"""
import argparse
import os
import resource
import subprocess
import time

import numpy as np

D, CLUSTERS = 50, 10


def make_data(path, N):
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=6.0, size=(CLUSTERS, D))
    labels = rng.integers(0, CLUSTERS, size=N)
    X = centres[labels] + rng.normal(size=(N, D))
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write("sample_id," + ",".join(f"d{j}" for j in range(D)) + "\n")
            for i in range(len(X)):
                f.write(f"p{i}," + ",".join(repr(float(v)) for v in X[i]) + "\n")
    return X


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def knn_preservation(high, low, k=10, sample=2000):
    """The mean share of the k nearest neighbours (among all points) of `sample` random points
    in the input that are among their k nearest in the embedding."""
    from sklearn.neighbors import NearestNeighbors
    rng = np.random.default_rng(1)
    idx = rng.choice(len(high), size=min(sample, len(high)), replace=False)
    def knn(A):
        found = NearestNeighbors(n_neighbors=k + 1).fit(A).kneighbors(A[idx], return_distance=False)
        return [set(r[r != i][:k]) for i, r in zip(idx, found)]
    a, b = knn(high), knn(low)
    return float(np.mean([len(x & y) / k for x, y in zip(a, b)]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--biolens", default="target/release/biolens")
    ap.add_argument("--n", type=int, default=20_000, help="points (default 20,000)")
    ap.add_argument("--file", default=None, help="data CSV (default /tmp/biolens-bench/tsne_<n>x50.csv)")
    args = ap.parse_args()
    N = args.n
    if args.file is None:
        args.file = f"/tmp/biolens-bench/tsne_{N}x{D}.csv"
    os.makedirs(os.path.dirname(args.file), exist_ok=True)
    X = make_data(args.file, N)
    from openTSNE import TSNE
    c0, w0 = cpu_seconds(), time.perf_counter()
    Y_open = np.asarray(TSNE(random_state=0, n_jobs=-1).fit(X))
    open_cpu, open_wall = cpu_seconds() - c0, time.perf_counter() - w0
    out = args.file.replace(".csv", "_biolens.csv")
    proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %e", args.biolens, "tsne", args.file, "--out", out],
                          capture_output=True, check=True)
    user, system, wall = map(float, proc.stderr.decode().strip().splitlines()[-1].split())
    ours_cpu = user + system
    Y_ours = np.loadtxt(out, delimiter=",", skiprows=1, usecols=(1, 2))
    print(f"t-SNE {N} x {D}: openTSNE {open_cpu:.1f} CPU-s ({open_wall:.1f} s wall), "
          f"biolens {ours_cpu:.1f} CPU-s ({wall:.1f} s wall), ratio {ours_cpu / open_cpu:.2f}")
    print(f"k-NN preservation (k=10, 2,000-point sample): openTSNE {knn_preservation(X, Y_open):.3f}, "
          f"biolens {knn_preservation(X, Y_ours):.3f}")


if __name__ == "__main__":
    main()
