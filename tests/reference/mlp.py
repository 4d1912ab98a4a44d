#!/usr/bin/env python3
"""scikit-learn references for the MLP classifier (python3 with numpy, polars, scikit-learn < 1.7).

For every shared dataset (as reference.py loads them): the test fold of every sample under
StratifiedKFold(5, shuffle=True, random_state=0) (`folds`), and, for each configuration in
CONFIGS and each random_state s = 0 … 4, the per-fold test accuracy of
make_pipeline(StandardScaler(), MLPClassifier(**config, random_state=s)) on those folds
(`accuracy[config] = [[5 fold accuracies] for s in 0..4]`). Every configuration has
early_stopping=False, shuffle=True, tol=0.0 and n_iter_no_change=max_iter, so exactly
max_iter epochs run (ConvergenceWarning is silenced). A dataset whose max_iter had to be
lowered for time has it as `max_iter` in its entry (none so far: the whole run takes ~15 min
on one core).

No shared dataset has two classes, so `binary` adds one: iris' versicolor against virginica
(100 samples, the same fold scheme and configurations), for the single-logistic-unit path.

Usage: python3 tests/reference/mlp.py  -> tests/reference/sklearn_mlp.json

What an implementation must copy to match scikit-learn 1.6 (sklearn/neural_network/
_multilayer_perceptron.py, _stochastic_optimizers.py, _base.py):

- Layout: coefs_[i] is (fan_in, fan_out); a layer is X @ W + b. Classes are sorted (np.unique).
- Initialisation (Glorot uniform): for each layer in order, W then b are drawn from
  U(-bound, bound), bound = sqrt(6 / (fan_in + fan_out)), or sqrt(2 / (fan_in + fan_out)) when
  activation="logistic" (factor 2 instead of 6). The biases use the same bound (not zero).
  Drawn in float64 from np.random.RandomState(random_state), then cast to X's dtype; that same
  RandomState then shuffles the samples.
- Output and loss: more than two classes -> softmax (max subtracted first) and mean categorical
  cross-entropy over the batch; exactly two classes -> ONE output unit, logistic sigmoid, mean
  binary cross-entropy (predict: p > 0.5 -> classes_[1]). Probabilities are clipped to
  [eps, 1 - eps] (eps of the dtype) for the loss value only; the output delta is
  (output - one_hot) unclipped.
- L2 (alpha): on the weights only, not the biases. Batch loss = mean CE + 0.5 * alpha *
  sum(||W||^2) / n_batch; weight gradient = (A^T delta + alpha * W) / n_batch, bias gradient =
  mean(delta). So alpha is divided by the size of the batch at hand (stronger on a short last
  batch); it is coupled L2 in the gradient (fed through Adam), not decoupled weight decay.
  loss_curve_ per epoch = sum(batch loss * batch size) / n.
- Hidden derivatives from the activation's output Z: relu: delta[Z == 0] = 0 (slope 0 at 0);
  tanh: delta *= 1 - Z^2; logistic: delta *= Z * (1 - Z).
- Batches: batch_size is clipped to [1, n_samples]; gen_batches keeps the last partial batch
  (n % batch_size samples) as its own step: ceil(n / batch_size) updates per epoch, none dropped.
- Shuffling: once per epoch before the batches, idx = idx[perm] with perm = arange(n) shuffled by
  RandomState.shuffle (the permutations compound from epoch to epoch).
- Adam: beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-8; t counts updates (batches) from 1;
  m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t);
  W += -lr_t * m / (sqrt(v) + epsilon). Epsilon is added to sqrt of the UNcorrected v (PyTorch
  adds it to sqrt(v / (1 - b2^t)): the same up to the epsilon term).
- SGD: velocity v (zeros at first) per parameter; v = momentum * v - lr * g; W += v. With
  nesterovs_momentum=True the step is instead momentum * v_new - lr * g. learning_rate="constant"
  keeps lr = learning_rate_init.
- Stopping: after each epoch, no_improvement_count += 1 if loss > best_loss - tol, else 0; stop
  when it exceeds n_iter_no_change. With tol=0 and n_iter_no_change=max_iter it never does.
"""
import json
import os
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from shared_datasets import DATASETS, load

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = range(5)
COMMON = {"early_stopping": False, "shuffle": True, "tol": 0.0, "batch_size": 32, "max_iter": 200}
CONFIGS = {
    "relu_adam": {**COMMON, "hidden_layer_sizes": [100], "activation": "relu", "solver": "adam",
                  "learning_rate_init": 1e-3, "alpha": 1e-4},
    "tanh_sgd": {**COMMON, "hidden_layer_sizes": [64, 32], "activation": "tanh", "solver": "sgd",
                 "momentum": 0.9, "nesterovs_momentum": False, "learning_rate": "constant",
                 "learning_rate_init": 0.01, "alpha": 1e-3},
    "logistic_adam_deep": {**COMMON, "hidden_layer_sizes": [128, 64, 32], "activation": "logistic",
                           "solver": "adam", "learning_rate_init": 1e-3, "alpha": 1e-4},
}
# Dataset key -> a lower max_iter, should a dataset take too long (recorded in its entry).
MAX_ITER = {}


def scores(x, y, cv, max_iter=None):
    """{config: [[fold accuracies] for each seed]} on the folds of cv."""
    out = {}
    for name, params in CONFIGS.items():
        params = dict(params, hidden_layer_sizes=tuple(params["hidden_layer_sizes"]))
        if max_iter is not None:
            params["max_iter"] = max_iter
        params["n_iter_no_change"] = params["max_iter"]
        out[name] = []
        for s in SEEDS:
            est = make_pipeline(StandardScaler(), MLPClassifier(random_state=s, **params))
            out[name].append([float(v) for v in cross_val_score(est, x, y, cv=cv, scoring="accuracy")])
    return out


def fold_of(cv, x, y):
    folds = np.empty(len(y), dtype=int)
    for k, (_, test) in enumerate(cv.split(x, y)):
        folds[test] = k
    return [int(f) for f in folds]


def main():
    # ConvergenceWarning (max_iter reached, by design); nci60's single-sample classes warn in
    # StratifiedKFold as in classify.py.
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", UserWarning)
    configs = {name: dict(p, n_iter_no_change=p["max_iter"]) for name, p in CONFIGS.items()}
    out = {"sklearn": sklearn.__version__, "configs": configs, "datasets": {}}
    start = time.perf_counter()
    for key, folder, file in DATASETS:
        t0 = time.perf_counter()
        x, y = load(folder, file)
        cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
        entry = {"folds": fold_of(cv, x, y), "accuracy": scores(x, y, cv, MAX_ITER.get(key))}
        if key in MAX_ITER:
            entry["max_iter"] = MAX_ITER[key]
        out["datasets"][key] = entry
        print(f"{key}: {time.perf_counter() - t0:.0f} s", flush=True)
    x, y = load("sklearn_iris")
    two = np.isin(y, ["versicolor", "virginica"])
    x, y = x[two], y[two]
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    out["binary"] = {"dataset": "sklearn_iris", "classes": ["versicolor", "virginica"],
                     "samples": "the versicolor and virginica rows, in file order",
                     "folds": fold_of(cv, x, y), "accuracy": scores(x, y, cv)}
    print(f"total: {time.perf_counter() - start:.0f} s")
    with open(os.path.join(HERE, "sklearn_mlp.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
