#!/usr/bin/env python3
"""umap-learn's k-NN preservation on the shared bulk and qPCR datasets, the reference of
Biolens' UMAP quality beyond pbmc68k_reduced (tests/neighbors_scanpy.rs).

    /work/.venv-scanpy/bin/python tests/reference/umap_shared_make.py

For each dataset (expression.csv, samples as rows, values as given): scanpy's PCA with
min(50, n - 1, genes - 1) components (centred, not scaled), sc.pp.neighbors(n_neighbors=15),
sc.tl.umap(min_dist=0.5, random_state=seed) for seeds 0-2. Preservation: the mean share of each
sample's 15 nearest neighbours in the PCs (itself excluded) that are among its 15 nearest in the
embedding. Writes umap_shared_reference.json.
"""
import importlib.metadata as md
import json
import os
import warnings

warnings.filterwarnings("ignore")
import anndata as ad  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scanpy as sc  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("BIOLENS_SAMPLE_DATA", os.path.join(HERE, "..", "..", "..", "shared", "sample-data"))
SETS = ("tissue_gene_expression", "khan_srbct", "nci60", "guo_qpcr")
K = 15


def preservation(pcs, emb, k=K):
    high = NearestNeighbors(n_neighbors=k + 1).fit(pcs).kneighbors(return_distance=False)
    low = NearestNeighbors(n_neighbors=k + 1).fit(emb).kneighbors(return_distance=False)
    return float(np.mean([len(set(h[:k]) & set(l[:k])) / k for h, l in zip(high, low)]))


def main():
    out = {"versions": {p: md.version(p) for p in ("scanpy", "umap-learn", "scikit-learn")}, "k": K, "sets": {}}
    for name in SETS:
        df = pd.read_csv(os.path.join(DATA, name, "expression.csv"), dtype={"sample_id": str}).set_index("sample_id")
        a = ad.AnnData(df.to_numpy(np.float64))
        comps = min(50, a.n_obs - 1, a.n_vars - 1)
        sc.pp.pca(a, n_comps=comps, svd_solver="arpack", random_state=0)
        sc.pp.neighbors(a, n_neighbors=15)
        values = []
        for seed in range(3):
            sc.tl.umap(a, min_dist=0.5, random_state=seed)
            values.append(preservation(a.obsm["X_pca"], a.obsm["X_umap"]))
        out["sets"][name] = {"samples": a.n_obs, "pcs": comps, "per_seed": values, "mean": float(np.mean(values))}
        print(name, a.n_obs, comps, np.round(values, 4))
    with open(os.path.join(HERE, "umap_shared_reference.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
