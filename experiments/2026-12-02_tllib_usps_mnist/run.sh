#!/usr/bin/env bash
# USPS -> MNIST under TLlib's protocol (experiment=tllib_usps_mnist), methods x seeds 0, 1, 2.
# Usage: experiments/2026-12-02_tllib_usps_mnist/run.sh [OUT_DIR] [METHODS]
exec experiments/digits_sweep.sh tllib_usps_mnist experiments/2026-12-02_tllib_usps_mnist \
  "${1:-logs/tllib_usps_mnist}" "${2:-dann,cdan,source_only}"
