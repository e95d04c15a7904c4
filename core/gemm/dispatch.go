package gemm

// kernelFunc is the signature every SGEMM implementation shares; sizes are
// already checked and m, n > 0 when it is called.
type kernelFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// sgemm is the kernel Sgemm dispatches to after checking sizes. The
// register-blocked pure-Go kernel is the default on every platform; under
// GOOS=js the SIMD kernel's file (dispatch_wasm.go, owned by the wasm
// engineer) replaces it from an init function when WebAssembly SIMD is
// available, leaving this fallback otherwise.
var sgemm kernelFunc = sgemmBlocked
