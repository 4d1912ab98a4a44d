#!/usr/bin/env python3
"""openTSNE's k-NN preservation on the small microarray sets, the reference of Biolens' t-SNE
at small n (tests/analysis_tsne.rs).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install openTSNE==1.0.4 scikit-learn pandas
    /tmp/venv/bin/python tests/reference/tsne_small_make.py

Input, as `biolens tsne` computes it: the first min(50, n - 1, genes) principal components of
the centred expression matrix (samples as rows). openTSNE runs with its defaults (perplexity
30, exact affinities below 1,000 points, Barnes-Hut, learning_rate "auto") for seeds 0-4.
Preservation: the mean share of each sample's 10 nearest neighbours in the PC space (itself
excluded) that are among its 10 nearest in the embedding. Writes tsne_small_reference.json.
"""
import importlib.metadata as md
import json
import logging
import os

import numpy as np
import pandas as pd
from openTSNE import TSNE
from sklearn.neighbors import NearestNeighbors

logging.disable(logging.WARNING)
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "sample-data")
DATA = os.environ.get("BIOLENS_SAMPLE_DATA", DATA)
SEEDS = range(5)
K = 10


def pcs(name):
    df = pd.read_csv(os.path.join(DATA, name, "expression.csv"), dtype={"sample_id": str}).set_index("sample_id")
    x = df.to_numpy(float)
    x = x - x.mean(0)
    d = min(50, x.shape[0] - 1, x.shape[1])
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    return u[:, :d] * s[:d]


def neighbours(a, k):
    idx = NearestNeighbors(n_neighbors=k + 1).fit(a).kneighbors(a, return_distance=False)
    return [set(r[r != i][:k]) for i, r in enumerate(idx)]


def preservation(high, low, k=K):
    return float(np.mean([len(a & b) / k for a, b in zip(neighbours(high, k), neighbours(low, k))]))


def main():
    out = {"openTSNE": md.version("openTSNE"), "k": K, "seeds": list(SEEDS), "sets": {}}
    for name in ("nci60", "khan_srbct"):
        p = pcs(name)
        values = [preservation(p, np.asarray(TSNE(random_state=s).fit(p))) for s in SEEDS]
        out["sets"][name] = {"samples": p.shape[0], "per_seed": values, "mean": float(np.mean(values))}
        print(name, values, np.mean(values))
    with open(os.path.join(HERE, "tsne_small_reference.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
