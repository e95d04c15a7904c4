#!/usr/bin/env bash
# Memory of a ResNet-20 training step (CIFAR shape, batch 64): what the net
# and its input take, and what the steps need beyond them, in Pare native,
# Pare wasm (node, the project's runner) and torch 1.13 (one thread).
# Pare's figures are the memory its runtime took from the system
# (runtime.MemStats.Sys; under wasm that is the linear memory's growth),
# torch's the growth of its resident set (peak RSS over the steps).
#
#   bash core/train/bench/memory.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/train.test" ./core/train/
GOOS=js GOARCH=wasm go test -c -o "$tmp/train.wasm" ./core/train/
args=(-test.run '^$' -test.bench '^BenchmarkTrainStepResNet20$' -test.benchtime 3x)
pick() { awk '/net-MiB/ {for (i=1;i<=NF;i++) {if ($(i+1)=="net-MiB") n=$i; if ($(i+1)=="train-MiB") t=$i}; printf "net %s MiB, train %s MiB\n", n, t}'; }
echo "ResNet-20 training, batch 64 (load $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "  Pare native: $("$tmp/train.test" "${args[@]}" | pick)"
echo "  Pare wasm:   $(tools/wasmexec/go_js_wasm_exec "$tmp/train.wasm" "${args[@]}" | pick)"
echo "  $(/usr/bin/python3 core/train/bench/torch_resnet20.py 3 --memory)"
