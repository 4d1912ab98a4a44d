#!/usr/bin/env python3
"""scikit-learn references for tests/analysis_clustering.rs (python3 with numpy, polars, scikit-learn).

For every shared dataset (as reference.py loads them), as-is and standardised: the ARI against the
class labels of KMeans(k = classes, n_init=10, random_state=s) for s = 0..9 (`kmeans_ari_seeds`),
showing how much the reference's single draw (s = 0) varies with the seed.
On sklearn_iris (values as they are, Euclidean): DBSCAN labels for two settings (noise -1), and
silhouette_samples of the species labels. On khan_srbct: silhouette_samples of the class labels
with metric="correlation" (1 - r).

Usage: python3 tests/reference/clustering.py  -> tests/reference/sklearn_clustering.json
"""
import json
import os

import sklearn
from sklearn.cluster import DBSCAN, KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_samples

from shared_datasets import DATASETS, load

HERE = os.path.dirname(os.path.abspath(__file__))


def standardise(a):
    sd = a.std(0)
    sd[sd == 0] = 1.0
    return (a - a.mean(0)) / sd


def main():
    out = {"sklearn": sklearn.__version__, "kmeans_ari_seeds": {}}
    for key, folder, file in DATASETS:
        x, labels = load(folder, file)
        k = len(set(labels))
        for tag, m in (("asis", x), ("std", standardise(x))):
            out["kmeans_ari_seeds"][f"{key} {tag}"] = [
                round(float(adjusted_rand_score(labels, KMeans(n_clusters=k, n_init=10, random_state=s).fit_predict(m))), 6)
                for s in range(10)
            ]
    iris, species = load("sklearn_iris")
    out["iris_dbscan"] = [
        {"eps": eps, "min_samples": m, "labels": [int(v) for v in DBSCAN(eps=eps, min_samples=m).fit_predict(iris)]}
        for eps, m in [(0.5, 5), (0.4, 4)]
    ]
    out["iris_silhouette"] = [float(v) for v in silhouette_samples(iris, species)]
    khan, classes = load("khan_srbct")
    out["khan_silhouette_correlation"] = [float(v) for v in silhouette_samples(khan, classes, metric="correlation")]
    with open(os.path.join(HERE, "sklearn_clustering.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
