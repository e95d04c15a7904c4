#!/usr/bin/env bash
# Prunes the two Fashion-MNIST nets Pare trained (core/train/testdata:
# fashion-dwnet, depthwise-separable; fashion-resnet, residual) to a MACs
# budget with each --method (qcqp, greedy, l1, knapsack), no fine-tuning,
# and prints one Markdown row per pruned file: MACs of the written file,
# objective, the proven bound and gap (for the baselines, the gap to the
# solver's bound computed without search), status, solve time, and top-1
# accuracy on the t10k split (pare eval) beside the unpruned model's.
#
#   bash scripts/prune_fashion.sh [BUDGET]      # default macs=50%
#
# Environment: PARE (default bin/pare, built if missing), FASHION (default
# /usr/share/datasets/fashion-mnist), MODELS, METHODS (subsets).
set -euo pipefail
cd "$(dirname "$0")/.."
PARE=${PARE:-bin/pare}
BUDGET=${1:-macs=50%}
FASHION=${FASHION:-/usr/share/datasets/fashion-mnist}
MODELS=${MODELS:-fashion-dwnet fashion-resnet}
METHODS=${METHODS:-qcqp greedy l1 knapsack}
[ -x "$PARE" ] || go build -o "$PARE" ./cmd/pare
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
acc() { "$PARE" eval "$1" --data "$FASHION" --split test --json | python3 -c 'import json,sys; print("%.2f" % (100*json.load(sys.stdin)["accuracy"]))'; }
echo "| model | method | MACs after (of before) | objective | bound | gap | status | solve s | t10k accuracy, no fine-tune (unpruned) |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in $MODELS; do
  model=core/train/testdata/$m.onnx
  base=$(acc "$model")
  for method in $METHODS; do
    "$PARE" prune "$model" --budget "$BUDGET" --method "$method" -o "$out/p.onnx" --json > "$out/p.json"
    a=$(acc "$out/p.onnx")
    python3 - "$m" "$method" "$out/p.json" "$a" "$base" <<'PY'
import json, sys
m, method, path, a, base = sys.argv[1:]
r = json.load(open(path))
macs = r["resources"]["macs"]
num = lambda v: "-" if v is None else f"{v:.4f}"
gap = "-" if r.get("gap") is None else f"{100*r['gap']:.2f} %"
print(f"| {m} | {method} | {macs['after']:,.0f} ({100*macs['after']/macs['before']:.1f} %) | {r['objective']:.4f} | {num(r.get('bound'))} | {gap} | {r['status']} | {r['solve_seconds']:.2f} | {a} ({base}) |", flush=True)
PY
  done
done
