#!/usr/bin/env bash
# Selection study (issue 27, item 3; design: README.md): runs with every validator logged
# (the default `validators` list, all 8), one process at a time, one thread, niced (the
# machine's cores belong to other studies):
#   - the pinned Office-Caltech SURF recipe, 12 tasks x source_only, dann, mcc, seed by seed;
#   - digits MNIST -> USPS (the pinned recipe) x the same methods, seed 0;
# in the order SURF seed 0, digits, SURF seeds 1 and 2 (digits moved before SURF seed 1 at
# 03:16 UTC, when the SURF runs proved 1.5x slower than measured, so that a third benchmark fits). Re-running skips the jobs that
# already completed under OUT (da-train's sweep skip).
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
surf() {  # $1: seed
  for task in caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam \
              amazon:dslr webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon \
              dslr:webcam; do
    s=${task%%:*}; t=${task##*:}
    train experiment=office_caltech_surf source="$s" target="$t" seed="$1" \
      paths.log_dir="$OUT/surf" hydra.sweep.dir="$OUT/surf/sweeps/${s}_${t}_s$1"
  done
}
surf 0
train experiment=digits_mnist_usps seed=0 paths.log_dir="$OUT/digits" \
  hydra.sweep.dir="$OUT/digits/sweeps/mnist_usps_s0"
surf 1
surf 2
