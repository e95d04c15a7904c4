package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// winogradCases are geometries winogradFits accepts: ResNet-20's three
// stages, channel counts off the GEMM's 6x16 tiles, several images per
// block (the 8x8 and 4x4 planes), Cin != Cout, a non-square plane and a
// batch that does not divide into blocks.
var winogradCases = []struct{ n, cin, cout, h, w int }{
	{2, 16, 16, 32, 32},
	{3, 32, 32, 16, 16},
	{5, 64, 64, 8, 8},
	{3, 8, 13, 16, 16},
	{2, 12, 8, 6, 32},
	{7, 9, 10, 4, 4},
	{9, 64, 64, 8, 16}, // 2 images a block: 5 blocks, the last of one
}

// absTensor is |t|: the convolution of |x| with |w| bounds the magnitude
// every rounding error of an output is relative to.
func absTensor(t *tensor.Tensor) *tensor.Tensor {
	a := tensor.New(tensor.Float32, t.Shape)
	for i, v := range t.F32 {
		a.F32[i] = float32(math.Abs(float64(v)))
	}
	return a
}

// winogradTolerance is the documented accuracy of convWinograd: each
// output within this fraction of sum |w||x| (its terms' magnitudes) of
// the exact convolution. F(2x2, 3x3)'s transforms add at most a few
// float32 roundings (6e-8 each) of that size; the GEMM's own error over
// Cin*16 terms is of the same order.
const winogradTolerance = 1e-5

// TestWinogradMatchesDefinition checks the algorithm (with the Go
// transforms, on every platform) and the platform's fast transforms where
// there are some, against the definition of Conv: plain, with a bias and a
// residual accumulated (beta 1), and with the ReLU clamp.
func TestWinogradMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	impls := map[string]*winogradTransforms{"go": &winogradGo}
	if winogradPlatform != nil {
		impls["fast"] = winogradPlatform
	}
	for _, tc := range winogradCases {
		x, w := randTensor(rng, tc.n, tc.cin, tc.h, tc.w), randTensor(rng, tc.cout, tc.cin, 3, 3)
		b, res := randTensor(rng, tc.cout), randTensor(rng, tc.n, tc.cout, tc.h, tc.w)
		g, err := ResolveConv(x.Shape, w.Shape, ConvParams{Pads: []int{1, 1, 1, 1}})
		if err != nil {
			t.Fatal(err)
		}
		plain := naiveConv(x, w, nil, g)
		bound := naiveConv(absTensor(x), absTensor(w), nil, g)
		for name, tf := range impls {
			if !winogradFits(g, tf) {
				continue
			}
			what := fmt.Sprintf("%s %+v", name, tc)
			y := make([]float32, len(plain))
			for i := range y {
				y[i] = float32(math.NaN()) // beta 0 must not read y
			}
			convWinograd(y, x.F32, w.F32, g, 0, &Epilogue{}, tf)
			assertWithin(t, what, y, plain, bound, nil)

			// beta 1 after initOutput's bias + residual, then the ReLU.
			if !initOutput(y, b, res, tc.n, tc.cout, tc.h*tc.w) {
				t.Fatal("initOutput with a bias and a residual reports no initial value")
			}
			e := ReluEpilogue()
			convWinograd(y, x.F32, w.F32, g, 1, &e, tf)
			want := naiveConv(x, w, b, g)
			for i := range want {
				want[i] = max(want[i]+res.F32[i], 0)
			}
			assertWithin(t, what+" bias+residual+relu", y, want, bound, res.F32)
		}
	}
}

// assertWithin checks |got - want| <= winogradTolerance*(bound + |extra|)
// + 1e-6 for every value (extra: a residual added to the sum, or nil).
func assertWithin(t *testing.T, what string, got, want, bound, extra []float32) {
	t.Helper()
	worst := 0.0
	for i := range want {
		scale := float64(bound[i])
		if extra != nil {
			scale += math.Abs(float64(extra[i]))
		}
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if !(d <= winogradTolerance*scale+1e-6) {
			t.Fatalf("%s: value %d = %v, want %v (|w||x| sum %v)", what, i, got[i], want[i], scale)
		}
		worst = max(worst, d/(scale+1e-30))
	}
	t.Logf("%s: worst error %.2g of sum |w||x|", what, worst)
}

