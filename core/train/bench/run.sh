#!/usr/bin/env bash
# Training throughput of a ResNet-20-size CIFAR-shaped net at batch 64:
# Pare native, Pare wasm (node, the project's SIMD-capable runner) and
# torch 1.13 on one CPU thread, in one invocation so they share the
# machine's state. Prints images/s of each and Pare's ratio to torch.
# wasm runs with node's default kernel (plain SIMD: node 20 validates
# relaxed SIMD only behind a flag) and with the relaxed-SIMD kernel, the
# one Chromium binds.
#
# The runtimes take turns for ROUNDS rounds (default 3) and the medians are
# reported: torch's throughput swings by about 20 % from one run to the next
# on a shared machine, so a single run can flatter or wrong either side.
#
# BASE=<git revision> also times that revision of Pare (exported with git
# archive into a temporary directory and built there), each of its runs
# right before the same runtime of the working tree, so a before/after
# comparison shares every round's load.
#
#   bash core/train/bench/run.sh
#   ROUNDS=5 bash core/train/bench/run.sh
#   BASE=843c665 bash core/train/bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
BENCH='^BenchmarkTrainStepResNet20$'
ROUNDS=${ROUNDS:-3}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# build TREE NAME: the native and wasm test binaries of core/train in TREE.
build() {
	(cd "$1" && go test -c -o "$tmp/$2.test" ./core/train/ &&
		GOOS=js GOARCH=wasm go test -c -o "$tmp/$2.wasm" ./core/train/)
}
trees=(new)
build "$PWD" new
if [[ -n "${BASE:-}" ]]; then
	mkdir "$tmp/base-src"
	git archive "$BASE" | tar -x -C "$tmp/base-src"
	build "$tmp/base-src" base
	trees=(base new)
fi
runner() { if [[ $1 == base ]]; then echo "$tmp/base-src/tools/wasmexec/go_js_wasm_exec"; else echo "$PWD/tools/wasmexec/go_js_wasm_exec"; fi; }

rate() { awk '/images\/s/ {for (i=1;i<=NF;i++) if ($(i+1)=="images/s") print $i}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
args=(-test.run '^$' -test.bench "$BENCH" -test.benchtime 5x)

declare -A runs
torch=""
loads=""
for round in $(seq "$ROUNDS"); do
	loads+=" $(cut -d' ' -f1 /proc/loadavg)"
	for t in "${trees[@]}"; do runs[$t native]+=" $("$tmp/$t.test" "${args[@]}" | rate)"; done
	for t in "${trees[@]}"; do runs[$t wasm]+=" $("$(runner "$t")" "$tmp/$t.wasm" "${args[@]}" | rate)"; done
	for t in "${trees[@]}"; do runs[$t relaxed]+=" $(PARE_SIMD=relaxed "$(runner "$t")" "$tmp/$t.wasm" "${args[@]}" | rate)"; done
	torch+=" $(/usr/bin/python3 core/train/bench/torch_resnet20.py 10 | awk '{print $(NF-1)}')"
	line="round $round/$ROUNDS:"
	for t in "${trees[@]}"; do
		for r in native wasm relaxed; do line+=" $t-$r$(echo "${runs[$t $r]}" | awk '{print $NF}')"; done
	done
	echo "$line torch$(echo "$torch" | awk '{print $NF}') images/s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
tm=$(echo "$torch" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "ResNet-20 training step, batch 64, median of $ROUNDS rounds (images/s; 1-min load at each round's start:$loads; now $(cut -d' ' -f1-3 /proc/loadavg)):"
for t in "${trees[@]}"; do
	label="Pare"
	if [[ $t == base ]]; then
		label="Pare (base $BASE)"
	elif [[ ${#trees[@]} -gt 1 ]]; then
		label="Pare (this tree)"
	fi
	for r in native wasm relaxed; do
		case $r in
		native) name="$label native" ;;
		wasm) name="$label wasm" ;;
		relaxed) name="$label wasm, relaxed SIMD" ;;
		esac
		m=$(echo "${runs[$t $r]}" | median)
		printf '  %-36s %8.1f  (%sx torch)   runs:%s\n' "$name" "$m" "$(ratio "$m" "$tm")" "${runs[$t $r]}"
	done
done
printf '  %-36s %8.1f                runs:%s\n' "torch 1 thread" "$tm" "$torch"
