//go:build amd64 && !purego

package nn

import (
	"fmt"
	"math"
)

// gatherPanel16AVX2 writes one 16-wide panel of kb col rows, rows[0..kb),
// for the 16 outputs from (oh, ow) of a stride-1 "same" window into dst
// (kb*16 values), in im2col_panels16_amd64.s. The outputs lie in one
// output row (outW is a multiple of 16 and ow of 16).
//
//go:noescape
func gatherPanel16AVX2(dst, img *float32, rows *colRow, kb, oh, ow, inH, inW int)

// gathersAVX2 reports whether panels16AVX2 takes s's blocks: stride 1,
// output rows as wide as the image's and a whole number of 16-wide panels
// (ResNet's 32 and 16), and sizes whose element offsets fit the int32 lane
// arithmetic.
func (s *ColPanels) gathersAVX2() bool {
	return s.strideH == 1 && s.strideW == 1 && s.outW == s.inW && s.outW%16 == 0 &&
		s.channels*s.inPlane <= math.MaxInt32/2
}

// panels16AVX2 is panels16Shifted in assembly for the windows gathersAVX2
// accepts, and for blocks of whole panels starting on a panel boundary
// (every block sgemmPanelsAVX2 asks for in a convolution); it reports
// false, writing nothing, for other blocks. Panels has checked the block
// against the col matrix; dst's length and the image's are checked here.
// The row table (built by Reset from the window) keeps every lane the
// assembly reads inside its channel's plane of the image.
func (s *ColPanels) panels16AVX2(dst []float32, p0, kb, j0, nb int) bool {
	if !s.gathersAVX2() || j0%16 != 0 || nb%16 != 0 {
		return false
	}
	panels := nb / 16
	switch {
	case len(dst) < panels*16*kb:
		panic(fmt.Sprintf("nn: AVX2 im2col panels: destination has %d values, needs %d", len(dst), panels*16*kb))
	case p0 < 0 || p0+kb > len(s.rows):
		panic(fmt.Sprintf("nn: AVX2 im2col panels: rows [%d, %d) of %d", p0, p0+kb, len(s.rows)))
	case len(s.img) < s.channels*s.inPlane:
		panic(fmt.Sprintf("nn: AVX2 im2col panels: image has %d values, needs %d x %d", len(s.img), s.channels, s.inPlane))
	}
	for t := 0; t < panels; t++ {
		j := j0 + t*16
		gatherPanel16AVX2(&dst[t*16*kb], &s.img[0], &s.rows[p0], kb, j/s.outW, j%s.outW, s.inH, s.inW)
	}
	return true
}
