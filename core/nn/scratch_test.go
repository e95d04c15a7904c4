package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// scratchCases are convolutions that take the im2col scratch or not,
// depending on the platform's kernels (the AVX2 and wasm GEMMs gather the
// col panels of some windows themselves).
var scratchCases = []struct {
	x, w    []int
	strides []int
	pads    []int
	group   int
}{
	{x: []int{1, 8, 13, 13}, w: []int{8, 8, 3, 3}},                            // valid 3x3
	{x: []int{1, 16, 16, 16}, w: []int{8, 16, 3, 3}, pads: []int{1, 1, 1, 1}}, // "same" 3x3, 16 wide
	{x: []int{1, 4, 20, 20}, w: []int{8, 4, 5, 5}, strides: []int{2, 2}},      // strided 5x5
	{x: []int{1, 32, 11, 11}, w: []int{16, 32, 3, 3}},                         // the largest
	{x: []int{1, 16, 9, 9}, w: []int{16, 16, 1, 1}},                           // pointwise
	{x: []int{1, 8, 9, 9}, w: []int{8, 1, 3, 3}, group: 8},                    // depthwise
}

// takeScratch empties the shared scratch list and returns what it held.
func takeScratch() *[]float32 {
	select {
	case h := <-scratchFree:
		return h
	default:
		return nil
	}
}

// TestConvScratchFloatsIsWhatConvTakes: ConvScratchFloats gives the
// length of the buffer ConvFusedInto takes for each geometry (none where
// it says 0), so that ReserveScratch of their largest serves every one of
// them: run after it, the convolutions leave the list holding the very
// buffer reserved, where without it each larger one replaced the last and
// left it as garbage (1.9 MB in ResNet-18's first run).
func TestConvScratchFloatsIsWhatConvTakes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	random := func(shape []int) *tensor.Tensor {
		v := tensor.New(tensor.Float32, shape)
		for i := range v.F32 {
			v.F32[i] = float32(rng.NormFloat64())
		}
		return v
	}
	saved := takeScratch()
	defer func() {
		takeScratch()
		if saved != nil {
			putScratch(saved)
		}
	}()
	type conv struct {
		g    *ConvGeometry
		x, w *tensor.Tensor
	}
	var convs []conv
	largest, blocked := 0, 0
	for _, tc := range scratchCases {
		g, err := ResolveConv(tc.x, tc.w, ConvParams{Strides: tc.strides, Pads: tc.pads, Group: tc.group})
		if err != nil {
			t.Fatal(err)
		}
		c := conv{g, random(tc.x), random(tc.w)}
		convs = append(convs, c)
		want := ConvScratchFloats(g)
		takeScratch()
		if err := ConvFusedInto(tensor.New(tensor.Float32, g.OutShape()), c.x, c.w, nil, g, Epilogue{}); err != nil {
			t.Fatal(err)
		}
		got := 0
		if h := takeScratch(); h != nil {
			got = len(*h)
		}
		if got != want {
			t.Errorf("X %v W %v: ConvScratchFloats says %d, ConvFusedInto took %d", tc.x, tc.w, want, got)
		}
		if want > 0 {
			blocked++
		}
		largest = max(largest, want)
	}
	t.Logf("%d of %d convolutions take scratch here, the largest %d floats", blocked, len(convs), largest)
	if blocked == 0 {
		return
	}
	takeScratch()
	ReserveScratch(largest)
	h := takeScratch()
	if h == nil || len(*h) < largest {
		t.Fatalf("ReserveScratch(%d) left no buffer of that size", largest)
	}
	putScratch(h)
	data := &(*h)[:1][0]
	for _, c := range convs {
		if err := ConvFusedInto(tensor.New(tensor.Float32, c.g.OutShape()), c.x, c.w, nil, c.g, Epilogue{}); err != nil {
			t.Fatal(err)
		}
	}
	after := takeScratch()
	if after != h || &(*after)[:1][0] != data {
		t.Fatalf("after ReserveScratch(%d) a convolution allocated its own scratch", largest)
	}
}

// TestConvFusedIntoColTakesTheCallersScratch: given a col buffer,
// ConvFusedIntoCol unrolls into it and leaves the shared scratch alone
// (core/exec serves it from its arena), with the same bits as
// ConvFusedInto.
func TestConvFusedIntoColTakesTheCallersScratch(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 2))
	saved := takeScratch()
	defer func() {
		takeScratch()
		if saved != nil {
			putScratch(saved)
		}
	}()
	tried := 0
	for _, tc := range scratchCases {
		g, err := ResolveConv(tc.x, tc.w, ConvParams{Strides: tc.strides, Pads: tc.pads, Group: tc.group})
		if err != nil {
			t.Fatal(err)
		}
		n := ConvScratchFloats(g)
		if n == 0 {
			continue
		}
		tried++
		x, w := tensor.New(tensor.Float32, tc.x), tensor.New(tensor.Float32, tc.w)
		for _, v := range []*tensor.Tensor{x, w} {
			for i := range v.F32 {
				v.F32[i] = float32(rng.NormFloat64())
			}
		}
		want := tensor.New(tensor.Float32, g.OutShape())
		if err := ConvFusedInto(want, x, w, nil, g, Epilogue{}); err != nil {
			t.Fatal(err)
		}
		takeScratch()
		col := make([]float32, n)
		for i := range col {
			col[i] = float32(math.NaN()) // stale contents must not matter
		}
		got := tensor.New(tensor.Float32, g.OutShape())
		if err := ConvFusedIntoCol(got, x, w, nil, g, Epilogue{}, col); err != nil {
			t.Fatal(err)
		}
		if h := takeScratch(); h != nil {
			t.Errorf("X %v W %v: ConvFusedIntoCol took the shared scratch (%d floats) though given %d", tc.x, tc.w, len(*h), n)
		}
		for i := range want.F32 {
			if math.Float32bits(got.F32[i]) != math.Float32bits(want.F32[i]) {
				t.Fatalf("X %v W %v: y[%d] = %v with the caller's scratch, %v with the shared one", tc.x, tc.w, i, got.F32[i], want.F32[i])
			}
		}
	}
	t.Logf("%d convolutions take scratch here", tried)
}
