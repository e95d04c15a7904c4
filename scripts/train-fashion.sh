#!/usr/bin/env bash
# Reproduces the two Fashion-MNIST nets of the pruning and quantization
# reports, core/train/testdata/fashion-{resnet,dwnet}.onnx: PyTorch writes the
# untrained architectures (scripts/train-fashion.py), then Pare alone
# initialises them (pare init) and trains them on the 60,000 Fashion-MNIST
# training images (Debian package dataset-fashion-mnist), validating on the
# 10,000 test images after each epoch. Deterministic for a given seed.
#
#   bash scripts/train-fashion.sh [resnet|dwnet ...]
#
# Environment: PARE (default bin/pare, built if missing), EPOCHS (3),
# PYTHON (/usr/bin/python3), DATA (/usr/share/datasets/fashion-mnist).
set -euo pipefail
cd "$(dirname "$0")/.."
PARE=${PARE:-bin/pare}
PYTHON=${PYTHON:-/usr/bin/python3}
EPOCHS=${EPOCHS:-3}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
if [ ! -f "$DATA/train-images-idx3-ubyte.gz" ]; then
  echo "train-fashion: $DATA has no training set; install it with: apt-get install dataset-fashion-mnist" >&2
  exit 1
fi
[ -x "$PARE" ] || go build -o "$PARE" ./cmd/pare
mkdir -p build
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(resnet dwnet)
for arch in "${archs[@]}"; do
  out=core/train/testdata/fashion-$arch.onnx
  "$PYTHON" scripts/train-fashion.py "$arch" "build/fashion-$arch-arch.onnx"
  "$PARE" init "build/fashion-$arch-arch.onnx" --seed 1 -o "build/fashion-$arch-init.onnx"
  time "$PARE" train "build/fashion-$arch-init.onnx" --data "$DATA" --val "$DATA" \
    --epochs "$EPOCHS" --lr 0.1 --batch 64 --weight-decay 5e-4 --schedule cosine --warmup 100 \
    --hflip --seed 1 -o "$out" --json > "build/fashion-$arch-train.json"
  "$PARE" eval "$out" --data "$DATA" --json | "$PYTHON" -c 'import json,sys; r=json.load(sys.stdin); print("'"$arch"': Fashion-MNIST test accuracy %.2f %%" % (100*r["accuracy"]))'
done
