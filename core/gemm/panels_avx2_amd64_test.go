//go:build amd64 && !purego

package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPanelsAVX2MatchesSgemmAVX2 checks sgemmPanelsAVX2 against sgemmAVX2
// bit for bit: both run the same blocking and the same tile kernels, and a
// MatrixPanels writes exactly the micro-panels packBAVX2 does, so a
// convolution through nn.ColPanels gives the values its Im2Col path gave.
// The shapes cover one block of A (m <= avxMC, panels packed one at a
// time), several (m > avxMC, the whole B block packed at once), k past
// avxKC and n past avxNC, partial panels and beta 0 and 1.
func TestPanelsAVX2MatchesSgemmAVX2(t *testing.T) {
	skipWithoutAVX2(t)
	rng := rand.New(rand.NewPCG(21, 22))
	for _, s := range []gemmShape{{16, 1024, 144}, {64, 64, 576}, {6, 17, 3}, {150, 40, 300}, {145, 1041, 260}, {2, 5, 1}} {
		for _, transA := range []bool{false, true} {
			for _, beta := range []float32{0, 1} {
				a := randomMatrix(rng, s.m, s.k)
				if transA {
					a = randomMatrix(rng, s.k, s.m)
				}
				b := randomMatrix(rng, s.k, s.n)
				c0 := randomMatrix(rng, s.m, s.n)
				lda := s.k
				if transA {
					lda = s.m
				}
				want := append([]float32(nil), c0...)
				sgemmAVX2(transA, false, s.m, s.n, s.k, 0.75, a, lda, b, s.n, beta, want, s.n)
				got := append([]float32(nil), c0...)
				sgemmPanelsAVX2(transA, s.m, s.n, s.k, 0.75, a, lda, &MatrixPanels{B: b, LDB: s.n}, beta, got, s.n)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%v transA=%v beta=%v: C[%d] = %v, sgemmAVX2 gives %v", s, transA, beta, i, got[i], want[i])
					}
				}
			}
		}
	}
}
