#!/usr/bin/env python3
"""SciPy reference distances for tests/analysis_distance.rs (python3 with numpy, polars, scipy).

For sklearn_iris and khan_srbct (sample-data/<name>/expression.csv, samples in rows), between
samples (rows) and between genes (columns), and for every metric Biolens offers, writes
scipy.spatial.distance.cdist values for 400 index pairs: every pair (0, j), then pairs drawn
with numpy's default_rng(0), then every pair of identical items (distance 0). Spearman is
1 - rho: `correlation` on scipy.stats.rankdata(average ties) ranks.

Usage: python3 tests/reference/distances.py  -> tests/reference/scipy_distances.json
"""
import json
import os

import numpy as np
import polars as pl
import scipy
from scipy.spatial.distance import cdist
from scipy.stats import rankdata

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "sample-data")
METRICS = {
    "euclidean": "euclidean",
    "sqeuclidean": "sqeuclidean",
    "manhattan": "cityblock",
    "cosine": "cosine",
    "correlation": "correlation",
}
PAIRS = 400


def pairs_for(x):
    n = len(x)
    pairs = [(0, j) for j in range(min(n, 100))]
    rng = np.random.default_rng(0)
    while len(pairs) < PAIRS:
        pairs.append(tuple(int(v) for v in rng.integers(0, n, size=2)))
    _, inverse, counts = np.unique(x, axis=0, return_inverse=True, return_counts=True)
    for group in np.flatnonzero(counts > 1):
        members = np.flatnonzero(inverse.ravel() == group)
        pairs += [(int(a), int(b)) for a in members for b in members if a < b]
    return pairs


def main():
    out = {"scipy": scipy.__version__, "datasets": {}}
    for name in ["sklearn_iris", "khan_srbct"]:
        frame = pl.read_csv(os.path.join(DATA, name, "expression.csv"))
        matrix = frame.drop(frame.columns[0]).to_numpy().astype(float)
        entry = {}
        for between, x in [("samples", matrix), ("genes", matrix.T)]:
            pairs = pairs_for(x)
            a = np.array([p[0] for p in pairs])
            b = np.array([p[1] for p in pairs])
            values = {}
            for ours, theirs in METRICS.items():
                values[ours] = [float(cdist(x[i:i + 1], x[j:j + 1], theirs)[0, 0]) for i, j in zip(a, b)]
            ranks = rankdata(x, axis=1)
            values["spearman"] = [float(cdist(ranks[i:i + 1], ranks[j:j + 1], "correlation")[0, 0]) for i, j in zip(a, b)]
            entry[between] = {"pairs": [list(p) for p in pairs], "distances": values}
        out["datasets"][name] = entry
    with open(os.path.join(HERE, "scipy_distances.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
