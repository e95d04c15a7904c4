#!/usr/bin/env bash
# Runs the hostile-input suite (internal/hostile) out of process against a
# pare binary built from a git revision, each run under a 4 GiB address
# space limit and a 10 s timeout, and prints how the runs ended.
#
#   scripts/hostile.sh            # the working tree
#   scripts/hostile.sh main~5     # an older revision, to compare
#   HEAVY=1 scripts/hostile.sh    # also a real 16384x16384 PNG and a 1 GiB zip bomb
#
# docs/security.md quotes its counts before and after the hardening.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-}
bin=$(mktemp -d)/pare
if [ -n "$rev" ]; then
	wt=$(mktemp -d)
	git worktree add --detach "$wt" "$rev" >/dev/null
	(cd "$wt" && go build -o "$bin" ./cmd/pare)
	git worktree remove --force "$wt"
else
	go build -o "$bin" ./cmd/pare
fi
heavy=()
[ -n "${HEAVY:-}" ] && heavy=(-heavy)
go run ./tools/hostile -pare "$bin" -timeout 10s "${heavy[@]}"
