#!/usr/bin/env bash
# Selection study (issue 27, item 3; design: README.md): runs with every validator logged
# (the default `validators` list, all 8), one process at a time, one thread, niced (the
# machine's cores belong to other studies):
#   - the pinned Office-Caltech SURF recipe, 12 tasks x source_only, dann, mcc, seed by seed;
#   - digits MNIST -> USPS (the pinned recipe) x the same methods, seed 0;
# in the order SURF seed 0, digits, SURF seeds 1 and 2 (digits moved before SURF seed 1 at
# 03:16 UTC, when the SURF runs proved 1.5x slower than measured, so that a third benchmark
# fits). Re-running skips the jobs that already completed under OUT (a sweep whose jobs all completed is not started again; a
# partial one continues in a new folder, where da-train skips the completed jobs).
# Usage: experiments/2026-12-07_selection_study/run.sh [OUT]
set -euo pipefail
OUT=${1:-/work/logs/selection_study}
METHODS=source_only,dann,mcc
cd "$(dirname "$0")/../.."
export DA_DATA_DIR=${DA_DATA_DIR:-$(cd .. && pwd)/shared/data}
train() {  # nice, one thread, CSV logs, no progress bar
  nice -n 19 .venv/bin/python -m da.train -m method="$METHODS" num_threads=1 logger=csv \
    trainer.enable_progress_bar=false "$@"
}
sweep_dir() {  # $1: a sweep folder, $2: its jobs; false when they all completed there, else
  # dir= a fresh folder (a completed job is not rerun: da-train finds it under paths.log_dir)
  local n  # jobs completed (status ok: a failed or preempted job does not count) in it or its
  # continuations (a job's folder name is the same)
  n=$(grep -l '"status": "ok"' "$1"*/*/results.json 2>/dev/null | xargs -rn1 dirname | xargs -rn1 basename | sort -u | wc -l)
  [ "$n" -ge "$2" ] && return 1
  dir=$1; [ -e "$dir" ] && dir=$1_$(date +%s)
  return 0
}
surf() {  # $1: seed
  for task in caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam \
              amazon:dslr webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon \
              dslr:webcam; do
    s=${task%%:*}; t=${task##*:}
    sweep_dir $OUT/surf/sweeps/${s}_${t}_s$1 3 || continue
    train experiment=office_caltech_surf source="$s" target="$t" seed="$1" \
      paths.log_dir="$OUT/surf" hydra.sweep.dir="$dir"
  done
}
surf 0
if sweep_dir "$OUT/digits/sweeps/mnist_usps_s0" 3; then
  train experiment=digits_mnist_usps seed=0 paths.log_dir="$OUT/digits" hydra.sweep.dir="$dir"
fi
surf 1
surf 2
