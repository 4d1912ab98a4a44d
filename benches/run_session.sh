#!/usr/bin/env bash
# `biolens run` on a session that uses every view (tests/khan_srbct.biolens.json): wall time
# and peak memory of two builds, the same session, alternating runs, medians.
#
#   bash benches/run_session.sh OLD_BIOLENS NEW_BIOLENS [RUNS]
#
# Build each with `cargo build --bin biolens` (the same profile for both) and copy the binary
# aside; run from the repository root (the session's paths are relative to it).
set -euo pipefail
old=$1 new=$2 runs=${3:-5}
session=tests/khan_srbct.biolens.json
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
measure() { # binary label
  rm -rf "$out/$2"
  /usr/bin/time -f '%e %M' -o "$out/time" "$1" run "$session" --out-dir "$out/$2" > /dev/null 2>&1
  cat "$out/time"
}
declare -a old_t old_m new_t new_m
for ((i = 0; i < runs; i++)); do
  read -r t m < <(measure "$old" old); old_t+=("$t"); old_m+=("$m")
  read -r t m < <(measure "$new" new); new_t+=("$t"); new_m+=("$m")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ot=$(median "${old_t[@]}") nt=$(median "${new_t[@]}") om=$(median "${old_m[@]}") nm=$(median "${new_m[@]}")
echo "old: ${ot} s, peak ${om} KiB"
echo "new: ${nt} s, peak ${nm} KiB"
awk -v a="$nt" -v b="$ot" -v c="$nm" -v d="$om" 'BEGIN {printf "new/old: time %.2f×, peak memory %.2f×\n", a/b, c/d}'
