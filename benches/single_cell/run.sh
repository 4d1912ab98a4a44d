#!/usr/bin/env bash
# Single-cell benchmark: Biolens against scanpy on one .h5ad (see README.md beside this file).
#
#   benches/single_cell/run.sh FILE [BIOLENS_BINARY]     # both sides, ratios and targets
#   benches/single_cell/run.sh --scanpy-only FILE        # the Python side alone
#
# BIOLENS_BINARY defaults to ${CARGO_TARGET_DIR:-target}/release/biolens. Environment:
# RUNS (default 3; medians are reported), PYTHON (an interpreter with scanpy; default the
# first of /work/.venv-scanpy, /work/.venv-bench, python3 that imports scanpy).
set -euo pipefail

scanpy_only=0
if [[ ${1:-} == --scanpy-only ]]; then scanpy_only=1; shift; fi
if [[ $# -lt 1 || ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
FILE=$1
BIN=${2:-${CARGO_TARGET_DIR:-target}/release/biolens}

# ---- The Biolens commands measured (edit here if the flags change) -------------------------
# (b) reading alone; (d) the pipeline scanpy_steps.py runs, ending in 50 PCs written as CSV.
BIOLENS_READ=(info "$FILE" --json)
BIOLENS_PIPELINE=(pca "$FILE" --filter-cells-min-genes 200 --filter-genes-min-cells 3
  --normalize-total --log1p --hvg 2000 --hvg-flavor seurat --clip 10
  --components 50 --out /tmp/bl_pca.csv)
# ---------------------------------------------------------------------------------------------

RUNS=${RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
[[ -f $FILE ]] || { echo "no such file: $FILE" >&2; exit 2; }

if [[ -z ${PYTHON:-} ]]; then
  for p in /work/.venv-scanpy/bin/python /work/.venv-bench/bin/python python3; do
    if "$p" -c 'import scanpy' 2>/dev/null; then PYTHON=$p; break; fi
  done
fi
[[ -n ${PYTHON:-} ]] || { echo "no Python with scanpy: set PYTHON (see README.md)" >&2; exit 2; }

if ((!scanpy_only)); then
  [[ -x $BIN ]] || { echo "no Biolens binary at $BIN (cargo build --release, or pass its path)" >&2; exit 2; }
  # Every --flag of the commands must be in the subcommand's --help.
  for spec in "info:${BIOLENS_READ[*]}" "pca:${BIOLENS_PIPELINE[*]}"; do
    sub=${spec%%:*} help=$("$BIN" "${spec%%:*}" --help 2>&1 || true)
    for word in ${spec#*:}; do
      if [[ $word == --* ]] && ! grep -qE -- "$word([^[:alnum:]-]|$)" <<<"$help"; then
        echo "biolens $sub has no $word (see biolens $sub --help; edit the commands at the top of $0)" >&2
        exit 2
      fi
    done
  done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv   # tool step run wall_s peak_kib json

# measure LABEL STEP RUN CMD...: wall seconds and peak RSS of CMD as its own process; its
# standard output is kept (scanpy's JSON line), its standard error shown only on failure.
if [[ -x /usr/bin/time ]]; then
  timed() { /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$work/out" 2> "$work/err"; }
else
  timed() {
    "$PYTHON" - "$work/time" "$@" > "$work/out" 2> "$work/err" <<'EOF'
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - t
with open(sys.argv[1], "w") as f:  # ru_maxrss of the (only) child: KiB on Linux
    f.write(f"{wall:.2f} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\n")
sys.exit(rc)
EOF
  }
fi
measure() {
  local tool=$1 step=$2 run=$3; shift 3
  if ! timed "$@"; then
    echo "failed: $*" >&2; cat "$work/err" >&2; exit 1
  fi
  read -r wall peak < <(tail -n 1 "$work/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$step" "$run" "$wall" "$peak" "$(tail -n 1 "$work/out")" >> "$results"
  printf '  %-8s %-9s run %d: %6.2f s, %7.0f MB\n' "$tool" "$step" "$run" "$wall" "$(awk -v k="$peak" 'BEGIN {print k / 1024}')" >&2
}

load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk -v l="$load" 'BEGIN {exit !(l > 0.5)}'; then
  echo "warning: load average $load: something else is running; times will be noisy" >&2
fi
echo "file: $FILE ($(du -h "$FILE" | cut -f1)); runs: $RUNS; python: $PYTHON" >&2
((scanpy_only)) || echo "biolens: $BIN" >&2
# Warm-up, untimed: the file into the page cache (both sides read it warm) and numba's
# compiled-function cache filled (scanpy's first-ever call compiles for seconds).
cat "$FILE" > /dev/null
"$PYTHON" "$here/scanpy_steps.py" --warmup > /dev/null

for ((run = 1; run <= RUNS; run++)); do
  measure scanpy read "$run" "$PYTHON" "$here/scanpy_steps.py" "$FILE" read
  ((scanpy_only)) || measure biolens read "$run" "$BIN" "${BIOLENS_READ[@]}"
  measure scanpy pipeline "$run" "$PYTHON" "$here/scanpy_steps.py" "$FILE" pipeline
  ((scanpy_only)) || measure biolens pipeline "$run" "$BIN" "${BIOLENS_PIPELINE[@]}"
done

"$PYTHON" - "$results" <<'EOF'
import json, statistics, sys

rows = {}
for line in open(sys.argv[1]):
    tool, step, run, wall, peak, out = line.rstrip("\n").split("\t", 5)
    r = {"wall": float(wall), "peak": int(peak) / 1024}
    if tool == "scanpy":
        j = json.loads(out)
        # In-process seconds, imports excluded: read_h5ad alone, or read + pipeline.
        r["inproc"] = j["seconds"]
        r["read_inproc"] = j.get("read_seconds", j["seconds"])
        r["json"] = j
    rows.setdefault((tool, step), []).append(r)

def med(tool, step, key):
    v = [r[key] for r in rows.get((tool, step), []) if key in r]
    return statistics.median(v) if v else None

print()
print(f"{'step':<9} {'tool':<8} {'wall s':>8} {'in-process s':>13} {'peak MB':>9}")
for step in ("read", "pipeline"):
    for tool in ("scanpy", "biolens"):
        if (tool, step) not in rows:
            continue
        ip = med(tool, step, "inproc")
        ip = f"{ip:13.2f}" if ip is not None else f"{'-':>13}"
        print(f"{step:<9} {tool:<8} {med(tool, step, 'wall'):8.2f} {ip} {med(tool, step, 'peak'):9.0f}")
j = rows[("scanpy", "pipeline")][0]["json"]
print(f"\nscanpy pipeline: read {med('scanpy', 'pipeline', 'read_inproc'):.2f} s + steps "
      f"{statistics.median(r['json']['pipeline_seconds'] for r in rows[('scanpy', 'pipeline')]):.2f} s; "
      f"{j['n_obs']} x {j['n_vars']}, nnz {j['nnz']}; kept {j['cells_kept']} cells, {j['hvgs']} HVGs; "
      f"EVR PC1-5 {j['evr_first5']}, sum of 50 {j['evr_sum50']}")

if ("biolens", "read") not in rows:
    sys.exit(0)
# Ratios: Biolens' whole process against scanpy's in-process seconds (its import time left
# out, which only makes the targets harder); memory: peak RSS of each process.
read_t = med("biolens", "read", "wall") / med("scanpy", "read", "inproc")
read_m = med("biolens", "read", "peak") / med("scanpy", "read", "peak")
pipe_t = med("biolens", "pipeline", "wall") / med("scanpy", "pipeline", "inproc")
pipe_m = med("biolens", "pipeline", "peak") / med("scanpy", "pipeline", "peak")
steps_only = (med("biolens", "pipeline", "wall") - med("biolens", "read", "wall")) / statistics.median(
    r["json"]["pipeline_seconds"] for r in rows[("scanpy", "pipeline")])
ok = lambda v, t: "PASS" if v <= t else "FAIL"
print("\nbiolens / scanpy      ratio   target")
print(f"read time           {read_t:7.2f}×   ≤ 1.0×  {ok(read_t, 1.0)}")
print(f"read peak memory    {read_m:7.2f}×   ≤ 1.2×  {ok(read_m, 1.2)}")
print(f"pipeline time       {pipe_t:7.2f}×   ≤ 0.5×  {ok(pipe_t, 0.5)}   (read included on both sides)")
print(f"pipeline peak mem   {pipe_m:7.2f}×")
print(f"pipeline time without the read (biolens: pipeline − read wall): {steps_only:.2f}×")
EOF
