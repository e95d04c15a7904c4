package qil

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// continuousWeight is sum(r * w_q) without rounding: the function whose
// derivative weightGrads(..., false) must be.
// Per-channel intervals apply a.c[k], a.d[k] to the k-th block of a.inner
// weights.
func continuousWeight(a weightArgs, r []float32) float64 {
	total := 0.0
	for i, v := range a.w.F32 {
		k := i / a.inner
		c, d := float64(a.c[k]), float64(a.d[k])
		t := transformWeight(math.Abs(float64(v)), c, d, float64(a.gamma)).t
		if v < 0 {
			t = -t
		}
		total += float64(r[i]) * (c + d) * t
	}
	return total
}

func continuousAct(a actArgs, r []float32) float64 {
	g := newActGrid(a.c, a.d, a.grid.q)
	lo, width := float64(g.lo), float64(g.width)
	total := 0.0
	for i, v := range a.x.F32 {
		x, s := float64(v), 1.0
		if a.signed {
			x, s = math.Abs(x), float64(sign32(v))
		}
		total += float64(r[i]) * s * min(max(x-lo, 0), width)
	}
	return total
}

func randomValues(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

// central returns the central difference of f around *p, in float64 on a
// float32 parameter.
func central(p *float32, eps float64, f func() float64) float64 {
	v := *p
	*p = float32(float64(v) + eps)
	up := f()
	*p = float32(float64(v) - eps)
	down := f()
	*p = v
	return (up - down) / (2 * eps)
}

func near(got, want float64) bool { return math.Abs(got-want) <= 1e-3*max(1, math.Abs(want)) }

// TestWeightTransformerGradients checks d/dc, d/dd, d/dgamma and d/dw of
// the weight transformer against finite differences, for gamma below,
// at and above 1.
func TestWeightTransformerGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, gamma := range []float32{0.7, 1, 1.6} {
		a := weightArgs{w: tensor.FromF32([]int{64}, randomValues(r, 64, 0.5)), c: []float32{0.45}, d: []float32{0.3}, inner: 64, gamma: gamma, q: 7}
		dy := randomValues(r, 64, 1)
		dw, dc, dd, dg := weightGrads(a, dy, false, nil, nil)
		f := func() float64 { return continuousWeight(a, dy) }
		for _, c := range []struct {
			name string
			p    *float32
			got  float64
		}{{"c", &a.c[0], dc[0]}, {"d", &a.d[0], dd[0]}, {"gamma", &a.gamma, dg}} {
			if num := central(c.p, 1e-3, f); !near(c.got, num) {
				t.Errorf("gamma %v: d/d%s = %v, finite differences %v", gamma, c.name, c.got, num)
			}
		}
		for i := range a.w.F32 {
			lo, hi := float64(a.c[0]-a.d[0]), float64(a.c[0]+a.d[0])
			if m := math.Abs(float64(a.w.F32[i])); math.Abs(m-lo) < 2e-3 || math.Abs(m-hi) < 2e-3 {
				continue // a kink of the transformer: no derivative
			}
			if num := central(&a.w.F32[i], 1e-3, f); !near(float64(dw[i]), num) {
				t.Errorf("gamma %v: d/dw[%d] = %v, finite differences %v", gamma, i, dw[i], num)
			}
		}
	}
}

func TestActTransformerGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, signed := range []bool{false, true} {
		x := randomValues(r, 64, 1)
		if !signed {
			for i := range x {
				x[i] = float32(math.Abs(float64(x[i])))
			}
		}
		a := actArgs{x: tensor.FromF32([]int{64}, x), c: 0.8, d: 0.6, signed: signed}
		a.grid = newActGrid(a.c, a.d, actSteps(3, signed))
		dy := randomValues(r, 64, 1)
		dx, dc, dd := actGrads(a, dy, false)
		f := func() float64 { a.grid = newActGrid(a.c, a.d, a.grid.q); return continuousAct(a, dy) }
		if num := central(&a.c, 1e-3, f); !near(dc, num) {
			t.Errorf("signed %v: d/dc = %v, finite differences %v", signed, dc, num)
		}
		if num := central(&a.d, 1e-3, f); !near(dd, num) {
			t.Errorf("signed %v: d/dd = %v, finite differences %v", signed, dd, num)
		}
		for i := range x {
			m := math.Abs(float64(x[i]))
			if math.Abs(m-0.2) < 2e-3 || math.Abs(m-1.4) < 2e-3 {
				continue
			}
			if num := central(&a.x.F32[i], 1e-3, f); !near(float64(dx[i]), num) {
				t.Errorf("signed %v: d/dx[%d] = %v, finite differences %v", signed, i, dx[i], num)
			}
		}
	}
}

