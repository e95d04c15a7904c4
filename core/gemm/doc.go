// Package gemm is Pare's single matrix-multiply entry point: Sgemm computes
// C = alpha*op(A)*op(B) + beta*C on row-major float32 slices.
//
// Every GEMM-shaped computation (Conv through im2col, Gemm, MatMul, and
// later their gradients) calls Sgemm, so the fastest kernel of the platform
// serves all of it. Natively that is sgemmBlocked, a cache-blocked pure-Go
// kernel that packs panels of A and B and keeps a 4x3 tile of C in
// registers for the whole k loop; under WebAssembly a SIMD micro-kernel
// takes over where the browser supports it. sgemmRef, the plain triple
// loop, is the reference every kernel is tested against with one shared
// conformance table (gemm_conformance_test.go).
//
// Sizes that do not fit the slices are programmer errors and panic with a
// message naming the slice.
package gemm
