#!/usr/bin/env bash
# Prunes the eight full torchvision architectures of issue 10 (exported by
# scripts/fixtures/export_torchvision.py into build/torchvision, random
# calibrated weights) to a MACs budget with pare prune's defaults, then
# runs each written file in onnxruntime-node (tools/oracle/run.mjs) and in
# Pare on the same input, and prints one Markdown row per model: groups
# prunable and frozen (pare info --channels), MACs before and after,
# solver status, gap and time, and the largest difference between the two
# runtimes' logits.
#
#   bash scripts/prune_zoo.sh [BUDGET]      # default macs=50%; make prune-zoo
#
# Environment: PARE (default bin/pare, built if missing), MODELS (a subset).
set -euo pipefail
cd "$(dirname "$0")/.."
PARE=${PARE:-bin/pare}
BUDGET=${1:-macs=50%}
MODELS=${MODELS:-resnet18 mobilenet_v2 squeezenet1_1 shufflenet_v2_x1_0 densenet121 googlenet efficientnet_b0 mobilenet_v3_small}
[ -x "$PARE" ] || go build -o "$PARE" ./cmd/pare
dir=build/torchvision
for m in $MODELS; do
  [ -f "$dir/$m.onnx" ] || MODELS="$m" /usr/bin/python3 scripts/fixtures/export_torchvision.py "$dir" >/dev/null 2>&1
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "| model | groups prunable / frozen | frozen because | MACs before -> after | solver | gap | solve s | onnxruntime loads | max abs diff Pare vs ort (logit range) |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in $MODELS; do
  "$PARE" info --channels --json "$dir/$m.onnx" > "$out/info.json"
  "$PARE" prune "$dir/$m.onnx" --budget "$BUDGET" -o "$out/$m.pruned.onnx" --json > "$out/prune.json"
  rm -rf "$out/ort" "$out/pare"
  ort=yes
  node tools/oracle/run.mjs "$out/$m.pruned.onnx" "$out/ort" "input=$dir/$m.input.npy" > /dev/null 2>"$out/ort.err" || ort="no: $(head -c 200 "$out/ort.err")"
  "$PARE" run "$out/$m.pruned.onnx" -i "input=$dir/$m.input.npy" -o "$out/pare" > /dev/null
  /usr/bin/python3 - "$m" "$out" "$ort" <<'PY'
import collections, glob, json, os, sys
import numpy as np
m, out, ort = sys.argv[1:]
info = json.load(open(f"{out}/info.json"))
p = json.load(open(f"{out}/prune.json"))
reasons = collections.Counter()
for g in info["groups"]:
    if not g["prunable"]:
        for r in g.get("reasons") or []:
            if not r.startswith("network "):
                reasons[r.split(" (")[0].split(' "')[0]] += 1
why = "; ".join(f"{r} ({n})" for r, n in reasons.most_common(2)) or "input and output only"
macs = p["resources"]["macs"]
gap = "-" if p.get("gap") is None else f"{100*p['gap']:.2f} %"
diff = "-"
if ort == "yes":
    a = np.load(f"{out}/ort/logits.npy"); b = np.load(f"{out}/pare/logits.npy")
    diff = f"{np.abs(a-b).max():.2g} ({np.ptp(a):.3g})"
print(f"| {m} | {info['prunable']} / {info['frozen']} | {why} | {macs['before']:,.0f} -> {macs['after']:,.0f} ({100*macs['after']/macs['before']:.1f} %) | {p['status']} | {gap} | {p['solve_seconds']:.1f} | {ort} | {diff} |", flush=True)
PY
done