// TestStraightThroughOnlyAtRounding pins that the discretizer's
// gradient differs from the continuous one only where the rounded level
// enters (the output scale's factor), and that d/dx and d/dc are the
// transformer's exactly.
func TestStraightThroughOnlyAtRounding(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	a := actArgs{x: tensor.FromF32([]int{200}, randomValues(r, 200, 1)), c: 0.7, d: 0.5}
	a.grid = newActGrid(a.c, a.d, actSteps(2, false))
	dy := randomValues(r, 200, 1)
	dx1, dc1, _ := actGrads(a, dy, false)
	dx2, dc2, _ := actGrads(a, dy, true)
	if dc1 != dc2 {
		t.Fatalf("d/dc differs with rounding: %v vs %v", dc1, dc2)
	}
	nonzero := 0
	for i := range dx1 {
		if dx1[i] != dx2[i] {
			t.Fatalf("d/dx[%d] differs with rounding", i)
		}
		if dx1[i] != 0 {
			nonzero++
			if dx1[i] != dy[i] {
				t.Fatalf("inside the interval d/dx = %v, want the incoming %v (straight through)", dx1[i], dy[i])
			}
		}
	}
	if nonzero == 0 || nonzero == len(dx1) {
		t.Fatalf("%d of %d inputs inside the interval; the test needs both kinds", nonzero, len(dx1))
	}
}

// TestActKernelMatchesTheGrid: the activation quantizer's kernel (the
// executor's fused pass, SIMD where there is one) gives each value the
// grid's level in float32 arithmetic, k = roundEven(clip(x - lo, 0,
// width) / step), times step, the sign restored in the signed variant,
// on random values and on the edges: exact half steps (ties to even),
// the pruning and clipping thresholds, zero, and values far outside;
// with lo > 0 and lo = 0 (no Sub), at 2 and 8 bits.
func TestActKernelMatchesTheGrid(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, signed := range []bool{false, true} {
		for _, iv := range [][2]float32{{0.7, 0.5}, {0.4, 0.4}} {
			for _, bits := range []int64{2, 8} {
				g := newActGrid(iv[0], iv[1], actSteps(int(bits), signed))
				x := randomValues(r, 1000, 1)
				for k := 0; k <= g.q; k++ {
					x = append(x, g.lo+(float32(k)+0.5)*g.step, g.lo+float32(k)*g.step, -(g.lo + (float32(k)+0.5)*g.step))
				}
				x = append(x, 0, g.lo, g.lo+g.width, -g.lo-g.width, 1e6, -1e6)
				got, err := runNode(t, bitsNode(OpAct, bits, map[bool]int64{false: 0, true: 1}[signed]), tensor.FromF32([]int{len(x)}, x), one(iv[0]), one(iv[1]))
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range x {
					m, s := v, float32(1)
					if signed {
						m, s = float32(math.Abs(float64(v))), sign32(v)
					}
					u := min(max(m-g.lo, 0), g.width)
					want := float32(math.RoundToEven(float64(u/g.step))) * g.step * s
					if got.F32[i] != want {
						t.Fatalf("signed %v, interval %v, %d bits: x = %v gives %v, want %v", signed, iv, bits, v, got.F32[i], want)
					}
				}
			}
		}
	}
}

