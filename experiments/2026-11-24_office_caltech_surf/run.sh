#!/usr/bin/env bash
# The 12 Office-Caltech10 SURF tasks x methods x seeds 0,1,2, then the report.
# Two sweeps run side by side (6 tasks each), one torch thread per process (the recipe
# pins num_threads=1: results depend on the thread count, so it is part of the protocol).
# Usage: experiments/2026-11-24_office_caltech_surf/run.sh [OUT_DIR] [METHODS]
set -euo pipefail
OUT=${1:-logs/office_caltech_surf}
METHODS=${2:-source_only,mmd,dann}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
sweep() {
  for task in "$@"; do
    s=${task%%:*}; t=${task##*:}
    .venv/bin/python -m da.train -m experiment=office_caltech_surf source=$s target=$t \
      method=$METHODS seed=0,1,2 logger=csv trainer.enable_progress_bar=false \
      paths.log_dir=$OUT \
      hydra.sweep.dir=$OUT/${s}_${t}
  done
}
sweep caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam amazon:dslr &
sweep webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon dslr:webcam &
wait
.venv/bin/da-report "$OUT" --reference --selection --no-html \
  --out experiments/2026-11-24_office_caltech_surf
