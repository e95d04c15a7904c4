package gemm

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// shiftedKernel runs SgemmShifted as a kernelFunc for the conformance
// table: B (transposed into a plain k x n matrix first when transB) is a
// Shifted with one offset per row, split into output rows of 8 columns
// where n is a whole number of 16-column tiles, so that the platform's
// in-place kernel takes it (each tile spanning two output rows).
func shiftedKernel(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if transB {
		dense := make([]float32, k*n)
		for p := 0; p < k; p++ {
			for j := 0; j < n; j++ {
				dense[p*n+j] = b[j*ldb+p]
			}
		}
		b, ldb = dense, n
	}
	width := n
	if n%16 == 0 {
		width = 8
	}
	s := &Shifted{Frame: b, Offsets: make([]int32, k), Width: width, Stride: width}
	for p := range s.Offsets {
		s.Offsets[p] = int32(p * ldb)
	}
	if k == 0 {
		s.Frame = nil
	}
	SgemmShifted(transA, m, n, k, alpha, a, lda, s, beta, c, ldc)
}

func TestConformanceShifted(t *testing.T) { testKernel(t, "SgemmShifted", shiftedKernel) }

// shiftedCase is a convolution-like Shifted: a frame of random values,
// output rows of width columns stride apart, offsets anywhere that keeps
// every value inside the frame.
func shiftedCase(rng *rand.Rand, k, rows, width, stride int) *Shifted {
	span := (rows-1)*stride + width
	s := &Shifted{Frame: randomMatrix(rng, 1, span+3*k+7), Offsets: make([]int32, k), Width: width, Stride: stride}
	for p := range s.Offsets {
		s.Offsets[p] = int32(rng.IntN(len(s.Frame) - span + 1))
	}
	return s
}

// dense is s as a stored k x n matrix.
func (s *Shifted) dense(k, n int) []float32 {
	b := make([]float32, k*n)
	for p := 0; p < k; p++ {
		for j := 0; j < n; j++ {
			b[p*n+j] = s.Frame[s.at(p, j)]
		}
	}
	return b
}

// TestSgemmShiftedMatchesPanels: reading B in place gives SgemmPanels'
// bits on the same B stored, for tiles of every row count (1-6 and whole
// blocks of A past avxMC), depths across the avxKC block, output rows of
// one to three tiles with gaps between them, rows of 8 and 24 (a tile
// spans two output rows), and beta 0 over NaN.
func TestSgemmShiftedMatchesPanels(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, m := range []int{1, 2, 3, 4, 5, 6, 7, 16, 22, 150} {
		for _, k := range []int{1, 3, 9, 256, 257, 600} {
			for _, g := range []struct{ rows, width, stride int }{{1, 16, 16}, {3, 16, 18}, {2, 32, 34}, {1, 48, 48}, {4, 32, 32}, {8, 8, 10}, {2, 8, 8}, {2, 24, 26}} {
				for _, ab := range []alphaBeta{{1, 0}, {0.5, 1.5}} {
					if m > 16 && k > 9 && g.rows > 2 {
						continue // the large cases once each is enough
					}
					n := g.rows * g.width
					s := shiftedCase(rng, k, g.rows, g.width, g.stride)
					a := randomMatrix(rng, m, k)
					c0 := randomMatrix(rng, m, n)
					if ab.beta == 0 {
						for i := range c0 {
							c0[i] = float32(nanBits())
						}
					}
					got := append([]float32(nil), c0...)
					want := append([]float32(nil), c0...)
					SgemmShifted(false, m, n, k, ab.alpha, a, k, s, ab.beta, got, n)
					SgemmPanels(false, m, n, k, ab.alpha, a, k, &MatrixPanels{B: s.dense(k, n), LDB: n}, ab.beta, want, n)
					if !equalBits(got, want) {
						t.Fatalf("m=%d k=%d rows=%d width=%d stride=%d alpha=%v beta=%v: SgemmShifted differs from SgemmPanels", m, k, g.rows, g.width, g.stride, ab.alpha, ab.beta)
					}
				}
			}
		}
	}
}

func nanBits() float32 {
	var z float32
	return z / z
}

// TestSgemmShiftedChecksTheFrame: an offset that would read past either
// end of the frame panics with a message, before any kernel runs.
func TestSgemmShiftedChecksTheFrame(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Shifted
		want string
	}{
		{"past the end", Shifted{Frame: make([]float32, 64), Offsets: []int32{0, 33}, Width: 16, Stride: 16}, "reads [0, 64] of a 64-value frame"},
		{"before the start", Shifted{Frame: make([]float32, 64), Offsets: []int32{-1, 0}, Width: 16, Stride: 16}, "reads [-1, 31] of a 64-value frame"},
		{"too few offsets", Shifted{Frame: make([]float32, 64), Offsets: []int32{0}, Width: 16, Stride: 16}, "1 offsets for 2 rows"},
		{"stride under width", Shifted{Frame: make([]float32, 64), Offsets: []int32{0, 0}, Width: 16, Stride: 8}, "stride 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), tc.want) {
					t.Fatalf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			c := make([]float32, 2*32)
			SgemmShifted(false, 2, 32, 2, 1, make([]float32, 4), 2, &tc.s, 0, c, 32)
		})
	}
}

// TestSgemmShiftedAMatchesSgemm: reading A from the frame (AVX2: packing
// its micro-panels; wasm: sgemm_shifted_a's row pointers) gives Sgemm's
// bits on the same A stored: row counts that fill 6- and 4-row panels or
// not and span blocks of avxMC, one row (Sgemm's GEMV), depths across
// avxKC and wasm's k-blocks (past 1,024: blocks of 256 that start inside
// an output row of 28), output rows of widths that split the 4-step loop
// anywhere, column blocks, both layouts of B.
func TestSgemmShiftedAMatchesSgemm(t *testing.T) {
	if !ShiftsAInPlace() {
		t.Skip("no kernel for a Shifted A on this platform (SgemmShiftedA reports false)")
	}
	rng := rand.New(rand.NewPCG(9, 13))
	for _, m := range []int{1, 2, 5, 6, 7, 16, 144, 150, 300} {
		for _, n := range []int{1, 16, 20, 300} {
			for _, g := range []struct{ k, width, stride int }{{1, 1, 1}, {7, 7, 9}, {64, 8, 10}, {256, 32, 34}, {300, 5, 5}, {600, 16, 18}, {1120, 28, 30}} {
				for _, transB := range []bool{false, true} {
					if m > 16 && g.k > 64 && n != 16 || n == 300 && (m > 7 || g.k > 300 && g.k != 1120) {
						continue
					}
					s := shiftedCase(rng, m, (g.k+g.width-1)/g.width, g.width, g.stride)
					b := randomMatrix(rng, g.k, n)
					ldb := n
					if transB {
						b, ldb = randomMatrix(rng, n, g.k), g.k
					}
					c0 := randomMatrix(rng, m, n)
					got := append([]float32(nil), c0...)
					want := append([]float32(nil), c0...)
					if !SgemmShiftedA(m, n, g.k, 1, s, transB, b, ldb, 1, got, n) {
						t.Fatal("SgemmShiftedA refused where ShiftsAInPlace holds")
					}
					Sgemm(false, transB, m, n, g.k, 1, s.dense(m, g.k), g.k, b, ldb, 1, want, n)
					if !equalBits(got, want) {
						t.Fatalf("m=%d n=%d k=%d width=%d stride=%d transB=%v: SgemmShiftedA differs from Sgemm", m, n, g.k, g.width, g.stride, transB)
					}
				}
			}
		}
	}
}
