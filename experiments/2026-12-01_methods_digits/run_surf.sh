#!/usr/bin/env bash
# Every method x seeds 0, 1, 2 on the 12 Office-Caltech10 SURF tasks with the pinned recipe
# (conf/experiment/office_caltech_surf.yaml), then the report (average over the 12 tasks).
# Runs already completed by ../2026-11-24_office_caltech_surf (same recipe, same log dir)
# are found and skipped. ADDA and SHOT (init_from) and KD (the teacher) start from the
# source-only run of the same task and seed. Two streams of six tasks side by side, one
# torch thread each (as in the recipe).
# Usage: experiments/2026-12-01_methods_digits/run_surf.sh [OUT_DIR] [METHODS] [STAGES]
#   METHODS: the single-system methods (default: all of conf/method but adda, shot, kd)
#   STAGES: any of plain,bsp,init (default: all three)
#   STREAMS=1 (environment): one stream of all 12 tasks instead of two side by side
set -euo pipefail
OUT=${1:-logs/office_caltech_surf}
METHODS=${2:-source_only,mmd,dann,coral,mcc,jan,cdan,cdan_e,mdd,entropy,bnm,afn,iw,mcd}
STAGES=${3:-plain,bsp,init}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
ARGS=(experiment=office_caltech_surf logger=csv trainer.enable_progress_bar=false
      paths.log_dir=$OUT)
has() { [[ ",$STAGES," == *",$1,"* ]]; }
stream() {
  for task in "$@"; do
    s=${task%%:*}; t=${task##*:}
    dir=$OUT/${s}_${t}
    task_args=("${ARGS[@]}" source=$s target=$t)
    if has plain; then
      .venv/bin/python -m da.train -m "${task_args[@]}" method=$METHODS seed=0,1,2 \
        hydra.sweep.dir=$dir
    fi
    if has bsp; then
      .venv/bin/python -m da.train -m "${task_args[@]}" 'method=dann,cdan' \
        +method@method.extras.bsp=bsp seed=0,1,2 hydra.sweep.dir=${dir}_bsp
    fi
    if has init; then
      for seed in 0 1 2; do
        ckpt=$(ls "$dir"/*_source_only_${s}2${t}_s$seed/checkpoints/best-step*.ckpt | head -1)
        .venv/bin/python -m da.train -m "${task_args[@]}" method=adda,shot seed=$seed \
          init_from="$ckpt" hydra.sweep.dir=${dir}_init_s$seed
        .venv/bin/python -m da.train "${task_args[@]}" method=kd seed=$seed \
          method.loss.teacher_path="$ckpt" hydra.run.dir=${dir}_kd/s$seed
      done
    fi
  done
}
A=(caltech:amazon caltech:webcam caltech:dslr amazon:caltech amazon:webcam amazon:dslr)
B=(webcam:caltech webcam:amazon webcam:dslr dslr:caltech dslr:amazon dslr:webcam)
if [[ ${STREAMS:-2} == 1 ]]; then
  stream "${A[@]}" "${B[@]}"
else
  stream "${A[@]}" & a=$!
  stream "${B[@]}" & b=$!
  failed=0
  wait $a || failed=1  # wait for both streams, whichever fails
  wait $b || failed=1
  (( failed == 0 )) || { echo "a stream failed; see the log above" >&2; exit 1; }
fi
.venv/bin/da-report "$OUT" --reference --selection --no-html \
  --out experiments/2026-12-01_methods_digits/office_caltech_surf
