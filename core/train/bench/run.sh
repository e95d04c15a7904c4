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
#   bash core/train/bench/run.sh
#   ROUNDS=5 bash core/train/bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
BENCH='^BenchmarkTrainStepResNet20$'
ROUNDS=${ROUNDS:-3}
EXEC="$PWD/tools/wasmexec/go_js_wasm_exec"

rate() { awk '/images\/s/ {for (i=1;i<=NF;i++) if ($(i+1)=="images/s") print $i}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

native="" wasm="" relaxed="" torch=""
for round in $(seq "$ROUNDS"); do
	native+=" $(go test -run '^$' -bench "$BENCH" -benchtime 5x ./core/train/ | rate)"
	wasm+=" $(GOOS=js GOARCH=wasm go test -exec="$EXEC" -run '^$' -bench "$BENCH" -benchtime 5x ./core/train/ | rate)"
	relaxed+=" $(PARE_SIMD=relaxed GOOS=js GOARCH=wasm go test -exec="$EXEC" -run '^$' -bench "$BENCH" -benchtime 5x ./core/train/ | rate)"
	torch+=" $(/usr/bin/python3 core/train/bench/torch_resnet20.py 10 | awk '{print $(NF-1)}')"
	echo "round $round/$ROUNDS: native$(echo "$native" | awk '{print $NF}') wasm$(echo "$wasm" | awk '{print $NF}') relaxed$(echo "$relaxed" | awk '{print $NF}') torch$(echo "$torch" | awk '{print $NF}') images/s" >&2
done
n=$(echo "$native" | median) w=$(echo "$wasm" | median) r=$(echo "$relaxed" | median) t=$(echo "$torch" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "ResNet-20 training step, batch 64, median of $ROUNDS rounds (images/s; load $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '  Pare native             %8.1f  (%sx torch)   runs:%s\n' "$n" "$(ratio "$n" "$t")" "$native"
printf '  Pare wasm               %8.1f  (%sx torch)   runs:%s\n' "$w" "$(ratio "$w" "$t")" "$wasm"
printf '  Pare wasm, relaxed SIMD %8.1f  (%sx torch)   runs:%s\n' "$r" "$(ratio "$r" "$t")" "$relaxed"
printf '  torch 1 thread          %8.1f                runs:%s\n' "$t" "$torch"
