//go:build js && wasm && !purego

package gemm

import "testing"

func TestConformanceSIMD(t *testing.T) {
	if simdKind == 0 {
		t.Skip("host supplied no SIMD kernel (PARE_SIMD=off or no kernel .wasm): nothing to test; run under tools/wasmexec/go_js_wasm_exec")
	}
	testKernel(t, "sgemmSIMD", sgemmSIMD)
}

func BenchmarkSgemmSIMDvsPureGo(b *testing.B) {
	if simdKind == 0 {
		b.Skip("no SIMD kernel bound")
	}
	for _, s := range benchShapes {
		b.Run("simd/"+s.name, func(b *testing.B) { benchKernel(b, sgemmSIMD, s.m, s.n, s.k) })
		b.Run("purego/"+s.name, func(b *testing.B) { benchKernel(b, pureGoSgemm, s.m, s.n, s.k) })
	}
}
