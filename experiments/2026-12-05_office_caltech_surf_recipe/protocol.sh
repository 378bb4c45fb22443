#!/usr/bin/env bash
# Training length, weight decay and preprocessing of the SURF recipe, chosen WITHOUT target
# labels (design: README.md): source-only runs, one task per source domain, seeds 0-2, each
# candidate scored by the mean of its runs' best held-out source accuracy. The target of each
# run only fills the task; it is not scored. Writes protocol.md (the scores) next to this file.
# Usage: experiments/2026-12-05_office_caltech_surf_recipe/protocol.sh [OUT_DIR]
set -euo pipefail
E=experiments/2026-12-05_office_caltech_surf_recipe
OUT=${1:-logs/office_caltech_surf_recipe}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
declare -A P=(
  [pinned]=""
  [steps1200]="trainer.max_steps=1200 trainer.val_check_interval=100"
  [steps2400]="trainer.max_steps=2400 trainer.val_check_interval=200"
  [wd5e-3]="optim.optimizer.weight_decay=5e-3"
  [wd5e-5]="optim.optimizer.weight_decay=5e-5"
  [zscore]="dataset.preprocess=zscore"
  [l2]="dataset.preprocess=l2"
)
for name in pinned steps1200 steps2400 wd5e-3 wd5e-5 zscore l2; do
  for task in amazon:caltech caltech:amazon dslr:webcam webcam:dslr; do
    s=${task%%:*}; t=${task##*:}
    # shellcheck disable=SC2086
    .venv/bin/python -m da.train -m experiment=office_caltech_surf method=source_only \
      source=$s target=$t seed=0,1,2 logger=csv trainer.enable_progress_bar=false \
      paths.log_dir=$OUT ${P[$name]} method.name=source_only_$name \
      hydra.sweep.dir=$OUT/$name/${s}_${t}
  done
done
.venv/bin/python - "$OUT" > $E/protocol.md <<'PY'
import json, statistics, sys
from pathlib import Path
scores = {}
for f in sorted(Path(sys.argv[1]).glob("*/*/*/results.json")):
    r = json.loads(f.read_text())
    best = max(h["val/source/acc"] for h in r["history"] if "val/source/acc" in h)
    scores.setdefault(f.parent.parent.parent.name, []).append(best)
base = statistics.fmean(scores["pinned"])
print("| candidate | runs | mean best source-val acc | vs pinned |\n|---|---|---|---|")
for name, v in sorted(scores.items(), key=lambda kv: -statistics.fmean(kv[1])):
    m = statistics.fmean(v)
    print(f"| {name} | {len(v)} | {100 * m:.1f} | {100 * (m - base):+.1f} |")
PY
cat $E/protocol.md
