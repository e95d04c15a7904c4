package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The conformance table every SGEMM kernel must pass (in the manner of
// gonum's testblas): run it with testKernel(t, name, kernel). The kernel
// sees what Sgemm passes it: checked sizes, m and n > 0.

// gemmShape is one m x n x k problem.
type gemmShape struct{ m, n, k int }

// conformanceShapes covers empty and unit dimensions, primes, every
// remainder modulo the 4- and 8-wide tiles, non-square shapes, and sizes
// that cross the cache-blocking boundaries (kc=256, mc=64, nc=512).
var conformanceShapes = []gemmShape{
	{0, 0, 0}, {0, 3, 2}, {3, 0, 2}, {3, 2, 0}, {1, 1, 0},
	{1, 1, 1}, {1, 7, 1}, {7, 1, 1}, {1, 1, 9},
	{2, 3, 4}, {3, 5, 7}, {4, 4, 4}, {5, 5, 5}, {8, 8, 8}, {9, 9, 9},
	{4, 8, 3}, {8, 4, 11}, {3, 17, 2}, {17, 3, 13}, {12, 16, 1},
	{13, 31, 17}, {31, 13, 5}, {16, 33, 64}, {1, 64, 27}, {64, 1, 27},
	{37, 41, 43},
}

// largeShapes cross every blocking boundary; run with fewer variants.
var largeShapes = []gemmShape{
	{67, 521, 259}, {130, 9, 600}, {5, 1030, 3},
}

type alphaBeta struct{ alpha, beta float32 }

var alphaBetas = []alphaBeta{
	{1, 0}, {1, 1}, {0.5, -2}, {-1.5, 0.25}, {0, 0}, {0, 3},
}

// testKernel runs the conformance table against kernel.
func testKernel(t *testing.T, name string, kernel kernelFunc) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range conformanceShapes {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, pad := range []int{0, 3} {
				for _, ab := range alphaBetas {
					checkKernelCase(t, name, kernel, rng, s, tr[0], tr[1], pad, ab)
				}
			}
		}
	}
	for _, s := range largeShapes {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			checkKernelCase(t, name, kernel, rng, s, tr[0], tr[1], 1, alphaBeta{1, 0})
			checkKernelCase(t, name, kernel, rng, s, tr[0], tr[1], 0, alphaBeta{0.5, 1})
		}
	}
}

// checkKernelCase builds random operands with pad extra columns of row
// stride, fills C with NaN when beta is 0 (it must not be read) and with a
// sentinel in its padding (it must not be written), and compares with a
// float64 triple loop.
func checkKernelCase(t *testing.T, name string, kernel kernelFunc, rng *rand.Rand, s gemmShape, transA, transB bool, pad int, ab alphaBeta) {
	t.Helper()
	m, n, k := s.m, s.n, s.k
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+pad, bc+pad, n+pad
	a := randomMatrix(rng, ar, lda)
	b := randomMatrix(rng, br, ldb)
	const sentinel = -12345
	c := make([]float32, m*ldc)
	for i := range c {
		if i%ldc >= n {
			c[i] = sentinel
		} else if ab.beta == 0 {
			c[i] = float32(math.NaN())
		} else {
			c[i] = float32(rng.NormFloat64())
		}
	}
	a0 := append([]float32(nil), a...)
	b0 := append([]float32(nil), b...)
	c0 := append([]float32(nil), c...)

	checkSizes(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m > 0 && n > 0 {
		kernel(transA, transB, m, n, k, ab.alpha, a, lda, b, ldb, ab.beta, c, ldc)
	}

	desc := fmt.Sprintf("%s m=%d n=%d k=%d transA=%v transB=%v pad=%d alpha=%v beta=%v", name, m, n, k, transA, transB, pad, ab.alpha, ab.beta)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(a0[i]) {
			t.Fatalf("%s: A modified at %d", desc, i)
		}
	}
	for i := range b {
		if math.Float32bits(b[i]) != math.Float32bits(b0[i]) {
			t.Fatalf("%s: B modified at %d", desc, i)
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j < ldc; j++ {
			got := c[i*ldc+j]
			if j >= n {
				if got != sentinel {
					t.Fatalf("%s: wrote C[%d][%d] past column n (stride padding)", desc, i, j)
				}
				continue
			}
			var sum, mag float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if transA {
					av = float64(a[p*lda+i])
				} else {
					av = float64(a[i*lda+p])
				}
				if transB {
					bv = float64(b[j*ldb+p])
				} else {
					bv = float64(b[p*ldb+j])
				}
				sum += av * bv
				mag += math.Abs(av * bv)
			}
			want := float64(ab.alpha) * sum
			mag *= math.Abs(float64(ab.alpha))
			if ab.beta != 0 {
				want += float64(ab.beta) * float64(c0[i*ldc+j])
				mag += math.Abs(float64(ab.beta) * float64(c0[i*ldc+j]))
			}
			if math.IsNaN(float64(got)) || math.Abs(float64(got)-want) > 1e-5*mag+1e-6 {
				t.Fatalf("%s: C[%d][%d] = %v, want %v", desc, i, j, got, want)
			}
		}
	}
}

func randomMatrix(rng *rand.Rand, rows, ld int) []float32 {
	x := make([]float32, rows*ld)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func TestConformanceReference(t *testing.T) { testKernel(t, "sgemmRef", sgemmRef) }

func TestConformanceBlocked(t *testing.T) { testKernel(t, "sgemmBlocked", sgemmBlocked) }

// TestConformanceDispatched runs the table against whatever kernel Sgemm
// uses on this platform.
func TestConformanceDispatched(t *testing.T) { testKernel(t, "sgemm", sgemm) }

// panelKernel runs a SgemmPanels implementation as a kernelFunc, with B
// behind a MatrixPanels, so the conformance table covers the panel paths
// (every layout of B, since MatrixPanels serves the transposed one too).
func panelKernel(kernel panelKernelFunc) kernelFunc {
	return func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		kernel(transA, m, n, k, alpha, a, lda, &MatrixPanels{B: b, LDB: ldb, Trans: transB}, beta, c, ldc)
	}
}

func TestConformancePanelsDense(t *testing.T) {
	testKernel(t, "sgemmPanelsDense", panelKernel(sgemmPanelsDense))
}

// TestConformancePanelsDispatched runs the table against the panel kernel
// SgemmPanels uses on this platform.
func TestConformancePanelsDispatched(t *testing.T) {
	testKernel(t, "sgemmPanels", panelKernel(sgemmPanels))
}
