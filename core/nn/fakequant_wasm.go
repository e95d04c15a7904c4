//go:build js && wasm && !purego

package nn

import (
	"math"
	"unsafe"
)

// In WebAssembly FakeQuant runs in the SIMD kernel module
// (core/gemm/simd/kernel.wat, fake_quant), four values at a time: Go's
// scalar division and branches made the fake quantization of a QDQ
// model's activations cost more than its convolutions. As in
// simd_wasm.go, only heap addresses and integers cross, and every extent
// the kernel will touch is checked here first.

// simdFakeQuantRaw: see fake_quant in kernel.wat. Call it only through
// simdFakeQuant.
//
//go:wasmimport pare_gemm fake_quant
func simdFakeQuantRaw(y, x, pre unsafe.Pointer, n, npre int32, scaleBits, loBits, hiBits, nanBits, offBits, stepBits, signBits uint32)

// The kernel reads each FakeQuantOp as its three 32-bit fields, kind, a,
// b, 12 bytes apart: these fail to compile if the size is not 12.
var (
	_ [unsafe.Sizeof(FakeQuantOp{}) - 12]struct{}
	_ [12 - unsafe.Sizeof(FakeQuantOp{})]struct{}
)

// fakeQuantSIMDMin is the length below which the call costs more than
// the Go loop it replaces.
const fakeQuantSIMDMin = simdElementwiseMin

// simdFakeQuant runs q in the kernel on the longest prefix of x whose
// length is a multiple of 4 and returns that length, or 0 (no kernel, too
// short, too long for the kernel's 32-bit offsets).
func simdFakeQuant(q *FakeQuant, y, x []float32) int {
	n := len(x) &^ 3
	if !simdKernels || n < fakeQuantSIMDMin || n > math.MaxInt32/4 || len(q.Pre) > math.MaxInt32/12 {
		return 0
	}
	checkOperand("fake quant", "y", len(y), n)
	var pre unsafe.Pointer
	if len(q.Pre) > 0 {
		for _, p := range q.Pre {
			if p.Kind > FakeQuantMul {
				return 0
			}
		}
		pre = unsafe.Pointer(&q.Pre[0])
	}
	simdFakeQuantRaw(unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0]), pre, int32(n), int32(len(q.Pre)),
		math.Float32bits(q.Scale), math.Float32bits(q.Lo), math.Float32bits(q.Hi), math.Float32bits(q.NaN),
		math.Float32bits(q.Offset), math.Float32bits(q.Step), signBits(q))
	return n
}

// signBits is fake_quant's last argument: 0 when q is not signed, else the
// bits of the factor the sign is taken after (never 0: 1 when unscaled).
func signBits(q *FakeQuant) uint32 {
	if !q.Signed {
		return 0
	}
	return math.Float32bits(q.signScale())
}
