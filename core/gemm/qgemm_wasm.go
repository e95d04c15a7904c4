//go:build js && wasm && !purego

package gemm

import (
	"fmt"
	"math"
	"unsafe"
)

// qgemmSIMD drives the kernel module's integer GEMM: B in column blocks,
// each packed as float panels (pack_b or the PanelSource), turned into
// 16-bit code pairs by q16_pack, and multiplied by qgemm_block with the
// whole depth in one block (an int32 sum is exact in any order, so there
// are no k-blocks to add up in float). A block of B stays at simdKC *
// simdNC floats, as in the float driver.
func qgemmSIMD(a *QuantA, n int, b operandB, inv float32, acc bool, c []float32, ldc int) bool {
	k := a.k
	nc := min(simdKC*simdNC/k/simdPanel*simdPanel, 4*simdNC)
	if nc < simdPanel {
		return false // deeper than the float block holds: the float GEMM takes it
	}
	s := simdScratchPool.Get().(*simdScratch)
	defer simdScratchPool.Put(s)
	pairs := (k + 1) / 2
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		panels := roundUp(nb, simdPanel) / simdPanel
		packed := s.packedB[:panels*simdPanel*k]
		b.packSIMD(packed, 0, k, jc, nb)
		s.codes = growInt16(s.codes, panels*pairs*2*simdPanel)
		if !callSimdQ16Pack(s.codes, packed, k, panels, inv, a.bLimit) {
			return false
		}
		callSimdQgemm(a, s.codes, c[jc:], ldc, nb, acc, s.tile[:])
	}
	return true
}

// simdQgemmBlock is qgemm_block (kernel.wat): C = alpha_row * A * B, or
// C plus that when acc is 1, for A packed as QuantA's strips and B as
// ceil(n/8) panels of kp code pairs. Call it only through callSimdQgemm.
//
//go:wasmimport pare_gemm qgemm_block
func simdQgemmBlock(a, b, c unsafe.Pointer, ldc, m, n, kp int32, alpha unsafe.Pointer, acc int32, tile unsafe.Pointer)

// simdQ16Pack is q16_pack (kernel.wat): np float panels of kb rows of 8
// into code-pair panels, 1 when every |round(v * inv)| is at most limit.
// Call it only through callSimdQ16Pack.
//
//go:wasmimport pare_gemm q16_pack
func simdQ16Pack(dst, src unsafe.Pointer, kb, np int32, invBits, limitBits uint32) int32

// callSimdQgemm checks every extent qgemm_block touches before calling it.
func callSimdQgemm(a *QuantA, codes []int16, c []float32, ldc, n int, acc bool, tile []float32) {
	m, pairs := a.m, (a.k+1)/2
	for _, v := range [...]int{ldc, m, n, pairs} {
		if v < 1 || v > math.MaxInt32/32 {
			panic(fmt.Sprintf("gemm: integer kernel size %d out of range (ldc=%d m=%d n=%d pairs=%d)", v, ldc, m, n, pairs))
		}
	}
	switch {
	case len(a.strips) < (m+3)/4*pairs*8 || len(a.alpha) < (m+3)/4*4:
		panic(fmt.Sprintf("gemm: integer kernel: A has %d codes and %d scales, needs %d x %d", len(a.strips), len(a.alpha), m, a.k))
	case len(codes) < roundUp(n, simdPanel)*pairs*2:
		panic(fmt.Sprintf("gemm: integer kernel: packed B has %d codes, needs %d", len(codes), roundUp(n, simdPanel)*pairs*2))
	case ldc < n || len(c) < (m-1)*ldc+n:
		panic(fmt.Sprintf("gemm: integer kernel: C has %d elements, ldc %d; needs %d x %d", len(c), ldc, m, n))
	case len(tile) < simdTile:
		panic(fmt.Sprintf("gemm: integer kernel: tile scratch has %d elements, needs %d", len(tile), simdTile))
	}
	flag := int32(0)
	if acc {
		flag = 1
	}
	simdQgemmBlock(unsafe.Pointer(&a.strips[0]), unsafe.Pointer(&codes[0]), unsafe.Pointer(&c[0]), int32(ldc),
		int32(m), int32(n), int32(pairs), unsafe.Pointer(&a.alpha[0]), flag, unsafe.Pointer(&tile[0]))
}

// callSimdQ16Pack checks every extent q16_pack touches before calling it.
func callSimdQ16Pack(dst []int16, src []float32, kb, np int, inv float32, limit int) bool {
	if kb < 1 || np < 1 || kb > math.MaxInt32/32 || np > math.MaxInt32/(32*kb) {
		panic(fmt.Sprintf("gemm: integer pack size out of range (kb=%d panels=%d)", kb, np))
	}
	switch {
	case len(src) < np*simdPanel*kb:
		panic(fmt.Sprintf("gemm: integer pack: source has %d floats, needs %d panels of %d x %d", len(src), np, kb, simdPanel))
	case len(dst) < np*((kb+1)/2)*2*simdPanel:
		panic(fmt.Sprintf("gemm: integer pack: destination has %d codes, needs %d", len(dst), np*((kb+1)/2)*2*simdPanel))
	}
	return simdQ16Pack(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), int32(kb), int32(np),
		math.Float32bits(inv), math.Float32bits(float32(limit))) != 0
}
