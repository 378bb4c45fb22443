#!/usr/bin/env bash
# Why MNIST -> MNIST-M under Ganin's protocol is short: from experiment=ganin_mnist_mnistm, one
# factor at a time, seed 0 (SEED below), the study's 7,500 steps unless a row sets the length,
# one torch thread. Each row is its own sweep
# (skipped when its config already completed under OUT); the row's name is the method name, so
# da-report gives one row per variant. The unchanged rows are the study's own seed-0 runs.
# Usage: [SEED=s] experiments/2026-12-02_ganin_mnist_mnistm/diagnose.sh [OUT_DIR] [ROW ...]
# (SEED, default 0: further seeds of a row go to sweeps/<row>_s<SEED>, the same row in da-report)
set -euo pipefail
OUT=${1:-logs/ganin_diagnosis}
shift || true
STUDY=experiments/2026-12-02_ganin_mnist_mnistm
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
SEED=${SEED:-0}
COMMON=(experiment=ganin_mnist_mnistm logger=csv trainer.enable_progress_bar=false
        paths.log_dir="$OUT" seed="$SEED")
SUFFIX=""
[ "$SEED" != 0 ] && SUFFIX="_s$SEED"

declare -A ROWS=(
  # MNIST-M was blended from binarised MNIST digits; the TF replication binarises its source
  [source_only-binarized]="method=source_only dataset.binarize=[mnist]"
  [dann-binarized]="method=dann dataset.binarize=[mnist]"
  # MNIST-M's 32x32 images are MNIST digits padded by 2 px: centre-crop them to 28 instead of
  # resizing (which shrinks the MNIST-M digits by 1/8 against MNIST's)
  [source_only-crop]="method=source_only dataset.crop_or_pad=[mnist_m]"
  [dann-crop]="method=dann dataset.crop_or_pad=[mnist_m]"
  # the TF replication's batch: 64 in all, 32 source + 32 target
  [dann-batch32]="method=dann data.batch_size=32"
  # [-1, 1] inputs instead of [0, 1] minus the mean image (the input scale)
  [source_only-half]="method=source_only dataset.normalize=half"
  # TensorFlow's truncated normal (std 0.1) weights and 0.1 biases (the TF replication)
  [source_only-trunc_normal]="method=source_only model.init=trunc_normal"
  [dann-trunc_normal]="method=dann model.init=trunc_normal"
  # all of the TF replication's choices together: binarised source, per-channel mean,
  # truncated-normal init, SAME convolutions (2352 features)
  [source_only-tf_replication]="method=source_only dataset.binarize=[mnist] dataset.normalize=channel_mean model.init=trunc_normal backbone.padding=2"
  [dann-tf_replication]="method=dann dataset.binarize=[mnist] dataset.normalize=channel_mean model.init=trunc_normal backbone.padding=2"
  # both facts of MNIST-M's construction at once: binarised digits, padded by 2 px (crop)
  [source_only-crop_binarized]="method=source_only dataset.binarize=[mnist] dataset.crop_or_pad=[mnist_m]"
  [dann-crop_binarized]="method=dann dataset.binarize=[mnist] dataset.crop_or_pad=[mnist_m]"
  # the paper's "train on target" row (95.96): the same network trained on the labelled
  # MNIST-M pool (20,000 here) and read from its source test accuracy (MNIST-M test, 9,001);
  # says whether the network and input pipeline can learn MNIST-M at all in this budget
  [source_only-train_on_mnist_m]="method=source_only source=mnist_m target=mnist"
  # the target pool's size (the paper had 59,001 images, the shared copy 20,000): DANN with
  # both construction facts above, on a fixed half and quarter of the pool, to see which way
  # and how fast accuracy moves with the pool
  [dann-crop_binarized-pool10k]="method=dann dataset.binarize=[mnist] dataset.crop_or_pad=[mnist_m] data.target_pool_size=10000"
  [dann-crop_binarized-pool5k]="method=dann dataset.binarize=[mnist] dataset.crop_or_pad=[mnist_m] data.target_pool_size=5000"
  # the planned length (the paper does not state it): twice the budget, the schedules
  # stretched over it (horizon = the planned run), on the matched inputs
  [dann-crop_binarized-15k]="method=dann dataset.binarize=[mnist] dataset.crop_or_pad=[mnist_m] trainer.max_steps=15000"
)
ORDER=(source_only-binarized dann-binarized source_only-crop dann-crop dann-batch32 source_only-half
       source_only-trunc_normal dann-trunc_normal source_only-tf_replication dann-tf_replication
       source_only-train_on_mnist_m dann-crop_binarized source_only-crop_binarized
       dann-crop_binarized-pool10k dann-crop_binarized-pool5k dann-crop_binarized-15k)
[ $# -gt 0 ] && ORDER=("$@")
for name in "${ORDER[@]}"; do
  # shellcheck disable=SC2086
  .venv/bin/python -m da.train -m ${ROWS[$name]} method.name="$name" "${COMMON[@]}" \
    hydra.sweep.dir="$OUT/sweeps/$name$SUFFIX"
done
.venv/bin/da-report "$OUT" --no-html --out "$STUDY/diagnosis"
