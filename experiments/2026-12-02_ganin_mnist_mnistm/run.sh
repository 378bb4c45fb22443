#!/usr/bin/env bash
# MNIST -> MNIST-M under Ganin et al.'s protocol (experiment=ganin_mnist_mnistm: 7,500
# iterations of 64 + 64, one torch thread), methods x seeds 0, 1, 2.
# Usage: experiments/2026-12-02_ganin_mnist_mnistm/run.sh [OUT_DIR] [METHODS]
exec experiments/digits_sweep.sh ganin_mnist_mnistm experiments/2026-12-02_ganin_mnist_mnistm \
  "${1:-logs/ganin_mnist_mnistm}" "${2:-dann,source_only}"
