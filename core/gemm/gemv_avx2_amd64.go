//go:build amd64 && !purego

package gemm

// The m=1 path of sgemmAVX2: one row of C is a vector-matrix product
// (a classifier at batch 1, a convolution with one output channel). The
// tiled kernel would pack all of B and compute six rows for the one that
// exists; these loops read B exactly once, straight from the caller's
// slice. Implemented in vec_avx2_amd64.s.

// dotAVX2 returns the sum of x[i]*y[i] for i < n.
//
//go:noescape
func dotAVX2(n int, x, y *float32) float32

// axpyAVX2 adds alpha*x[i] to y[i] for i < n.
//
//go:noescape
func axpyAVX2(n int, alpha float32, x, y *float32)

// gemvColumnBlock is how many columns of the C row the axpy loop updates
// per sweep over k: 8 KiB, so the row stays in L1 while B streams past.
const gemvColumnBlock = 2048

// sgemvRowAVX2 computes the single row C = alpha*op(A)*op(B) + beta*C of an
// m=1 problem with k > 0 and alpha != 0. It reports false, doing nothing,
// for the one layout it does not handle (op(B) transposed with op(A) a
// strided column), which the tiled path then serves.
func sgemvRowAVX2(transA, transB bool, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32) bool {
	row := c[:n]
	if transB {
		// C[j] = alpha*dot(op(A), B[j][:k]): both operands contiguous.
		if transA && lda != 1 && k > 1 {
			return false
		}
		x := a[:k]
		if transA {
			x = a[:(k-1)*lda+1] // lda is 1 here, or k is 1
		}
		for j := range row {
			y := b[j*ldb : j*ldb+k]
			d := alpha * dotAVX2(k, &x[0], &y[0])
			if beta != 0 {
				d += beta * row[j]
			}
			row[j] = d
		}
		return true
	}
	// C += sum over p of (alpha*op(A)[p]) * B[p][:], a block of columns at
	// a time, after C = beta*C.
	scaleC(1, n, beta, row, n)
	stride := 1
	if transA {
		stride = lda
	}
	for j0 := 0; j0 < n; j0 += gemvColumnBlock {
		cols := min(gemvColumnBlock, n-j0)
		dst := row[j0 : j0+cols]
		for p := 0; p < k; p++ {
			src := b[p*ldb+j0 : p*ldb+j0+cols]
			axpyAVX2(cols, alpha*a[p*stride], &src[0], &dst[0])
		}
	}
	return true
}
