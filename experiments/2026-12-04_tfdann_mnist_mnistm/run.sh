#!/usr/bin/env bash
# MNIST -> MNIST-M as the TensorFlow replication of DANN runs it (experiment=tfdann_mnist_mnistm:
# binarised MNIST, MNIST-M at 28x28, 8,600 steps of 32 + 32, one torch thread), methods x
# seeds 0, 1, 2, then da-report into this folder.
# Usage: experiments/2026-12-04_tfdann_mnist_mnistm/run.sh [OUT_DIR] [METHODS]
exec experiments/digits_sweep.sh tfdann_mnist_mnistm experiments/2026-12-04_tfdann_mnist_mnistm \
  "${1:-logs/tfdann_mnist_mnistm}" "${2:-dann,source_only}"
