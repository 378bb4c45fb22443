#!/usr/bin/env bash
# The DANN paper's Amazon protocol (Ganin et al., JMLR 2016, Sec. 5.1.3-5.1.4) on raw reviews:
# 5,000 unigram+bigram features, one hidden layer of 100 units, source-only NN vs DANN,
# inductive protocol (2,000 unlabelled target reviews; deduplicated hatn reviews as the target
# test set), 12 tasks x 3 seeds, DANN's weight chosen label-free (design: README.md).
# Usage: experiments/2026-12-07_amazon_dann_protocol/run.sh [OUT_DIR]
# (smoke test of the pipeline: TASKS="books:kitchen" SEEDS=0 STEPS=20 run.sh /tmp/smoke)
set -euo pipefail
E=experiments/2026-12-07_amazon_dann_protocol
OUT=${1:-logs/amazon_dann_protocol}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
common=(dataset=amazon_reviews dataset.protocol=inductive backbone=bow backbone.max_features=5000
        backbone.weighting=count backbone.binary=true model.bottleneck_dim=100
        model.bottleneck_bn=false data.batch_size=64 trainer.max_steps=${STEPS:-1000}
        trainer.val_check_interval=$(( ${STEPS:-1000} / 10 )) optim.optimizer.lr=0.01 logger=csv
        trainer.enable_progress_bar=false callbacks.diagnostics=null paths.log_dir=$OUT
        num_threads=1)
ALL="books:dvd books:electronics books:kitchen dvd:books dvd:electronics dvd:kitchen
     electronics:books electronics:dvd electronics:kitchen kitchen:books kitchen:dvd
     kitchen:electronics"
for task in ${TASKS:-$ALL}; do
  s=${task%%:*}; t=${task##*:}
  .venv/bin/python -m da.train -m "${common[@]}" source=$s target=$t seed=${SEEDS:-0,1,2} \
    method=source_only hydra.sweep.dir=$OUT/sweep/source_only_${s}_${t}
  .venv/bin/python -m da.train -m "${common[@]}" source=$s target=$t seed=${SEEDS:-0,1,2} \
    method=dann method.weight=0.1,1.0 hydra.sweep.dir=$OUT/sweep/dann_${s}_${t}
done
# tables: DANN's weight chosen per task and seed by reverse validation (the paper's criterion,
# label-free; --select-by), the ORACLE beside; then every configuration as run
REPORT=${REPORT:-$E}
.venv/bin/da-report "$OUT" --reference --no-html --baseline source_only --select-by reverse \
  --out "$REPORT"
