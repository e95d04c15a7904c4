package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

func TestWindowResolution(t *testing.T) {
	cases := []struct {
		spec            windowSpec
		out, begin, end []int
	}{
		{windowSpec{in: []int{5}, kernel: []int{3}}, []int{3}, []int{0}, []int{0}},
		{windowSpec{in: []int{5}, kernel: []int{3}, pads: []int{1, 1}}, []int{5}, []int{1}, []int{1}},
		{windowSpec{in: []int{5}, kernel: []int{3}, strides: []int{2}, autoPad: AutoPadSameUpper}, []int{3}, []int{1}, []int{1}},
		{windowSpec{in: []int{6}, kernel: []int{3}, strides: []int{2}, autoPad: AutoPadSameUpper}, []int{3}, []int{0}, []int{1}},
		{windowSpec{in: []int{6}, kernel: []int{3}, strides: []int{2}, autoPad: AutoPadSameLower}, []int{3}, []int{1}, []int{0}},
		{windowSpec{in: []int{7}, kernel: []int{3}, strides: []int{2}, autoPad: AutoPadValid}, []int{3}, []int{0}, []int{0}},
		{windowSpec{in: []int{7}, kernel: []int{3}, dilations: []int{2}}, []int{3}, []int{0}, []int{0}},
		// ceil_mode: (6-3)/2+1 = 2.5 -> 3 windows.
		{windowSpec{in: []int{6}, kernel: []int{3}, strides: []int{2}, ceilMode: true}, []int{3}, []int{0}, []int{0}},
		// ceil_mode drops a last window starting in the end padding.
		{windowSpec{in: []int{4}, kernel: []int{2}, strides: []int{2}, pads: []int{1, 1}, ceilMode: true}, []int{3}, []int{1}, []int{1}},
		{windowSpec{in: []int{3}, kernel: []int{1}, strides: []int{2}, pads: []int{0, 1}, ceilMode: true}, []int{2}, []int{0}, []int{1}},
	}
	for i, tc := range cases {
		tc.spec.op = "Test"
		w, err := tc.spec.resolve()
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !slices.Equal(w.Out, tc.out) || !slices.Equal(w.PadBegin, tc.begin) || !slices.Equal(w.PadEnd, tc.end) {
			t.Errorf("case %d: out %v pads %v %v, want %v %v %v", i, w.Out, w.PadBegin, w.PadEnd, tc.out, tc.begin, tc.end)
		}
	}
}

type convCase struct {
	x, w     []int
	p        ConvParams
	withBias bool
}

