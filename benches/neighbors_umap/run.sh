#!/usr/bin/env bash
# Neighbour graph, UMAP, Leiden and Wilcoxon markers: Biolens against scanpy on the generated
# 100,000-cell file of benches/single_cell (see README.md beside this file).
#
#   benches/neighbors_umap/run.sh SC_100K.h5ad [BIOLENS_BINARY]
#
# The first run writes, next to SC_100K.h5ad, scanpy's preprocessing of it: pcs_100k.h5ad (50 PCs
# in obsm X_pca, the input of the graph, UMAP and Leiden on both sides) and log_100k.h5ad (the
# log1p matrix of every gene, the input of the markers). BIOLENS_BINARY defaults to
# ${CARGO_TARGET_DIR:-target}/release/biolens; PYTHON to /work/.venv-scanpy/bin/python.
set -euo pipefail
FILE=$1
BIN=${2:-${CARGO_TARGET_DIR:-target}/release/biolens}
PYTHON=${PYTHON:-/work/.venv-scanpy/bin/python}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(dirname "$FILE")
PCS=$dir/pcs_100k.h5ad
LOG=$dir/log_100k.h5ad
[[ -f $PCS && -f $LOG ]] || "$PYTHON" "$here/scanpy_side.py" prepare "$FILE" "$PCS" "$LOG"

out=$(mktemp -d)
# Biolens: graph + UMAP (the JSON splits the graph's time from the whole), Leiden (its summary
# splits graph and clustering), Wilcoxon markers (the summary times the ranking alone).
"$BIN" umap "$PCS" --use-rep X_pca --out "$out/umap.csv" --json > "$out/umap.json"
"$BIN" cluster "$PCS" --method leiden --use-rep X_pca --out "$out/leiden.csv" > "$out/leiden.txt"
"$BIN" markers "$LOG" --groupby cell_type --method wilcoxon --out "$out/markers.csv" > "$out/markers.txt"
# scanpy, then the k-NN preservation of both UMAPs measured the same way.
"$PYTHON" "$here/scanpy_side.py" time "$PCS" "$LOG" "$out/umap.csv" > "$out/scanpy.json"

"$PYTHON" - "$out" <<'PY'
import json, re, sys
d = sys.argv[1]
u = json.load(open(f"{d}/umap.json"))
s = json.load(open(f"{d}/scanpy.json"))
leiden = open(f"{d}/leiden.txt").read()
markers = open(f"{d}/markers.txt").read()
clustering = float(re.search(r"clustering ([0-9.]+) s", leiden).group(1))
ranking = float(re.search(r"in ([0-9.]+) s", markers).group(1))
rows = [
    ("neighbours (k = 15)", u["seconds_graph"], s["neighbors"], 1.0),
    ("UMAP layout", u["seconds"] - u["seconds_graph"], s["umap"], 1.0),
    ("UMAP layout vs first call", u["seconds"] - u["seconds_graph"], s["umap_first_call"], 1.0),
    ("Leiden", clustering, s["leiden"], 1.0),
    ("Wilcoxon markers", ranking, s["markers_wilcoxon"], 0.5),
]
print(f"{'step':<28}{'Biolens s':>11}{'scanpy s':>11}{'ratio':>8}{'target':>8}")
for name, ours, theirs, target in rows:
    print(f"{name:<28}{ours:>11.2f}{theirs:>11.2f}{ours / theirs:>8.2f}{'≤ ' + str(target):>8}")
print(f"k-NN preservation (k = 15): Biolens {s['biolens_umap_knn_preservation_k15']:.4f}, "
      f"scanpy {s['umap_knn_preservation_k15']:.4f}")
print(leiden.strip())
print(f"scanpy Leiden clusters: {s['leiden_clusters']}")
PY
