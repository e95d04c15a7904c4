package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

// TestIm2ColRowsAreBlocksOfIm2Col: every block of output rows Im2ColRows
// writes equals the same columns of Im2Col's whole matrix, for every conv
// case (1-D, 2-D and 3-D, strides, dilations, uneven pads), blocks of
// every height, so blocks that start inside the top padding, past it, and
// that end in the bottom padding are all covered.
func TestIm2ColRowsAreBlocksOfIm2Col(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for i, tc := range convCases {
		g, err := ResolveConv(tc.x, tc.w, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		ch := g.InChannels / g.Group
		img := randTensor(rng, ch*g.InSize()).F32
		k, outSize := ch*g.KernelSize(), g.OutSize()
		whole := make([]float32, k*outSize)
		Im2Col(whole, img, ch, &g.Window)
		rowLen := outSize / g.Out[0]
		for step := 1; step <= g.Out[0]; step++ {
			for lo := 0; lo < g.Out[0]; lo += step {
				hi := min(lo+step, g.Out[0])
				cols := (hi - lo) * rowLen
				block := make([]float32, k*cols)
				for j := range block {
					block[j] = float32(j) // stale values Im2ColRows must overwrite
				}
				Im2ColRows(block, img, ch, &g.Window, lo, hi)
				for r := 0; r < k; r++ {
					want := whole[r*outSize+lo*rowLen : r*outSize+hi*rowLen]
					if got := block[r*cols : (r+1)*cols]; !slices.Equal(got, want) {
						t.Fatalf("case %d %+v, rows [%d, %d), col row %d: %v, Im2Col has %v", i, tc.p, lo, hi, r, got, want)
					}
				}
			}
		}
	}
}

// TestConvInColBlocksMatchesDefinition: convolutions whose col matrix is
// larger than colBlockFloats, so Conv unrolls it in several blocks of
// output rows (rows a multiple of 8 wide are avoided: under wasm those go
// through ColPanels instead), still give the definition's result, and the
// scratch kept afterwards holds one block, not the whole matrix.
func TestConvInColBlocksMatchesDefinition(t *testing.T) {
	cases := []convCase{
		{[]int{1, 64, 42, 42}, []int{8, 64, 3, 3}, ConvParams{Pads: []int{1, 1, 1, 1}}, true},
		{[]int{1, 128, 45, 45}, []int{6, 128, 3, 3}, ConvParams{Strides: []int{2, 2}, Pads: []int{1, 0, 2, 1}}, false},
		{[]int{1, 96, 30, 31}, []int{4, 48, 3, 3}, ConvParams{Group: 2, Dilations: []int{2, 1}, Pads: []int{2, 1, 2, 1}}, true},
		{[]int{1, 300, 1500}, []int{4, 300, 3}, ConvParams{Pads: []int{1, 1}}, true}, // 1-D
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for i, tc := range cases {
		g, err := ResolveConv(tc.x, tc.w, tc.p)
		if err != nil {
			t.Fatal(err)
		}
		k := g.InChannels / g.Group * g.KernelSize()
		rows := colBlockRows(k, &g.Window)
		if rows >= g.Out[0] {
			t.Fatalf("case %d: one block of %d rows covers all %d: the case does not test blocking", i, rows, g.Out[0])
		}
		x, w := randTensor(rng, tc.x...), randTensor(rng, tc.w...)
		var b *tensor.Tensor
		if tc.withBias {
			b = randTensor(rng, tc.w[0])
		}
		// Drain the free list so the scratch seen below is this conv's.
		select {
		case <-scratchFree:
		default:
		}
		y, err := Conv(x, w, b, tc.p)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		assertClose(t, fmt.Sprintf("blocked conv case %d %+v", i, tc.p), y.F32, naiveConv(x, w, b, g))
		select {
		case h := <-scratchFree:
			if limit := k * rows * (g.OutSize() / g.Out[0]); cap(*h) > limit || cap(*h) >= k*g.OutSize() {
				t.Errorf("case %d: scratch of %d floats kept, want one block (%d) of the %d-float col matrix", i, cap(*h), limit, k*g.OutSize())
			}
		default:
			if !colPanelsUsed(g) {
				t.Errorf("case %d: Conv returned no scratch", i)
			}
		}
	}
}

// colPanelsUsed reports whether Conv gathers g's col matrix into the GEMM's
// panels (no scratch) on this platform.
func colPanelsUsed(g *ConvGeometry) bool {
	var s ColPanels
	return s.Reset(g.InChannels/g.Group, &g.Window) && s.gathersFast()
}
