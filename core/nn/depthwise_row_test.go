package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDepthwiseRowSIMDMatchesGo: the vector kernel of the stride-1 3x3
// depthwise row (AVX2 natively) gives the Go loop's bits, on every length
// from 1 to 41 (whole blocks of eight and tails), with NaNs of both signs,
// infinities, signed zeros and subnormals among the values and weights:
// NaN where Go has NaN, though not always of its sign, which Go's compiler
// leaves to its register allocation (it alternates the operands of the
// additions, and x86 keeps the first operand's NaN).
func TestDepthwiseRowSIMDMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	special := []float32{float32(math.NaN()), -float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1e-40, -3e-39}
	value := func() float32 {
		if rng.IntN(10) == 0 {
			return special[rng.IntN(len(special))]
		}
		return float32(rng.NormFloat64())
	}
	took := 0
	for n := 1; n <= 41; n++ {
		for trial := 0; trial < 4; trial++ {
			var r [3][]float32
			for k := range r {
				r[k] = make([]float32, n+2)
				for i := range r[k] {
					r[k][i] = value()
				}
			}
			wk := make([]float32, 9)
			for i := range wk {
				wk[i] = value()
			}
			out0 := make([]float32, n)
			for i := range out0 {
				out0[i] = value()
			}
			want := append([]float32(nil), out0...)
			depthwiseRow3x3Go(want, r[0], r[1], r[2], wk, 0)
			got := append([]float32(nil), out0...)
			done := depthwiseRowSIMD(got, r[0], r[1], r[2], wk)
			took += done
			depthwiseRow3x3Go(got, r[0], r[1], r[2], wk, done)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("n=%d: out[%d] = %v (%#x), the Go loop's %v (%#x)", n, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
	if took == 0 {
		t.Log("no vector kernel for depthwise rows on this platform: the Go loop only")
	}
}
