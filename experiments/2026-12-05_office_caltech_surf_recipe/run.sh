#!/usr/bin/env bash
# The deep methods with the recipe that protocol.sh pins (design: README.md), on CORAL-aligned
# inputs as the best deep rows so far: source_only, shot (from the source_only run of the same
# task and seed) and mcc x the 12 SURF tasks x seeds 0-2, rows named <method>+coral@recipe;
# then da-report with the earlier rows beside them (--previous).
# Usage: experiments/2026-12-05_office_caltech_surf_recipe/run.sh OUT_DIR OVERRIDES...
#   e.g. run.sh logs/office_caltech_surf_recipe_deep trainer.max_steps=1200 trainer.val_check_interval=100
set -euo pipefail
E=experiments/2026-12-05_office_caltech_surf_recipe
OUT=$1; shift
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
for m in source_only shot mcc; do
  for task in caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam \
              amazon:dslr webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon \
              dslr:webcam; do
    s=${task%%:*}; t=${task##*:}
    args=(experiment=office_caltech_surf logger=csv trainer.enable_progress_bar=false
          paths.log_dir=$OUT source=$s target=$t method=$m method.name=$m+coral@recipe
          data.align=coral "$@")
    if [[ $m == shot ]]; then
      for seed in 0 1 2; do
        ckpt=$(ls "$OUT"/sweep/source_only_${s}_${t}/*_source_only+coral@recipe_${s}2${t}_s$seed/checkpoints/best-step*.ckpt | head -1)
        .venv/bin/python -m da.train -m "${args[@]}" seed=$seed init_from="$ckpt" \
          hydra.sweep.dir=$OUT/sweep/${m}_${s}_${t}_s$seed
      done
    else
      .venv/bin/python -m da.train -m "${args[@]}" seed=0,1,2 \
        hydra.sweep.dir=$OUT/sweep/${m}_${s}_${t}
    fi
  done
done
.venv/bin/da-report "$OUT" --previous experiments/2026-12-04_office_caltech_surf_deep_coral/results.csv \
  --methods source_only+coral@recipe,shot+coral@recipe,mcc+coral@recipe,source_only+coral,shot+coral,mcc+coral \
  --reference --no-html --baseline source_only+coral --out $E
