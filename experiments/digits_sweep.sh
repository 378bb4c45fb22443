#!/usr/bin/env bash
# A digits study: METHODS (default source-only, MMD and DANN) x seeds 0, 1, 2 with a pinned
# recipe (conf/experiment/<RECIPE>.yaml), one sweep (jobs one after another, torch threads as
# the recipe sets them), then the report into the study folder.
# Usage: experiments/digits_sweep.sh RECIPE STUDY_DIR [OUT_DIR] [METHODS]
# (the report keeps the rows of STUDY_DIR/results.csv that no run under OUT_DIR replaces)
set -euo pipefail
RECIPE=$1
STUDY=$2
OUT=${3:-logs/$RECIPE}
METHODS=${4:-source_only,mmd,dann}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
.venv/bin/python -m da.train -m experiment="$RECIPE" method="$METHODS" seed=0,1,2 \
  logger=csv trainer.enable_progress_bar=false paths.log_dir="$OUT" hydra.sweep.dir="$OUT/sweep"
# the study's committed results.csv keeps the runs of earlier sessions whose folders are gone
PREV=()
[ -f "$STUDY/results.csv" ] && PREV=(--previous "$STUDY/results.csv")
.venv/bin/da-report "$OUT" --reference --selection --no-html --out "$STUDY" "${PREV[@]}"
