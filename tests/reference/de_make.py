#!/usr/bin/env python3
"""SciPy's two-group tests on a bulk table, the reference of `biolens de`.

    /work/.venv-scanpy/bin/python tests/reference/de_make.py

Reads sample-data/tissue_gene_expression (189 samples x 500 genes, log expression, label per
sample) and compares label == "kidney" (group 1) with label == "liver" (group 2) for every gene:
scipy.stats.ttest_ind(equal_var=False) (Welch) and
scipy.stats.mannwhitneyu(method="asymptotic", use_continuity=False) (Wilcoxon rank-sum with the
tie correction), each with Benjamini-Hochberg adjusted p-values (statsmodels fdr_bh). Writes
tests/reference/de_reference.json: per gene t, Welch p, U, Wilcoxon p, and both adjusted p.
"""
import json
import os

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "sample-data", "tissue_gene_expression")


def main():
    x = pd.read_csv(os.path.join(DATA, "expression.csv"), index_col=0)
    labels = pd.read_csv(os.path.join(DATA, "samples.csv"), index_col=0)["label"].loc[x.index]
    a, b = x[labels == "kidney"], x[labels == "liver"]
    t, p_t = stats.ttest_ind(a, b, equal_var=False)
    u, p_u = stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=False)
    out = {
        "input": "sample-data/tissue_gene_expression, kidney (group 1) vs liver (group 2)",
        "n1": int(len(a)), "n2": int(len(b)),
        "genes": list(x.columns),
        "welch_t": [float(v) for v in t], "welch_p": [float(v) for v in p_t],
        "welch_p_adj": [float(v) for v in multipletests(np.nan_to_num(p_t, nan=1.0), method="fdr_bh")[1]],
        "mannwhitney_u": [float(v) for v in u], "mannwhitney_p": [float(v) for v in p_u],
        "mannwhitney_p_adj": [float(v) for v in multipletests(np.nan_to_num(p_u, nan=1.0), method="fdr_bh")[1]],
    }
    with open(os.path.join(HERE, "de_reference.json"), "w") as f:
        json.dump(out, f)
    print(out["n1"], out["n2"], len(out["genes"]), min(out["welch_p"]), min(out["mannwhitney_p"]))


if __name__ == "__main__":
    main()
