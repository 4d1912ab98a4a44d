#!/usr/bin/env python3
"""Single-cell test files and scanpy references for Biolens' h5ad / Loom / Cell Ranger readers and
its scanpy-equivalent preprocessing.

Run from the repo root, in a venv of its own outside the repo:

    python3 -m venv /work/.venv-scanpy
    /work/.venv-scanpy/bin/pip install "scanpy==1.11.*" anndata h5py "scipy<1.16" "scikit-learn<1.7" \
        loompy scikit-misc
    /work/.venv-scanpy/bin/python tests/reference/scanpy_make.py

Made with: Python 3.11.7, scanpy 1.11.5, anndata 0.12.19, h5py 3.16.0, numpy 2.4.6, scipy 1.15.3,
scikit-learn 1.6.1, pandas 2.3.3, loompy 3.0.8, scikit-misc 0.5.3 (loess for seurat_v3), numba 0.68.1.
The versions actually used are written into scanpy_reference.json ("versions").

Deterministic: every random draw comes from numpy.random.default_rng(SEED); the HDF5 files are
byte-identical from run to run (loompy's time stamps are pinned).

Writes
  tests/data/formats/   counts_csr_gzip.h5ad, counts_csc_lzf.h5ad, dense_x.h5ad, counts.loom,
                        small_csr.h5ad (valid twin of the broken files), truncated.h5ad,
                        bad_indices.h5ad, bad_indptr.h5ad, bad_indptr_last.h5ad, shape_mismatch.h5ad,
                        noninteger_counts.h5ad, unknown_encoding.h5ad
  tests/reference/      scanpy_reference.json, scanpy_log1p.h5ad
See tests/reference/README-scanpy.md for what each holds.

The shared sample files are read from ../shared/sample-data/formats (beside the repo) or from
$BIOLENS_SHARED_FORMATS.
"""
import importlib.metadata as md
import json
import os
import shutil
import sys
import warnings

import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

warnings.filterwarnings("ignore", category=FutureWarning)
import anndata as ad  # noqa: E402
import scanpy as sc  # noqa: E402

SEED = 20240611
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
FORMATS = os.path.join(REPO, "tests", "data", "formats")
SHARED = os.environ.get(
    "BIOLENS_SHARED_FORMATS", os.path.abspath(os.path.join(REPO, "..", "shared", "sample-data", "formats"))
)

N_CELLS = 600
N_GENES_RAW = 1200  # raw keeps every gene
N_GENES_X = 1000  # X (and layers) keep the first 1,000
CELL_TYPES = ["T cell", "B cell", "NK", "Monocyte", "Dendritic"]  # category order is NOT alphabetical
TYPE_SIZES = [210, 150, 90, 90, 60]
TYPE_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
MT_SYMBOLS = ["MT-ND1", "MT-ND2", "MT-CO1", "MT-CO2", "MT-ATP8", "MT-ATP6", "MT-CO3", "MT-ND3", "MT-ND4L", "MT-ND4"]
MT_POS = [3, 97, 211, 305, 402, 518, 640, 733, 861, 990]  # all inside X's first 1,000 genes
ZERO_GENES = [50, 450, 950]  # never expressed: all-zero columns (filter_genes, HVG NaN edge cases)

# Filter thresholds (chosen so that some cells / genes go; asserted below)
MIN_GENES = 30
MIN_CELLS = 5
MAX_COUNTS = 420
MIN_COUNTS = 55


