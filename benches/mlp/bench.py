#!/usr/bin/env python3
"""MLP classifier training speed: Biolens against PyTorch (CPU) and scikit-learn, same data,
same network, same schedule.

Data (seeded, written once): 10,500 samples x 2,000 genes, float32, 10 balanced classes; each
class mean is drawn from N(0, MEAN_SD^2) per gene, plus unit Gaussian noise. The first 10,000
samples train (split = train), the last 500 test (split = test), 1,000 and 50 per class.
Files: /tmp/biolens-bench/mlp_10500x2000.csv (samples x genes, first column sample_id) and
/tmp/biolens-bench/mlp_10500x2000_samples.csv (sample_id,class,split).

Network: 2,000 -> 256 -> 128 -> 10, ReLU, softmax cross-entropy, Adam(lr 1e-3), no weight
decay, batch 128 (the last, short batch of each epoch kept), a fresh shuffle every epoch,
50 epochs on the 10,000 training samples; test accuracy on the 500.

Usage:
    /work/.venv-nn/bin/pip install torch numpy polars "scikit-learn<1.7"   # see README.md
    cargo build --release
    python3 benches/mlp/bench.py [--biolens PATH] [--skip-sklearn]

Timed: PyTorch and scikit-learn on the in-memory arrays, the training loop / fit() only;
wall seconds (perf_counter) and process CPU seconds (user + system of all threads, getrusage).
Biolens runs as one command under /usr/bin/time: its mean epoch wall time comes from
--history-out (`seconds` column), its CPU time is the whole process's (so it includes reading
the 170 MB CSV, which the others are not charged for).
"""
import argparse
import csv
import json
import os
import resource
import subprocess
import time

import numpy as np

N_TRAIN, N_TEST, GENES, CLASSES = 10_000, 500, 2_000, 10
MEAN_SD = 0.07
HIDDEN = (256, 128)
EPOCHS, BATCH, LR = 50, 128, 1e-3
DIR = "/tmp/biolens-bench"
MATRIX = os.path.join(DIR, "mlp_10500x2000.csv")
SAMPLES = os.path.join(DIR, "mlp_10500x2000_samples.csv")
HISTORY = os.path.join(DIR, "mlp_history.csv")
REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def make_data(matrix_csv, samples_csv):
    """(x_train, y_train, x_test, y_test): float32 features (as written: 4 decimals), int labels.
    Writes the two CSVs unless both exist."""
    rng = np.random.default_rng(0)
    means = rng.normal(scale=MEAN_SD, size=(CLASSES, GENES))
    y_train = rng.permutation(np.repeat(np.arange(CLASSES), N_TRAIN // CLASSES))
    y_test = rng.permutation(np.repeat(np.arange(CLASSES), N_TEST // CLASSES))
    y = np.concatenate([y_train, y_test])
    x = np.round(means[y] + rng.normal(size=(len(y), GENES)), 4).astype(np.float32)
    if not (os.path.exists(matrix_csv) and os.path.exists(samples_csv)):
        import polars as pl
        os.makedirs(os.path.dirname(matrix_csv), exist_ok=True)
        ids = [f"s{i:05d}" for i in range(len(y))]
        frame = pl.DataFrame(x, schema=[f"g{j:04d}" for j in range(GENES)], orient="row")
        frame.insert_column(0, pl.Series("sample_id", ids))
        frame.write_csv(matrix_csv, float_precision=4)
        pl.DataFrame({"sample_id": ids, "class": [f"c{k}" for k in y],
                      "split": ["train"] * N_TRAIN + ["test"] * N_TEST}).write_csv(samples_csv)
    return x[:N_TRAIN], y_train, x[N_TRAIN:], y_test


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_torch(x_train, y_train, x_test, y_test):
    import torch
    from torch import nn
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(GENES, HIDDEN[0]), nn.ReLU(), nn.Linear(HIDDEN[0], HIDDEN[1]), nn.ReLU(),
                          nn.Linear(HIDDEN[1], CLASSES))
    loss_fn = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train.astype(np.int64))
    gen = torch.Generator().manual_seed(0)
    epoch_wall = []
    c0, w0 = cpu_seconds(), time.perf_counter()
    model.train()
    for _ in range(EPOCHS):
        t0 = time.perf_counter()
        perm = torch.randperm(len(xt), generator=gen)
        for start in range(0, len(xt), BATCH):
            idx = perm[start:start + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        epoch_wall.append(time.perf_counter() - t0)
    cpu, wall = cpu_seconds() - c0, time.perf_counter() - w0
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(x_test)).argmax(1).numpy()
    return {"epoch_wall": float(np.mean(epoch_wall)), "cpu": cpu, "wall": wall,
            "accuracy": float(np.mean(pred == y_test)), "note": f"torch {torch.__version__}, float32, 2 threads"}


def run_sklearn(x_train, y_train, x_test, y_test):
    import warnings
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", learning_rate_init=LR,
                        alpha=0.0, batch_size=BATCH, max_iter=EPOCHS, tol=0, n_iter_no_change=EPOCHS,
                        shuffle=True, random_state=0)
    c0, w0 = cpu_seconds(), time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_train, y_train)
    cpu, wall = cpu_seconds() - c0, time.perf_counter() - w0
    acc = float(np.mean(clf.predict(x_test) == y_test))
    # MLPClassifier keeps X's dtype (float64 or float32): float32 in, float32 weights and maths.
    return {"epoch_wall": wall / clf.n_iter_, "cpu": cpu, "wall": wall, "accuracy": acc,
            "note": f"scikit-learn {sklearn.__version__}, {clf.coefs_[0].dtype} ({clf.n_iter_} epochs)"}


