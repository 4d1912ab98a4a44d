#!/usr/bin/env python3
"""SciPy reference linkages for tests/analysis_hierarchical.rs (python3 with numpy, polars, scipy).

For sklearn_iris (sample-data/sklearn_iris/expression.csv, samples in rows, values as they are):
scipy.cluster.hierarchy.linkage with metric="euclidean" for every method, the whole merge list
(left, right, height, size) and leaves_list (the dendrogram's leaf order, left to right). Iris
has many equal distances that differ only by rounding, and which of two tied merges comes first
changes the later tree; so the file also holds pdist's condensed distances (`condensed`), to test
the linkage on exactly SciPy's input.
For khan_srbct: average linkage on correlation distance (1 - r), merge list and leaf order.

Usage: python3 tests/reference/linkage.py  -> tests/reference/scipy_linkage.json
"""
import json
import os

import numpy as np
import polars as pl
import scipy
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import pdist

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "sample-data")
METHODS = ["single", "complete", "average", "weighted", "ward", "centroid", "median"]


def matrix(name):
    frame = pl.read_csv(os.path.join(DATA, name, "expression.csv"))
    return frame.drop(frame.columns[0]).to_numpy().astype(float)


def entry(z):
    return {"merges": [[int(a), int(b), float(h), int(s)] for a, b, h, s in z], "leaves": [int(v) for v in leaves_list(z)]}


def main():
    out = {"scipy": scipy.__version__, "cases": []}
    iris = matrix("sklearn_iris")
    out["iris_condensed"] = [float(v) for v in pdist(iris, "euclidean")]
    for method in METHODS:
        case = {"dataset": "sklearn_iris", "metric": "euclidean", "method": method}
        case.update(entry(linkage(iris, method=method, metric="euclidean")))
        out["cases"].append(case)
    khan = matrix("khan_srbct")
    case = {"dataset": "khan_srbct", "metric": "correlation", "method": "average"}
    case.update(entry(linkage(pdist(khan, "correlation"), method="average")))
    out["cases"].append(case)
    with open(os.path.join(HERE, "scipy_linkage.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
