#!/usr/bin/env bash
# DANN MNIST->USPS at TLlib's full length (50,000 iterations of 128 + 128, horizon 10,000 as
# in the recipe), seed 0, on one GPU: the recipe experiment=tllib_mnist_usps with
# trainer=gpu and trainer.max_steps=50000, nothing else changed. Resumable: run it again
# with RESUME=true to continue an interrupted run from its last.ckpt.
# Usage: experiments/2026-12-02_tllib_mnist_usps/gpu_full.sh [RUN_DIR]   (PYTHON=python3)
set -euo pipefail
RUN=${1:-logs/tllib_mnist_usps_gpu/dann_50k_s0}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
exec "${PYTHON:-.venv/bin/python}" -m da.train experiment=tllib_mnist_usps method=dann seed=0 \
  trainer=gpu trainer.max_steps=50000 logger=csv trainer.enable_progress_bar=false \
  paths.log_dir="$(dirname "$RUN")" hydra.run.dir="$RUN" resume="${RESUME:-false}"