var convCases = []convCase{
	{[]int{1, 1, 5, 5}, []int{1, 1, 3, 3}, ConvParams{}, false},
	{[]int{2, 3, 7, 6}, []int{4, 3, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}, true},
	{[]int{1, 4, 9, 8}, []int{6, 2, 3, 2}, ConvParams{Group: 2, Strides: []int{2, 1}, Pads: []int{1, 0, 2, 1}}, true},
	{[]int{1, 3, 10, 9}, []int{5, 3, 3, 3}, ConvParams{Dilations: []int{2, 3}, Pads: []int{2, 1, 0, 3}}, false},
	{[]int{2, 8, 6, 6}, []int{8, 1, 3, 3}, ConvParams{Group: 8, Pads: []int{1, 1, 1, 1}}, true},                           // depthwise
	{[]int{1, 4, 11, 10}, []int{8, 1, 3, 3}, ConvParams{Group: 4, Strides: []int{2, 2}, AutoPad: AutoPadSameUpper}, true}, // depthwise x2
	{[]int{1, 6, 9, 7}, []int{6, 1, 5, 3}, ConvParams{Group: 6, Dilations: []int{2, 1}, AutoPad: AutoPadSameLower}, false},
	{[]int{2, 16, 5, 5}, []int{8, 16, 1, 1}, ConvParams{}, true}, // pointwise
	{[]int{1, 16, 6, 6}, []int{8, 16, 1, 1}, ConvParams{Strides: []int{2, 2}}, false},
	{[]int{2, 3, 12}, []int{4, 3, 3}, ConvParams{Strides: []int{2}, Pads: []int{1, 2}}, true},                 // 1-D
	{[]int{1, 4, 12}, []int{4, 1, 3}, ConvParams{Group: 4, Dilations: []int{2}, Pads: []int{2, 2}}, true},     // 1-D depthwise
	{[]int{1, 2, 5, 6, 4}, []int{3, 2, 2, 3, 2}, ConvParams{Pads: []int{1, 0, 1, 0, 1, 1}}, true},             // 3-D
	{[]int{1, 4, 5, 5, 5}, []int{4, 1, 3, 3, 3}, ConvParams{Group: 4, Strides: []int{2, 1, 2}}, false},        // 3-D depthwise
	{[]int{1, 2, 6, 6, 6}, []int{2, 2, 1, 1, 1}, ConvParams{AutoPad: AutoPadValid}, true},                     // 3-D pointwise
	{[]int{1, 3, 4, 4}, []int{2, 3, 3, 3}, ConvParams{AutoPad: AutoPadSameUpper, Strides: []int{2, 2}}, true}, // tiny
	// Output rows a multiple of 8 wide: the wasm kernel gathers the col
	// matrix straight into the GEMM's panels (ColPanels). k past one
	// k-block, n over several column blocks, stride 2, groups, 1-D.
	{[]int{2, 32, 16, 16}, []int{16, 32, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}, true},
	{[]int{1, 4, 32, 32}, []int{6, 4, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}, false},
	{[]int{1, 3, 32, 32}, []int{5, 3, 3, 3}, ConvParams{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}}, true},
	{[]int{2, 4, 8, 8}, []int{4, 2, 3, 3}, ConvParams{Group: 2, Pads: []int{1, 1, 1, 1}}, true},
	{[]int{1, 8, 16, 16}, []int{4, 8, 1, 1}, ConvParams{Strides: []int{2, 2}}, false},
	{[]int{1, 2, 24}, []int{3, 2, 3}, ConvParams{Pads: []int{1, 1}}, true},
}

func TestConvMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i, tc := range convCases {
		x, w := randTensor(rng, tc.x...), randTensor(rng, tc.w...)
		var b *tensor.Tensor
		if tc.withBias {
			b = randTensor(rng, tc.w[0])
		}
		y, err := Conv(x, w, b, tc.p)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		g, _ := ResolveConv(x.Shape, w.Shape, tc.p)
		assertClose(t, fmt.Sprintf("conv case %d %+v", i, tc.p), y.F32, naiveConv(x, w, b, g))
	}
}

