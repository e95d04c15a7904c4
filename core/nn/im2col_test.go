package nn

import (
	"fmt"
	"math"
	"testing"
)

// TestIm2ColMatchesDefinition checks every entry of Im2Col's matrix
// against the definition (the image value under each kernel offset, 0 in
// the padding) on 2-D windows, the "same"-shaped stride-1 ones that take
// im2colShifted's bulk copy and column zeroing among them: widths from 1
// to 9 and 15-34 (stride-2 rows of 8-17 outputs), edges wider than one
// column (5x5, dilation 2), asymmetric padding and shifts past the whole
// image. col starts as NaN, so an entry left
// unwritten fails.
func TestIm2ColMatchesDefinition(t *testing.T) {
	type geom struct{ kH, kW, sH, sW, dH, dW, pT, pL, pB, pR int }
	geoms := []geom{
		{3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, // ResNet's 3x3
		{5, 5, 1, 1, 1, 1, 2, 2, 2, 2},
		{3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, // dilated: two-column edges
		{1, 3, 1, 1, 1, 1, 0, 2, 0, 0}, // asymmetric: all padding on the left
		{3, 1, 1, 1, 1, 1, 0, 0, 2, 0},
		{3, 3, 1, 1, 4, 4, 4, 4, 4, 4}, // offsets past small images
		{3, 3, 2, 2, 1, 1, 1, 1, 1, 1}, // strided: the row-by-row path
		{1, 1, 2, 2, 1, 1, 0, 0, 0, 0}, // a stride-2 row ending on the image row's last value
		{3, 3, 3, 3, 1, 1, 1, 1, 1, 1},
		{1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
	}
	// Widths 1-9, and rows of 8-17 stride-2 outputs (the AVX2 decimation's
	// whole blocks and tails).
	widths := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 34}
	for _, g := range geoms {
		for _, h := range []int{1, 2, 5} {
			for _, w := range widths {
				outH := (h+g.pT+g.pB-g.dH*(g.kH-1)-1)/g.sH + 1
				outW := (w+g.pL+g.pR-g.dW*(g.kW-1)-1)/g.sW + 1
				if outH < 1 || outW < 1 {
					continue
				}
				win := &Window{In: []int{h, w}, Kernel: []int{g.kH, g.kW}, Out: []int{outH, outW}, Strides: []int{g.sH, g.sW},
					Dilations: []int{g.dH, g.dW}, PadBegin: []int{g.pT, g.pL}, PadEnd: []int{g.pB, g.pR}}
				const channels = 2
				img := make([]float32, channels*h*w)
				for i := range img {
					img[i] = float32(i + 1)
				}
				col := make([]float32, channels*g.kH*g.kW*outH*outW)
				for i := range col {
					col[i] = float32(math.NaN())
				}
				Im2Col(col, img, channels, win)
				name := fmt.Sprintf("%+v on %dx%d", g, h, w)
				for c := 0; c < channels; c++ {
					for kh := 0; kh < g.kH; kh++ {
						for kw := 0; kw < g.kW; kw++ {
							r := (c*g.kH+kh)*g.kW + kw
							for oh := 0; oh < outH; oh++ {
								for ow := 0; ow < outW; ow++ {
									ih, iw := oh*g.sH-g.pT+kh*g.dH, ow*g.sW-g.pL+kw*g.dW
									want := float32(0)
									if ih >= 0 && ih < h && iw >= 0 && iw < w {
										want = img[(c*h+ih)*w+iw]
									}
									if got := col[r*outH*outW+oh*outW+ow]; got != want {
										t.Fatalf("%s: row %d, output (%d, %d) = %v, want %v", name, r, oh, ow, got, want)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}
