#!/usr/bin/env python3
"""The scanpy side of the single-cell benchmark: one step per process, one JSON line out.

    python benches/single_cell/scanpy_steps.py FILE read
    python benches/single_cell/scanpy_steps.py FILE pipeline [--out scores.csv]
    python benches/single_cell/scanpy_steps.py --warmup

read      anndata.read_h5ad(FILE) alone (imports anndata only, not scanpy). Prints
          {"step", "seconds", "peak_rss_mb", "baseline_rss_mb", ...}.
pipeline  read_h5ad, timed on its own (read_seconds), then, timed together (pipeline_seconds):
          var["mt"] = var_names starting with "MT-"; sc.pp.calculate_qc_metrics(qc_vars=["mt"]);
          filter_cells(min_genes=200); filter_genes(min_cells=3); normalize_total();
          log1p(); highly_variable_genes(flavor="seurat", n_top_genes=2000); subset to the
          HVGs; scale(max_value=10); pca(n_comps=50, svd_solver="arpack").
          Prints {"step", "read_seconds", "pipeline_seconds", "seconds" (both), "peak_rss_mb", ...}.

peak_rss_mb is the process's peak resident set (getrusage(RUSAGE_SELF).ru_maxrss, KiB on
Linux), imports included; baseline_rss_mb is the resident set after the imports, before the
read. Imports are never inside the timed seconds.

--warmup runs the pipeline once on a small random matrix in memory, so that numba's cache of
compiled functions is filled before anything is timed (a first-ever call compiles for ~15 s).
"""
import argparse
import json
import resource
import sys
import time


def rss_mb():
    """Current resident set (MiB), from /proc; 0 where there is none."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        import os
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def pipeline(box):
    """The benchmarked steps on the AnnData in the one-element list `box` (taken out of it, so
    that the full matrix is freed when the HVG subset replaces it, as in a script); returns
    the AnnData with X_pca."""
    import scanpy as sc
    adata = box.pop()
    adata.var["mt"] = adata.var_names.str.startswith("MT-")
    sc.pp.calculate_qc_metrics(adata, qc_vars=["mt"], inplace=True)
    sc.pp.filter_cells(adata, min_genes=200)
    sc.pp.filter_genes(adata, min_cells=3)
    sc.pp.normalize_total(adata)
    sc.pp.log1p(adata)
    sc.pp.highly_variable_genes(adata, flavor="seurat", n_top_genes=2000)
    adata = adata[:, adata.var["highly_variable"]].copy()
    sc.pp.scale(adata, max_value=10)
    sc.pp.pca(adata, n_comps=50, svd_solver="arpack")
    return adata


def warmup():
    import anndata as ad
    import numpy as np
    import scipy.sparse as sp
    rng = np.random.default_rng(0)
    X = sp.random(1_000, 3_000, density=0.2, format="csr", dtype=np.float32, random_state=rng)
    X.data = rng.poisson(3.0, size=X.nnz).astype(np.float32) + 1
    adata = ad.AnnData(X)
    adata.var_names = [f"MT-{i}" if i < 13 else f"G{i}" for i in range(X.shape[1])]
    pipeline([adata])
    print(json.dumps({"step": "warmup"}))


def main():
    ap = argparse.ArgumentParser(description="scanpy side of the single-cell benchmark")
    ap.add_argument("file", nargs="?")
    ap.add_argument("step", nargs="?", choices=["read", "pipeline"])
    ap.add_argument("--out", help="pipeline: write the PCA scores as CSV (cell_id,PC1,...)")
    ap.add_argument("--warmup", action="store_true", help="fill numba's cache and exit")
    args = ap.parse_args()
    if not args.warmup and (args.file is None or args.step is None):
        ap.error("FILE and STEP are required (or --warmup)")

    import warnings
    warnings.filterwarnings("ignore")
    import anndata as ad
    if args.warmup:
        warmup()
        return
    if args.step == "pipeline":
        import numpy as np
        import scanpy as sc
    baseline = rss_mb()

    t0 = time.perf_counter()
    adata = ad.read_h5ad(args.file)
    read_s = time.perf_counter() - t0
    shape = {"n_obs": adata.n_obs, "n_vars": adata.n_vars}
    nnz = int(adata.X.nnz) if hasattr(adata.X, "nnz") else None

    if args.step == "read":
        print(json.dumps({
            "step": "read", "file": args.file, "seconds": round(read_s, 3),
            "peak_rss_mb": round(peak_mb(), 1), "baseline_rss_mb": round(baseline, 1),
            **shape, "nnz": nnz,
        }))
        return

    box = [adata]
    del adata
    t0 = time.perf_counter()
    adata = pipeline(box)
    pipe_s = time.perf_counter() - t0

    evr = adata.uns["pca"]["variance_ratio"]
    result = {
        "step": "pipeline", "file": args.file,
        "read_seconds": round(read_s, 3), "pipeline_seconds": round(pipe_s, 3),
        "seconds": round(read_s + pipe_s, 3),
        "peak_rss_mb": round(peak_mb(), 1), "baseline_rss_mb": round(baseline, 1),
        **shape, "nnz": nnz,
        "cells_kept": adata.n_obs, "hvgs": adata.n_vars,
        "evr_first5": [round(float(x), 5) for x in evr[:5]],
        "evr_sum50": round(float(np.sum(evr)), 5),
    }
    if args.out:
        k = adata.obsm["X_pca"].shape[1]
        with open(args.out, "w") as f:
            f.write("cell_id," + ",".join(f"PC{i + 1}" for i in range(k)) + "\n")
            for name, row in zip(adata.obs_names, adata.obsm["X_pca"]):
                f.write(name + "," + ",".join(f"{v:.6g}" for v in row) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
