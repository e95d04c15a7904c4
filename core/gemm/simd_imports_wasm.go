//go:build js && wasm && !purego

package gemm

import (
	"fmt"
	"math"
	"unsafe"
)

// The SIMD kernel (core/gemm/simd/kernel.wat) is a separate WebAssembly module
// that imports Go's own memory. The host supplies these imports; see
// doc_wasm.md for the contract. Only addresses of heap memory and integers
// cross: Go's heap never moves, and no Go code runs during the call.

// simdKernelKind reports which kernel the host bound: 0 none (use pure Go),
// 1 plain SIMD, 2 relaxed SIMD.
//
//go:wasmimport pare_gemm kernel_kind
func simdKernelKind() int32

// simdSgemmBlock computes C = alpha*A*B + beta*C for A (m x k, row stride lda),
// B packed as ceil(n/8) panels of k x 8 floats, and C (m x n, row stride ldc).
// alpha and beta travel as float32 bit patterns. tile is 32 floats of scratch.
// It writes raw memory: call it only through callSimdKernel.
//
//go:wasmimport pare_gemm sgemm_block
func simdSgemmBlock(a unsafe.Pointer, lda int32, b unsafe.Pointer, c unsafe.Pointer, ldc int32, m, n, k int32, alphaBits, betaBits uint32, tile unsafe.Pointer)

// simdSgemmShiftedA is simdSgemmBlock for a Shifted A read in place: row
// r's column p at a + 4*offs[r] + 4*p, plus gapBytes for each output row
// of width columns crossed, the first row having first columns left. It
// writes raw memory: call it only through callSimdShiftedA.
//
//go:wasmimport pare_gemm sgemm_shifted_a
func simdSgemmShiftedA(a, offs unsafe.Pointer, width, gapBytes, first int32, b, c unsafe.Pointer, ldc int32, m, n, k int32, alphaBits, betaBits uint32, tile unsafe.Pointer)

// simdGemv computes y = alpha*a*op(B) + beta*y for one row a (the m = 1
// GEMM); op(B) is B (k x n) or, with transB 1, the transpose of B stored
// n x k. It writes raw memory: call it only through callSimdGemv.
//
//go:wasmimport pare_gemm gemv
func simdGemv(y, a, b unsafe.Pointer, ldb, n, k, transB int32, alphaBits, betaBits uint32)

// simdPackB packs the k x n block of a row-major B (row stride ldb) into
// ceil(n/8) panels of k x 8 at dst, zero-padding past n. It writes raw
// memory: call it only through callSimdPackB.
//
//go:wasmimport pare_gemm pack_b
func simdPackB(dst unsafe.Pointer, b unsafe.Pointer, ldb, k, n int32)

// simdTranspose writes dst[j*ldd+i] = src[i*lds+j] for i < rows, j < cols.
// It writes raw memory: call it only through callSimdTranspose.
//
//go:wasmimport pare_gemm transpose
func simdTranspose(dst unsafe.Pointer, ldd int32, src unsafe.Pointer, lds, rows, cols int32)

// callSimdKernel is the only caller of the raw kernel. The kernel can write
// anywhere in Go's memory, so every extent it will touch is checked here
// against the slices, whatever the callers already checked.
func callSimdKernel(a []float32, lda int, packedB []float32, c []float32, ldc int, m, n, k int, alpha, beta float32, tile []float32) {
	for _, v := range [...]int{lda, ldc, m, n, k} {
		if v < 1 || v > math.MaxInt32/4 {
			panic(fmt.Sprintf("gemm: SIMD kernel size %d out of range (lda=%d ldc=%d m=%d n=%d k=%d)", v, lda, ldc, m, n, k))
		}
	}
	switch {
	case lda < k || len(a) < (m-1)*lda+k:
		panic(fmt.Sprintf("gemm: SIMD kernel: A has %d elements, lda %d; needs %d x %d", len(a), lda, m, k))
	case len(packedB) < roundUp(n, simdPanel)*k:
		panic(fmt.Sprintf("gemm: SIMD kernel: packed B has %d elements, needs %d", len(packedB), roundUp(n, simdPanel)*k))
	case ldc < n || len(c) < (m-1)*ldc+n:
		panic(fmt.Sprintf("gemm: SIMD kernel: C has %d elements, ldc %d; needs %d x %d", len(c), ldc, m, n))
	case len(tile) < simdTile:
		panic(fmt.Sprintf("gemm: SIMD kernel: tile scratch has %d elements, needs %d", len(tile), simdTile))
	}
	simdSgemmBlock(unsafe.Pointer(&a[0]), int32(lda), unsafe.Pointer(&packedB[0]), unsafe.Pointer(&c[0]), int32(ldc),
		int32(m), int32(n), int32(k), math.Float32bits(alpha), math.Float32bits(beta), unsafe.Pointer(&tile[0]))
}

