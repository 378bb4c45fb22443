#!/usr/bin/env bash
# MNIST -> USPS under TLlib's protocol (experiment=tllib_mnist_usps: 7,500 iterations of
# 128 + 128, one torch thread), methods x seeds 0, 1, 2, then da-report into this folder.
# Completed jobs are skipped, so the study continues where it stopped.
# Usage: experiments/2026-12-02_tllib_mnist_usps/run.sh [OUT_DIR] [METHODS]
exec experiments/digits_sweep.sh tllib_mnist_usps experiments/2026-12-02_tllib_mnist_usps \
  "${1:-logs/tllib_mnist_usps}" "${2:-dann,cdan,mcc,source_only,mmd,mdd}"
