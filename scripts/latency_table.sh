#!/bin/sh
# Prints the latency-model table of docs/pruning.md ("Latency budgets"):
# pare latency (default grid 4, 20 random pruned networks) on mnist-8,
# ResNet-8 and ResNet-20, natively and in wasm under node, with the mean
# percentage error of each fit on its validation networks.
# Usage: scripts/latency_table.sh [PARE] [PARE_WASM]
#   (defaults bin/pare and bin/pare.wasm: `make build cli-wasm` first)
set -eu
pare=${1:-bin/pare}
wasm=${2:-bin/pare.wasm}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for mode in native wasm; do
	for m in ../shared/assets/models/mnist-8.onnx ../shared/assets/models/resnet8-cifar10.onnx testdata/models/resnet20_cifar.onnx; do
		if [ "$mode" = native ]; then
			"$pare" latency "$m" -o "$out/m.latency.json" --json >"$out/r.json"
		else
			tools/wasmexec/go_js_wasm_exec "$wasm" latency "$m" -o "$out/m.latency.json" --json >"$out/r.json"
		fi
		node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const v = r.validation.map((n) => n.measured_ms);
const e = r.validation.map((n) => Math.abs(n.predicted_ms - n.measured_ms) / n.measured_ms).sort((a, b) => a - b);
const med = (e[(e.length - 1) >> 1] + e[e.length >> 1]) / 2;
console.log(`| ${process.argv[2]} | ${r.runtime} | ${r.layers.length} | ${r.full_ms.toFixed(3)} | ${r.overhead_ms.toFixed(3)} / ${r.scale.toFixed(2)} | ${Math.min(...v).toFixed(3)}-${Math.max(...v).toFixed(3)} | ${r.mean_percent_error.toFixed(1)}% | ${(100 * med).toFixed(1)}% | ${(100 * e[e.length - 1]).toFixed(1)}% |`);
' "$out/r.json" "$(basename "$m" .onnx)"
	done
done
