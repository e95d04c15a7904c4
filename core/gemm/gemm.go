package gemm

import "fmt"

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major float32
// matrices, where op(X) is X or its transpose. op(A) is m x k, op(B) is
// k x n, C is m x n; lda, ldb, ldc are the row strides of A, B and C as
// stored. When beta is 0, C is overwritten without being read (NaNs in C do
// not propagate).
//
// Every GEMM-shaped computation in Pare (Conv via im2col, Gemm, MatMul and
// their gradients) goes through this one function so that the fastest
// kernel available on the platform serves all of it.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSizes(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkSizes panics when a slice is too short for its declared shape: a
// programmer error, and one the fast kernel (which writes raw memory) must
// never see.
func checkSizes(transA, transB bool, m, n, k, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	need := func(rows, cols, ld, have int, name string) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("gemm: ld%s=%d < %d columns", name, ld, cols))
		}
		if have < (rows-1)*ld+cols {
			panic(fmt.Sprintf("gemm: %s has %d elements, needs %d", name, have, (rows-1)*ld+cols))
		}
	}
	need(ar, ac, lda, la, "a")
	need(br, bc, ldb, lb, "b")
	need(m, n, ldc, lc, "c")
}

// DepthBlock is the depth (k) at which this platform's Sgemm splits a
// product of m > 1 rows into blocks, when it always splits at one fixed
// depth, and 0 otherwise. A caller that computes C = A*B + C (alpha 1,
// beta 1) as several calls over consecutive ranges of k, each but the last
// a whole number of DepthBlock deep, gets C's bits of the single call: the
// kernel sums each block in registers and adds it to C, the same
// operations in the same order either way. (A convolution's weight
// gradient does so to keep each block of its im2col matrix in cache.)
func DepthBlock() int { return depthBlock }
