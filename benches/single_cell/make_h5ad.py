#!/usr/bin/env python3
"""The single-cell benchmark file: synthetic UMI counts written as .h5ad.

    python benches/single_cell/make_h5ad.py --out /work/bench-data/sc_100k.h5ad
    python benches/single_cell/make_h5ad.py --cells 5000 --genes 4000 --out /tmp/sc_small.h5ad

N cells (default 100,000) x G genes (default 20,000) of negative-binomial counts
(gamma-Poisson, one dispersion per gene) from ~10 cell types:

* every type has its own mean profile: log-normal gene weights shared by all types, times a
  type-specific set of up-regulated markers (G/200 genes per type, 3-12x) and a mild
  type-specific log-normal jitter of every gene;
* 13 mitochondrial genes ("MT-ND1", ..., "MT-CYB") at random places among var_names, highly
  expressed (a few % of each cell's counts);
* library sizes are log-normal; their scale is calibrated (bisection on the expected number of
  detected genes) so that cells detect --detected genes on average (default G/10, i.e. about
  2,000 of 20,000);
* obs["cell_type"] categorical; obsm["X_umap"] a 2-D embedding where every type is a blob;
  uns["cell_type_colors"]; var["mt"] is *not* stored (the pipeline computes it).

X is CSR float32 (counts), written by anndata's write_h5ad(compression="gzip"). The counts are
drawn in blocks of BLOCK cells, each from its own generator seeded by (seed, block index), so
the file depends only on --cells, --genes, --detected and --seed, and memory stays at a few
blocks of dense draws plus the final CSR (about 8 bytes per stored value: 1.6 GB at 200M).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import scipy.sparse as sp

BLOCK = 2_000  # cells drawn at once: BLOCK x G dense draws (2,000 x 20,000 -> ~320 MB float64)

CELL_TYPES = [
    "CD4 T", "CD8 T", "NK", "B", "CD14 Mono", "FCGR3A Mono", "DC", "pDC", "Platelet", "Erythroid",
]
# Relative abundances (PBMC-like: many T cells, few pDCs).
TYPE_WEIGHTS = np.array([0.28, 0.16, 0.09, 0.12, 0.16, 0.06, 0.04, 0.02, 0.04, 0.03])
# scanpy's default 20-colour palette (vega_20_scanpy), first 10.
COLORS = [
    "#1f77b4", "#ff7f0e", "#279e68", "#d62728", "#aa40fc",
    "#8c564b", "#e377c2", "#b5bd61", "#17becf", "#aec7e8",
]
MT_GENES = [
    "MT-ND1", "MT-ND2", "MT-CO1", "MT-CO2", "MT-ATP8", "MT-ATP6", "MT-CO3",
    "MT-ND3", "MT-ND4L", "MT-ND4", "MT-ND5", "MT-ND6", "MT-CYB",
]
LIB_SIGMA = 0.35  # log-normal SD of library sizes
MT_FRACTION = 0.04  # expected share of a cell's counts on the mitochondrial genes


def model(n_genes, seed):
    """Gene names, per-type expression profiles (rows sum to 1) and per-gene NB dispersion."""
    rng = np.random.default_rng([seed, 0])
    n_types = len(CELL_TYPES)
    n_mt = min(len(MT_GENES), max(0, n_genes // 100))
    names = np.array([f"GENE{i:05d}" for i in range(n_genes)], dtype=object)
    mt_idx = np.sort(rng.choice(n_genes, size=n_mt, replace=False))
    names[mt_idx] = MT_GENES[:n_mt]
    # Shared gene weights: heavy-tailed, most genes rarely seen.
    base = np.exp(rng.normal(0.0, 1.6, size=n_genes))
    profiles = np.empty((n_types, n_genes))
    n_markers = max(5, n_genes // 200)
    non_mt = np.setdiff1d(np.arange(n_genes), mt_idx)
    for t in range(n_types):
        w = base * np.exp(rng.normal(0.0, 0.25, size=n_genes))
        markers = rng.choice(non_mt, size=n_markers, replace=False)
        # Markers are lifted to at least a moderate level, then up-regulated 3-12x.
        w[markers] = np.maximum(w[markers], np.quantile(base, 0.7)) * rng.uniform(3, 12, size=n_markers)
        w[mt_idx] = 0.0
        w /= w.sum()
        if n_mt:
            mt = np.exp(rng.normal(0.0, 0.5, size=n_mt))
            w *= 1.0 - MT_FRACTION
            w[mt_idx] = MT_FRACTION * mt / mt.sum()
        profiles[t] = w
    theta = np.exp(rng.normal(np.log(3.0), 0.5, size=n_genes))  # NB size (1 / dispersion)
    return names, profiles, theta


def expected_detected(scale, profiles, theta, type_p):
    """Mean over cells of E[#genes with count > 0] for library-size scale `scale`."""
    # Library sizes at the quantiles of the log-normal (deterministic quadrature).
    q = (np.arange(32) + 0.5) / 32
    from statistics import NormalDist
    z = np.array([NormalDist().inv_cdf(x) for x in q])
    libs = scale * np.exp(LIB_SIGMA * z - LIB_SIGMA**2 / 2)
    total = 0.0
    for t, p in enumerate(type_p):
        mu = libs[:, None] * profiles[t][None, :]
        det = 1.0 - (theta / (theta + mu)) ** theta
        total += p * det.sum(axis=1).mean()
    return total


def calibrate(target, profiles, theta, type_p):
    lo, hi = 1.0, 1e7
    for _ in range(40):
        mid = np.sqrt(lo * hi)
        if expected_detected(mid, profiles, theta, type_p) < target:
            lo = mid
        else:
            hi = mid
    return np.sqrt(lo * hi)


def draw_block(rng, types, profiles, theta, scale):
    """Counts of one block of cells: CSR pieces (data float32, indices int32, row nnz)."""
    n = len(types)
    lib = scale * np.exp(rng.normal(-LIB_SIGMA**2 / 2, LIB_SIGMA, size=n))
    mu = profiles[types] * lib[:, None]  # n x G float64
    # Gamma-Poisson: lambda = mu * Gamma(theta, 1/theta).
    theta32 = theta.astype(np.float32)
    g = rng.standard_gamma(theta32, size=mu.shape, dtype=np.float32)
    g /= theta32
    mu *= g
    del g
    counts = rng.poisson(mu)
    del mu
    rows, cols = np.nonzero(counts)
    data = counts[rows, cols].astype(np.float32)
    row_nnz = np.bincount(rows, minlength=n)
    return data, cols.astype(np.int32), row_nnz


def umap_blobs(rng, types, n_types):
    angles = 2 * np.pi * np.arange(n_types) / n_types
    centers = np.stack([np.cos(angles), np.sin(angles)], axis=1) * 10.0
    centers += rng.normal(0.0, 1.5, size=centers.shape)
    spread = rng.uniform(0.8, 1.6, size=n_types)
    emb = centers[types] + rng.normal(size=(len(types), 2)) * spread[types, None]
    return emb.astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=100_000)
    ap.add_argument("--genes", type=int, default=20_000)
    ap.add_argument("--detected", type=float, default=None,
                    help="mean genes detected per cell (default genes/10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    import anndata as ad
    import pandas as pd

    t0 = time.perf_counter()
    target = args.detected if args.detected is not None else args.genes / 10
    names, profiles, theta = model(args.genes, args.seed)
    n_types = len(CELL_TYPES)
    type_p = TYPE_WEIGHTS / TYPE_WEIGHTS.sum()
    scale = calibrate(target, profiles, theta, type_p)
    rng = np.random.default_rng([args.seed, 1])
    types = rng.choice(n_types, size=args.cells, p=type_p)

    datas, indices, row_nnz = [], [], []
    for b, start in enumerate(range(0, args.cells, BLOCK)):
        brng = np.random.default_rng([args.seed, 2, b])
        d, i, r = draw_block(brng, types[start:start + BLOCK], profiles, theta, scale)
        datas.append(d)
        indices.append(i)
        row_nnz.append(r)
        print(f"\rcells {min(start + BLOCK, args.cells):,}/{args.cells:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    row_nnz = np.concatenate(row_nnz)
    nnz = int(row_nnz.sum())
    idx_dtype = np.int32 if nnz < 2**31 else np.int64
    indptr = np.zeros(args.cells + 1, dtype=idx_dtype)
    np.cumsum(row_nnz, out=indptr[1:])
    data = np.concatenate(datas)
    del datas
    ind = np.concatenate(indices)
    del indices
    X = sp.csr_matrix((data, ind, indptr), shape=(args.cells, args.genes))
    X.has_sorted_indices = True
    t_draw = time.perf_counter() - t0

    obs = pd.DataFrame(
        {"cell_type": pd.Categorical.from_codes(types, categories=CELL_TYPES)},
        index=pd.Index([f"cell{i:06d}" for i in range(args.cells)]),
    )
    var = pd.DataFrame(index=pd.Index(list(names)))
    adata = ad.AnnData(
        X=X, obs=obs, var=var,
        obsm={"X_umap": umap_blobs(np.random.default_rng([args.seed, 3]), types, n_types)},
        uns={"cell_type_colors": np.array(COLORS[:n_types], dtype=object)},
    )
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    adata.write_h5ad(args.out, compression="gzip")
    total = time.perf_counter() - t0
    print(json.dumps({
        "out": args.out,
        "cells": args.cells,
        "genes": args.genes,
        "nnz": nnz,
        "mean_genes_per_cell": round(nnz / args.cells, 1),
        "mean_counts_per_cell": round(float(data.sum(dtype=np.float64)) / args.cells, 1),
        "mt_genes": int(sum(str(n).startswith("MT-") for n in names)),
        "draw_seconds": round(t_draw, 1),
        "total_seconds": round(total, 1),
        "file_mb": round(os.path.getsize(args.out) / 2**20, 1),
    }))


if __name__ == "__main__":
    main()