// TestWinogradFastTransformsMatchGoExactly checks the platform's fast
// transforms against winogradInputGo and winogradOutputGo bit for bit, on
// the planes and strides convWinograd gives them, including accumulation.
func TestWinogradFastTransformsMatchGoExactly(t *testing.T) {
	if winogradPlatform == nil {
		t.Skip("no fast Winograd transforms on this platform")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sz := range [][2]int{{32, 32}, {16, 16}, {2, 16}, {6, 48}, {16, 64}} {
		h, w := sz[0], sz[1]
		tH, tW := h/2, w/2
		wp := w + 2
		pad := make([]float32, (h+2)*wp)
		for r := 1; r <= h; r++ {
			for c := 1; c <= w; c++ {
				pad[r*wp+c] = float32(rng.NormFloat64())
			}
		}
		// The frame copy: the same interior, the border untouched.
		src := randTensor(rng, h*w).F32
		fGo, fFast := randTensor(rng, (h+2)*wp).F32, make([]float32, (h+2)*wp)
		copy(fFast, fGo)
		winogradFrameGo(fGo, wp, src, h, w)
		winogradPlatform.frame(fFast, wp, src, h, w)
		assertSameBits(t, fmt.Sprintf("frame %dx%d", h, w), fFast, fGo)

		stride := tH*tW + 24 // planes apart by more than a plane, as with several images
		vGo, vFast := make([]float32, 16*stride), make([]float32, 16*stride)
		winogradInputGo(vGo, stride, pad, wp, tH, tW)
		winogradPlatform.input(vFast, stride, pad, wp, tH, tW)
		assertSameBits(t, fmt.Sprintf("input %dx%d", h, w), vFast, vGo)

		m := randTensor(rng, 16*stride).F32
		for _, acc := range []bool{false, true} {
			yGo, yFast := randTensor(rng, h*w).F32, make([]float32, h*w)
			copy(yFast, yGo)
			winogradOutputGo(yGo, m, stride, tH, tW, acc)
			winogradPlatform.output(yFast, m, stride, tH, tW, acc)
			assertSameBits(t, fmt.Sprintf("output %dx%d accumulate %v", h, w, acc), yFast, yGo)
		}
	}
}

func assertSameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestWinogradFits checks which geometries take the Winograd path.
func TestWinogradFits(t *testing.T) {
	fits := func(x, w []int, p ConvParams, tf *winogradTransforms) bool {
		g, err := ResolveConv(x, w, p)
		if err != nil {
			t.Fatal(err)
		}
		return winogradFits(g, tf)
	}
	same := ConvParams{Pads: []int{1, 1, 1, 1}}
	for _, tc := range []struct {
		x, w []int
		p    ConvParams
		tf   *winogradTransforms
		want bool
	}{
		{[]int{1, 16, 32, 32}, []int{16, 16, 3, 3}, same, &winogradGo, true},
		{[]int{1, 16, 8, 8}, []int{16, 16, 3, 3}, same, &winogradGo, true},
		{[]int{1, 16, 8, 8}, []int{16, 16, 3, 3}, same, &winogradTransforms{tileMultiple: 8}, false}, // 4 tiles a row
		{[]int{1, 16, 32, 32}, []int{16, 16, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}, Strides: []int{2, 2}}, &winogradGo, false},
		{[]int{1, 16, 32, 32}, []int{16, 16, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}, Dilations: []int{1, 2}}, &winogradGo, false},
		{[]int{1, 16, 32, 32}, []int{16, 16, 3, 3}, ConvParams{}, &winogradGo, false}, // valid padding
		{[]int{1, 16, 32, 32}, []int{16, 8, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}, Group: 2}, &winogradGo, false},
		{[]int{1, 3, 32, 32}, []int{16, 3, 3, 3}, same, &winogradGo, false},   // a stem: 3 input channels
		{[]int{1, 16, 15, 16}, []int{16, 16, 3, 3}, same, &winogradGo, false}, // odd height
		{[]int{1, 16, 32, 32}, []int{16, 16, 5, 5}, ConvParams{Pads: []int{2, 2, 2, 2}}, &winogradGo, false},
		{[]int{1, 16, 32}, []int{16, 16, 3}, ConvParams{Pads: []int{1, 1}}, &winogradGo, false}, // 1-D
	} {
		if got := fits(tc.x, tc.w, tc.p, tc.tf); got != tc.want {
			t.Errorf("winogradFits(%v, %v, %+v, multiple %d) = %v, want %v", tc.x, tc.w, tc.p, tc.tf.tileMultiple, got, tc.want)
		}
	}
}

// TestConvTakesWinogradOnlyWhenAsked checks ConvFusedInto's dispatch: with
// ConvGeometry.Winograd set, where the platform has the path, a fitting
// convolution gives convWinograd's bits (and matches the definition);
// unset, im2col's.
func TestConvTakesWinogradOnlyWhenAsked(t *testing.T) {
	defer SetWinograd(SetWinograd(true))
	rng := rand.New(rand.NewPCG(9, 10))
	x, w, b := randTensor(rng, 2, 16, 16, 32), randTensor(rng, 24, 16, 3, 3), randTensor(rng, 24)
	g, err := ResolveConv(x.Shape, w.Shape, ConvParams{Pads: []int{1, 1, 1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	conv := func(winograd bool) []float32 {
		g.Winograd = winograd
		y := tensor.New(tensor.Float32, g.OutShape())
		if err := ConvFusedInto(y, x, w, b, g, ReluEpilogue()); err != nil {
			t.Fatal(err)
		}
		return y.F32
	}
	want := naiveConv(x, w, b, g)
	for i := range want {
		want[i] = max(want[i], 0)
	}
	bound := naiveConv(absTensor(x), absTensor(w), absTensor(b), g)
	viaWinograd, viaIm2col := conv(true), conv(false)
	assertWithin(t, "Winograd asked", viaWinograd, want, bound, nil)
	assertClose(t, "Winograd not asked", viaIm2col, want)
	assertWithin(t, "Winograd not asked", viaIm2col, want, bound, nil) // logs im2col's error for comparison

	ref := make([]float32, len(want))
	initOutput(ref, b, nil, g.Batch, g.OutChannels, g.OutSize())
	if winogradFast == nil || !winogradFits(g, winogradFast) {
		t.Logf("no Winograd path here: both calls are im2col")
		assertSameBits(t, "without a Winograd path", viaWinograd, viaIm2col)
		return
	}
	e := ReluEpilogue()
	convWinograd(ref, x.F32, w.F32, g, 1, &e, winogradFast)
	assertSameBits(t, "Winograd asked", viaWinograd, ref)
}
