#!/usr/bin/env python3
"""SciPy and scikit-learn references for the command line's newer flags, used by tests/cli_cluster.rs
and tests/cli_classify.rs (python3 with numpy, polars, scipy, scikit-learn).

Datasets are read as shared_datasets.py reads them (the CLI reads the same files).

- `fcluster`: scipy.cluster.hierarchy.fcluster(Z, t, criterion="distance") for `cluster --height t`.
  Z = linkage(X, method, "euclidean"). On iris for every method, t midway between the distinct
  merge heights around 2, 3, 6 and 20 clusters, and t exactly equal to a merge height (iris'
  distances are pdist's bit for bit, so "at most t" is tested at the boundary). On nci60 with
  centroid and median linkage (trees with inversions), also the thresholds where cutting every
  merge at most t high (ignoring that a lower merge may sit above a higher one) differs from
  fcluster, so such a cut cannot pass.
- `cophenetic`: squareform(cophenet(Z)) as its condensed upper triangle, and cophenet(Z, Y)[0]
  (the cophenetic correlation): iris average (Euclidean), nci60 centroid (Euclidean; inversions),
  and khan_srbct average on correlation distance (1 - r), which the test clusters from the square
  matrix `biolens distances` writes (`cluster --distances`).
- `dbscan_precomputed`: DBSCAN(eps, min_samples, metric="precomputed") on the square distance
  matrix: iris Euclidean (0.5, 5) and khan_srbct correlation (0.25, 3).
- `stratified_no_shuffle`: the test fold of every sample under StratifiedKFold(k, shuffle=False).
- `stratified_shuffled`: the same with shuffle=True, random_state=s (s = 3 and 4: `--seed 3
  --repeats 2`).
- `gnb_no_shuffle_predicted`: cross_val_predict(GaussianNB(), X, y, cv=StratifiedKFold(5)) on iris.
- `loo_test_index`: the test sample of every LeaveOneOut split of iris, in order.

Usage: python3 tests/reference/cli_checks.py  -> tests/reference/cli_checks.json
"""
import json
import os
import warnings

import numpy as np
import scipy
import sklearn
from scipy.cluster.hierarchy import cophenet, fcluster, linkage
from scipy.spatial.distance import pdist, squareform
from sklearn.cluster import DBSCAN
from sklearn.model_selection import LeaveOneOut, StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB

from shared_datasets import load

HERE = os.path.dirname(os.path.abspath(__file__))
METHODS = ["single", "complete", "average", "weighted", "ward", "centroid", "median"]


def midway(z, clusters):
    """A threshold midway between the distinct merge heights that leave about `clusters` clusters."""
    heights = np.unique(z[:, 2])
    i = len(heights) - clusters
    return float((heights[i] + heights[i + 1]) / 2)


def cut_every_low_merge(z, t):
    """Clusters when every merge at most t high is applied, whatever lies below it (not fcluster)."""
    n = len(z) + 1
    parent = list(range(2 * n - 1))

    def root(a):
        while parent[a] != a:
            a = parent[a]
        return a

    for k, (a, b, h, _) in enumerate(z):
        if h <= t:
            parent[root(int(a))] = n + k
            parent[root(int(b))] = n + k
    return [root(i) for i in range(n)]


def same_partition(a, b):
    forward, backward = {}, {}
    return all(forward.setdefault(u, v) == v and backward.setdefault(v, u) == u for u, v in zip(a, b))


def fcluster_case(dataset, method, z, thresholds):
    labels = [[int(v) for v in fcluster(z, t, criterion="distance")] for t in thresholds]
    return {"dataset": dataset, "metric": "euclidean", "method": method, "thresholds": thresholds,
            "labels": labels, "clusters": [len(set(l)) for l in labels]}


def fold_of(cv, x, y):
    folds = np.empty(len(y), dtype=int)
    for k, (_, test) in enumerate(cv.split(x, y)):
        folds[test] = k
    return [int(f) for f in folds]


def main():
    warnings.simplefilter("ignore")
    out = {"scipy": scipy.__version__, "sklearn": sklearn.__version__}
    iris, iris_y = load("sklearn_iris")
    nci60, _ = load("nci60")
    khan, _ = load("khan_srbct")

    cases = []
    for method in METHODS:
        z = linkage(iris, method=method, metric="euclidean")
        thresholds = [midway(z, c) for c in (2, 3, 6, 20)] + [float(z[-5, 2])]
        cases.append(fcluster_case("sklearn_iris", method, z, thresholds))
    for method in ["centroid", "median"]:
        z = linkage(nci60, method=method, metric="euclidean")
        heights = np.unique(z[:, 2])
        mids = (heights[:-1] + heights[1:]) / 2
        telling = [float(t) for t in mids
                   if not same_partition(list(fcluster(z, t, criterion="distance")), cut_every_low_merge(z, t))]
        assert telling, f"nci60 {method}: no threshold tells the cuts apart"
        cases.append(fcluster_case("nci60", method, z, [midway(z, 4), midway(z, 10)] + telling[:2]))
    out["fcluster"] = cases

    cophenetic = []
    for dataset, x, metric, method in [("sklearn_iris", iris, "euclidean", "average"),
                                       ("nci60", nci60, "euclidean", "centroid"),
                                       ("khan_srbct", khan, "correlation", "average")]:
        y = pdist(x, metric)
        z = linkage(y, method=method)
        c, d = cophenet(z, y)
        assert np.array_equal(squareform(squareform(d)), d)
        cophenetic.append({"dataset": dataset, "metric": metric, "method": method,
                           "correlation": float(c), "condensed": [float(v) for v in d]})
    out["cophenetic"] = cophenetic

    out["dbscan_precomputed"] = []
    for dataset, x, metric, eps, min_samples in [("sklearn_iris", iris, "euclidean", 0.5, 5),
                                                 ("khan_srbct", khan, "correlation", 0.25, 3)]:
        fit = DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit(squareform(pdist(x, metric)))
        out["dbscan_precomputed"].append({"dataset": dataset, "metric": metric, "eps": eps, "min_samples": min_samples,
                                          "labels": [int(v) for v in fit.labels_]})

    out["stratified_no_shuffle"] = []
    for dataset, folds in [("sklearn_iris", 5), ("sklearn_iris", 3), ("khan_srbct", 5), ("nci60", 5),
                           ("tissue_gene_expression", 5)]:
        x, y = load(dataset)
        out["stratified_no_shuffle"].append({"dataset": dataset, "folds": folds,
                                             "fold": fold_of(StratifiedKFold(folds, shuffle=False), x, y)})
    out["stratified_shuffled"] = []
    for dataset in ["sklearn_iris", "khan_srbct"]:
        x, y = load(dataset)
        for seed in (3, 4):
            cv = StratifiedKFold(5, shuffle=True, random_state=seed)
            out["stratified_shuffled"].append({"dataset": dataset, "folds": 5, "seed": seed, "fold": fold_of(cv, x, y)})
    predicted = cross_val_predict(GaussianNB(), iris, iris_y, cv=StratifiedKFold(5, shuffle=False))
    out["gnb_no_shuffle_predicted"] = [str(p) for p in predicted]
    out["loo_test_index"] = [int(test[0]) for _, test in LeaveOneOut().split(iris)]
    with open(os.path.join(HERE, "cli_checks.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
