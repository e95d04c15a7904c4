//go:build js && wasm && !purego

package gemm

// Packing for the SIMD kernel: B is rearranged so that each 8-column strip
// of a k-block is one contiguous run of k rows of 8 floats, which the
// kernel reads with two vector loads per step of k. A row-major B is packed
// by the kernel module's pack_b (vector copies); the transposed layouts,
// rarer (gradients), are rearranged here in Go.

// packPanelsTransposed packs op(B) = B^T, where B is stored n x k row-major
// (row stride ldb), into the same ceil(n/8) panels of k x 8.
func packPanelsTransposed(dst, b []float32, ldb, k, n int) {
	panels := roundUp(n, simdPanel) / simdPanel
	for t := 0; t < panels; t++ {
		panel := dst[t*k*simdPanel : (t+1)*k*simdPanel]
		for q := 0; q < simdPanel; q++ {
			j := t*simdPanel + q
			if j >= n {
				for p := 0; p < k; p++ {
					panel[p*simdPanel+q] = 0
				}
				continue
			}
			src := b[j*ldb : j*ldb+k]
			for p, v := range src {
				panel[p*simdPanel+q] = v
			}
		}
	}
}

// transposeBlock writes op(A) = A^T for one k-block into dst as m x k
// row-major, where A is stored k x m row-major (row stride lda).
func transposeBlock(dst, a []float32, lda, k, m int) {
	for p := 0; p < k; p++ {
		src := a[p*lda : p*lda+m]
		for i, v := range src {
			dst[i*k+p] = v
		}
	}
}

// growFloat32 returns s resliced to n elements, reallocated when too small.
func growFloat32(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func roundUp(n, multiple int) int {
	return (n + multiple - 1) / multiple * multiple
}
