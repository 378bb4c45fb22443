#!/usr/bin/env bash
# A deep student of MEDA on the 12 Office-Caltech10 SURF tasks (design: README.md):
# per task, (1) the teacher: sk_meda fitted on the 80 % source split + target pool (no
# refit), which writes model.joblib; (2) the student kd_meda: the pinned SURF recipe with
# method=kd, the teacher's classes as target pseudo-labels (hard), seeds 0-2; (3) SHOT
# started from the student's best checkpoint of the same seed. Then da-report.
# Usage: experiments/2026-12-05_office_caltech_surf_meda_teacher/run.sh [OUT_DIR]
set -euo pipefail
E=experiments/2026-12-05_office_caltech_surf_meda_teacher
OUT=${1:-logs/office_caltech_surf_meda_teacher}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
for task in caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam \
            amazon:dslr webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon \
            dslr:webcam; do
  s=${task%%:*}; t=${task##*:}
  args=(experiment=office_caltech_surf logger=csv trainer.enable_progress_bar=false
        paths.log_dir=$OUT source=$s target=$t)
  .venv/bin/python -m da.train -m "${args[@]}" method=sk_meda method.shallow.refit=false \
    seed=0 hydra.sweep.dir=$OUT/sweep/teacher_${s}_${t}
  teacher=$(ls "$OUT"/sweep/teacher_${s}_${t}/*/model.joblib | head -1)
  .venv/bin/python -m da.train -m "${args[@]}" method=kd method.name=kd_meda \
    method.loss.teacher_path="$teacher" method.loss.hard=true seed=0,1,2 \
    hydra.sweep.dir=$OUT/sweep/kd_meda_${s}_${t}
  for seed in 0 1 2; do
    ckpt=$(ls "$OUT"/sweep/kd_meda_${s}_${t}/*_kd_meda_${s}2${t}_s$seed/checkpoints/best-step*.ckpt | head -1)
    .venv/bin/python -m da.train -m "${args[@]}" method=shot method.name=shot+kd_meda \
      seed=$seed init_from="$ckpt" hydra.sweep.dir=$OUT/sweep/shot_kd_meda_${s}_${t}_s$seed
  done
done
.venv/bin/da-report "$OUT" --reference --no-html --baseline sk_meda --out $E
