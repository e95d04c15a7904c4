package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/tensor"
)

func sqrt64(x float64) float64 { return math.Sqrt(x) }

func TestMatMulNumpySemantics(t *testing.T) {
	cases := []struct{ a, b, out []int }{
		{[]int{3}, []int{3}, []int{}},
		{[]int{3}, []int{3, 4}, []int{4}},
		{[]int{2, 3}, []int{3}, []int{2}},
		{[]int{2, 3}, []int{3, 4}, []int{2, 4}},
		{[]int{5, 2, 3}, []int{3, 4}, []int{5, 2, 4}},
		{[]int{2, 3}, []int{5, 3, 4}, []int{5, 2, 4}},
		{[]int{2, 1, 2, 3}, []int{3, 3, 1}, []int{2, 3, 2, 1}},
		{[]int{5, 1, 3}, []int{1, 5, 3, 2}, []int{1, 5, 1, 2}},
		{[]int{2, 3, 4, 5}, []int{5}, []int{2, 3, 4}},
		{[]int{0, 3}, []int{3, 2}, []int{0, 2}},
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range cases {
		a, b := randTensor(rng, tc.a...), randTensor(rng, tc.b...)
		y, err := MatMul(a, b)
		if err != nil {
			t.Fatalf("%v x %v: %v", tc.a, tc.b, err)
		}
		if !slices.Equal(y.Shape, tc.out) {
			t.Fatalf("%v x %v: shape %v, want %v", tc.a, tc.b, y.Shape, tc.out)
		}
		assertClose(t, fmt.Sprintf("matmul %v x %v", tc.a, tc.b), y.F32, naiveMatMul(a, b, tc.out))
	}
	for _, bad := range [][2][]int{{{2, 3}, {4, 2}}, {{2, 2, 3}, {3, 3, 2}}, {{}, {3}}} {
		if _, err := MatMulShape(bad[0], bad[1]); err == nil {
			t.Errorf("%v x %v accepted", bad[0], bad[1])
		}
	}
}

// naiveMatMul broadcasts by explicit index arithmetic.
func naiveMatMul(a, b *tensor.Tensor, out []int) []float32 {
	as, bs := promoteMatMul(a.Shape, b.Shape)
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	batch, _ := broadcastBatch(as[:len(as)-2], bs[:len(bs)-2])
	y := make([]float32, 0, product(out))
	pick := func(shape []int, idx []int) int { // broadcast batch index -> operand matrix index
		o := 0
		for i := range shape {
			j := idx[len(idx)-len(shape)+i]
			if shape[i] == 1 {
				j = 0
			}
			o = o*shape[i] + j
		}
		return o
	}
	emit := func(idx []int) {
		ai, bi := pick(as[:len(as)-2], idx), pick(bs[:len(bs)-2], idx)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s float64
				for p := 0; p < k; p++ {
					s += float64(a.F32[ai*m*k+i*k+p]) * float64(b.F32[bi*k*n+p*n+j])
				}
				y = append(y, float32(s))
			}
		}
	}
	if len(batch) == 0 {
		emit(nil)
	} else {
		forEachIndex(batch, emit)
	}
	return y
}

func TestGemmBroadcastsC(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		for _, cs := range [][]int{nil, {}, {1}, {5}, {1, 5}, {4, 1}, {4, 5}} {
			as, bs := []int{4, 3}, []int{3, 5}
			if tr[0] {
				as = []int{3, 4}
			}
			if tr[1] {
				bs = []int{5, 3}
			}
			a, b := randTensor(rng, as...), randTensor(rng, bs...)
			var c *tensor.Tensor
			if cs != nil {
				c = randTensor(rng, cs...)
			}
			p := GemmParams{TransA: tr[0], TransB: tr[1], Alpha: 0.5, Beta: -2}
			y, err := Gemm(a, b, c, p)
			if err != nil {
				t.Fatalf("C %v: %v", cs, err)
			}
			want := make([]float32, 20)
			for i := 0; i < 4; i++ {
				for j := 0; j < 5; j++ {
					var s float64
					for q := 0; q < 3; q++ {
						av, bv := a.F32[i*3+q], b.F32[q*5+j]
						if tr[0] {
							av = a.F32[q*4+i]
						}
						if tr[1] {
							bv = b.F32[j*3+q]
						}
						s += float64(av) * float64(bv)
					}
					v := 0.5 * s
					if c != nil {
						ci := 0
						switch {
						case len(cs) == 2 && cs[0] == 4 && cs[1] == 5:
							ci = i*5 + j
						case len(cs) == 2 && cs[0] == 4:
							ci = i
						case len(cs) >= 1 && cs[len(cs)-1] == 5:
							ci = j
						}
						v += -2 * float64(c.F32[ci])
					}
					want[i*5+j] = float32(v)
				}
			}
			assertClose(t, fmt.Sprintf("gemm trans=%v C=%v", tr, cs), y.F32, want)
		}
	}
	if _, err := GemmShape([]int{4, 3}, []int{3, 5}, []int{3, 5}, GemmParams{}); err == nil {
		t.Fatal("C 3x5 accepted for a 4x5 output")
	}
}
