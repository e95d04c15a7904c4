//go:build js && wasm && !purego

package nn

import (
	"fmt"
	"math"
	"unsafe"
)

// simdIm2ColPanelsRaw: see im2col_panels in kernel.wat. Call it only
// through simdColPanels.
//
//go:wasmimport pare_gemm im2col_panels
func simdIm2ColPanelsRaw(dst, img unsafe.Pointer, imgBytes int32, rows unsafe.Pointer, kb, j0, nb, inH, inW, outW, strideH, strideW int32)

// The kernel reads colRow as five consecutive int32 (20 bytes).
var _ [20]byte = [unsafe.Sizeof(colRow{})]byte{}

// gathersFast reports whether the kernel takes s's panels in vector steps:
// strides 1 or 2 across with output rows a whole number of steps (ResNet's
// 32, 16, 8), or stride 1 with output rows of at least one step as wide as
// the image's (mnist's 28 and 14, "same" padding), whose steps cross rows
// as one shifted load. Elsewhere (an output row of 7, or 15 at stride 2)
// steps cross rows one value at a time, and Im2Col plus pack_b is faster.
func (s *ColPanels) gathersFast() bool {
	if !simdKernels {
		return false
	}
	return s.strideW <= 2 && s.outW%8 == 0 ||
		s.strideH == 1 && s.strideW == 1 && s.outW == s.inW && s.outW >= 8
}

// simdColPanels has the kernel write s.Panels' block when the panels are
// the SIMD GEMM's (8 wide) and the horizontal stride is 1 or 2, and
// reports whether it did. Panels has checked the block against the col
// matrix; the extents the kernel touches are checked again here: it
// writes ceil(nb/8)*8*kb floats of dst and reads img only inside its
// length (the row descriptors, built by Reset, hold plane offsets of
// channels inside the image that SetImage checked).
func simdColPanels(s *ColPanels, dst []float32, p0, kb, j0, nb, width int) bool {
	if !simdKernels || width != 8 || s.strideW < 1 || s.strideW > 2 {
		return false
	}
	for _, v := range [...]int{kb, j0 + nb, s.inH, s.inW, s.outW, s.strideH} {
		if v < 1 || v > math.MaxInt32/4 {
			return false
		}
	}
	if s.outH*s.strideH > math.MaxInt32/8 || s.inPlane > math.MaxInt32/4/s.channels || kb > math.MaxInt32/32/((nb+7)/8) {
		return false
	}
	switch {
	case len(dst) < (nb+7)/8*8*kb:
		panic(fmt.Sprintf("nn: SIMD im2col panels: destination has %d elements, needs %d", len(dst), (nb+7)/8*8*kb))
	case p0 < 0 || p0+kb > len(s.rows):
		panic(fmt.Sprintf("nn: SIMD im2col panels: rows [%d, %d) of %d", p0, p0+kb, len(s.rows)))
	case len(s.img) < s.channels*s.inPlane:
		panic(fmt.Sprintf("nn: SIMD im2col panels: image has %d elements, needs %d x %d", len(s.img), s.channels, s.inPlane))
	}
	simdIm2ColPanelsRaw(unsafe.Pointer(&dst[0]), unsafe.Pointer(&s.img[0]), int32(4*len(s.img)), unsafe.Pointer(&s.rows[p0]),
		int32(kb), int32(j0), int32(nb), int32(s.inH), int32(s.inW), int32(s.outW), int32(s.strideH), int32(s.strideW))
	return true
}
