#!/usr/bin/env bash
# PACS on frozen EfficientNet-Lite0 features: 12 single-source + 4 leave-one-domain-out
# multi-source tasks x deep methods x seeds, then the shallow methods on the same cached features.
# Usage: experiments/2026-12-07_pacs_lite0_frozen/run.sh LOG_DIR [SEEDS] [PART]
#   SEEDS: comma list (default 0,1,2); PART: deep | shallow | all (default all);
#   SHALLOW: the shallow methods (default sk_source_only,sk_coral,sk_sa,sk_meda).
# Re-running skips every job whose config already completed under LOG_DIR (da-train's sweep
# skip), so the study continues where it stopped. Table:
#   da-report LOG_DIR --baseline source_only
set -euo pipefail
LOG=${1:?give a log directory}
SEEDS=${2:-0,1,2}
PART=${3:-all}
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
export DA_DATA_DIR=${DA_DATA_DIR:-$(cd .. && pwd)/shared/data}
D=(art_painting cartoon photo sketch)
tasks=()
for s in "${D[@]}"; do for t in "${D[@]}"; do [ "$s" != "$t" ] && tasks+=("source=$s target=$t"); done; done
for t in "${D[@]}"; do
  src=$(printf '%s\n' "${D[@]}" | grep -vx "$t" | paste -sd, -)
  tasks+=("source=[$src] target=$t")
done
run() {  # $1: task overrides, $2: methods
  name=$(echo "$1" | tr -d '[]' | tr ', =' '+__')
  # shellcheck disable=SC2086
  $PY -m da.train -m experiment=pacs_lite0_frozen $1 method="$2" seed="$SEEDS" \
    paths.log_dir="$LOG" hydra.sweep.dir="$LOG/sweeps/$name" trainer.enable_progress_bar=false \
    logger=csv
}
if [ "$PART" != shallow ]; then
  for t in "${tasks[@]}"; do
    run "$t" source_only,dann,cdan,mcc,mdd,bnm
    # SHOT is source-free: it starts from the source-only run of the same task and seed
    name=$(echo "$t" | tr -d '[]' | tr ', =' '+__')
    for seed in ${SEEDS//,/ }; do
      ckpt=$(ls "$LOG"/sweeps/"$name"/*_source_only_*_s"$seed"/checkpoints/best-step*.ckpt | head -1)
      # shellcheck disable=SC2086
      $PY -m da.train -m experiment=pacs_lite0_frozen $t method=shot seed="$seed" \
        init_from="$ckpt" paths.log_dir="$LOG" hydra.sweep.dir="$LOG/sweeps/${name}_shot_s$seed" \
        trainer.enable_progress_bar=false logger=csv
    done
  done
fi
if [ "$PART" != deep ]; then
  for t in "${tasks[@]}"; do run "$t" "${SHALLOW:-sk_source_only,sk_coral,sk_sa,sk_meda}"; done
fi