def run_biolens(binary, matrix_csv, samples_csv):
    """Biolens' `classify --model mlp` on the split; None when the binary has no MLP yet."""
    help_text = subprocess.run([binary, "classify", "--help"], capture_output=True, text=True)
    if "--hidden" not in help_text.stdout + help_text.stderr:
        print("biolens: no MLP yet")
        return None
    if os.path.exists(HISTORY):
        os.remove(HISTORY)
    cmd = [binary, "classify", matrix_csv, "--annotations", samples_csv, "--target", "class",
           "--split", "split=test", "--model", "mlp", "--hidden", "256,128", "--activation", "relu",
           "--epochs", str(EPOCHS), "--batch", str(BATCH), "--lr", "0.001", "--optimizer", "adam",
           "--weight-decay", "0", "--validation-fraction", "0", "--device", "cpu", "--seed", "0", "--history-out", HISTORY, "--json"]
    proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %e", *cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"biolens failed ({proc.returncode}): {proc.stderr.strip()}")
    user, system, wall = map(float, proc.stderr.strip().splitlines()[-1].split())
    with open(HISTORY, newline="") as f:
        rows = list(csv.DictReader(f))
    seconds = [float(r["seconds"]) for r in rows]
    try:
        accuracy = float(json.loads(proc.stdout)["accuracy_mean"])
    except (ValueError, KeyError):
        accuracy = float(rows[-1]["val_accuracy"])
    return {"epoch_wall": float(np.mean(seconds)), "cpu": user + system, "wall": wall, "accuracy": accuracy,
            "note": f"{len(rows)} epochs, CPU-s of the whole process (CSV read included), {wall:.1f} s wall in all"}


def default_binary():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    return os.path.join(target, "release", "biolens")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--biolens", default=default_binary(), help="binary (default $CARGO_TARGET_DIR or "
                                                                "target, /release/biolens)")
    ap.add_argument("--skip-sklearn", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    x_train, y_train, x_test, y_test = make_data(MATRIX, SAMPLES)
    print(f"data: {MATRIX} ({time.perf_counter() - t0:.1f} s); load average {os.getloadavg()[0]:.2f}", flush=True)
    results = {"PyTorch": run_torch(x_train, y_train, x_test, y_test)}
    print(f"PyTorch done ({results['PyTorch']['wall']:.1f} s)", flush=True)
    if not args.skip_sklearn:
        results["scikit-learn"] = run_sklearn(x_train, y_train, x_test, y_test)
        print(f"scikit-learn done ({results['scikit-learn']['wall']:.1f} s)", flush=True)
    if os.path.exists(args.biolens):
        ours = run_biolens(args.biolens, MATRIX, SAMPLES)
        if ours is not None:
            results["biolens"] = ours
    else:
        print(f"biolens: no binary at {args.biolens}")
    print(f"MLP {N_TRAIN} x {GENES} -> {HIDDEN[0]} -> {HIDDEN[1]} -> {CLASSES}, {EPOCHS} epochs, batch {BATCH}, "
          f"Adam {LR}; load average {os.getloadavg()[0]:.2f}")
    for name, r in results.items():
        line = (f"{name:13s} epoch {r['epoch_wall']:.3f} s wall, training {r['cpu']:.1f} CPU-s, "
                f"test accuracy {r['accuracy']:.3f}  [{r['note']}]")
        if name == "biolens":
            for other in ("PyTorch", "scikit-learn"):
                if other in results:
                    o = results[other]
                    line += (f"; /{other}: epoch wall {r['epoch_wall'] / o['epoch_wall']:.2f}, "
                             f"CPU {r['cpu'] / o['cpu']:.2f}")
        print(line)


if __name__ == "__main__":
    main()