# ----------------------------------------------------------------------------------------------
# Synthetic data
# ----------------------------------------------------------------------------------------------
def synth():
    rng = np.random.default_rng(SEED)
    labels = np.repeat(np.arange(len(CELL_TYPES)), TYPE_SIZES)
    labels = labels[rng.permutation(N_CELLS)]

    base = np.exp(rng.normal(-3.8, 1.4, N_GENES_RAW))  # mean counts per gene at size factor 1
    base[MT_POS] = rng.uniform(1.0, 3.5, len(MT_POS))
    base[ZERO_GENES] = 0.0
    means = np.empty((len(CELL_TYPES), N_GENES_RAW))
    for t in range(len(CELL_TYPES)):
        fold = np.exp(rng.normal(0.0, 0.25, N_GENES_RAW))
        markers = rng.choice(N_GENES_X, 40, replace=False)
        means[t] = base * fold
        means[t, markers] = np.maximum(base[markers], 0.3) * rng.uniform(4.0, 10.0, 40)
    means[:, MT_POS] = base[MT_POS]
    means[:, ZERO_GENES] = 0.0  # also when drawn as a marker

    size = np.exp(rng.normal(0.0, 0.45, N_CELLS))
    low = rng.choice(N_CELLS, 15, replace=False)  # low-quality cells: few genes
    size[low] *= 0.15
    mito_high = rng.choice(np.setdiff1d(np.arange(N_CELLS), low), 20, replace=False)

    mu = means[labels] * size[:, None]
    mu[np.ix_(mito_high, MT_POS)] *= 5.0
    theta = 2.0
    counts = np.zeros_like(mu)
    nz = mu > 0
    counts[nz] = rng.negative_binomial(theta, theta / (theta + mu[nz]))
    counts = counts.astype(np.float32)

    is_mt = np.zeros(N_GENES_RAW, bool)
    is_mt[MT_POS] = True
    ids, symbols = [], []
    k = iter(MT_SYMBOLS)
    for g in range(N_GENES_RAW):
        if is_mt[g]:
            s = next(k)
            ids.append(s)  # mito genes: var_name itself starts with "MT-" (scanpy's prefix rule on var_names)
            symbols.append(s)
        else:
            ids.append(f"ENSG{g + 1:011d}")
            symbols.append(f"GENE{g + 1:04d}")

    obs_names = [f"CELL{i:04d}-1" for i in range(N_CELLS)]
    n_guides = pd.array(rng.integers(0, 6, N_CELLS), dtype="Int64")
    n_guides[rng.random(N_CELLS) < 0.1] = pd.NA
    doublet = pd.array(rng.random(N_CELLS) < 0.08, dtype="boolean")
    doublet[rng.random(N_CELLS) < 0.1] = pd.NA
    obs = pd.DataFrame(
        {
            "cell_type": pd.Categorical.from_codes(labels, categories=CELL_TYPES),
            "batch": pd.Categorical(np.where(rng.random(N_CELLS) < 0.5, "batch1", "batch2")),
            "n_guides": n_guides,
            "doublet": doublet,
            "score": rng.normal(0.0, 1.0, N_CELLS),
            "is_control": rng.random(N_CELLS) < 0.2,
        },
        index=pd.Index(obs_names),
    )
    # fixed positions so the first values are known: NA in row 1 of n_guides and row 2 of doublet
    obs.iloc[1, obs.columns.get_loc("n_guides")] = pd.NA
    obs.iloc[2, obs.columns.get_loc("doublet")] = pd.NA

    centres = rng.normal(0, 8, (len(CELL_TYPES), 2))
    umap = (centres[labels] + rng.normal(0, 1.0, (N_CELLS, 2))).astype(np.float32)
    logx = np.log1p(counts[:, :N_GENES_X].astype(np.float64))
    logx -= logx.mean(0)
    u, s, _ = np.linalg.svd(logx, full_matrices=False)
    pca = (u[:, :10] * s[:10]).astype(np.float32)

    var_raw = pd.DataFrame({"gene_symbols": symbols}, index=pd.Index(ids))
    raw = ad.AnnData(X=sp.csr_matrix(counts), obs=pd.DataFrame(index=obs.index), var=var_raw)
    x = sp.csr_matrix(counts[:, :N_GENES_X])
    a = ad.AnnData(X=x, obs=obs, var=var_raw.iloc[:N_GENES_X].copy())
    a.layers["counts"] = x.copy()
    a.obsm["X_umap"] = umap
    a.obsm["X_pca"] = pca
    a.uns["cell_type_colors"] = np.array(TYPE_COLORS, dtype=object)
    a.raw = raw
    return a


