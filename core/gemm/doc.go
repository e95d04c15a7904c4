// Package gemm is Pare's single matrix-multiply entry point: Sgemm computes
// C = alpha*op(A)*op(B) + beta*C on row-major float32 slices.
//
// Every GEMM-shaped computation (Conv through im2col, Gemm, MatMul and their
// gradients) calls Sgemm, so the fastest kernel of the platform serves all
// of it. The kernels, chosen once at start-up:
//
//   - amd64 with AVX2 and FMA: sgemmAVX2, a 6x16 assembly micro-kernel with
//     assembly packing (dispatch_amd64.go). PARE_GEMM=go forces pure Go.
//   - GOOS=js GOARCH=wasm: a hand-written WebAssembly SIMD micro-kernel (a
//     4x8 tile of f32x4 accumulators, relaxed-SIMD variant where the host
//     validates it) imported through //go:wasmimport and working in place
//     on Go's memory; the host contract is in doc_wasm.md. PARE_SIMD=off
//     (or a host without the kernel) keeps pure Go.
//   - everywhere else, and as the fallback: sgemmBlocked, a cache-blocked
//     pure-Go kernel that packs panels of A and B and keeps a 4x3 tile of C
//     in registers for the whole k loop. Build tag purego selects it alone.
//
// SgemmPanels is Sgemm with an implicit B: a PanelSource writes B's blocks
// straight into the kernel's packed panels, so a convolution's im2col
// matrix need never exist in full (core/nn's ColPanels; the wasm kernel
// packs through it, the other kernels have it materialise B and call
// sgemm).
//
// SgemmShifted and SgemmShiftedA take a B or an A whose rows are windows
// of one array (a Shifted: a stride-1 convolution's col matrix over a
// zero-framed image). The AVX2 kernel reads such a B in place, one offset
// per step of k, and packs such an A straight from the array, so neither
// the col matrix nor its panels are gathered; elsewhere SgemmShifted packs
// it as SgemmPanels does and SgemmShiftedA declines.
//
// Qgemm and QgemmPanels are the integer GEMM of a quantized model's
// convolutions (qgemm.go): integer weight codes times an activation that is
// a code times one step, summed exactly in int32 and scaled per row, in the
// wasm SIMD kernel (i32x4.dot_i16x8_s) or AVX2 (VPMADDWD), with the same
// bits; in pure Go they refuse and the float GEMM of the dequantized values
// serves.
//
// sgemmRef, the plain triple loop, is the reference every kernel is tested
// against with one shared conformance table (gemm_conformance_test.go).
//
// Sizes that do not fit the slices are programmer errors and panic with a
// message naming the slice.
package gemm
