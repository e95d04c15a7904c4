package gemm

// kernelFunc is the signature every SGEMM implementation shares; sizes are
// already checked and m, n > 0 when it is called.
type kernelFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// sgemm is the kernel Sgemm dispatches to after checking sizes. The
// register-blocked pure-Go kernel is the default on every platform; it is a
// package-level initialiser (not an init function) so that the platform
// files, which replace it from their init functions (dispatch_amd64.go with
// AVX2+FMA, dispatch_wasm.go with WebAssembly SIMD), can keep it as their
// fallback.
var sgemm kernelFunc = sgemmBlocked

// depthBlock is what DepthBlock reports: set by a platform file whose
// kernel always splits k at one fixed depth (sgemmAVX2's avxKC), 0 where
// the split depends on the shape (the wasm kernel takes k up to 1024 as
// one block) or is not part of the kernel's contract.
var depthBlock int
