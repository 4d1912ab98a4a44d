#!/usr/bin/env python3
"""scanpy's rank_genes_groups on pbmc68k_reduced, the reference of Biolens' marker genes.

Run from the repo root with the venv of scanpy_make.py (scanpy 1.11, statsmodels for the
Benjamini-Hochberg step):

    /work/.venv-scanpy/bin/python tests/reference/markers_make.py

Reads ../shared/sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad (or $BIOLENS_PBMC68K), which the
repo bundles as sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad; groups by `bulk_labels` on
`raw.X` (scanpy's default use_raw=True: log1p of normalised counts). Writes
tests/reference/markers_reference.json: for each configuration and group, the top N_TOP genes
by score (scanpy's order) with their scores, p-values, BH-adjusted p-values and log2 fold changes.
"""
import importlib.metadata as md
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
import scanpy as sc  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
PBMC = os.environ.get("BIOLENS_PBMC68K", os.path.join(REPO, "sample-data", "pbmc68k_reduced", "pbmc68k_reduced.h5ad"))
N_TOP = 100
REFERENCE_GROUP = "CD19+ B"

CONFIGS = {
    "wilcoxon": dict(method="wilcoxon"),
    "wilcoxon_tie_correct": dict(method="wilcoxon", tie_correct=True),
    "t-test": dict(method="t-test"),
    "t-test_overestim_var": dict(method="t-test_overestim_var"),
    "wilcoxon_vs_reference": dict(method="wilcoxon", reference=REFERENCE_GROUP),
    "t-test_vs_reference": dict(method="t-test", reference=REFERENCE_GROUP),
}


def nums(values):
    return [None if not np.isfinite(v) else float(f"{v:.15g}") for v in np.asarray(values, dtype=np.float64)]


def main():
    a = sc.read_h5ad(PBMC)
    out = {
        "input": "pbmc68k_reduced.h5ad, raw.X (700 cells x 765 genes, log1p of normalised counts), groupby bulk_labels",
        "versions": {p: md.version(p) for p in ("scanpy", "anndata", "numpy", "scipy", "statsmodels")},
        "python": sys.version.split()[0],
        "n_top": N_TOP,
        "groups": [str(g) for g in a.obs["bulk_labels"].cat.categories],
        "configs": {},
    }
    for name, kw in CONFIGS.items():
        b = a.copy()
        sc.tl.rank_genes_groups(b, "bulk_labels", n_genes=N_TOP, **kw)
        r = b.uns["rank_genes_groups"]
        groups = list(r["names"].dtype.names)
        out["configs"][name] = {
            "call": f'sc.tl.rank_genes_groups(adata, "bulk_labels", n_genes={N_TOP}, '
                    + ", ".join(f"{k}={v!r}" for k, v in kw.items()) + ")",
            "groups": {
                g: {
                    "names": [str(x) for x in r["names"][g]],
                    "scores": nums(r["scores"][g]),
                    "pvals": nums(r["pvals"][g]),
                    "pvals_adj": nums(r["pvals_adj"][g]),
                    "logfoldchanges": nums(r["logfoldchanges"][g]),
                }
                for g in groups
            },
        }
    # The cluster-level dendrogram (sc.tl.dendrogram's defaults: the stored X_pca, Pearson
    # correlation of the group means, complete linkage), and the dot plot's numbers: the
    # fraction of cells with a value above 0 and the mean of raw.X in each group.
    b = a.copy()
    sc.tl.dendrogram(b, "bulk_labels")
    d = b.uns["dendrogram_bulk_labels"]
    out["dendrogram"] = {
        "call": 'sc.tl.dendrogram(adata, "bulk_labels")',
        "categories_ordered": [str(c) for c in d["categories_ordered"]],
        "correlation_matrix": [nums(row) for row in d["correlation_matrix"]],
        "linkage_heights": nums(d["linkage"][:, 2]),
    }
    genes = ["CD79A", "LYZ", "NKG7", "CST3", "GNLY"]
    from scanpy.plotting._anndata import _prepare_dataframe
    _, df = _prepare_dataframe(a, genes, "bulk_labels", use_raw=True)
    out["dotplot"] = {
        "genes": genes,
        "fraction": {str(g): nums((sub > 0).mean(0).values) for g, sub in df.groupby(level=0, observed=True)},
        "mean": {str(g): nums(sub.mean(0).values) for g, sub in df.groupby(level=0, observed=True)},
    }
    path = os.path.join(HERE, "markers_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
    print(path, os.path.getsize(path))


if __name__ == "__main__":
    main()
