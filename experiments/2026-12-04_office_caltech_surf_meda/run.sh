#!/usr/bin/env bash
# MEDA (method=sk_meda, da/shallow/meda.py) x the 12 Office-Caltech10 SURF tasks x seeds
# 0, 1, 2, under the pinned SURF recipe (conf/experiment/office_caltech_surf.yaml: JDA
# preprocessing per domain, transductive target, the same 20% source hold-out as every other
# method), one process at a time, one thread; then the report with the published numbers.
# Usage: [SEEDS=0,1,2] experiments/2026-12-04_office_caltech_surf_meda/run.sh \
#          [OUT_DIR [REPORT_DIR [OVERRIDES...]]]   (overrides: e.g. data.source_val_fraction=0.01)
set -euo pipefail
E=experiments/2026-12-04_office_caltech_surf_meda
OUT=${1:-logs/office_caltech_surf_meda}
REPORT=${2:-$E}
shift $(( $# < 2 ? $# : 2 ))
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
for task in caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam \
            amazon:dslr webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon \
            dslr:webcam; do
  s=${task%%:*}; t=${task##*:}
  .venv/bin/python -m da.train -m experiment=office_caltech_surf logger=csv \
    trainer.enable_progress_bar=false paths.log_dir=$OUT source=$s target=$t \
    method=sk_meda seed=${SEEDS:-0,1,2} hydra.sweep.dir=$OUT/${s}_${t} "$@"
done
.venv/bin/da-report "$OUT" --reference --no-html --out "$REPORT"
