#!/usr/bin/env python3
"""scanpy's neighbour graph and Leiden clustering on pbmc68k_reduced: the reference of
Biolens' neighbours (exact k-NN, UMAP connectivities) and Leiden.

    /work/.venv-scanpy/bin/python tests/reference/neighbors_make.py

(venv of scanpy_make.py, plus igraph and leidenalg for sc.tl.leiden(flavor="igraph").)
Reads sample-data/pbmc68k_reduced/pbmc68k_reduced.h5ad; uses its stored obsm["X_pca"]
(50 components). Writes tests/reference/neighbors_reference.json:
- knn: scanpy's k-NN (n_neighbors=15, the cell itself first), indices and distances;
- connectivities: the UMAP fuzzy union (method="umap") as (row, col, value) triplets, and
  connectivities_gauss: method="gauss" (Haghverdi et al.'s Gaussian kernel) the same way;
- leiden: labels and modularity of sc.tl.leiden(flavor="igraph", n_iterations=2,
  directed=False) for seeds 0..4, and the seed-to-seed ARIs;
- umap: umap-learn's a, b for (spread, min_dist) = (1, 0.5) and (1, 0.1), and the k-NN
  preservation (k = 15, in X_pca) of sc.tl.umap(min_dist=0.5) for seeds 0..2.
"""
import importlib.metadata as md
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
import scanpy as sc  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
PBMC = os.path.join(REPO, "sample-data", "pbmc68k_reduced", "pbmc68k_reduced.h5ad")


def main():
    a = sc.read_h5ad(PBMC)
    sc.pp.neighbors(a, n_neighbors=15, use_rep="X_pca")
    d = a.obsp["distances"].tocsr()
    c = a.obsp["connectivities"].tocoo()
    idx = np.zeros((a.n_obs, 15), dtype=int)
    dist = np.zeros((a.n_obs, 15))
    for i in range(a.n_obs):
        row = d[i]
        order = np.argsort(row.data, kind="stable")
        idx[i, 0] = i
        idx[i, 1:] = row.indices[order]
        dist[i, 1:] = row.data[order]
    gauss = sc.pp.neighbors(a, n_neighbors=15, use_rep="X_pca", method="gauss", copy=True).obsp["connectivities"].tocoo()
    import igraph  # noqa: F401

    g = sc._utils.get_igraph_from_adjacency(a.obsp["connectivities"], directed=False)
    leiden = {}
    labels = []
    for seed in range(5):
        sc.tl.leiden(a, flavor="igraph", n_iterations=2, directed=False, random_state=seed, key_added="l")
        lab = a.obs["l"].astype(int).to_numpy()
        labels.append(lab)
        leiden[str(seed)] = {"labels": lab.tolist(), "clusters": int(lab.max() + 1),
                             "modularity": float(g.modularity(lab.tolist(), weights="weight"))}
    from sklearn.neighbors import NearestNeighbors
    from umap.umap_ import find_ab_params

    def preservation(emb, k=15):
        high = NearestNeighbors(n_neighbors=k + 1).fit(a.obsm["X_pca"]).kneighbors(return_distance=False)
        low = NearestNeighbors(n_neighbors=k + 1).fit(emb).kneighbors(return_distance=False)
        return float(np.mean([len(set(h[:k]) & set(l[:k])) / k for h, l in zip(high, low)]))

    umap_runs = {}
    for seed in range(3):
        sc.tl.umap(a, min_dist=0.5, random_state=seed)
        umap_runs[str(seed)] = preservation(a.obsm["X_umap"])
    umap_ref = {"ab_1_0.5": [float(v) for v in find_ab_params(1.0, 0.5)],
                "ab_1_0.1": [float(v) for v in find_ab_params(1.0, 0.1)],
                "preservation_k15": umap_runs}
    aris = [adjusted_rand_score(labels[i], labels[j]) for i in range(5) for j in range(i + 1, 5)]
    out = {
        "input": "pbmc68k_reduced.h5ad obsm['X_pca'] (700 x 50), sc.pp.neighbors(n_neighbors=15, use_rep='X_pca')",
        "versions": {p: md.version(p) for p in ("scanpy", "umap-learn", "scikit-learn", "numpy", "igraph", "leidenalg")},
        "python": sys.version.split()[0],
        "knn_indices": idx.tolist(),
        "knn_distances": [[float(f"{v:.9g}") for v in r] for r in dist],
        "connectivities": {"row": c.row.tolist(), "col": c.col.tolist(),
                           "value": [float(f"{v:.9g}") for v in c.data]},
        "connectivities_gauss": {"row": gauss.row.tolist(), "col": gauss.col.tolist(),
                                 "value": [float(f"{v:.9g}") for v in gauss.data]},
        "leiden": leiden,
        "leiden_seed_ari": {"min": min(aris), "max": max(aris)},
        "umap": umap_ref,
    }
    path = os.path.join(HERE, "neighbors_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(path, os.path.getsize(path), out["leiden_seed_ari"], [v["clusters"] for v in leiden.values()],
          [round(v["modularity"], 4) for v in leiden.values()], umap_ref)


if __name__ == "__main__":
    main()
