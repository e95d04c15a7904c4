package gemm

import (
	"math"
	"math/rand"
	"testing"
)

// matrixPanels is a PanelSource over a stored row-major k x n matrix.
type matrixPanels struct {
	b []float32
	n int
}

func (m matrixPanels) Panels(dst []float32, p0, kb, j0, nb, width int) {
	for t := 0; t*width < nb; t++ {
		for r := 0; r < kb; r++ {
			row := dst[(t*kb+r)*width : (t*kb+r+1)*width]
			for q := range row {
				row[q] = 0
				if col := t*width + q; col < nb {
					row[q] = m.b[(p0+r)*m.n+j0+col]
				}
			}
		}
	}
}

// qgemmCase is A's codes and scales and B's codes and step.
type qgemmCase struct {
	m, n, k int
	codesA  []int16
	alpha   []float32
	codesB  []int32
	step    float32
}

func newQgemmCase(rng *rand.Rand, m, n, k, maxA, maxB int) *qgemmCase {
	q := &qgemmCase{m: m, n: n, k: k, codesA: make([]int16, m*k), alpha: make([]float32, m), codesB: make([]int32, k*n)}
	for i := range q.codesA {
		q.codesA[i] = int16(rng.Intn(2*maxA+1) - maxA)
	}
	for i := range q.alpha {
		q.alpha[i] = float32(rng.Float64()*0.02 + 1e-4)
	}
	for i := range q.codesB {
		q.codesB[i] = int32(rng.Intn(2*maxB+1) - maxB)
	}
	q.step = float32(rng.Float64()*0.1 + 1e-3)
	return q
}

// b is B as the activation a QDQ model computes: code * step in float32.
func (q *qgemmCase) b() []float32 {
	b := make([]float32, len(q.codesB))
	for i, c := range q.codesB {
		b[i] = float32(c) * q.step
	}
	return b
}

// want is Qgemm's contract: the exact integer sum, converted to float32,
// times the row's scale, added to c0 when acc.
func (q *qgemmCase) want(c0 []float32, acc bool) []float32 {
	out := make([]float32, q.m*q.n)
	for r := 0; r < q.m; r++ {
		for j := 0; j < q.n; j++ {
			var s int64
			for p := 0; p < q.k; p++ {
				s += int64(q.codesA[r*q.k+p]) * int64(q.codesB[p*q.n+j])
			}
			v := float32(float32(int32(s)) * q.alpha[r])
			if acc {
				v = float32(c0[r*q.n+j] + v)
			}
			out[r*q.n+j] = v
		}
	}
	return out
}

// TestQgemmIsTheExactIntegerProduct: where the platform has the integer
// kernel, Qgemm and QgemmPanels give the exact int32 sum scaled per row,
// to the bit, on tile edges (m, n not multiples of 4 and 8), odd depths and
// depths that take several column blocks; elsewhere they refuse and leave
// C as it was.
func TestQgemmIsTheExactIntegerProduct(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	shapes := [][3]int{{1, 1, 1}, {3, 7, 2}, {4, 8, 3}, {5, 9, 37}, {61, 250, 37}, {16, 300, 64}, {8, 1100, 5}, {32, 196, 576}, {6, 40, 1501}}
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		q := newQgemmCase(rng, m, n, k, 127, 255)
		a, err := NewQuantA(q.codesA, m, k, q.alpha)
		if err != nil {
			t.Fatal(err)
		}
		b := q.b()
		for _, acc := range []bool{false, true} {
			for _, viaPanels := range []bool{false, true} {
				c := make([]float32, m*n)
				for i := range c {
					c[i] = float32(rng.NormFloat64())
				}
				c0 := append([]float32(nil), c...)
				var ok bool
				if viaPanels {
					ok = QgemmPanels(a, n, matrixPanels{b, n}, 1/q.step, acc, c, n)
				} else {
					ok = Qgemm(a, n, b, n, 1/q.step, acc, c, n)
				}
				if !IntegerKernel() {
					if ok || !equalBits(c, c0) {
						t.Fatalf("%dx%dx%d: no integer kernel here, yet Qgemm reported %v or changed C", m, n, k, ok)
					}
					continue
				}
				if !ok {
					t.Fatalf("%dx%dx%d acc=%v panels=%v: refused codes within the limit", m, n, k, acc, viaPanels)
				}
				want := q.want(c0, acc)
				for i := range want {
					if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%dx%dx%d acc=%v panels=%v: C[%d][%d] = %v, want %v", m, n, k, acc, viaPanels, i/n, i%n, c[i], want[i])
					}
				}
			}
		}
	}
}

