#!/usr/bin/env bash
# From the TLlib-exact recipe (experiment=tllib_mnist_usps) back to the old defaults
# (experiment=digits_mnist_usps), one factor at a time: MNIST -> USPS, seed 0, 3,000 steps
# (the budget of TLlib's own 3,000-iteration runs in ../shared/REFERENCE.md), one torch thread.
# Each row is its own sweep (skipped when its config already completed under OUT); the
# variant's name is the method name, so da-report gives one row per variant.
# Usage: experiments/2026-12-02_tllib_ablation/run.sh [OUT_DIR] [ROW ...]
set -euo pipefail
OUT=${1:-logs/tllib_ablation}
shift || true
STUDY=experiments/2026-12-02_tllib_ablation
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
COMMON=(logger=csv trainer.enable_progress_bar=false paths.log_dir="$OUT" seed=0
        trainer.max_steps=3000 num_threads=1)

declare -A ROWS=(
  [dann]="experiment=tllib_mnist_usps method=dann"
  [source_only]="experiment=tllib_mnist_usps method=source_only"
  [dann-disc_dropout]="experiment=tllib_mnist_usps method=dann method.loss.batch_norm=false method.loss.dropout=0.5"
  [dann-batch64]="experiment=tllib_mnist_usps method=dann data.batch_size=64"
  [dann-planned_schedules]="experiment=tllib_mnist_usps method=dann horizon_steps=null"
  [dann-wd5e-4]="experiment=tllib_mnist_usps method=dann optim.optimizer.weight_decay=5e-4"
  [dann-bilinear]="experiment=tllib_mnist_usps method=dann dataset.resize=bilinear"
  [dann-holdout20pct]="experiment=tllib_mnist_usps method=dann data.source_val_fraction=0.2"
  [source_only-bottleneck]="experiment=tllib_mnist_usps method=source_only model.bottleneck_dim=256"
  [source_only-bilinear]="experiment=tllib_mnist_usps method=source_only dataset.resize=bilinear"
  [dann-old_defaults]="experiment=digits_mnist_usps method=dann trainer.val_check_interval=500"
  [source_only-old_defaults]="experiment=digits_mnist_usps method=source_only trainer.val_check_interval=500"
)
ORDER=(dann source_only dann-disc_dropout dann-batch64 dann-planned_schedules dann-wd5e-4
       dann-bilinear dann-holdout20pct source_only-bottleneck source_only-bilinear
       dann-old_defaults source_only-old_defaults)
[ $# -gt 0 ] && ORDER=("$@")
for name in "${ORDER[@]}"; do
  # shellcheck disable=SC2086
  .venv/bin/python -m da.train -m ${ROWS[$name]} method.name="$name" "${COMMON[@]}" \
    hydra.sweep.dir="$OUT/sweeps/$name"
done
# no --reference: the published numbers are of 50,000 iterations; the README puts TLlib's own
# 3,000-iteration runs on these files beside the table
.venv/bin/da-report "$OUT" --no-html --out "$STUDY"
