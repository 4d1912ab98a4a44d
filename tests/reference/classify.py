#!/usr/bin/env python3
"""scikit-learn references for tests/analysis_classify.rs (python3 with numpy, polars, scikit-learn).

For every shared dataset (as reference.py loads them): the test fold of every sample under
StratifiedKFold(5, shuffle=True, random_state=0) (`folds`), and the per-fold accuracies of the
models reference.py scores (StandardScaler fitted in each training fold, then LogisticRegression
(max_iter=5000), SVC(kernel="linear"), KNeighborsClassifier(5), GaussianNB(); RandomForest
(100 trees, random_state=0) on the data as written) on those folds.

Also, on the same folds: GridSearchCV's mean test accuracy of StandardScaler + k-NN over
k = 1, 3, 5, 7, 11, 15, 21 (iris and khan_srbct), and validation_curve's mean training and test
accuracy of StandardScaler + SVC(linear) over C = 0.001 … 100 (iris); and the probabilities of a
binary LogisticRegression(C=1) fitted to convergence on iris' versicolor and virginica.

Usage: python3 tests/reference/classify.py  -> tests/reference/sklearn_classify.json
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score, validation_curve
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from shared_datasets import DATASETS, load

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    warnings.simplefilter("ignore")
    out = {"sklearn": sklearn.__version__, "datasets": {}}
    for key, folder, file in DATASETS:
        x, y = load(folder, file)
        cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        folds = np.empty(len(y), dtype=int)
        for k, (_, test) in enumerate(cv.split(x, y)):
            folds[test] = k
        models = {
            "logreg": LogisticRegression(max_iter=5000),
            "rf100": RandomForestClassifier(n_estimators=100, random_state=0),
            "linsvm": SVC(kernel="linear"),
            "knn5": KNeighborsClassifier(n_neighbors=5),
            "gnb": GaussianNB(),
        }
        scores = {}
        for name, clf in models.items():
            est = clf if name == "rf100" else make_pipeline(StandardScaler(), clf)
            scores[name] = [float(s) for s in cross_val_score(est, x, y, cv=cv, scoring="accuracy")]
        out["datasets"][key] = {"folds": [int(f) for f in folds], "accuracy": scores}
        if key in ("sklearn_iris", "khan_srbct"):
            ks = [1, 3, 5, 7, 11, 15, 21]
            grid = GridSearchCV(make_pipeline(StandardScaler(), KNeighborsClassifier()),
                                {"kneighborsclassifier__n_neighbors": ks}, cv=cv, scoring="accuracy").fit(x, y)
            out["datasets"][key]["knn_grid"] = {"k": ks, "mean": [float(v) for v in grid.cv_results_["mean_test_score"]]}
        if key == "sklearn_iris":
            # Binary logistic regression (versicolor against virginica, raw measurements).
            two = np.isin(y, ["versicolor", "virginica"])
            binary = LogisticRegression(C=1.0, tol=1e-10, max_iter=100000).fit(x[two], y[two])
            out["datasets"][key]["binary_logreg_proba"] = [float(v) for v in binary.predict_proba(x[two])[:, 1]]
            cs = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]
            train, test = validation_curve(make_pipeline(StandardScaler(), SVC(kernel="linear")), x, y,
                                           param_name="svc__C", param_range=cs, cv=cv, scoring="accuracy")
            out["datasets"][key]["svm_curve"] = {"c": cs, "train": [float(v) for v in train.mean(1)],
                                                 "test": [float(v) for v in test.mean(1)]}
    with open(os.path.join(HERE, "sklearn_classify.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
