#!/usr/bin/env bash
# digits_usps_mnist: source-only, MMD and DANN x 3 seeds, then da-report into this folder.
# Usage: experiments/2026-12-01_digits_usps_mnist/run.sh [OUT_DIR] [METHODS]
exec experiments/digits_sweep.sh digits_usps_mnist experiments/2026-12-01_digits_usps_mnist "$@"