// TestQgemmRefusesWhatItCannotSumExactly: a NaN in B, a code one past
// BLimit, and a value that is not code * step beyond rounding... the last
// is the caller's promise; the first two are checked.
func TestQgemmRefusesWhatItCannotSumExactly(t *testing.T) {
	if !IntegerKernel() {
		t.Skip("no integer kernel on this platform (the float GEMM serves quantized models here)")
	}
	const m, n, k = 5, 20, 1000
	codes := make([]int16, m*k)
	for i := range codes {
		codes[i] = 32767
	}
	a, err := NewQuantA(codes, m, k, []float32{1, 1, 1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.BLimit(), math.MaxInt32/(k*32767); got != want {
		t.Fatalf("BLimit = %d, want %d", got, want)
	}
	for _, tc := range []struct {
		name string
		v    float32
		ok   bool
	}{
		{"the limit", float32(a.BLimit()), true},
		{"minus the limit", -float32(a.BLimit()), true},
		{"one past the limit", float32(a.BLimit() + 1), false},
		{"NaN", float32(math.NaN()), false},
		{"+Inf", float32(math.Inf(1)), false},
	} {
		b := make([]float32, k*n)
		b[(k-1)*n+n-1] = tc.v // the last value the packer reaches
		c := make([]float32, m*n)
		if got := Qgemm(a, n, b, n, 1, false, c, n); got != tc.ok {
			t.Errorf("%s: Qgemm reported %v, want %v", tc.name, got, tc.ok)
		}
	}
}

// TestNewQuantAChecksItsOperands: shapes that disagree, the one int16
// with no negation, and a depth that leaves B no room in int32.
func TestNewQuantAChecksItsOperands(t *testing.T) {
	if _, err := NewQuantA(make([]int16, 5), 2, 3, []float32{1, 1}); err == nil {
		t.Error("5 codes for 2 x 3: no error")
	}
	if _, err := NewQuantA(make([]int16, 6), 2, 3, []float32{1}); err == nil {
		t.Error("one scale for two rows: no error")
	}
	if _, err := NewQuantA([]int16{math.MinInt16}, 1, 1, []float32{1}); err == nil {
		t.Error("code -32768: no error")
	}
	deep := make([]int16, 70000)
	for i := range deep {
		deep[i] = 32767
	}
	if _, err := NewQuantA(deep, 1, len(deep), []float32{1}); err == nil {
		t.Error("70000 codes of 32767: no error, though one B code of 1 overflows int32")
	}
	a, err := NewQuantA(make([]int16, 6), 2, 3, []float32{1, 2})
	if err != nil || a.BLimit() != math.MaxInt16 || a.Rows() != 2 || a.Depth() != 3 {
		t.Errorf("zero codes: %v, BLimit %d", err, a.BLimit())
	}
	codes := []int16{1, -2, 3, 4, 5, -6, 7, 8, 9, 10, 11, -12, 13, 14, 15} // 5 x 3: a strip and a part
	a, err = NewQuantA(codes, 5, 3, []float32{1, 1, 1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range a.Codes() {
		if c != codes[i] {
			t.Fatalf("Codes()[%d] = %d, packed %d", i, c, codes[i])
		}
	}
}

func equalBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestQgemmAllocatesNothing: once its scratch has grown, a call allocates
// nothing (a QDQ model's run makes one per image and convolution).
func TestQgemmAllocatesNothing(t *testing.T) {
	if !IntegerKernel() {
		t.Skip("no integer kernel on this platform")
	}
	q := newQgemmCase(rand.New(rand.NewSource(5)), 16, 300, 64, 127, 15)
	a, err := NewQuantA(q.codesA, q.m, q.k, q.alpha)
	if err != nil {
		t.Fatal(err)
	}
	b, c := q.b(), make([]float32, q.m*q.n)
	var src PanelSource = matrixPanels{b, q.n} // converted once: the call would allocate the interface
	if n := testing.AllocsPerRun(20, func() {
		Qgemm(a, q.n, b, q.n, 1/q.step, false, c, q.n)
		QgemmPanels(a, q.n, src, 1/q.step, true, c, q.n)
	}); n != 0 {
		t.Errorf("%v allocations per call pair", n)
	}
}
