package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/gemm"
)

// TestWeightGradTransposedMatchesGEMM: the weight gradient computed
// transposed (weightGradTransposed, then transposed back) equals dW +=
// dY * Im2Col(X)^T as one GEMM, bit for bit, onto a dW that already holds
// values, for ResNet-20's 3x3 and 1x1 downsampling shapes, its 3-channel
// stem (27 col rows: edge tiles), and a depth over the wasm kernel's
// 1024-deep single block (40x40: depth blocks of 256). It runs where
// convGrad takes that path (weightGradTransposes): wasm with and without
// the SIMD kernel, and pure-Go builds; natively the AVX2 GEMM splits the
// depth and keeps weightGradByColBlocks.
func TestWeightGradTransposedMatchesGEMM(t *testing.T) {
	if !weightGradTransposes(2, 2) {
		t.Skipf("Sgemm splits the depth at %d here: convGrad keeps weightGradByColBlocks", gemm.DepthBlock())
	}
	if weightGradTransposes(1, 9) || weightGradTransposes(8, 1) {
		t.Fatal("one output channel or one col row must keep the untransposed GEMM (the GEMV kernel adds in another order)")
	}
	rng := rand.New(rand.NewPCG(71, 72))
	for _, tc := range []struct {
		name        string
		c, m, hw, k int
		stride, pad int
	}{
		{"3x3_16c_32x32", 16, 16, 32, 3, 1, 1},
		{"3x3_32c_16x16", 32, 32, 16, 3, 1, 1},
		{"3x3_64c_8x8", 64, 64, 8, 3, 1, 1},
		{"3x3_s2_16c_32x32", 16, 32, 32, 3, 2, 1},
		{"1x1_s2_32c_16x16", 32, 64, 16, 1, 2, 0},
		{"3x3_3c_32x32", 3, 16, 32, 3, 1, 1},
		{"3x3_4c_5m_40x40", 4, 5, 40, 3, 1, 1},
	} {
		wc := newWeightGradCase(t, rng, tc.c, tc.m, tc.hw, tc.k, tc.stride, tc.pad)
		win, x, dy, dw0, col, want, ck := wc.win, wc.x, wc.dy, wc.dw0, wc.col, wc.want, wc.ck
		dwt := make([]float32, ck*tc.m)
		gemm.Transpose(dwt, dw0, tc.m, ck)
		clear(col) // weightGradTransposed unrolls the image itself
		weightGradTransposed(dwt, dy, x, col, tc.m, tc.c, win)
		got := make([]float32, tc.m*ck)
		gemm.Transpose(got, dwt, ck, tc.m)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: dW[%d] = %v transposed, %v by the GEMM", tc.name, i, got[i], want[i])
			}
		}
	}
}