// callSimdShiftedA is the only caller of the raw shifted kernel: the
// k-block of a's columns [pc, pc+k) times the packed B, into C. Like
// callSimdKernel it checks every extent the kernel will touch, here every
// row's first and last value in the frame.
func callSimdShiftedA(a *Shifted, pc int, packedB []float32, c []float32, ldc int, m, n, k int, alpha, beta float32, tile []float32) {
	for _, v := range [...]int{ldc, m, n, k, a.Width, a.Stride} {
		if v < 1 || v > math.MaxInt32/4 {
			panic(fmt.Sprintf("gemm: SIMD shifted kernel size %d out of range (ldc=%d m=%d n=%d k=%d width=%d stride=%d)", v, ldc, m, n, k, a.Width, a.Stride))
		}
	}
	if pc < 0 || a.Stride < a.Width || len(a.Offsets) < m {
		panic(fmt.Sprintf("gemm: SIMD shifted kernel: column %d, width %d, stride %d, %d offsets for %d rows", pc, a.Width, a.Stride, len(a.Offsets), m))
	}
	base := pc/a.Width*a.Stride + pc%a.Width
	last := (pc+k-1)/a.Width*a.Stride + (pc+k-1)%a.Width
	for _, o := range a.Offsets[:m] {
		if o < 0 || int(o)+last >= len(a.Frame) || int(o)+last > math.MaxInt32/4 {
			panic(fmt.Sprintf("gemm: SIMD shifted kernel: a row at offset %d reads up to %d of a %d-value frame", o, int(o)+last, len(a.Frame)))
		}
	}
	switch {
	case len(packedB) < roundUp(n, simdPanel)*k:
		panic(fmt.Sprintf("gemm: SIMD shifted kernel: packed B has %d elements, needs %d", len(packedB), roundUp(n, simdPanel)*k))
	case ldc < n || len(c) < (m-1)*ldc+n:
		panic(fmt.Sprintf("gemm: SIMD shifted kernel: C has %d elements, ldc %d; needs %d x %d", len(c), ldc, m, n))
	case len(tile) < simdTile:
		panic(fmt.Sprintf("gemm: SIMD shifted kernel: tile scratch has %d elements, needs %d", len(tile), simdTile))
	}
	// The block's first column of row 0 is base floats into the frame;
	// every row's own offset is added by the kernel.
	simdSgemmShiftedA(unsafe.Add(unsafe.Pointer(&a.Frame[0]), 4*base), unsafe.Pointer(&a.Offsets[0]),
		int32(a.Width), int32(4*(a.Stride-a.Width)), int32(a.Width-pc%a.Width),
		unsafe.Pointer(&packedB[0]), unsafe.Pointer(&c[0]), int32(ldc),
		int32(m), int32(n), int32(k), math.Float32bits(alpha), math.Float32bits(beta), unsafe.Pointer(&tile[0]))
}

// callSimdPackB is the only caller of the raw packer; like callSimdKernel it
// checks every extent the packer will touch.
func callSimdPackB(dst, b []float32, ldb, k, n int) {
	for _, v := range [...]int{ldb, k, n} {
		if v < 1 || v > math.MaxInt32/4 {
			panic(fmt.Sprintf("gemm: SIMD pack size %d out of range (ldb=%d k=%d n=%d)", v, ldb, k, n))
		}
	}
	switch {
	case ldb < n || len(b) < (k-1)*ldb+n:
		panic(fmt.Sprintf("gemm: SIMD pack: B has %d elements, ldb %d; needs %d x %d", len(b), ldb, k, n))
	case len(dst) < roundUp(n, simdPanel)*k:
		panic(fmt.Sprintf("gemm: SIMD pack: destination has %d elements, needs %d", len(dst), roundUp(n, simdPanel)*k))
	}
	simdPackB(unsafe.Pointer(&dst[0]), unsafe.Pointer(&b[0]), int32(ldb), int32(k), int32(n))
}

// callSimdTranspose is the only caller of the raw transpose, and checks
// every extent it will touch.
func callSimdTranspose(dst []float32, ldd int, src []float32, lds, rows, cols int) {
	for _, v := range [...]int{ldd, lds, rows, cols} {
		if v < 1 || v > math.MaxInt32/4 {
			panic(fmt.Sprintf("gemm: SIMD transpose size %d out of range (ldd=%d lds=%d rows=%d cols=%d)", v, ldd, lds, rows, cols))
		}
	}
	switch {
	case lds < cols || len(src) < (rows-1)*lds+cols:
		panic(fmt.Sprintf("gemm: SIMD transpose: source has %d elements, stride %d; needs %d x %d", len(src), lds, rows, cols))
	case ldd < rows || len(dst) < (cols-1)*ldd+rows:
		panic(fmt.Sprintf("gemm: SIMD transpose: destination has %d elements, stride %d; needs %d x %d", len(dst), ldd, cols, rows))
	}
	simdTranspose(unsafe.Pointer(&dst[0]), int32(ldd), unsafe.Pointer(&src[0]), int32(lds), int32(rows), int32(cols))
}

// callSimdGemv is the only caller of the raw gemv, and checks every extent
// it will touch: a has k floats, y n, and B k x n (or n x k when
// transposed) with row stride ldb.
func callSimdGemv(transB bool, n, k int, alpha float32, a, b []float32, ldb int, beta float32, y []float32) {
	for _, v := range [...]int{ldb, n, k} {
		if v < 1 || v > math.MaxInt32/4 {
			panic(fmt.Sprintf("gemm: SIMD gemv size %d out of range (ldb=%d n=%d k=%d)", v, ldb, n, k))
		}
	}
	rows, cols, tr := k, n, int32(0)
	if transB {
		rows, cols, tr = n, k, 1
	}
	switch {
	case len(a) < k:
		panic(fmt.Sprintf("gemm: SIMD gemv: A has %d elements, needs %d", len(a), k))
	case len(y) < n:
		panic(fmt.Sprintf("gemm: SIMD gemv: C has %d elements, needs %d", len(y), n))
	case ldb < cols || len(b) < (rows-1)*ldb+cols:
		panic(fmt.Sprintf("gemm: SIMD gemv: B has %d elements, ldb %d; needs %d x %d", len(b), ldb, rows, cols))
	}
	simdGemv(unsafe.Pointer(&y[0]), unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), int32(ldb), int32(n), int32(k), tr,
		math.Float32bits(alpha), math.Float32bits(beta))
}
