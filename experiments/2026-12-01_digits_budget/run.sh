#!/usr/bin/env bash
# Diagnosis of the gap to the published numbers: the pinned recipes at 4x their step budget
# (validation every 1,000 steps), seed 0. Not a tuning run: the recipes stay as pinned;
# this only measures how much of the gap training length explains.
#   MNIST -> USPS: DANN at 10,000 steps. MNIST -> MNIST-M: DANN and source-only at 8,000.
# Usage: experiments/2026-12-01_digits_budget/run.sh [OUT_DIR]
set -euo pipefail
OUT=${1:-logs/digits_budget}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
COMMON=(seed=0 trainer.val_check_interval=1000 logger=csv trainer.enable_progress_bar=false
        paths.log_dir=$OUT)
.venv/bin/python -m da.train -m experiment=digits_mnist_usps method=dann trainer.max_steps=10000 \
  study=digits_mnist_usps_budget "${COMMON[@]}" hydra.sweep.dir=$OUT/mnist_usps
.venv/bin/python -m da.train -m experiment=digits_mnist_mnistm method=dann,source_only \
  trainer.max_steps=8000 study=digits_mnist_mnistm_budget "${COMMON[@]}" \
  hydra.sweep.dir=$OUT/mnist_mnistm
.venv/bin/da-report "$OUT" --reference --no-html --out experiments/2026-12-01_digits_budget
