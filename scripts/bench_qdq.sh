#!/usr/bin/env bash
# bench_qdq.sh: batch-1 inference time of exported QDQ files beside their
# float models, in Pare (native and wasm), onnxruntime-node and
# onnxruntime-web, in one run (scripts/bench.sh's protocol and table).
# The QDQ files are min-max 4/4 exports (pare quantize --method ptq, int8
# storage, default layer policy): QIL's export has the same graph, only
# other scales, so it costs the same to run.
#
#   bash scripts/bench_qdq.sh
#   RUNS=500 WARMUP=500 bash scripts/bench_qdq.sh
#
# Models: mnist-8 (../shared/assets/models, calibrated on the MNIST t10k
# images) and the Fashion-MNIST nets of core/train/testdata (calibrated on
# ../shared/assets/data/fashion-mnist). Calibration data does not change
# the time; it is what is at hand in every clone with the shared assets.
set -euo pipefail
cd "$(dirname "$0")/.."
PARE=${PARE:-bin/pare}
OUT=build/bench/qdq
ASSETS=../shared/assets
[ -x "$PARE" ] || go build -o "$PARE" ./cmd/pare
mkdir -p "$OUT"

declare -A FLOAT=(
	[mnist-8]="$ASSETS/models/mnist-8.onnx"
	[fashion-dwnet]="core/train/testdata/fashion-dwnet.onnx"
	[fashion-resnet]="core/train/testdata/fashion-resnet.onnx"
)
declare -A DATA=(
	[mnist-8]="$ASSETS/data/mnist"
	[fashion-dwnet]="$ASSETS/data/fashion-mnist"
	[fashion-resnet]="$ASSETS/data/fashion-mnist"
)
extra="" models=""
for name in mnist-8 fashion-dwnet fashion-resnet; do
	if [[ ! -f ${FLOAT[$name]} || ! -d ${DATA[$name]} ]]; then
		echo "== $name: ${FLOAT[$name]} or ${DATA[$name]} is missing, skipped (the shared assets live in ../shared/assets)" >&2
		continue
	fi
	qdq="$OUT/$name-w4a4.onnx"
	if [[ ! -f $qdq || $qdq -ot ${FLOAT[$name]} ]]; then
		echo "== $name: min-max 4/4 QDQ export -> $qdq"
		"$PARE" quantize "${FLOAT[$name]}" --data "${DATA[$name]}" --split test --method ptq --bits 4/4 -o "$qdq" >/dev/null
	fi
	extra+=" $name-float=${FLOAT[$name]} $name-w4a4=$qdq"
	models+=" $name-float $name-w4a4"
done
EXTRA_MODELS="$extra" MODELS="$models" MEMORY=0 bash scripts/bench.sh
