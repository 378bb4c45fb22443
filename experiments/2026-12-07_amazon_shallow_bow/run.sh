#!/usr/bin/env bash
# Shallow DA methods on bag-of-n-gram features of the Amazon reviews (design: README.md):
# 5,000 unigram+bigram TF-IDF features fitted on the source reviews and the unlabelled target
# pool, transductive protocol, 12 tasks; each method's grid point chosen by held-out source
# accuracy (label-free), ORACLE beside. Deterministic estimators: one seed.
# Usage: experiments/2026-12-07_amazon_shallow_bow/run.sh [OUT_DIR]
# (smoke test: TASKS="books:kitchen" METHODS="sk_source_only" run.sh /tmp/smoke)
set -euo pipefail
E=experiments/2026-12-07_amazon_shallow_bow
OUT=${1:-logs/amazon_shallow_bow}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
common=(dataset=amazon_reviews backbone=bow backbone.max_features=5000 backbone.weighting=tfidf
        logger=csv paths.log_dir=$OUT seed=0)
ALL="books:dvd books:electronics books:kitchen dvd:books dvd:electronics dvd:kitchen
     electronics:books electronics:dvd electronics:kitchen kitchen:books kitchen:dvd
     kitchen:electronics"
for task in ${TASKS:-$ALL}; do
  s=${task%%:*}; t=${task##*:}
  for m in ${METHODS:-sk_source_only sk_sa sk_coral sk_tca sk_meda}; do
    extra=()  # TCA's RBF kernel is constant on TF-IDF vectors (README): a linear one here
    [ "$m" = sk_tca ] && extra=(method.shallow.estimator.kernel=linear)
    .venv/bin/python -m da.train -m "${common[@]}" "${extra[@]}" source=$s target=$t \
      method=$m hydra.sweep.dir=$OUT/sweep/${m}_${s}_${t}
  done
done
.venv/bin/da-report "$OUT" --reference --no-html --baseline sk_source_only \
  --out "${REPORT:-$E}"
