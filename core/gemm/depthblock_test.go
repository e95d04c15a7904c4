package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDepthBlockSplitKeepsBits checks DepthBlock's promise on this
// platform's Sgemm: C = A*B + C computed over k in several calls, each
// DepthBlock deep but the last, gives the single call's bits, for both
// layouts of B and a last block shorter than the others.
func TestDepthBlockSplitKeepsBits(t *testing.T) {
	d := DepthBlock()
	if d == 0 {
		t.Skip("this platform's Sgemm has no fixed depth block")
	}
	rng := rand.New(rand.NewPCG(51, 52))
	for _, s := range []gemmShape{{16, 144, 4 * d}, {32, 288, 2*d + 17}, {2, 20, 3 * d}} {
		for _, transB := range []bool{false, true} {
			a := randomMatrix(rng, s.m, s.k)
			b := randomMatrix(rng, s.k, s.n) // k x n, or n x k read transposed
			ldb := s.n
			if transB {
				ldb = s.k
			}
			c0 := randomMatrix(rng, s.m, s.n)
			want := append([]float32(nil), c0...)
			Sgemm(false, transB, s.m, s.n, s.k, 1, a, s.k, b, ldb, 1, want, s.n)
			got := append([]float32(nil), c0...)
			for p := 0; p < s.k; p += d {
				kb := min(d, s.k-p)
				bp := b[p:] // rows of B^T start at column p
				if !transB {
					bp = b[p*ldb:]
				}
				Sgemm(false, transB, s.m, s.n, kb, 1, a[p:], s.k, bp, ldb, 1, got, s.n)
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v transB=%v: C[%d] = %v in blocks of %d, %v in one call", s, transB, i, got[i], d, want[i])
				}
			}
		}
	}
}
