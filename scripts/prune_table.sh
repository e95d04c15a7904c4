#!/bin/sh
# Prints the before/after table of docs/pruning.md: pare prune at MACs
# budgets of 30, 50 and 70 % on mnist-8, ResNet-8 and the repository's
# fixtures, every figure re-measured on the written file (--json).
# Usage: scripts/prune_table.sh [PARE]   (default bin/pare; `make build` first)
set -eu
pare=${1:-bin/pare}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for m in ../shared/assets/models/mnist-8.onnx ../shared/assets/models/resnet8-cifar10.onnx \
	testdata/models/resnet20_cifar.onnx testdata/models/mobilenetv2_035.onnx testdata/models/squeezenet_small.onnx \
	testdata/models/shufflenetv2_small.onnx testdata/models/densenet_small.onnx testdata/models/efficientnet_small.onnx; do
	for b in 30 50 70; do
		"$pare" prune "$m" --budget "macs=$b%" -o "$out/p.onnx" --json >"$out/r.json"
		node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")), R = r.resources;
const f = (x) => Math.round(x).toLocaleString("en-US");
const kept = r.maps.reduce((s, m) => s + m.kept, 0), all = r.maps.reduce((s, m) => s + m.channels, 0);
const gap = r.gap === null ? "-" : (100 * r.gap).toFixed(1) + "%";
console.log(`| ${process.argv[2]} | ${process.argv[3]}% | ${f(R.macs.before)} -> ${f(R.macs.after)} (${(100 * R.macs.after / R.macs.before).toFixed(1)}%) | ${f(R.params.before)} -> ${f(R.params.after)} | ${f(R.memory.before)} -> ${f(R.memory.after)} | ${r.status} | ${gap} | ${kept}/${all} |`);
' "$out/r.json" "$(basename "$m" .onnx)" "$b"
	done
done
