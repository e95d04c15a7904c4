//go:build js && wasm && !purego

package gemm

// Packing for the SIMD kernel: B is rearranged so that each 8-column strip
// of a k-block is one contiguous run of k rows of 8 floats, which the
// kernel reads with two vector loads per step of k. The copying itself runs
// in the kernel module (pack_b, transpose): Go's scalar loops, with a bounds
// check per element, cost as much as the multiply for small m.

// packPanelsTransposed packs op(B) = B^T, where B is stored n x k row-major
// (row stride ldb), into ceil(n/8) panels of k x 8, zero-padding past n.
// Each panel is the transpose of 8 stored rows.
func packPanelsTransposed(dst, b []float32, ldb, k, n int) {
	for t := 0; t*simdPanel < n; t++ {
		rows := min(simdPanel, n-t*simdPanel)
		panel := dst[t*k*simdPanel : (t+1)*k*simdPanel]
		if rows < simdPanel {
			clear(panel)
		}
		callSimdTranspose(panel, simdPanel, b[t*simdPanel*ldb:], ldb, rows, k)
	}
}

func roundUp(n, multiple int) int {
	return (n + multiple - 1) / multiple * multiple
}