func runNode(t *testing.T, n *onnx.Node, in ...*tensor.Tensor) (*tensor.Tensor, error) {
	t.Helper()
	out, err := exec.EvalNode(n, 1, in)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

func one(v float32) *tensor.Tensor { return tensor.FromF32([]int{1}, []float32{v}) }

func bitsNode(op string, bits int64, signed int64) *onnx.Node {
	n := &onnx.Node{Name: "q", OpType: op, Domain: Domain, Input: []string{"x", "c", "d", "g"}[:map[string]int{OpWeight: 4, OpAct: 3}[op]], Output: []string{"y"}}
	n.Attribute = append(n.Attribute, &onnx.Attribute{Name: "bits", Type: onnx.AttrInt, I: bits})
	if signed != 0 {
		n.Attribute = append(n.Attribute, &onnx.Attribute{Name: "signed", Type: onnx.AttrInt, I: signed})
	}
	return n
}

// TestLevelCounts: N-bit weights take at most 2^N - 1 distinct values
// (2^(N-1)-1 each side of 0, and 0), N-bit activations at most 2^N
// (2^N - 1 for the signed variant), and with enough spread exactly so.
func TestLevelCounts(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	w := tensor.FromF32([]int{20000}, randomValues(r, 20000, 1))
	x := tensor.FromF32([]int{20000}, randomValues(r, 20000, 2))
	for bits := MinBits; bits <= MaxBits; bits++ {
		y, err := runNode(t, bitsNode(OpWeight, int64(bits), 0), w, one(1.0), one(0.9), one(1))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := distinct(y.F32), 1<<bits-1; got != want {
			t.Errorf("%d-bit weights: %d distinct values, want %d", bits, got, want)
		}
		for _, signed := range []int64{0, 1} {
			y, err := runNode(t, bitsNode(OpAct, int64(bits), signed), x, one(1.5), one(1.4))
			if err != nil {
				t.Fatal(err)
			}
			want := 1 << bits
			if signed == 1 {
				want = 1<<bits - 1
			}
			if got := distinct(y.F32); got != want {
				t.Errorf("%d-bit activations (signed %d): %d distinct values, want %d", bits, signed, got, want)
			}
		}
	}
}

func distinct(v []float32) int {
	seen := map[float32]bool{}
	for _, x := range v {
		seen[x] = true
	}
	return len(seen)
}

// TestPruningAndClipping checks the three regions of the weight
// transformer at 2 bits (ternary): below c-d is 0, above c+d is
// sign(w)(c+d), and the interval's own rounding in between.
func TestPruningAndClipping(t *testing.T) {
	w := tensor.FromF32([]int{6}, []float32{0.05, -0.05, 0.9, -2, 0.35, 0.25})
	y, err := runNode(t, bitsNode(OpWeight, 2, 0), w, one(0.4), one(0.2), one(1))
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 0, 0.6, -0.6, 0, 0.0} // 0.35 -> u=0.375 -> 0; 0.25 -> u=0.125 -> 0
	for i := range want {
		if y.F32[i] != want[i] {
			t.Errorf("w=%v -> %v, want %v", w.F32[i], y.F32[i], want[i])
		}
	}
	y, err = runNode(t, bitsNode(OpAct, 2, 0), tensor.FromF32([]int{4}, []float32{0.1, 0.5, 0.65, 3}), one(0.6), one(0.3))
	if err != nil {
		t.Fatal(err)
	}
	// p = 0.3, width 0.6, step 0.2: 0.1 -> 0, 0.5 -> 0.2, 0.65 -> 0.4 (0.35/0.2 = 1.75), 3 -> 0.6.
	for i, want := range []float32{0, 0.2, 0.4, 0.6} {
		if math.Abs(float64(y.F32[i]-want)) > 1e-6 {
			t.Errorf("x[%d] -> %v, want %v", i, y.F32[i], want)
		}
	}
}

func TestQuantizerRefusesBadIntervalsAndBits(t *testing.T) {
	x := tensor.FromF32([]int{2}, []float32{1, 2})
	for name, c := range map[string]struct {
		n    *onnx.Node
		args []*tensor.Tensor
	}{
		"bits 1":       {bitsNode(OpAct, 1, 0), []*tensor.Tensor{x, one(1), one(0.5)}},
		"bits 9":       {bitsNode(OpWeight, 9, 0), []*tensor.Tensor{x, one(1), one(0.5), one(1)}},
		"d = 0":        {bitsNode(OpAct, 4, 0), []*tensor.Tensor{x, one(1), one(0)}},
		"c < d":        {bitsNode(OpAct, 4, 0), []*tensor.Tensor{x, one(0.2), one(0.5)}},
		"gamma 0":      {bitsNode(OpWeight, 4, 0), []*tensor.Tensor{x, one(1), one(0.5), one(0)}},
		"signed 2":     {bitsNode(OpAct, 4, 2), []*tensor.Tensor{x, one(1), one(0.5)}},
		"missing d":    {bitsNode(OpAct, 4, 0), []*tensor.Tensor{x, one(1)}},
		"NaN centre c": {bitsNode(OpAct, 4, 0), []*tensor.Tensor{x, one(float32(math.NaN())), one(0.5)}},
	} {
		if _, err := runNode(t, c.n, c.args...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func sign32(v float32) float32 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
