package gemm

// microKernel4x3 computes the 4x3 tile C = beta*C + alpha*A*B from a packed
// A micro-panel (k groups of 4 row values) and a packed B micro-panel (k
// groups of 3 column values). When beta is 0, C is not read.
//
// Why this shape: Go keeps floats in 15 usable scalar registers (amd64 and
// wasm alike). Twelve accumulators, one B value and A read straight from
// memory fit without spilling; a 4x4 tile spills its sums to the stack
// every iteration and measured 30 % slower. Unrolling k by two halves the
// loop overhead (+20 %). The loop walks both panels by reslicing so that
// the compiler proves every index in range and emits no bounds checks.
func microKernel4x3(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc int) {
	var c00, c01, c02, c10, c11, c12, c20, c21, c22, c30, c31, c32 float32
	a = a[:4*k]
	b = b[:3*k]
	for len(a) >= 8 && len(b) >= 6 {
		b0 := b[0]
		c00 += a[0] * b0
		c10 += a[1] * b0
		c20 += a[2] * b0
		c30 += a[3] * b0
		b1 := b[1]
		c01 += a[0] * b1
		c11 += a[1] * b1
		c21 += a[2] * b1
		c31 += a[3] * b1
		b2 := b[2]
		c02 += a[0] * b2
		c12 += a[1] * b2
		c22 += a[2] * b2
		c32 += a[3] * b2
		b0 = b[3]
		c00 += a[4] * b0
		c10 += a[5] * b0
		c20 += a[6] * b0
		c30 += a[7] * b0
		b1 = b[4]
		c01 += a[4] * b1
		c11 += a[5] * b1
		c21 += a[6] * b1
		c31 += a[7] * b1
		b2 = b[5]
		c02 += a[4] * b2
		c12 += a[5] * b2
		c22 += a[6] * b2
		c32 += a[7] * b2
		a = a[8:]
		b = b[6:]
	}
	if len(a) >= 4 && len(b) >= 3 { // odd k
		b0, b1, b2 := b[0], b[1], b[2]
		c00 += a[0] * b0
		c10 += a[1] * b0
		c20 += a[2] * b0
		c30 += a[3] * b0
		c01 += a[0] * b1
		c11 += a[1] * b1
		c21 += a[2] * b1
		c31 += a[3] * b1
		c02 += a[0] * b2
		c12 += a[1] * b2
		c22 += a[2] * b2
		c32 += a[3] * b2
	}
	r0 := c[0:3:3]
	r1 := c[ldc : ldc+3 : ldc+3]
	r2 := c[2*ldc : 2*ldc+3 : 2*ldc+3]
	r3 := c[3*ldc : 3*ldc+3 : 3*ldc+3]
	if beta == 0 {
		r0[0], r0[1], r0[2] = alpha*c00, alpha*c01, alpha*c02
		r1[0], r1[1], r1[2] = alpha*c10, alpha*c11, alpha*c12
		r2[0], r2[1], r2[2] = alpha*c20, alpha*c21, alpha*c22
		r3[0], r3[1], r3[2] = alpha*c30, alpha*c31, alpha*c32
		return
	}
	r0[0], r0[1], r0[2] = alpha*c00+beta*r0[0], alpha*c01+beta*r0[1], alpha*c02+beta*r0[2]
	r1[0], r1[1], r1[2] = alpha*c10+beta*r1[0], alpha*c11+beta*r1[1], alpha*c12+beta*r1[2]
	r2[0], r2[1], r2[2] = alpha*c20+beta*r2[0], alpha*c21+beta*r2[1], alpha*c22+beta*r2[2]
	r3[0], r3[1], r3[2] = alpha*c30+beta*r3[0], alpha*c31+beta*r3[1], alpha*c32+beta*r3[2]
}
