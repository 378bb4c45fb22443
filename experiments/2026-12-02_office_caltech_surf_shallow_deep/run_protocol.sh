#!/usr/bin/env bash
# Protocol sensitivity for the CORAL comparison: the published CORAL pairs the alignment with
# a linear SVM at fixed settings. Here sk_coral and sk_source_only run with a linear SVC
# (C=1, fixed a priori, no grid, so no selection at all) and CORAL's identity regulariser
# (reg=0.5: on per-domain z-scored features, 0.5 cov + 0.5 I is cov + I up to a scale that
# whitening and re-colouring cancel), one seed (deterministic), the same splits.
# Usage: experiments/2026-12-02_office_caltech_surf_shallow_deep/run_protocol.sh [OUT_DIR]
set -euo pipefail
E=experiments/2026-12-02_office_caltech_surf_shallow_deep
OUT=${1:-logs/office_caltech_surf_shallow_protocol}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
SVM=(experiment=office_caltech_surf logger=csv trainer.enable_progress_bar=false
     paths.log_dir=$OUT seed=0 method.shallow.grid=null)
for task in caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam \
            amazon:dslr webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon \
            dslr:webcam; do
  s=${task%%:*}; t=${task##*:}
  .venv/bin/python -m da.train "${SVM[@]}" source=$s target=$t method=sk_coral \
    method.name=sk_coral_linsvm method.shallow.estimator.reg=0.5 \
    '~method.shallow.estimator.base_estimator' \
    '+method.shallow.estimator.base_estimator={_target_:sklearn.svm.SVC,kernel:linear,C:1.0}' \
    hydra.run.dir=$OUT/${s}_${t}_coral
  .venv/bin/python -m da.train "${SVM[@]}" source=$s target=$t method=sk_source_only \
    method.name=sk_source_only_linsvm '~method.shallow.estimator' \
    '+method.shallow.estimator={_target_:sklearn.svm.SVC,kernel:linear,C:1.0}' \
    hydra.run.dir=$OUT/${s}_${t}_source_only
done
.venv/bin/da-report "$OUT" --reference --no-html --baseline sk_source_only_linsvm \
  --out $E/protocol
