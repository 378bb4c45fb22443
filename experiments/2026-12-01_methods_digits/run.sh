#!/usr/bin/env bash
# Every method x seeds 0, 1, 2 on MNIST -> USPS with the pinned recipe
# (conf/experiment/digits_mnist_usps.yaml), then the report with the published column.
# source_only, mmd and dann are the runs of ../2026-12-01_digits_mnist_usps (same recipe,
# same log dir: completed configs are found and skipped). Methods that start from a source
# model (adda, shot: init_from; kd: the teacher) take the source-only run of the same seed.
# Usage: experiments/2026-12-01_methods_digits/run.sh [OUT_DIR]   (OUT_DIR of the digits study)
set -euo pipefail
OUT=${1:-logs/digits_mnist_usps}
export DA_DATA_DIR=${DA_DATA_DIR:-../shared/data}
ARGS=(experiment=digits_mnist_usps logger=csv trainer.enable_progress_bar=false
      paths.log_dir=$OUT)
SWEEP=(.venv/bin/python -m da.train -m "${ARGS[@]}")
"${SWEEP[@]}" method=source_only,mmd,dann,coral,jan,cdan,cdan_e,mdd,mcc,entropy,bnm,afn,iw,mcd \
  seed=0,1,2 hydra.sweep.dir=$OUT/sweep_methods
"${SWEEP[@]}" 'method=dann,cdan' +method@method.extras.bsp=bsp seed=0,1,2 \
  hydra.sweep.dir=$OUT/sweep_bsp
for s in 0 1 2; do
  ckpt=$(ls "$OUT"/sweep*/*_source_only_mnist2usps_s$s/checkpoints/best-step*.ckpt | head -1)
  "${SWEEP[@]}" method=adda,shot seed=$s init_from="$ckpt" hydra.sweep.dir=$OUT/sweep_init_s$s
  .venv/bin/python -m da.train "${ARGS[@]}" method=kd seed=$s method.loss.teacher_path="$ckpt" \
    hydra.run.dir=$OUT/kd/s$s
done
.venv/bin/da-report "$OUT" --reference --selection --no-html \
  --out experiments/2026-12-01_methods_digits
