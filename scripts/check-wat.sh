#!/usr/bin/env bash
# check-wat.sh: the committed SIMD kernels must be exactly what their
# sources assemble to.
#
#   scripts/check-wat.sh          check (CI): exit 1 naming any stale file
#   scripts/check-wat.sh --write  regenerate kernel_relaxed.wat and both .wasm
#
# kernel_relaxed.wat is derived from kernel.wat (each one-line multiply-add
# of the inner loop becomes f32x4.relaxed_madd), so the two kernels cannot
# drift apart. Every assembler found (npm wabt in node_modules, Debian's
# /usr/bin/wat2wasm) must produce the committed bytes.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/core/gemm/simd"
write=false
if [[ "${1:-}" == "--write" ]]; then
	write=true
elif [[ $# -gt 0 ]]; then
	echo "usage: $0 [--write]" >&2
	exit 2
fi

assemblers=()
[[ -x "$root/node_modules/.bin/wat2wasm" ]] && assemblers+=("$root/node_modules/.bin/wat2wasm")
command -v wat2wasm >/dev/null 2>&1 && assemblers+=("$(command -v wat2wasm)")
if [[ ${#assemblers[@]} -eq 0 ]]; then
	echo "check-wat: no wat2wasm found: run 'npm ci' (npm wabt) or 'apt-get install wabt'" >&2
	exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# derive_relaxed rewrites kernel.wat into the relaxed-SIMD kernel.
derive_relaxed() {
	sed -E \
		-e 's/^;; Pare.s WebAssembly SIMD GEMM micro-kernel\.$/;; GENERATED from kernel.wat by scripts\/check-wat.sh --write: do not edit.\n;; The relaxed-SIMD variant: f32x4.relaxed_madd in the inner loop./' \
		-e 's/\(local\.set (\$c[0-9]+) \(f32x4\.add \(local\.get \$c[0-9]+\) \(f32x4\.mul \(local\.get (\$[a-z0-9]+)\) \(local\.get (\$[a-z0-9]+)\)\)\)\)/(local.set \1 (f32x4.relaxed_madd (local.get \2) (local.get \3) (local.get \1)))/' \
		"$dir/kernel.wat"
}

derive_relaxed >"$tmp/kernel_relaxed.wat"
plain_madds=$(grep -cE '^ *\(local\.set \$c[0-9]+ \(f32x4\.add \(local\.get \$c[0-9]+\) \(f32x4\.mul \(local\.get \$x\)' "$dir/kernel.wat" || true)
relaxed_madds=$(grep -cE '^ *\(local\.set \$c[0-9]+ \(f32x4\.relaxed_madd' "$tmp/kernel_relaxed.wat" || true)
if [[ "$plain_madds" -ne 8 || "$relaxed_madds" -ne 8 ]]; then
	echo "check-wat: expected 8 multiply-add lines in kernel.wat to rewrite, found $plain_madds (rewrote $relaxed_madds)" >&2
	exit 1
fi

status=0
for name in kernel kernel_relaxed; do
	if [[ "$name" == kernel ]]; then src="$dir/kernel.wat"; else src="$tmp/kernel_relaxed.wat"; fi
	first=""
	for asm in "${assemblers[@]}"; do
		out="$tmp/$name.$(echo "$asm" | md5sum | cut -c1-8).wasm"
		"$asm" --enable-relaxed-simd "$src" -o "$out"
		if [[ -z "$first" ]]; then
			first="$out"
		elif ! cmp -s "$first" "$out"; then
			echo "check-wat: ${assemblers[0]} and $asm disagree on $name.wasm" >&2
			status=1
		fi
	done
	if $write; then
		[[ "$name" == kernel_relaxed ]] && cp "$src" "$dir/kernel_relaxed.wat"
		cp "$first" "$dir/$name.wasm"
		echo "wrote $dir/$name.wasm"
	else
		if [[ "$name" == kernel_relaxed ]] && ! cmp -s "$src" "$dir/kernel_relaxed.wat"; then
			echo "check-wat: core/gemm/simd/kernel_relaxed.wat is stale: run scripts/check-wat.sh --write" >&2
			status=1
		fi
		if ! cmp -s "$first" "$dir/$name.wasm"; then
			echo "check-wat: core/gemm/simd/$name.wasm does not match its .wat: run scripts/check-wat.sh --write" >&2
			status=1
		fi
	fi
done
if [[ $status -eq 0 ]] && ! $write; then
	echo "check-wat: kernel.wasm and kernel_relaxed.wasm match their sources (${#assemblers[@]} assembler(s))"
fi
exit $status
