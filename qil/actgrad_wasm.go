//go:build js && wasm && !purego

package qil

import (
	"math"
	"unsafe"
)

// In WebAssembly an unsigned quantizer's gradient runs in the SIMD
// kernel module (core/gemm/simd/kernel.wat, act_grads), four elements at
// a time, with the sums one term at a time in x's order as in the Go
// loop, so dx, dc and dd are its bits (TestActGradsUnsignedSIMDMatchesGo
// under wasm): as Go's scalar loop it was the largest part of what the
// activation quantizers add to a QIL step in the page. As in core/nn's
// callers, only heap addresses and integers cross, and every extent the
// kernel will touch is checked here first, because it can write anywhere
// in Go's memory.

//go:wasmimport pare_gemm kernel_kind
func simdKernelKind() int32

// simdActGradsRaw: see act_grads in kernel.wat. Call it only through
// actGradsUnsignedSIMD.
//
//go:wasmimport pare_gemm act_grads
func simdActGradsRaw(dx, x, dy, sums unsafe.Pointer, n int32, loBits, widthBits, invBits, qBits, invQBits uint32)

// actGradsKernel reports whether the host bound a SIMD kernel (0 under
// PARE_SIMD=off or without one: then the Go loop computes everything).
var actGradsKernel = simdKernelKind() > 0

// actGradsSIMDMin is the length below which the call costs more than the
// Go loop it replaces.
const actGradsSIMDMin = 32

// actGradsUnsignedSIMD takes the longest prefix of x whose length is a
// multiple of 4 and returns its length and that prefix's dc and dd (0
// without the kernel, for short x, or beyond the kernel's 32-bit
// offsets).
func actGradsUnsignedSIMD(dx, x, dy []float32, g actGrid) (n int, dc, dd float64) {
	n = len(x) &^ 3
	if !actGradsKernel || n < actGradsSIMDMin || n > math.MaxInt32/4 {
		return 0, 0, 0
	}
	if len(dx) < n || len(dy) < n {
		panic("qil: act_grads: dx or dy is shorter than x")
	}
	lo, width, q := g.lo, g.width, float32(g.q)
	inv, invQ := 1/width, 1/q
	sums := new([2]float64) // dc, dd: the kernel adds to them
	simdActGradsRaw(unsafe.Pointer(&dx[0]), unsafe.Pointer(&x[0]), unsafe.Pointer(&dy[0]), unsafe.Pointer(sums), int32(n),
		math.Float32bits(lo), math.Float32bits(width), math.Float32bits(inv), math.Float32bits(q), math.Float32bits(invQ))
	return n, sums[0], sums[1]
}
