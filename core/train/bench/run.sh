#!/usr/bin/env bash
# Training throughput of a ResNet-20-size CIFAR-shaped net at batch 64:
# Pare native, Pare wasm (node, the project's SIMD-capable runner) and
# torch 1.13 on one CPU thread, in one invocation so they share the
# machine's state. Prints images/s of each and Pare's ratio to torch.
# wasm runs with node's default kernel (plain SIMD: node 20 validates
# relaxed SIMD only behind a flag) and with the relaxed-SIMD kernel, the
# one Chromium binds.
#
#   bash core/train/bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
BENCH='^BenchmarkTrainStepResNet20$'
native=$(go test -run '^$' -bench "$BENCH" -benchtime 5x ./core/train/ | awk '/images\/s/ {for (i=1;i<=NF;i++) if ($(i+1)=="images/s") print $i}')
wasm=$(GOOS=js GOARCH=wasm go test -exec="$PWD/tools/wasmexec/go_js_wasm_exec" -run '^$' -bench "$BENCH" -benchtime 5x ./core/train/ | awk '/images\/s/ {for (i=1;i<=NF;i++) if ($(i+1)=="images/s") print $i}')
relaxed=$(PARE_SIMD=relaxed GOOS=js GOARCH=wasm go test -exec="$PWD/tools/wasmexec/go_js_wasm_exec" -run '^$' -bench "$BENCH" -benchtime 5x ./core/train/ | awk '/images\/s/ {for (i=1;i<=NF;i++) if ($(i+1)=="images/s") print $i}')
torch=$(/usr/bin/python3 core/train/bench/torch_resnet20.py 10 | awk '{print $(NF-1)}')
echo "ResNet-20 training step, batch 64 (images/s):"
printf '  Pare native             %8.1f  (%.2fx torch)\n' "$native" "$(echo "$native / $torch" | bc -l)"
printf '  Pare wasm               %8.1f  (%.2fx torch)\n' "$wasm" "$(echo "$wasm / $torch" | bc -l)"
printf '  Pare wasm, relaxed SIMD %8.1f  (%.2fx torch)\n' "$relaxed" "$(echo "$relaxed / $torch" | bc -l)"
printf '  torch 1 thread          %8.1f\n' "$torch"
