#!/usr/bin/env python3
"""scikit-learn references for tests/analysis_regress.rs (python3 with numpy, polars and
scikit-learn 1.6: `pip install numpy polars "scikit-learn<1.7"`).

For each (dataset, target) below, on the shared datasets as reference.py loads them (samples x
genes): the target is a numeric annotation of samples.csv, or a gene, which then leaves the
features. Recorded:

- `alpha_max`: max|Xc^T yc| / n on the centred data (the smallest lasso alpha that zeroes
  every coefficient); the lasso and elastic-net alphas are `alpha_share` of it.
- `coefficients`: intercept_ and coef_ of LinearRegression(), Ridge(alpha=1), Lasso(alpha) and
  ElasticNet(alpha, l1_ratio=0.5) (tol 1e-4, max_iter 1000) fitted on all samples, unscaled.
- `folds`: the test fold of every sample under KFold(5, shuffle=True, random_state=0).
- `cv_r2`: per-fold R^2 under those folds of make_pipeline(StandardScaler(), model) for every
  model Biolens offers, with scikit-learn's defaults: LinearRegression, Ridge(1),
  Lasso(alpha), ElasticNet(alpha, 0.5), KNeighborsRegressor(5), DecisionTreeRegressor,
  RandomForestRegressor(100), SVR(linear), SVR(rbf), MLPRegressor (random_state=0) and
  DummyRegressor.
- `cv_r2_seeds`: for the tree (seeds 0-9) and the forest (seeds 0-2), the same per-fold R^2
  under each `random_state`. Biolens' trees follow scikit-learn's splitter step for step (its
  random streams, float32 features, its sort), so each seed's folds are compared one to one.
- `repeated_folds`: the test folds of RepeatedKFold(3, 2, random_state=0), and
  `shuffle_split_test`: the test samples of ShuffleSplit(1, test_size=0.25, random_state=0).

Usage: python3 tests/reference/regress.py  -> tests/reference/sklearn_regress.json
"""
import json
import os
import warnings

import numpy as np
import polars as pl
import sklearn
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge
from sklearn.model_selection import KFold, RepeatedKFold, ShuffleSplit, cross_val_score
from sklearn.neighbors import KNeighborsRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor

from shared_datasets import DATA

HERE = os.path.dirname(os.path.abspath(__file__))
# (key, folder, expression file, target kind, target name, alpha share)
PROBLEMS = [
    ("iris_petal_width", "sklearn_iris", "expression.csv", "gene", "petal_width_(cm)", 0.05),
    ("pbmc_percent_mito", "pbmc68k_reduced", "expression.csv", "annotation", "percent_mito", 0.2),
    ("pbmc_n_genes", "pbmc68k_reduced", "expression.csv", "annotation", "n_genes", 0.1),
    ("guo_gata4", "guo_qpcr", "expression.csv", "gene", "Gata4", 0.05),
    ("tissue_gene", "tissue_gene_expression", "expression.csv", "gene", "HOXA10", 0.1),
    ("khan_v1", "khan_srbct", "expression.csv", "gene", "V1", 0.1),
    ("nci60_g0001", "nci60", "expression.csv", "gene", "g0001", 0.1),
]
# Models without a random state are the same everywhere; the others are seeded 0.
CV_MODELS = ["ols", "ridge", "lasso", "elasticnet", "knn", "tree", "rf", "svr-linear", "svr-rbf", "mlp", "baseline"]


SEEDS = {"tree": range(10), "rf": range(3)}


def model(name, alpha, seed=0):
    return {
        "ols": LinearRegression(),
        "ridge": Ridge(alpha=1.0),
        "lasso": Lasso(alpha=alpha),
        "elasticnet": ElasticNet(alpha=alpha, l1_ratio=0.5),
        "knn": KNeighborsRegressor(n_neighbors=5),
        "tree": DecisionTreeRegressor(random_state=seed),
        "rf": RandomForestRegressor(n_estimators=100, random_state=seed),
        "svr-linear": SVR(kernel="linear"),
        "svr-rbf": SVR(kernel="rbf"),
        "mlp": MLPRegressor(random_state=0),
        "baseline": DummyRegressor(),
    }[name]


def load(folder, file, kind, target):
    frame = pl.read_csv(os.path.join(DATA, folder, file))
    genes = frame.columns[1:]
    x = frame.drop(frame.columns[0]).to_numpy().astype(float)
    if kind == "gene":
        j = genes.index(target)
        y = x[:, j].copy()
        x = np.delete(x, j, axis=1)
    else:
        samples = pl.read_csv(os.path.join(DATA, folder, "samples.csv"))
        y = samples[target].to_numpy().astype(float)
    return x, y


def main():
    warnings.simplefilter("ignore")
    out = {"sklearn": sklearn.__version__, "problems": {}}
    for key, folder, file, kind, target, share in PROBLEMS:
        x, y = load(folder, file, kind, target)
        xc, yc = x - x.mean(axis=0), y - y.mean()
        alpha_max = float(np.abs(xc.T @ yc).max() / len(y))
        alpha = share * alpha_max
        coefficients = {}
        fits = {
            "ols": LinearRegression(),
            "ridge": Ridge(alpha=1.0),
            "lasso": Lasso(alpha=alpha, tol=1e-4, max_iter=1000),
            "elasticnet": ElasticNet(alpha=alpha, l1_ratio=0.5, tol=1e-4, max_iter=1000),
        }
        for name, m in fits.items():
            m.fit(x, y)
            entry = {"intercept": float(m.intercept_), "coef": [float(c) for c in m.coef_]}
            if getattr(m, "n_iter_", None) is not None:
                entry["n_iter"] = int(m.n_iter_)
            coefficients[name] = entry
        cv = KFold(n_splits=5, shuffle=True, random_state=0)
        folds = np.empty(len(y), dtype=int)
        for k, (_, test) in enumerate(cv.split(x)):
            folds[test] = k
        cv_r2 = {}
        for name in CV_MODELS:
            est = make_pipeline(StandardScaler(), model(name, alpha))
            cv_r2[name] = [float(s) for s in cross_val_score(est, x, y, cv=cv, scoring="r2")]
        cv_r2_seeds = {}
        for name, seeds in SEEDS.items():
            cv_r2_seeds[name] = [
                [float(s) for s in cross_val_score(make_pipeline(StandardScaler(), model(name, alpha, seed)), x, y, cv=cv, scoring="r2")]
                for seed in seeds
            ]
        repeated = [sorted(int(i) for i in test) for _, test in RepeatedKFold(n_splits=3, n_repeats=2, random_state=0).split(x)]
        shuffle_test = sorted(int(i) for i in next(ShuffleSplit(n_splits=1, test_size=0.25, random_state=0).split(x))[1])
        out["problems"][key] = {
            "folder": folder,
            "file": file,
            "target_kind": kind,
            "target": target,
            "alpha_share": share,
            "alpha_max": alpha_max,
            "alpha": alpha,
            "coefficients": coefficients,
            "folds": [int(f) for f in folds],
            "cv_r2": cv_r2,
            "cv_r2_seeds": cv_r2_seeds,
            "repeated_folds": repeated,
            "shuffle_split_test": shuffle_test,
        }
        print(key, {k: round(float(np.mean(v)), 3) for k, v in cv_r2.items()}, flush=True)
    with open(os.path.join(HERE, "sklearn_regress.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
