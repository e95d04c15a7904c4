#!/usr/bin/env bash
# bench.sh: `make bench`. Times batch-1 inference of four CNNs in four
# runtimes in one run and prints a table of median milliseconds with each
# runtime's ratio to onnxruntime-web (single-thread WebAssembly), plus the
# peak memory of ResNet-18 and DenseNet-121 inference. docs/benchmarks.md explains the
# protocol and records results.
#
#   bash scripts/bench.sh              # everything (about 4-6 minutes on 2 cores)
#   RUNS=50 WARMUP=50 ROUNDS=1 bash scripts/bench.sh
#   MODELS="resnet8" bash scripts/bench.sh   # a subset, by short name
#   EXTRA_MODELS="q=/tmp/q.onnx" MODELS=q MEMORY=0 bash scripts/bench.sh
#                                      # other files (scripts/bench_qdq.sh), no memory part
#
# Runtimes: Pare native (tools/bench built for the host), Pare wasm (the
# same program built with GOOS=js GOARCH=wasm, run under node through
# tools/wasmexec/go_js_wasm_exec with the SIMD GEMM kernel; PARE_SIMD=off
# for pure Go), onnxruntime-node (1 thread) and onnxruntime-web's wasm
# backend (1 thread, SIMD) via tools/bench/ort.mjs. Every runtime gets the
# same input file, the same warm-up and the same number of timed runs.
# The runtimes take turns for ROUNDS rounds (default 3): on a shared
# machine a runtime's speed swings by 2x over seconds (mnist-8 in
# onnxruntime-web: 0.20 to 0.45 ms a run), so one pass can land a slow
# spell on either side; the table gives each runtime's median over the
# rounds and the median of its per-round ratios to onnxruntime-web.
# Results (JSON lines) go to build/bench/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
NODE=${NODE:-node}
PYTHON=${PYTHON:-/usr/bin/python3}
# V8 tiers WebAssembly up over a few hundred runs (pare bench measures
# when: docs/cli.md); with 3 warm-up runs the wasm columns timed the
# compiler. 300 warm-up runs cost about 10 s on MobileNetV2.
RUNS=${RUNS:-100}
WARMUP=${WARMUP:-300}
ROUNDS=${ROUNDS:-3}
OUT=build/bench
ASSETS=../shared/assets/models
mkdir -p "$OUT"

# short name, file, runs multiplier (small models get more runs: they are
# quick and noisier)
declare -A MODEL_FILE=(
	[mnist-8]="$ASSETS/mnist-8.onnx"
	[resnet8]="$ASSETS/resnet8-cifar10.onnx"
	[resnet20]="testdata/models/resnet20_cifar.onnx"
	[mobilenetv2]="$OUT/mobilenetv2-1.0.onnx"
)
for pair in ${EXTRA_MODELS:-}; do
	MODEL_FILE[${pair%%=*}]=${pair#*=}
done
MODELS=${MODELS:-"mnist-8 resnet8 resnet20 mobilenetv2"}
MEMORY=${MEMORY:-1}

if [[ " $MODELS " == *" mobilenetv2 "* || $MEMORY == 1 ]] && [[ ! -f "$OUT/mobilenetv2-1.0.onnx" || ! -f "$OUT/resnet18.onnx" || ! -f "$OUT/densenet121.onnx" ]]; then
	echo "== exporting MobileNetV2, ResNet-18 and DenseNet-121 from torchvision (random weights) into $OUT"
	"$PYTHON" scripts/fixtures/export_bench_models.py "$OUT"
fi

echo "== building tools/bench (native and js/wasm)"
"$GO" build -trimpath -o "$OUT/pare-bench" ./tools/bench
GOOS=js GOARCH=wasm "$GO" build -trimpath -o "$OUT/pare-bench.wasm" ./tools/bench
WASM_EXEC=tools/wasmexec/go_js_wasm_exec

results="$OUT/results.jsonl"
: >"$results"
round=1
record() { # runtime model json
	printf '{"runtime":"%s","name":"%s","round":%d,"result":%s}\n' "$1" "$2" "$round" "$3" >>"$results"
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), node $($NODE --version)"
echo "== load before: $(uptime | sed 's/.*load average: //')"
for round in $(seq "$ROUNDS"); do
	for name in $MODELS; do
		model=${MODEL_FILE[$name]:-}
		if [[ -z "$model" ]]; then
			echo "unknown model $name (known: ${!MODEL_FILE[*]})" >&2
			exit 2
		fi
		if [[ ! -f "$model" ]]; then
			echo "== $name: $model is missing, skipped (the shared assets live in ../shared/assets)" >&2
			continue
		fi
		input="$OUT/$name.input.npy"
		runs=$RUNS
		[[ $name == mobilenetv2 ]] && runs=$(((RUNS + 1) / 2))
		echo "== round $round/$ROUNDS: $name ($model): $runs runs after $WARMUP warm-up"
		record pare-native "$name" "$("$OUT/pare-bench" -model "$model" -runs "$runs" -warmup "$WARMUP" -write-input "$input")"
		record pare-wasm "$name" "$("$WASM_EXEC" "$OUT/pare-bench.wasm" -model "$model" -input "$input" -runs "$runs" -warmup "$WARMUP")"
		record ort-node "$name" "$("$NODE" tools/bench/ort.mjs --runtime node --model "$model" --input "$input" --runs "$runs" --warmup "$WARMUP")"
		record ort-web "$name" "$("$NODE" tools/bench/ort.mjs --runtime web --model "$model" --input "$input" --runs "$runs" --warmup "$WARMUP")"
	done
done
round=1

if [[ $MEMORY == 1 ]]; then
	for big in resnet18 densenet121; do
		echo "== $big 224x224 memory (Pare native and wasm, 3 runs)"
		record pare-native "$big" "$("$OUT/pare-bench" -model "$OUT/$big.onnx" -runs 3 -warmup 1)"
		record pare-wasm "$big" "$("$WASM_EXEC" "$OUT/pare-bench.wasm" -model "$OUT/$big.onnx" -runs 3 -warmup 1)"
	done
fi
echo "== load after: $(uptime | sed 's/.*load average: //')"
echo
"$NODE" tools/bench/table.mjs "$results"