# ----------------------------------------------------------------------------------------------
# Writing helpers
# ----------------------------------------------------------------------------------------------
def write_h5ad(a, name, **kw):
    path = os.path.join(FORMATS, name)
    a.write_h5ad(path, **kw)
    return path


def copy(src, name):
    dst = os.path.join(FORMATS, name)
    shutil.copyfile(src, dst)
    return dst


def write_files(a):
    os.makedirs(FORMATS, exist_ok=True)
    csr = write_h5ad(a, "counts_csr_gzip.h5ad", compression="gzip")

    c = a.copy()
    c.X = sp.csc_matrix(c.X)
    del c.layers["counts"]  # X only (size)
    del c.raw
    write_h5ad(c, "counts_csc_lzf.h5ad", compression="lzf")

    # Dense X: the first 20 cells only (600 x 1,000 float32 uncompressed would be 2.4 MB on its own),
    # obs cell_type, var names only
    d = ad.AnnData(
        X=a.X[:20].toarray(),
        obs=a.obs[["cell_type"]].iloc[:20].copy(),
        var=pd.DataFrame(index=a.var_names.copy()),
    )
    write_h5ad(d, "dense_x.h5ad")

    # Loom via anndata's write_loom (loompy): /matrix (genes x cells) = X, /layers/counts, col_attrs
    # CellID/cell_type/batch/score/is_control (bool -> uint8), row_attrs Gene/gene_symbols.
    # The nullable columns are left out: write_loom would store them as the strings "2"/"None".
    # write_loom names the name attributes obs_names / var_names; they are then renamed (an HDF5 link
    # move, nothing rewritten) to CellID / Gene, the Loom convention and read_loom's defaults.
    lo = ad.read_h5ad(csr)
    lo.obs = lo.obs.drop(columns=["n_guides", "doublet"])
    del lo.raw
    lo.obsm.clear()
    lo.uns.clear()
    loom = os.path.join(FORMATS, "counts.loom")
    import loompy  # noqa: F401  (pin loompy's time stamps: CreationDate and every last_modified)

    for mod in [m for name, m in sys.modules.items() if name.split(".")[0] == "loompy"]:
        if hasattr(mod, "timestamp"):
            mod.timestamp = lambda: "20240611T000000.000000Z"
    lo.write_loom(loom)
    with h5py.File(loom, "r+") as f:
        f.move("col_attrs/obs_names", "col_attrs/CellID")
        f.move("row_attrs/var_names", "row_attrs/Gene")

    # Small valid CSR file; the broken files are copies of it with one thing wrong
    small = ad.AnnData(X=a.X[:50, :60].copy(), obs=a.obs[["cell_type"]].iloc[:50].copy(), var=a.var.iloc[:60].copy())
    base = write_h5ad(small, "small_csr.h5ad")
    n_obs, n_vars = small.shape
    nnz = small.X.nnz

    with open(csr, "rb") as f:
        blob = f.read()
    with open(os.path.join(FORMATS, "truncated.h5ad"), "wb") as f:
        f.write(blob[: int(len(blob) * 0.6)])

    p = copy(base, "bad_indices.h5ad")
    with h5py.File(p, "r+") as f:
        f["X/indices"][5] = n_vars + 7  # column 67 in a 60-gene matrix
    p = copy(base, "bad_indptr.h5ad")
    with h5py.File(p, "r+") as f:
        ip = f["X/indptr"][...]
        ip[10] = ip[12] + 3  # indptr[10] > indptr[11]: not monotone
        f["X/indptr"][...] = ip
    p = copy(base, "bad_indptr_last.h5ad")
    with h5py.File(p, "r+") as f:
        ip = f["X/indptr"][...]
        ip[-1] = nnz - 4  # last value != len(data)
        f["X/indptr"][...] = ip
    p = copy(base, "shape_mismatch.h5ad")
    with h5py.File(p, "r+") as f:
        f["X"].attrs["shape"] = np.array([n_obs + 3, n_vars], dtype=np.int64)  # len(indptr)-1 == 50
    p = copy(base, "unknown_encoding.h5ad")
    with h5py.File(p, "r+") as f:
        f["X"].attrs["encoding-type"] = "weird-matrix"

    # Non-integer counts: 120 cells x 300 genes, some stored values raised by 0.5
    rng = np.random.default_rng(SEED + 1)
    ni = a.X[:120, :300].copy().astype(np.float32)
    bump = rng.random(ni.nnz) < 0.05
    ni.data[bump] += 0.5
    nonint = ad.AnnData(X=ni, obs=a.obs[["cell_type"]].iloc[:120].copy(), var=a.var.iloc[:300].copy())
    write_h5ad(nonint, "noninteger_counts.h5ad", compression="gzip")
    return csr


