package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/nn"
)

// BenchmarkWeightGradPaths times one image's weight gradient of ResNet-20's
// three 3x3 shapes both ways the platform can take it, in one process: the
// col matrix unrolled and multiplied as A (weightGradTransposed), and read
// from the framed image (weightGradFrames: nn.FramedCol, SgemmShiftedA).
// Run it under wasm and natively:
//
//	go test ./core/train -run '^$' -bench WeightGradPaths
func BenchmarkWeightGradPaths(b *testing.B) {
	rng := rand.New(rand.NewPCG(65, 66))
	for _, s := range []struct{ c, hw int }{{16, 32}, {32, 16}, {64, 8}} {
		g, err := nn.ResolveConv([]int{1, s.c, s.hw, s.hw}, []int{s.c, s.c, 3, 3}, nn.ConvParams{Pads: []int{1, 1, 1, 1}})
		if err != nil {
			b.Fatal(err)
		}
		win := &g.Window
		ck, outSize := s.c*win.KernelSize(), win.OutSize()
		x, dy := make([]float32, s.c*win.InSize()), make([]float32, s.c*outSize)
		for _, v := range [][]float32{x, dy} {
			for i := range v {
				v[i] = float32(rng.NormFloat64())
			}
		}
		dwt := make([]float32, ck*s.c)
		b.Run(fmt.Sprintf("%dc_%dx%d/unrolled", s.c, s.hw, s.hw), func(b *testing.B) {
			col := make([]float32, ck*outSize)
			for range b.N {
				weightGradTransposed(dwt, dy, x, col, s.c, s.c, win)
			}
		})
		b.Run(fmt.Sprintf("%dc_%dx%d/framed", s.c, s.hw, s.hw), func(b *testing.B) {
			if !gemm.ShiftsAInPlace() {
				b.Skip("no kernel for a Shifted A on this platform")
			}
			f, _ := nn.NewFramedCol(g, s.c)
			frame := make([]float32, f.FrameFloats())
			for range b.N {
				gemm.SgemmShiftedA(ck, s.c, outSize, 1, f.Of(x, frame), true, dy, outSize, 1, dwt, s.c)
			}
		})
	}
}
