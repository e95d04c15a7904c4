package gemm

// sgemm is the kernel Sgemm dispatches to after checking sizes.
// Replaced by the blocked pure-Go kernel (native) and the SIMD kernel (wasm).
var sgemm = sgemmRef