# ----------------------------------------------------------------------------------------------
# JSON helpers
# ----------------------------------------------------------------------------------------------
def num(v):
    v = float(v)
    return None if np.isnan(v) else v


def nums(arr):
    return [num(v) for v in np.asarray(arr).ravel()]


def ints(arr):
    return [int(v) for v in np.asarray(arr).ravel()]


def err(e):
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:400]


# ----------------------------------------------------------------------------------------------
# What anndata / scanpy read
# ----------------------------------------------------------------------------------------------
def x_kind(x):
    if x is None:
        return "None"
    if sp.issparse(x):
        return x.format  # "csr" / "csc"
    if isinstance(x, np.ndarray):
        return "dense"
    return type(x).__name__


def col_kind(s):
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype):
        return "category"
    if isinstance(dt, pd.BooleanDtype):
        return "nullable_bool"
    if pd.api.types.is_extension_array_dtype(dt) and pd.api.types.is_integer_dtype(dt):
        return "nullable_int"
    if pd.api.types.is_bool_dtype(dt):
        return "bool"
    if pd.api.types.is_integer_dtype(dt):
        return "int"
    if pd.api.types.is_float_dtype(dt):
        return "float"
    if pd.api.types.is_string_dtype(dt) or dt == object:
        return "string"
    return str(dt)


def describe_frame(df):
    out = {}
    for name in df.columns:
        s = df[name]
        k = col_kind(s)
        vals = list(s.iloc[:3])
        d = {"kind": k, "dtype": str(s.dtype), "first3": [None if pd.isna(v) else str(v) for v in vals]}
        if k in ("int", "float", "nullable_int"):
            d["first3_num"] = [None if pd.isna(v) else num(v) for v in vals]
        if k == "category":
            cats = [str(c) for c in s.cat.categories]
            d["n_categories"] = len(cats)
            d["categories"] = cats[:30]
            d["ordered"] = bool(s.cat.ordered)
        out[str(name)] = d
    return out


def x_summary(x):
    d = {"kind": x_kind(x)}
    if x is None:
        return d
    d["dtype"] = str(x.dtype)
    if sp.issparse(x):
        d["nnz"] = int(x.nnz)
        d["n_nonzero"] = int(np.count_nonzero(x.data))
        d["sum"] = float(x.data.astype(np.float64).sum())
        row0 = np.asarray(x[0].toarray()).ravel() if x.shape[0] else np.zeros(0)
    else:
        x = np.asarray(x)
        d["nnz"] = int(np.count_nonzero(x))
        d["n_nonzero"] = d["nnz"]
        d["sum"] = float(x.astype(np.float64).sum())
        row0 = x[0] if x.shape[0] else np.zeros(0)
    nzc = np.flatnonzero(row0)
    d["row0_first_nonzero"] = {"col": int(nzc[0]), "value": float(row0[nzc[0]])} if len(nzc) else None
    return d


