#!/usr/bin/env bash
# Every shallow method (conf/method/sk_*.yaml) x the 12 Office-Caltech10 SURF tasks x seeds
# 0, 1, 2, under the pinned SURF recipe (conf/experiment/office_caltech_surf.yaml: JDA
# preprocessing per domain, transductive target, the same 20% source hold-out as the deep
# runs), one process at a time, one thread; then the report with the published numbers.
# Usage: experiments/2026-12-02_office_caltech_surf_shallow_deep/run.sh [OUT_DIR] [METHODS]
set -euo pipefail
E=experiments/2026-12-02_office_caltech_surf_shallow_deep
OUT=${1:-logs/office_caltech_surf_shallow}
METHODS=${2:-sk_source_only,sk_coral,sk_sa,sk_tca,sk_jdot,sk_otlabelprop,sk_kmm,sk_dasvm}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
for task in caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam \
            amazon:dslr webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon \
            dslr:webcam; do
  s=${task%%:*}; t=${task##*:}
  .venv/bin/python -m da.train -m experiment=office_caltech_surf logger=csv \
    trainer.enable_progress_bar=false paths.log_dir=$OUT source=$s target=$t \
    method=$METHODS seed=0,1,2 hydra.sweep.dir=$OUT/${s}_${t}
done
.venv/bin/da-report "$OUT" --reference --no-html --baseline sk_source_only --out $E
