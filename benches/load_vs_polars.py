#!/usr/bin/env python3
"""Loading a 1,000 x 20,000 CSV (about 140 MB) in both orientations: Biolens against
Python polars in the same run, with Biolens' peak memory
(measured with GNU time: apt-get install time).

Usage:
    pip install polars numpy
    cargo build --release
    python3 benches/load_vs_polars.py [--biolens target/release/biolens] [--dir /tmp/biolens-bench]

Biolens is timed as `biolens info FILE --json` (process start, read, parse, build the
f64 matrix, summarise); polars as `pl.read_csv(FILE)` plus `.to_numpy()` of the numeric
block. Each is the best of --repeat runs. Targets (issue 3): Biolens no slower than polars
(ratio <= 1), peak memory <= 3x the f64 matrix (160 MB -> 480 MB).
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

SAMPLES, GENES = 1000, 20000


def write_files(directory):
    os.makedirs(directory, exist_ok=True)
    wide = os.path.join(directory, "wide_samples_in_rows.csv")
    tall = os.path.join(directory, "tall_genes_in_rows.csv")
    if os.path.exists(wide) and os.path.exists(tall):
        return wide, tall
    rng = np.random.default_rng(0)
    m = np.round(rng.gamma(2.0, 2.0, size=(SAMPLES, GENES)), 4)
    samples = [f"S{i:04d}" for i in range(SAMPLES)]
    genes = [f"G{j:05d}" for j in range(GENES)]
    for path, ids, header, mat in ((wide, samples, ["sample_id"] + genes, m), (tall, genes, ["gene_id"] + samples, m.T)):
        with open(path, "w") as fh:
            fh.write(",".join(header) + "\n")
            for rid, row in zip(ids, mat):
                fh.write(rid + "," + ",".join(f"{v:.4f}" for v in row) + "\n")
    return wide, tall


def time_polars(path, repeat):
    import polars as pl
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        df = pl.read_csv(path)
        arr = df.select(df.columns[1:]).to_numpy()
        best = min(best, time.perf_counter() - t0)
        del df, arr
    return best


def time_biolens(binary, path, repeat):
    best, info = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.Popen([binary, "info", path, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate()
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"biolens failed: {err.decode()}")
        best = min(best, elapsed)
        info = json.loads(out)
    # Peak RSS of one more run, measured by GNU time: wait4's ru_maxrss of a child forked
    # from this (large) Python process would include the parent's pages copied before exec.
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", binary, "info", path, "--json"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    peak_kb = int(proc.stderr.decode().strip().splitlines()[-1])
    return best, peak_kb, info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--biolens", default="target/release/biolens")
    ap.add_argument("--dir", default="/tmp/biolens-bench")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    wide, tall = write_files(args.dir)
    matrix_mb = SAMPLES * GENES * 8 / 1e6
    print(f"file size: {os.path.getsize(wide) / 1e6:.0f} MB; f64 matrix {matrix_mb:.0f} MB")
    for name, path in (("tall (genes in rows)", tall), ("wide (samples in rows)", wide)):
        pl_s = time_polars(path, args.repeat)
        bl_s, peak_kb, info = time_biolens(args.biolens, path, args.repeat)
        assert (info["samples"], info["genes"]) == (SAMPLES, GENES), info
        peak_mb = peak_kb / 1e3
        print(f"{name:24s} polars {pl_s:6.2f} s   biolens {bl_s:6.2f} s   ratio {bl_s / pl_s:4.2f}   "
              f"peak RSS {peak_mb:5.0f} MB = {peak_mb / matrix_mb:4.2f}x matrix")


if __name__ == "__main__":
    main()
