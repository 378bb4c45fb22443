#!/usr/bin/env bash
# Protocol check 2: CORAL + linear SVM (as run_protocol.sh) fitted on 99% of the source
# instead of 80% (data.source_val_fraction=0.01; the published tables train on all of it).
# Usage: experiments/2026-12-02_office_caltech_surf_shallow_deep/run_protocol_allsource.sh [OUT_DIR]
set -euo pipefail
E=experiments/2026-12-02_office_caltech_surf_shallow_deep
OUT=${1:-logs/office_caltech_surf_shallow_allsource}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
for task in caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam \
            amazon:dslr webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon \
            dslr:webcam; do
  s=${task%%:*}; t=${task##*:}
  .venv/bin/python -m da.train experiment=office_caltech_surf logger=csv \
    trainer.enable_progress_bar=false paths.log_dir=$OUT seed=0 method.shallow.grid=null \
    data.source_val_fraction=0.01 source=$s target=$t method=sk_coral \
    method.name=sk_coral_linsvm_allsource method.shallow.estimator.reg=0.5 \
    '~method.shallow.estimator.base_estimator' \
    '+method.shallow.estimator.base_estimator={_target_:sklearn.svm.SVC,kernel:linear,C:1.0}' \
    hydra.run.dir=$OUT/${s}_${t}_coral
done
.venv/bin/da-report "$OUT" --reference --no-html --out $E/protocol_allsource
