#!/usr/bin/env bash
# digits_mnist_mnistm: source-only, MMD and DANN x seeds 0, 1, 2 with the pinned recipe (conf/experiment/digits_mnist_mnistm.yaml),
# one sweep (jobs run one after another, 2 torch threads each as in the recipe), then the report.
# Usage: experiments/2026-12-01_digits_mnist_mnistm/run.sh [OUT_DIR] [METHODS]
set -euo pipefail
OUT=${1:-logs/digits_mnist_mnistm}
METHODS=${2:-source_only,mmd,dann}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
.venv/bin/python -m da.train -m experiment=digits_mnist_mnistm method=$METHODS seed=0,1,2 \
  logger=csv trainer.enable_progress_bar=false paths.log_dir=$OUT hydra.sweep.dir=$OUT/sweep
.venv/bin/da-report "$OUT" --reference --selection --no-html --out experiments/2026-12-01_digits_mnist_mnistm
