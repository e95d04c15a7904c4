package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// col2imCases add to colPanelsCases the stride-2 windows whose input
// gradients Col2Im computes in training (ResNet's 3x3 and 1x1
// downsampling at every stage's size), and stride-2 rows too short for,
// or just long enough for, the wasm kernel's vector steps.
var col2imCases = append([]colPanelsCase{
	{"3x3_s2_16x16", []int{16, 16}, []int{3, 3}, []int{2, 2}, nil, []int{1, 1, 1, 1}, 4},
	{"1x1_s2_32x32", []int{32, 32}, []int{1, 1}, []int{2, 2}, nil, nil, 2},
	{"1x1_s2_8x8", []int{8, 8}, []int{1, 1}, []int{2, 2}, nil, nil, 3},
	{"3x3_s2_pad0_9x7", []int{9, 7}, []int{3, 3}, []int{2, 2}, nil, nil, 2},
	{"3x3_s2_6x6", []int{6, 6}, []int{3, 3}, []int{2, 2}, nil, []int{1, 1, 1, 1}, 2},
	{"3x3_s2_dil2_20x21", []int{20, 21}, []int{3, 3}, []int{2, 2}, []int{2, 2}, []int{2, 0, 1, 3}, 2},
}, colPanelsCases...)

// TestCol2ImMatchesDefinitionExactly: Col2Im (the wasm kernel's col2im
// under wasm, Go's walker elsewhere) adds col into the image exactly as
// the definition's loops do, in their order, bit for bit, onto an image
// that already holds values (Col2Im accumulates) including -0, which an
// added +0 would turn into +0; the floats after the image stay untouched.
func TestCol2ImMatchesDefinitionExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range col2imCases {
		t.Run(tc.name, func(t *testing.T) {
			g, _, rows, cols := colPanelsImage(t, rng, tc)
			n := tc.channels * g.InSize()
			col := make([]float32, rows*cols)
			for i := range col {
				col[i] = signedZeroOrNormal(rng)
			}
			buf := make([]float32, n+9)
			for i := range buf {
				buf[i] = signedZeroOrNormal(rng)
			}
			for i := n; i < len(buf); i++ {
				buf[i] = float32(math.NaN())
			}
			want := append([]float32(nil), buf[:n]...)
			col2imDefinition(want, col, tc.channels, &g.Window)
			Col2Im(buf[:n], col, tc.channels, &g.Window)
			for i := range want {
				if math.Float32bits(buf[i]) != math.Float32bits(want[i]) {
					t.Fatalf("image value %d = %v (%#x), want %v (%#x)", i, buf[i], math.Float32bits(buf[i]), want[i], math.Float32bits(want[i]))
				}
			}
			for i := n; i < len(buf); i++ {
				if !math.IsNaN(float64(buf[i])) {
					t.Fatalf("wrote %v at %d, past the image's %d values", buf[i], i, n)
				}
			}
		})
	}
}

// signedZeroOrNormal is +0 or -0 a quarter of the time each, otherwise a
// normal deviate.
func signedZeroOrNormal(rng *rand.Rand) float32 {
	switch rng.IntN(4) {
	case 0:
		return 0
	case 1:
		return float32(math.Copysign(0, -1))
	}
	return float32(rng.NormFloat64())
}

// col2imDefinition is Col2Im by its definition: every col entry (channel,
// kernel offset, output position, in that order) added to the image value
// it was read from, padding entries dropped.
func col2imDefinition(img, col []float32, channels int, w *Window) {
	p := w.promote3()
	outSize := p.Out[0] * p.Out[1] * p.Out[2]
	inSize := p.In[0] * p.In[1] * p.In[2]
	r := 0
	for c := 0; c < channels; c++ {
		for kd := 0; kd < p.Kernel[0]; kd++ {
			for kh := 0; kh < p.Kernel[1]; kh++ {
				for kw := 0; kw < p.Kernel[2]; kw++ {
					for od := 0; od < p.Out[0]; od++ {
						id := od*p.Strides[0] - p.PadBegin[0] + kd*p.Dilations[0]
						for oh := 0; oh < p.Out[1]; oh++ {
							ih := oh*p.Strides[1] - p.PadBegin[1] + kh*p.Dilations[1]
							for ow := 0; ow < p.Out[2]; ow++ {
								iw := ow*p.Strides[2] - p.PadBegin[2] + kw*p.Dilations[2]
								if id < 0 || id >= p.In[0] || ih < 0 || ih >= p.In[1] || iw < 0 || iw >= p.In[2] {
									continue
								}
								img[c*inSize+(id*p.In[1]+ih)*p.In[2]+iw] += col[r*outSize+(od*p.Out[1]+oh)*p.Out[2]+ow]
							}
						}
					}
					r++
				}
			}
		}
	}
}
