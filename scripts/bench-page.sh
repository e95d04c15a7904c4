#!/usr/bin/env bash
# bench-page.sh: `make bench-page`. The page's speed benchmark (issue 4) in
# headless Chromium: time to interactive (cold and warm), evaluation
# throughput of resnet8-cifar10 with Pare's worker pool (1 and N workers)
# beside onnxruntime-web (1 thread) in the same page, and the app's
# transferred bytes (raw, gzip -9, brotli 11). docs/benchmarks-browser.md
# explains the protocol and records results; they go to
# build/pagebench/results.json.
#
#   bash scripts/bench-page.sh                 # 5 repetitions, 2,000 images (about 2-3 minutes on 2 cores)
#   REPEATS=3 IMAGES=1000 bash scripts/bench-page.sh
#   bash scripts/bench-page.sh --skip-tti      # throughput only (or --skip-throughput)
#
# It builds nothing: `make build demo` first (the make target does).
set -euo pipefail
cd "$(dirname "$0")/.."

NODE=${NODE:-node}
for f in bin/pare www/pare.wasm www/wasm_exec.js www/demo/demo.json node_modules/playwright-core node_modules/onnxruntime-web/dist; do
  if [ ! -e "$f" ]; then
    echo "bench-page: $f is missing: run make build demo (make deps for node_modules)" >&2
    exit 2
  fi
done
exec "$NODE" tools/pagebench/run.mjs "$@"
