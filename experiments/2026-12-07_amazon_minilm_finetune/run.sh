#!/usr/bin/env bash
# all-MiniLM-L6-v2 fine-tuned on the Amazon reviews (design: README.md): source_only and the
# two best deep methods of the frozen study (named in METHODS, chosen by the rule in the
# README before this runs), one seed, 4 tasks (one per source domain; TASKS=all12 for all).
# MODE=partial (CPU): the top layer of 6 trains over the cached outputs of the lower 5,
# 128 tokens, 16 + 16 reviews a step; MODE=full (GPU): every layer, 256 tokens, 32 + 32.
# Usage: METHODS=source_only,<m1>,<m2> experiments/2026-12-07_amazon_minilm_finetune/run.sh [OUT_DIR]
# (smoke test: TASKS="books:kitchen" STEPS=4 METHODS=source_only ...)
set -euo pipefail
E=experiments/2026-12-07_amazon_minilm_finetune
OUT=${1:-logs/amazon_minilm_finetune_${MODE:-partial}}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
: "${METHODS:?set METHODS=source_only,<best>,<second> from the frozen study (README: rule)}"
STEPS=${STEPS:-1000}
common=(dataset=amazon_reviews backbone=minilm
        trainer.max_steps=$STEPS trainer.val_check_interval=$(( STEPS / 4 ))
        optim.optimizer._target_=torch.optim.AdamW optim.optimizer.lr=1e-3
        ~optim.optimizer.momentum ~optim.optimizer.nesterov optim.optimizer.weight_decay=0.01
        optim.backbone_lr_mult=0.05 optim.lr_anneal.warmup=0.1
        trainer.enable_progress_bar=false callbacks.diagnostics=null logger=csv
        paths.log_dir=$OUT seed=0 method=$METHODS)
if [ "${MODE:-partial}" = full ]; then
  common+=(finetune=full backbone.max_length=256 data.batch_size=32 trainer=gpu
           trainer.precision=bf16-mixed)
else
  common+=(finetune=partial finetune.blocks=1 backbone.max_length=128 data.batch_size=16)
fi
FOUR="books:dvd dvd:electronics electronics:kitchen kitchen:books"
ALL="books:dvd books:electronics books:kitchen dvd:books dvd:electronics dvd:kitchen
     electronics:books electronics:dvd electronics:kitchen kitchen:books kitchen:dvd
     kitchen:electronics"
[ "${TASKS:-}" = all12 ] && TASKS=$ALL
for task in ${TASKS:-$FOUR}; do
  s=${task%%:*}; t=${task##*:}
  .venv/bin/python -m da.train -m "${common[@]}" source=$s target=$t \
    hydra.sweep.dir=$OUT/sweep/${s}_${t}
done
.venv/bin/da-report "$OUT" --reference --no-html --baseline source_only \
  --out "${REPORT:-$E/${MODE:-partial}}"
