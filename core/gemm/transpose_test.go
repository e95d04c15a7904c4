package gemm

import (
	"math/rand"
	"testing"
)

// TestTransposeIsTheTranspose, on shapes the vector kernel's 4x4 blocks do
// and do not fill.
func TestTransposeIsTheTranspose(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, sh := range [][2]int{{1, 1}, {1, 9}, {9, 1}, {4, 4}, {5, 7}, {33, 17}, {144, 32}} {
		rows, cols := sh[0], sh[1]
		src := make([]float32, rows*cols)
		for i := range src {
			src[i] = float32(rng.NormFloat64())
		}
		dst := make([]float32, rows*cols)
		Transpose(dst, src, rows, cols)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				if dst[c*rows+r] != src[r*cols+c] {
					t.Fatalf("%dx%d: dst[%d][%d] = %v, want %v", rows, cols, c, r, dst[c*rows+r], src[r*cols+c])
				}
			}
		}
	}
}

// TestTransposedAMultipliesTheSame: Sgemm of op(A) = A^T gives the bits
// of Sgemm of the stored transpose (what the training engine relies on
// when TransposesAApart), for more than one row of op(A) and k within and
// beyond one k-block.
func TestTransposedAMultipliesTheSame(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, sh := range [][3]int{{9, 300, 1}, {144, 64, 32}, {32, 100, 300}, {7, 33, 1500}} {
		m, n, k := sh[0], sh[1], sh[2]
		a := make([]float32, k*m) // stored k x m: op(A) = A^T is m x k
		b := make([]float32, k*n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		at := make([]float32, m*k)
		Transpose(at, a, k, m)
		c1, c2 := make([]float32, m*n), make([]float32, m*n)
		Sgemm(true, false, m, n, k, 1, a, m, b, n, 0, c1, n)
		Sgemm(false, false, m, n, k, 1, at, k, b, n, 0, c2, n)
		if !equalBits(c1, c2) {
			t.Fatalf("%dx%dx%d: Sgemm with transA and of the transposed A differ", m, n, k)
		}
	}
}
