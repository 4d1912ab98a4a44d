#!/usr/bin/env python3
"""scanpy's side of the neighbour-graph / UMAP / Leiden / markers benchmark (see run.sh).

    python scanpy_side.py prepare SC_100K.h5ad PCS.h5ad LOG.h5ad
        scanpy's preprocessing of the generated 100,000-cell file (QC filters, normalize_total,
        log1p, 2,000 seurat HVGs, scale, PCA 50): writes PCS.h5ad (obsm X_pca + obs) and
        LOG.h5ad (the log1p matrix of every gene, CSR, + obs), the inputs both sides time.
    python scanpy_side.py time PCS.h5ad LOG.h5ad [BIOLENS_UMAP.csv]
        times sc.pp.neighbors(use_rep="X_pca"), sc.tl.umap (twice: the first call includes
        numba's compilation), sc.tl.leiden(flavor="igraph") and
        sc.tl.rank_genes_groups(method="wilcoxon") by cell type; prints one JSON line, with the
        k-NN preservation (k = 15, in X_pca) of scanpy's UMAP and of Biolens' (its CSV).
"""
import json
import sys
import time
import warnings

warnings.filterwarnings("ignore")
import scanpy as sc  # noqa: E402
import scipy.sparse as sp  # noqa: E402

# pynndescent 0.7 returns scipy's csr_array, which lost `getnnz` in SciPy 1.15, and scanpy
# 1.11's neighbour search still calls it above 8,192 cells: give it back (same result).
if not hasattr(sp.csr_array, "getnnz"):
    sp.csr_array.getnnz = lambda self, axis=None: self._getnnz(axis=axis)


def prepare(src, pcs_path, log_path):
    a = sc.read_h5ad(src)
    sc.pp.filter_cells(a, min_genes=200)
    sc.pp.filter_genes(a, min_cells=3)
    sc.pp.normalize_total(a)
    sc.pp.log1p(a)
    log = a.copy()
    log.obsm.clear()
    log.uns.clear()
    log.write_h5ad(log_path)
    sc.pp.highly_variable_genes(a, n_top_genes=2000, flavor="seurat")
    a = a[:, a.var["highly_variable"]].copy()
    sc.pp.scale(a, max_value=10)
    sc.pp.pca(a, n_comps=50, svd_solver="arpack")
    out = sc.AnnData(X=a.obsm["X_pca"][:, :2].copy(), obs=a.obs.copy())
    out.obsm["X_pca"] = a.obsm["X_pca"]
    out.write_h5ad(pcs_path)


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def preservation(high, low, k=15):
    """Mean share of each cell's k nearest neighbours in `high` kept among its k nearest in `low`."""
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    h = NearestNeighbors(n_neighbors=k, algorithm="brute", n_jobs=2).fit(high).kneighbors(return_distance=False)
    l = NearestNeighbors(n_neighbors=k, n_jobs=2).fit(low).kneighbors(return_distance=False)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(h, l)]))


def time_all(pcs_path, log_path, ours=None):
    a = sc.read_h5ad(pcs_path)
    out = {"cells": a.n_obs}
    out["neighbors"] = timed(lambda: sc.pp.neighbors(a, n_neighbors=15, use_rep="X_pca"))
    out["umap_first_call"] = timed(lambda: sc.tl.umap(a, random_state=0))
    out["umap"] = timed(lambda: sc.tl.umap(a, random_state=0))
    out["leiden"] = timed(lambda: sc.tl.leiden(a, flavor="igraph", n_iterations=2, directed=False, random_state=0))
    out["leiden_clusters"] = int(a.obs["leiden"].nunique())
    out["umap_knn_preservation_k15"] = preservation(a.obsm["X_pca"], a.obsm["X_umap"])
    if ours:
        import pandas as pd

        emb = pd.read_csv(ours, index_col=0).loc[a.obs_names].to_numpy()
        out["biolens_umap_knn_preservation_k15"] = preservation(a.obsm["X_pca"], emb)
    log = sc.read_h5ad(log_path)
    out["markers_wilcoxon"] = timed(lambda: sc.tl.rank_genes_groups(log, "cell_type", method="wilcoxon", use_raw=False))
    out["genes"] = log.n_vars
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "prepare":
        prepare(*sys.argv[2:5])
    else:
        time_all(*sys.argv[2:5])