def describe(a):
    d = {"n_obs": int(a.n_obs), "n_vars": int(a.n_vars)}
    xs = x_summary(a.X)
    d["X"] = xs
    d["obs_names_first3"] = [str(v) for v in a.obs_names[:3]]
    d["var_names_first3"] = [str(v) for v in a.var_names[:3]]
    d["obs_names_dtype"] = str(a.obs_names.dtype)
    d["var_names_dtype"] = str(a.var_names.dtype)
    d["obs"] = describe_frame(a.obs)
    d["var"] = describe_frame(a.var)
    d["obsm"] = {k: list(map(int, np.shape(v))) for k, v in a.obsm.items()}
    d["layers"] = {k: x_kind(v) for k, v in a.layers.items()}
    if a.raw is not None:
        d["raw"] = {"present": True, "shape": [int(a.raw.n_obs), int(a.raw.n_vars)], "X": x_summary(a.raw.X),
                    "var_names_first3": [str(v) for v in a.raw.var_names[:3]]}
    else:
        d["raw"] = {"present": False}
    d["uns_keys"] = sorted(map(str, a.uns.keys()))
    d["uns_colors"] = {k: [str(c) for c in v] for k, v in a.uns.items() if str(k).endswith("_colors")}
    return d


def read_and_describe(reader, path, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            a = reader(path, **kw)
        except Exception as e:  # noqa: BLE001
            return {"ok": False, "error": err(e)}
    d = {"ok": True, "reader": f"{reader.__module__.split('.')[0]}.{reader.__name__}", **describe(a)}
    if kw:
        d["reader_args"] = {k: str(v) for k, v in kw.items()}
    msgs = sorted({str(w.message).splitlines()[0][:200] for w in caught if not issubclass(w.category, FutureWarning)})
    if msgs:
        d["n_warnings"] = len(msgs)
        d["warnings"] = msgs[:5]
    if sp.issparse(a.X):
        try:
            a.X.check_format(full_check=True)
            d["scipy_full_check"] = "ok"
        except Exception as e:  # noqa: BLE001
            d["scipy_full_check"] = err(e)
    return d


def read_mtx_dir_as_text(path):
    """An uncompressed Cell Ranger v3 folder the way read_10x_mtx would read a gzipped one: barcodes and
    feature ids / names kept as text (scanpy 1.11 only looks for matrix.mtx.gz in a v3 folder)."""
    x = sp.csr_matrix(ad.io.read_mtx(os.path.join(path, "matrix.mtx")).X.T)
    bc = pd.read_csv(os.path.join(path, "barcodes.tsv"), sep="\t", header=None, dtype=str)[0].to_numpy()
    ft = pd.read_csv(os.path.join(path, "features.tsv"), sep="\t", header=None, dtype=str)
    var = pd.DataFrame({"gene_ids": ft[0].to_numpy(), "feature_types": ft[2].to_numpy()}, index=pd.Index(ft[1].to_numpy()))
    return ad.AnnData(X=x, obs=pd.DataFrame(index=pd.Index(bc)), var=var)


def survey():
    files = {}
    sh = lambda n: os.path.join(SHARED, n)  # noqa: E731
    for n in ("anndata_v0.5.0.h5ad", "anndata_v0.7.0.h5ad", "anndata_v0.11.4.h5ad", "pbmc68k_reduced_current.h5ad"):
        files[f"shared/{n}"] = read_and_describe(ad.read_h5ad, sh(n))
    files["shared/pbmc68k_reduced.loom"] = read_and_describe(sc.read_loom, sh("pbmc68k_reduced.loom"))
    files["shared/pbmc68k_reduced.loom[index]"] = read_and_describe(
        sc.read_loom, sh("pbmc68k_reduced.loom"), obs_names="index", var_names="index")
    files["shared/cellranger_v2_filtered.h5"] = read_and_describe(
        sc.read_10x_h5, sh("cellranger_v2_filtered.h5"), genome="hg19_chr21")
    files["shared/cellranger_v3_filtered.h5"] = read_and_describe(sc.read_10x_h5, sh("cellranger_v3_filtered.h5"))
    files["shared/cellranger_v3_filtered_mtx"] = read_and_describe(sc.read_10x_mtx, sh("cellranger_v3_filtered_mtx"))
    files["shared/cellranger_v3_filtered_mtx[gene_ids]"] = read_and_describe(
        sc.read_10x_mtx, sh("cellranger_v3_filtered_mtx"), var_names="gene_ids")
    files["shared/cellranger_int_ids_mtx"] = read_and_describe(sc.read_10x_mtx, sh("cellranger_int_ids_mtx"))
    files["shared/cellranger_int_ids_mtx[manual]"] = read_and_describe(read_mtx_dir_as_text, sh("cellranger_int_ids_mtx"))
    for n in sorted(os.listdir(FORMATS)):
        p = os.path.join(FORMATS, n)
        if n.endswith(".h5ad"):
            files[f"tests/data/formats/{n}"] = read_and_describe(ad.read_h5ad, p)
        elif n.endswith(".loom"):
            files[f"tests/data/formats/{n}"] = read_and_describe(sc.read_loom, p)
    files["tests/reference/scanpy_log1p.h5ad"] = read_and_describe(
        ad.read_h5ad, os.path.join(HERE, "scanpy_log1p.h5ad"))
    return files


# ----------------------------------------------------------------------------------------------
# scanpy preprocessing references
# ----------------------------------------------------------------------------------------------
def hvg_record(a, flavor):
    v = a.var
    rec = {"hvg": [str(g) for g in a.var_names[v["highly_variable"].to_numpy()]],
           "n_hvg": int(v["highly_variable"].sum()), "means": nums(v["means"])}
    if flavor == "seurat_v3":
        rec["variances"] = nums(v["variances"])
        rec["variances_norm"] = nums(v["variances_norm"])
        r = v["highly_variable_rank"].to_numpy()
        rec["highly_variable_rank"] = [None if np.isnan(x) else int(x) for x in r]
        order = np.argsort(np.where(np.isnan(r), np.inf, r), kind="stable")
        rec["hvg_by_rank"] = [str(a.var_names[i]) for i in order[: rec["n_hvg"]]]
    else:
        rec["dispersions"] = nums(v["dispersions"])
        rec["dispersions_norm"] = nums(v["dispersions_norm"])
    return rec


def pca_record(a, n_first=5):
    p = a.uns["pca"]
    load = a.varm["PCs"]
    return {
        "X_dtype": str(a.X.dtype),
        "X_pca_dtype": str(a.obsm["X_pca"].dtype),
        "explained_variance_ratio": nums(p["variance_ratio"]),
        "explained_variance": nums(p["variance"]),
        "loadings_first5": [nums(load[:, k]) for k in range(n_first)],  # [pc][gene], genes in var order
        "scores_first10_cells": [nums(a.obsm["X_pca"][i, :n_first]) for i in range(10)],
    }


def reference(csr_path):
    out = {"input": "tests/data/formats/counts_csr_gzip.h5ad (X: 600 cells x 1,000 genes, CSR float32 counts)"}
    a = ad.read_h5ad(csr_path)
    a.raw = None
    a.var["mt"] = a.var_names.str.startswith("MT-")

    # --- QC
    q = a.copy()
    sc.pp.calculate_qc_metrics(q, qc_vars=["mt"], percent_top=None, log1p=False, inplace=True)
    out["qc"] = {
        "call": 'sc.pp.calculate_qc_metrics(adata, qc_vars=["mt"], percent_top=None, log1p=False) with '
                'var["mt"] = var_names.str.startswith("MT-")',
        "mt_genes": [str(g) for g in a.var_names[a.var["mt"].to_numpy()]],
        "obs": {k: nums(q.obs[k]) for k in ("total_counts", "n_genes_by_counts", "total_counts_mt", "pct_counts_mt")},
        "var": {k: nums(q.var[k]) for k in ("n_cells_by_counts", "total_counts", "mean_counts", "pct_dropout_by_counts")},
    }

    # --- filters (each applied on its own to the unfiltered 600 x 1,000 X)
    filt = {}
    for name, kw in (("filter_cells_min_genes", {"min_genes": MIN_GENES}),
                     ("filter_cells_min_counts", {"min_counts": MIN_COUNTS}),
                     ("filter_cells_max_counts", {"max_counts": MAX_COUNTS})):
        f = a.copy()
        sc.pp.filter_cells(f, **kw)
        kept = set(f.obs_names)
        filt[name] = {"args": kw, "n_kept": int(f.n_obs), "kept": [str(n) for n in f.obs_names],
                      "removed": [str(n) for n in a.obs_names if n not in kept]}
        assert 0 < len(filt[name]["removed"]) < a.n_obs, name
    f = a.copy()
    sc.pp.filter_genes(f, min_cells=MIN_CELLS)
    kept = set(f.var_names)
    filt["filter_genes_min_cells"] = {"args": {"min_cells": MIN_CELLS}, "n_kept": int(f.n_vars),
                                      "kept": [str(n) for n in f.var_names],
                                      "removed": [str(n) for n in a.var_names if n not in kept]}
    assert 0 < len(filt["filter_genes_min_cells"]["removed"]) < a.n_vars
    out["filters"] = filt

    # --- normalize_total (default target: median of totals) then log1p
    n = a.copy()
    res = sc.pp.normalize_total(n, inplace=False)
    totals = np.asarray(a.X.sum(1), dtype=np.float64).ravel()
    sc.pp.normalize_total(n)
    out["normalize_total"] = {
        "call": "sc.pp.normalize_total(adata) (target_sum=None)",
        "target_sum": float(np.median(totals)),
        "target_rule": "CSR input: np.median of every cell's total (zero totals included); dense input: median "
                       "of the non-zero totals. X is divided by norm_factor = total / target_sum (float32).",
        "totals": nums(totals),
        "norm_factor": nums(res["norm_factor"]),  # totals / target_sum, as scanpy divides by it
        "norm_factor_dtype": str(res["norm_factor"].dtype),
        "X_dtype_after": str(n.X.dtype),
        "X_format_after": x_kind(n.X),
        "normalized_row_sums_first5": nums(np.asarray(n.X[:5].sum(1), dtype=np.float64)),
    }
    sc.pp.log1p(n)
    out["log1p"] = {"call": "sc.pp.log1p(adata) after normalize_total", "X_dtype_after": str(n.X.dtype),
                    "X_format_after": x_kind(n.X), "file": "tests/reference/scanpy_log1p.h5ad",
                    "sum": float(n.X.data.astype(np.float64).sum()), "nnz": int(n.X.nnz)}
    # --- group means (pseudobulk) of the normalised, logged cells
    agg = sc.get.aggregate(n, by="cell_type", func="mean")
    out["group_means"] = {
        "call": 'sc.get.aggregate(log1p, by="cell_type", func="mean")',
        "groups": [str(g) for g in agg.obs_names],
        "genes": [str(g) for g in agg.var_names],
        "mean": [nums(row) for row in np.asarray(agg.layers["mean"], dtype=np.float64)],
    }
    lg = ad.AnnData(X=n.X.copy(), obs=pd.DataFrame(index=n.obs_names.copy()), var=pd.DataFrame(index=n.var_names.copy()))
    lg.write_h5ad(os.path.join(HERE, "scanpy_log1p.h5ad"), compression="gzip")

    # --- highly variable genes
    hv = {}
    h = n.copy()
    sc.pp.highly_variable_genes(h, flavor="seurat", n_top_genes=200)
    hv["seurat_n_top_200"] = {"call": 'highly_variable_genes(log1p, flavor="seurat", n_top_genes=200)', **hvg_record(h, "seurat")}
    seurat_mask = h.var["highly_variable"].to_numpy().copy()
    h = n.copy()
    sc.pp.highly_variable_genes(h, flavor="seurat", min_mean=0.0125, max_mean=3, min_disp=0.5)
    hv["seurat_cutoffs"] = {"call": 'highly_variable_genes(log1p, flavor="seurat", min_mean=0.0125, max_mean=3, min_disp=0.5)',
                            **hvg_record(h, "seurat")}
    h = n.copy()
    sc.pp.highly_variable_genes(h, flavor="cell_ranger", n_top_genes=200)
    hv["cell_ranger_n_top_200"] = {"call": 'highly_variable_genes(log1p, flavor="cell_ranger", n_top_genes=200)',
                                   **hvg_record(h, "cell_ranger")}
    h = n.copy()
    sc.pp.highly_variable_genes(h, flavor="seurat_v3", n_top_genes=200, layer="counts")
    hv["seurat_v3_n_top_200"] = {"call": 'highly_variable_genes(log1p with layers["counts"], flavor="seurat_v3", '
                                         'n_top_genes=200, layer="counts")', **hvg_record(h, "seurat_v3")}
    out["hvg"] = hv

    # seurat_v3 on non-integer counts: scanpy only warns
    ni = ad.read_h5ad(os.path.join(FORMATS, "noninteger_counts.h5ad"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sc.pp.highly_variable_genes(ni, flavor="seurat_v3", n_top_genes=50)
            outcome = "ran"
        except Exception as e:  # noqa: BLE001
            outcome = err(e)
    out["seurat_v3_noninteger"] = {
        "file": "tests/data/formats/noninteger_counts.h5ad", "outcome": outcome,
        "warnings": sorted({str(w.message).splitlines()[0] for w in caught if issubclass(w.category, UserWarning)}),
    }

    # --- scale + PCA on the seurat n_top_genes=200 HVGs
    pc = {}
    s = n[:, seurat_mask].copy()
    sc.pp.scale(s, max_value=10)
    pc["scaled"] = {
        "call": 'log1p[:, seurat n_top 200 HVGs]; sc.pp.scale(max_value=10); sc.pp.pca(n_comps=50, svd_solver="arpack")',
        "genes": [str(g) for g in s.var_names],
        "scale_mean": nums(s.var["mean"]), "scale_std": nums(s.var["std"]),
        "scaled_dtype": str(s.X.dtype), "scaled_format": x_kind(s.X),
        "scaled_first_row": nums(s.X[0]), "scaled_sum": float(np.asarray(s.X, dtype=np.float64).sum()),
        "scaled_max": float(s.X.max()), "scaled_min": float(s.X.min()),
        "n_clipped_at_10": int((s.X == 10).sum()),
    }
    s64 = s.copy()
    s64.X = s64.X.astype(np.float64)
    sc.pp.pca(s, n_comps=50, svd_solver="arpack")
    pc["scaled"].update(pca_record(s))
    sc.pp.pca(s64, n_comps=50, svd_solver="arpack", dtype="float64")
    pc["scaled"]["explained_variance_ratio_f64"] = nums(s64.uns["pca"]["variance_ratio"])
    pc["scaled"]["explained_variance_f64"] = nums(s64.uns["pca"]["variance"])

    u = n[:, seurat_mask].copy()
    assert sp.issparse(u.X)
    u64 = u.copy()
    u64.X = u64.X.astype(np.float64)
    sc.pp.pca(u, n_comps=50, svd_solver="arpack")
    pc["unscaled_sparse"] = {"call": 'log1p[:, seurat n_top 200 HVGs] kept sparse CSR; sc.pp.pca(n_comps=50, '
                                     'svd_solver="arpack") (implicit centring)', "genes": [str(g) for g in u.var_names],
                             **pca_record(u)}
    sc.pp.pca(u64, n_comps=50, svd_solver="arpack", dtype="float64")
    pc["unscaled_sparse"]["explained_variance_ratio_f64"] = nums(u64.uns["pca"]["variance_ratio"])
    pc["unscaled_sparse"]["explained_variance_f64"] = nums(u64.uns["pca"]["variance"])
    pc["sign_convention"] = ("sklearn >= 1.5 svd_flip(u_based_decision=False): in each component the loading "
                             "with the largest absolute value is positive")
    out["pca"] = pc
    return out


def main():
    versions = {"python": sys.version.split()[0]}
    for p in ("scanpy", "anndata", "h5py", "numpy", "scipy", "scikit-learn", "pandas", "loompy", "scikit-misc", "numba"):
        try:
            versions[p] = md.version(p)
        except md.PackageNotFoundError:
            versions[p] = None
    a = synth()
    csr = write_files(a)
    ref = {"versions": versions, "seed": SEED}
    ref.update(reference(csr))
    ref["files"] = survey()
    with open(os.path.join(HERE, "scanpy_reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()
