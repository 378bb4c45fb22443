#!/usr/bin/env bash
# all-MiniLM-L6-v2 frozen on the Amazon reviews (design: README.md): mean-pooled embeddings
# (256 tokens) computed once per domain into the frozen-feature cache, then the deep heads
# (bottleneck 256 + classifier) with source_only and six adaptation methods, 3 seeds, and the
# shallow methods on the same cached embeddings; transductive protocol, 12 tasks, label-free
# selection (held-out source accuracy), ORACLE beside.
# Usage: experiments/2026-12-07_amazon_minilm_frozen/run.sh [OUT_DIR]
# (smoke test: TASKS="books:kitchen" SEEDS=0 STEPS=20 DEEP="dann" SHALLOW="sk_source_only" ...)
set -euo pipefail
E=experiments/2026-12-07_amazon_minilm_frozen
OUT=${1:-logs/amazon_minilm_frozen}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
common=(dataset=amazon_reviews backbone=minilm backbone.max_length=256 finetune=frozen
        logger=csv paths.log_dir=$OUT)
deep=(data.batch_size=64 trainer.max_steps=${STEPS:-1000}
      trainer.val_check_interval=$(( ${STEPS:-1000} / 10 )) trainer.enable_progress_bar=false
      callbacks.diagnostics=null)
ALL="books:dvd books:electronics books:kitchen dvd:books dvd:electronics dvd:kitchen
     electronics:books electronics:dvd electronics:kitchen kitchen:books kitchen:dvd
     kitchen:electronics"
for task in ${TASKS:-$ALL}; do
  s=${task%%:*}; t=${task##*:}
  .venv/bin/python -m da.train -m "${common[@]}" "${deep[@]}" source=$s target=$t \
    seed=${SEEDS:-0,1,2} method=${DEEP:-source_only,dann,mmd,cdan,mcc,bnm,mdd} \
    hydra.sweep.dir=$OUT/sweep/deep_${s}_${t}
  for m in ${SHALLOW:-sk_source_only sk_sa sk_coral sk_tca sk_meda}; do
    .venv/bin/python -m da.train -m "${common[@]}" source=$s target=$t seed=0 method=$m \
      hydra.sweep.dir=$OUT/sweep/${m}_${s}_${t}
  done
done
.venv/bin/da-report "$OUT" --reference --no-html --baseline source_only --out "${REPORT:-$E}"
