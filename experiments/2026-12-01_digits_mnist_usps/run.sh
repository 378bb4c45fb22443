#!/usr/bin/env bash
# digits_mnist_usps: source-only, MMD and DANN x 3 seeds, then da-report into this folder.
# Usage: experiments/2026-12-01_digits_mnist_usps/run.sh [OUT_DIR] [METHODS]
exec experiments/digits_sweep.sh digits_mnist_usps experiments/2026-12-01_digits_mnist_usps "$@"
