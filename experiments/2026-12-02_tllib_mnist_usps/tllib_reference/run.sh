#!/usr/bin/env bash
# One run of Transfer-Learning-Library's own digits script (dann.py / cdan.py / erm.py /
# mcc.py / mdd.py, unmodified) on this project's MNIST / USPS files, with the flags of its .sh
# recipe and only the length changed. See README.md in this folder.
#
#   TLLIB_SRC=/work/tllib_src DATA=/work/tllib_data SEED=1 \
#     experiments/2026-12-02_tllib_mnist_usps/tllib_reference/run.sh logs/tllib_reference/dann_MNIST2USPS_s1
#
# Settings (environment, defaults in brackets):
#   TLLIB_SRC  extracted TLlib tree holding tllib/ and examples/ [/work/tllib_src]
#   DATA       root laid out by prepare_data.py [/work/tllib_data]
#   METHOD     dann | cdan | erm | mcc | mdd [dann]
#   TASK       MNIST2USPS | USPS2MNIST [MNIST2USPS]
#   SEED [0]   EPOCHS [3]   ITERS (-i, iterations per epoch) [2500]   WORKERS (-j) [2]
#   PRINT_FREQ (-p) [100]   PYTHON [<repo>/.venv/bin/python]   TORCH_THREADS [1]
#   EXTRA_ARGS appended to the script's arguments (e.g. "--per-class-eval") []
# Argument: the log folder (TLlib's --log; created). Must not hold an earlier run.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
LOG="${1:?usage: run.sh LOG_DIR (see header)}"
TLLIB_SRC="${TLLIB_SRC:-/work/tllib_src}"
DATA="${DATA:-/work/tllib_data}"
METHOD="${METHOD:-dann}"
TASK="${TASK:-MNIST2USPS}"
SEED="${SEED:-0}"
EPOCHS="${EPOCHS:-3}"
ITERS="${ITERS:-2500}"
WORKERS="${WORKERS:-2}"
PRINT_FREQ="${PRINT_FREQ:-100}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
export TORCH_THREADS="${TORCH_THREADS:-1}"
export OMP_NUM_THREADS="$TORCH_THREADS" MKL_NUM_THREADS="$TORCH_THREADS"

EX="$TLLIB_SRC/examples/domain_adaptation/image_classification"
case "$METHOD" in dann|cdan|erm|mcc|mdd) ;; *) echo "METHOD must be dann, cdan, erm, mcc or mdd" >&2; exit 2;; esac
# the recipe lines of {dann,cdan,erm,mcc}.sh: MNIST->USPS at lr 0.01, USPS->MNIST at lr 0.1;
# mdd.sh keeps lr 0.01 for both
case "$TASK" in
  MNIST2USPS) SRC=MNIST; TGT=USPS; LR=0.01 ;;
  USPS2MNIST) SRC=USPS; TGT=MNIST; LR=0.1; [[ "$METHOD" == mdd ]] && LR=0.01 ;;
  *) echo "TASK must be MNIST2USPS or USPS2MNIST" >&2; exit 2 ;;
esac
for p in "$EX/$METHOD.py" "$TLLIB_SRC/tllib/__init__.py"; do
  [[ -f "$p" ]] || { echo "missing $p: extract TLlib into TLLIB_SRC (README.md)" >&2; exit 2; }
done
for d in MNIST/image_list MNIST/mnist_train_image USPS/image_list USPS/usps_train_image; do
  [[ -d "$DATA/$d" ]] || { echo "missing $DATA/$d: run prepare_data.py --out $DATA" >&2; exit 2; }
done
mkdir -p "$LOG"
LOG="$(cd "$LOG" && pwd)"
if compgen -G "$LOG/train-*.txt" >/dev/null; then
  echo "$LOG already holds a TLlib run (train-*.txt); use a new folder" >&2; exit 2
fi

ARGS=("$DATA" -d Digits -s "$SRC" -t "$TGT" --train-resizing res. --val-resizing res.
      --resize-size 28 --no-hflip --norm-mean 0.5 --norm-std 0.5 -a lenet --no-pool
      --lr "$LR" -b 128 -i "$ITERS" --scratch --seed "$SEED" --epochs "$EPOCHS"
      -j "$WORKERS" -p "$PRINT_FREQ" --log "$LOG")
# shellcheck disable=SC2206
[[ -n "${EXTRA_ARGS:-}" ]] && ARGS+=($EXTRA_ARGS)

{
  echo "date: $(date -Is)"
  echo "host: $(hostname) cpus=$(nproc --all) load: $(cut -d" " -f1-3 /proc/loadavg)"
  echo "tllib commit: $(cat "$TLLIB_SRC/TLLIB_COMMIT" 2>/dev/null || echo unknown) ($TLLIB_SRC)"
  echo "data: $DATA"; head -n 6 "$DATA/MANIFEST.txt" 2>/dev/null | sed 's/^/  /' || true
  echo "OMP_NUM_THREADS=$OMP_NUM_THREADS TORCH_THREADS=$TORCH_THREADS"
  echo "cd $EX && PYTHONPATH=$HERE/shims:$TLLIB_SRC $PYTHON $HERE/launch.py $METHOD.py ${ARGS[*]}"
} > "$LOG/run_info.txt"
cat "$LOG/run_info.txt"

cd "$EX"  # utils.py appends '../../..' (the TLlib root) to sys.path, relative to the cwd
start=$(date +%s.%N)
PYTHONPATH="$HERE/shims:$TLLIB_SRC${PYTHONPATH:+:$PYTHONPATH}" \
  "$PYTHON" "$HERE/launch.py" "$METHOD.py" "${ARGS[@]}"
end=$(date +%s.%N)
"$PYTHON" - "$start" "$end" "$EPOCHS" "$ITERS" <<'PY' | tee -a "$LOG/run_info.txt"
import sys
s, e, ep, it = map(float, sys.argv[1:])
print(f"wall: {e - s:.1f} s for {int(ep * it)} iterations "
      f"({(e - s) / (ep * it):.3f} s/iteration, start-up and evaluations included)")
PY
