#!/usr/bin/env bash
# Diagnosis of the gap to the published numbers: the same recipe with 4x the step budget
# (10,000 steps, validation every 1,000), DANN and source-only, seed 0. Not a tuning run:
# the recipe stays as pinned; this only measures how much of the gap the budget explains.
# Usage: experiments/2026-12-01_digits_mnist_usps/budget.sh [OUT_DIR]
set -euo pipefail
OUT=${1:-logs/digits_mnist_usps_budget}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
.venv/bin/python -m da.train -m experiment=digits_mnist_usps method=dann,source_only seed=0 \
  trainer.max_steps=10000 trainer.val_check_interval=1000 study=digits_mnist_usps_budget \
  logger=csv trainer.enable_progress_bar=false paths.log_dir=$OUT hydra.sweep.dir=$OUT/sweep
.venv/bin/da-report "$OUT" --no-html --out experiments/2026-12-01_digits_mnist_usps/budget
