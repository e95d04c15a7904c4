//go:build js && wasm && !purego

package gemm

// pureGoSgemm is the kernel dispatch.go chose, kept as the fallback when the
// host has no SIMD kernel and as the reference the SIMD kernel is measured
// against. Package variables initialise before init functions run.
var pureGoSgemm = sgemm

// simdKind is what the host reported at startup: 0 none, 1 SIMD, 2 relaxed.
var simdKind = simdKernelKind()

func init() {
	if simdKind > 0 {
		sgemm = sgemmSIMD
		sgemmPanels = sgemmPanelsSIMD
		sgemmShiftedA = sgemmShiftedASIMD
		qgemm = qgemmSIMD
		transpose = func(dst, src []float32, rows, cols int) { callSimdTranspose(dst, rows, src, cols, rows, cols) }
		transposesAApart = true
	}
}
