#!/usr/bin/env bash
# PACS, 4 leave-one-domain-out multi-source tasks: how much of EfficientNet-Lite0 to fine-tune.
# Usage: experiments/2026-12-07_pacs_lite0_finetune/run.sh LOG_DIR VARIANT [METHODS]
#   VARIANT: partial1 | partial2 | full | full_bnfrozen | full_augment | frozen128
#            (frozen at 224 px: the rows of ../2026-12-07_pacs_lite0_frozen; frozen128: frozen at
#            full's input size, so full vs frozen is not confounded with the resolution cut)
#   TARGETS (env): space-separated target domains, in this order (default: all four)
#   METHODS: comma list (default source_only,mcc: source-only and the best frozen-feature
#            method of the frozen study's multi-source mean)
# One folder per variant (LOG_DIR/VARIANT) so da-report tables each variant by method.
# Re-running skips completed jobs. Tables: da-report LOG_DIR/VARIANT --baseline source_only
set -euo pipefail
LOG=${1:?give a log directory}
VARIANT=${2:?partial1, partial2, full or frozen128}
METHODS=${3:-source_only,mcc}
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
export DA_DATA_DIR=${DA_DATA_DIR:-$(cd .. && pwd)/shared/data}
case "$VARIANT" in
  # the last k of the 7 stages train over the cached output of the others (deterministic
  # inputs: no augmentation, so the frozen prefix is computed once per domain)
  partial1) ARGS="finetune=partial finetune.blocks=1 dataset.augment=false optim.backbone_lr_mult=0.1" ;;
  partial2) ARGS="finetune=partial finetune.blocks=2 dataset.augment=false optim.backbone_lr_mult=0.1" ;;
  # the whole network trains every step; cut for this 2-core CPU by the cost measured before
  # any run (README): 128 px inputs (resize 146), 300 steps, two threads. Deterministic inputs
  # like the partial variants (the first design's random-resized crops left the source
  # under-fitted in 300 steps: README; that run is full_augment)
  full) ARGS="finetune=full dataset.augment=false optim.backbone_lr_mult=0.1 backbone.input.size=128 backbone.input.resize=146 trainer.max_steps=300 num_threads=2" ;;
  # full, with the backbone's BatchNorm statistics kept at ImageNet's (DomainBed's protocol:
  # networks.ResNet.freeze_bn), added after full's first run (README)
  full_bnfrozen) ARGS="finetune=full finetune.freeze_bn=true dataset.augment=false optim.backbone_lr_mult=0.1 backbone.input.size=128 backbone.input.resize=146 trainer.max_steps=300 num_threads=2" ;;
  full_augment) ARGS="finetune=full dataset.augment=true optim.backbone_lr_mult=0.1 backbone.input.size=128 backbone.input.resize=146 trainer.max_steps=300 num_threads=2" ;;
  frozen128) ARGS="finetune=frozen backbone.input.size=128 backbone.input.resize=146" ;;
  *) echo "unknown variant $VARIANT: partial1, partial2, full, full_bnfrozen, full_augment or frozen128" >&2; exit 2 ;;
esac
D=(art_painting cartoon photo sketch)
# TARGETS: the target domains to run, in order (default: all four)
read -r -a TS <<< "${TARGETS:-${D[*]}}"
for t in "${TS[@]}"; do
  src=$(printf '%s\n' "${D[@]}" | grep -vx "$t" | paste -sd, -)
  # shellcheck disable=SC2086
  $PY -m da.train -m experiment=pacs_lite0_frozen "source=[$src]" target="$t" method="$METHODS" \
    seed=0 $ARGS paths.log_dir="$LOG/$VARIANT" \
    hydra.sweep.dir="$LOG/$VARIANT/sweeps/${src//,/+}_to_$t" trainer.enable_progress_bar=false \
    logger=csv
done
