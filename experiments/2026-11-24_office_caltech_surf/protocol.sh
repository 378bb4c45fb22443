#!/usr/bin/env bash
# Protocol selection WITHOUT target labels: source-only runs of candidate networks, scored
# by their best source-validation accuracy (the held-out 20% of the source), averaged over
# the four source domains. The target of each run only fills the task; it is not scored.
set -euo pipefail
OUT=${1:-logs/office_caltech_surf_protocol}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
declare -A P=(
  [mlp2x256]="backbone.hidden=[256,256]"
  [mlp2x256_drop]="backbone.hidden=[256,256] backbone.dropout=0.5"
  [mlp1x512_drop]="backbone.hidden=[512] backbone.dropout=0.5"
  [bottleneck_only]="backbone.hidden=[]"
  [bottleneck_only_wd5e-3]="backbone.hidden=[] optim.optimizer.weight_decay=5e-3"
  [bottleneck_only_nobn]="backbone.hidden=[] model.bottleneck_bn=false"
)
for name in "${!P[@]}"; do
  for task in amazon:caltech caltech:amazon dslr:webcam webcam:dslr; do
    s=${task%%:*}; t=${task##*:}
    # shellcheck disable=SC2086
    .venv/bin/python -m da.train experiment=office_caltech_surf method=source_only source=$s \
      target=$t seed=0 logger=csv trainer.enable_progress_bar=false ${P[$name]} \
      +protocol=$name hydra.run.dir=$OUT/$name/${s}_${t}
  done
done
.venv/bin/python - "$OUT" <<'PY'
import json, statistics, sys
from pathlib import Path
scores = {}
for f in sorted(Path(sys.argv[1]).glob("*/*/results.json")):
    r = json.loads(f.read_text())
    best = max(h["val/source/acc"] for h in r["history"] if "val/source/acc" in h)
    scores.setdefault(f.parent.parent.name, []).append(best)
print("| protocol | mean best source-val acc (4 source domains) |\n|---|---|")
for name, v in sorted(scores.items(), key=lambda kv: -statistics.fmean(kv[1])):
    print(f"| {name} | {100 * statistics.fmean(v):.1f} |")
PY