func TestConvTransposeMatchesDefinition(t *testing.T) {
	cases := []struct {
		x, w     []int
		p        ConvTransposeParams
		withBias bool
		out      []int
	}{
		{[]int{1, 1, 3, 3}, []int{1, 2, 3, 3}, ConvTransposeParams{}, false, []int{1, 2, 5, 5}},
		{[]int{2, 4, 3, 4}, []int{4, 3, 3, 2}, ConvTransposeParams{ConvParams: ConvParams{Strides: []int{2, 3}, Pads: []int{1, 0, 0, 1}}}, true, nil},
		{[]int{1, 4, 3, 3}, []int{4, 2, 3, 3}, ConvTransposeParams{ConvParams: ConvParams{Group: 2, Strides: []int{2, 2}, Dilations: []int{1, 2}}, OutputPadding: []int{1, 0}}, true, nil},
		{[]int{1, 2, 4, 4}, []int{2, 3, 3, 3}, ConvTransposeParams{ConvParams: ConvParams{Strides: []int{2, 2}}, OutputShape: []int{9, 10}}, false, []int{1, 3, 9, 10}},
		{[]int{1, 2, 4, 4}, []int{2, 3, 3, 3}, ConvTransposeParams{ConvParams: ConvParams{Strides: []int{2, 2}, AutoPad: AutoPadSameUpper}}, true, []int{1, 3, 8, 8}},
		{[]int{1, 2, 4, 4}, []int{2, 3, 3, 3}, ConvTransposeParams{ConvParams: ConvParams{Strides: []int{2, 2}, AutoPad: AutoPadSameLower}}, true, []int{1, 3, 8, 8}},
		{[]int{2, 3, 5}, []int{3, 2, 3}, ConvTransposeParams{ConvParams: ConvParams{Strides: []int{3}}}, true, []int{2, 2, 15}},
		{[]int{1, 2, 3, 2, 3}, []int{2, 2, 2, 2, 2}, ConvTransposeParams{ConvParams: ConvParams{Strides: []int{1, 2, 1}, Pads: []int{0, 1, 0, 1, 0, 0}}}, true, nil},
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i, tc := range cases {
		x, w := randTensor(rng, tc.x...), randTensor(rng, tc.w...)
		var b *tensor.Tensor
		if tc.withBias {
			b = randTensor(rng, tc.w[1]*max(tc.p.Group, 1))
		}
		y, err := ConvTranspose(x, w, b, tc.p)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if tc.out != nil && !slices.Equal(y.Shape, tc.out) {
			t.Fatalf("case %d: shape %v, want %v", i, y.Shape, tc.out)
		}
		g, _ := ResolveConvTranspose(x.Shape, w.Shape, tc.p)
		assertClose(t, fmt.Sprintf("convtranspose case %d", i), y.F32, naiveConvTranspose(x, w, b, g))
	}
}

// TestCol2ImIsAdjointOfIm2Col checks <Im2Col(x), c> == <x, Col2Im(c)>, the
// property the Conv gradients rely on.
func TestCol2ImIsAdjointOfIm2Col(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range convCases {
		g, err := ResolveConv(tc.x, tc.w, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		ch := 2
		x := randTensor(rng, ch*g.InSize()).F32
		c := randTensor(rng, ch*g.KernelSize()*g.OutSize()).F32
		col := make([]float32, len(c))
		Im2Col(col, x, ch, &g.Window)
		img := make([]float32, len(x))
		Col2Im(img, c, ch, &g.Window)
		var lhs, rhs float64
		for i := range c {
			lhs += float64(col[i]) * float64(c[i])
		}
		for i := range x {
			rhs += float64(x[i]) * float64(img[i])
		}
		if d := lhs - rhs; d > 1e-3 || d < -1e-3 {
			t.Fatalf("%+v: <Im2Col x, c> = %v, <x, Col2Im c> = %v", tc.p, lhs, rhs)
		}
	}
}

func TestConvShapeErrors(t *testing.T) {
	cases := []struct {
		x, w []int
		p    ConvParams
		want string
	}{
		{[]int{1, 3, 5}, []int{2, 3, 3, 3}, ConvParams{}, "equal rank"},
		{[]int{1, 3, 5, 5}, []int{2, 2, 3, 3}, ConvParams{}, "group 1"},
		{[]int{1, 4, 5, 5}, []int{3, 2, 3, 3}, ConvParams{Group: 2}, "group 2"},
		{[]int{1, 3, 2, 2}, []int{2, 3, 3, 3}, ConvParams{}, "exceeds padded input"},
		{[]int{1, 3, 5, 5}, []int{2, 3, 3, 3}, ConvParams{Pads: []int{1, 1}}, "pads"},
		{[]int{1, 3, 5, 5}, []int{2, 3, 3, 3}, ConvParams{Strides: []int{0, 1}}, "positive"},
		{[]int{1, 3, 5, 5}, []int{2, 3, 3, 3}, ConvParams{AutoPad: "SAME"}, "auto_pad"},
		{[]int{1, 3, 5, 5}, []int{2, 3, 3, 3}, ConvParams{Kernel: []int{2, 2}}, "kernel_shape"},
		{[]int{1, 1, 2, 2, 2, 2}, []int{1, 1, 1, 1, 1, 1}, ConvParams{}, "spatial dimensions"},
		{[]int{1 << 20, 1, 1 << 12, 1 << 12}, []int{1, 1, 1, 1}, ConvParams{}, "elements"},
	}
	for _, tc := range cases {
		_, err := ResolveConv(tc.x, tc.w, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Conv") {
			t.Errorf("X %v W %v %+v: error %v, want one mentioning %q", tc.x, tc.w, tc.p, err, tc.want)
		}
	}
}

func TestConvRejectsMismatchedBias(t *testing.T) {
	x, w := tensor.New(tensor.Float32, []int{1, 2, 3, 3}), tensor.New(tensor.Float32, []int{4, 2, 1, 1})
	if _, err := Conv(x, w, tensor.New(tensor.Float32, []int{3}), ConvParams{}); err == nil || !strings.Contains(err.Error(), "bias") {
		t.Fatalf("error %v, want a bias error", err)
	}
}
