#!/usr/bin/env bash
# Prunes the two Fashion-MNIST nets Pare trained (core/train/testdata:
# fashion-dwnet, depthwise-separable; fashion-resnet, residual) to a MACs
# budget with each --method (qcqp, greedy, l1, knapsack), no fine-tuning,
# and prints one Markdown row per pruned file: MACs of the written file
# and as a frozen-neighbour pruner would count the same selection (the
# inactive-weight effect: pare prune's frozen_estimate), objective, the
# proven bound and gap (for the baselines, the gap to the
# solver's bound computed without search), status, solve time, and top-1
# accuracy on the t10k split (pare eval) beside the unpruned model's.
#
#   bash scripts/prune_fashion.sh [BUDGET]      # default macs=50%
#   FINETUNE=1 bash scripts/prune_fashion.sh    # also fine-tune each pruned file
#
# With FINETUNE=1 each method's pruned file is also fine-tuned the way
# pare prune --data does by default (pare finetune's defaults on the
# Fashion training split, --distill from the unpruned model), and the last
# column is its t10k accuracy: every method gets the same recovery.
#
# Environment: PARE (default bin/pare, built if missing), FASHION (default
# /usr/share/datasets/fashion-mnist), MODELS, METHODS (subsets),
# PRUNE_FLAGS (more pare prune flags, e.g. "--min-keep 25%", or
# "--importance taylor --data \$FASHION --finetune-epochs 0"),
# FINETUNE_FLAGS (more pare finetune flags, e.g. "--epochs 5").
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
FINETUNE=${FINETUNE:-0}
ft_head="" ft_rule=""
if [ "$FINETUNE" = 1 ]; then ft_head=" t10k accuracy, fine-tuned |" ft_rule="---|"; fi
echo "| model | method | MACs after (of before) | frozen-neighbour MACs estimate | objective | bound | gap | status | solve s | t10k accuracy, no fine-tune (unpruned) |$ft_head"
echo "|---|---|---|---|---|---|---|---|---|---|$ft_rule"
for m in $MODELS; do
  model=core/train/testdata/$m.onnx
  base=$(acc "$model")
  for method in $METHODS; do
    "$PARE" prune "$model" --budget "$BUDGET" --method "$method" ${PRUNE_FLAGS:-} -o "$out/p.onnx" --json > "$out/p.json"
    a=$(acc "$out/p.onnx")
    ft=""
    if [ "$FINETUNE" = 1 ]; then
      # the same file fine-tuned (a second prune could choose otherwise
      # under a time limit): distilled from the unpruned model, as
      # pare prune --data does
      "$PARE" finetune "$out/p.onnx" --data "$FASHION" --distill --teacher "$model" ${FINETUNE_FLAGS:-} -o "$out/f.onnx" --json > "$out/f.json"
      ft="$(acc "$out/f.onnx")"
    fi
    python3 - "$m" "$method" "$out/p.json" "$a" "$base" "$ft" <<'PY'
import json, sys
m, method, path, a, base, ft = sys.argv[1:]
r = json.load(open(path))
macs = r["resources"]["macs"]
num = lambda v: "-" if v is None else f"{v:.4f}"
gap = "-" if r.get("gap") is None else f"{100*r['gap']:.2f} %"
est = r.get("frozen_estimate", {}).get("macs")
est = "-" if est is None else f"{est:,.0f} ({100*(est-macs['after'])/macs['after']:+.1f} %)"
print(f"| {m} | {method} | {macs['after']:,.0f} ({100*macs['after']/macs['before']:.1f} %) | {est} | {r['objective']:.4f} | {num(r.get('bound'))} | {gap} | {r['status']} | {r['solve_seconds']:.2f} | {a} ({base}) |" + (f" {ft} |" if ft else ""), flush=True)
PY
  done
done
