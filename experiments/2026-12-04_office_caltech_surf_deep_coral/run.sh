#!/usr/bin/env bash
# Deep methods on CORAL-aligned inputs: the pinned SURF recipe
# (conf/experiment/office_caltech_surf.yaml, unchanged) plus data.align=coral (the source
# splits re-coloured with the target pool's covariance, cov + I, fitted without labels;
# da/data/align.py), METHODS x the 12 Office-Caltech10 SURF tasks x seeds 0, 1, 2, one
# process at a time, one thread; rows are named <method>+coral. SHOT (source-free) starts
# from the source_only+coral run of the same task and seed, so source_only comes first.
# Then da-report.
# Usage: experiments/2026-12-04_office_caltech_surf_deep_coral/run.sh [OUT_DIR] [METHODS]
set -euo pipefail
E=experiments/2026-12-04_office_caltech_surf_deep_coral
OUT=${1:-logs/office_caltech_surf_deep_coral}
METHODS=${2:-source_only shot mcc bnm mdd sk_source_only}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
for m in $METHODS; do
  for task in caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam \
              amazon:dslr webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon \
              dslr:webcam; do
    s=${task%%:*}; t=${task##*:}
    args=(experiment=office_caltech_surf logger=csv trainer.enable_progress_bar=false
          paths.log_dir=$OUT source=$s target=$t method=$m method.name=$m+coral
          data.align=coral)
    if [[ $m == shot ]]; then
      for seed in 0 1 2; do
        ckpt=$(ls "$OUT"/sweep/source_only_${s}_${t}/*_source_only+coral_${s}2${t}_s$seed/checkpoints/best-step*.ckpt | head -1)
        .venv/bin/python -m da.train -m "${args[@]}" seed=$seed init_from="$ckpt" \
          hydra.sweep.dir=$OUT/sweep/${m}_${s}_${t}_s$seed
      done
    else
      .venv/bin/python -m da.train -m "${args[@]}" seed=0,1,2 \
        hydra.sweep.dir=$OUT/sweep/${m}_${s}_${t}
    fi
  done
done
.venv/bin/da-report "$OUT" --reference --no-html --baseline source_only+coral --out $E
