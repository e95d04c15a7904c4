//go:build amd64 && !purego

package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestEpilogueClampSIMDMatchesGo: the AVX2 form of the epilogue's clamps
// to [0, hi] leaves exactly the bit patterns of relu and clampZeroToMax, on
// every length from 1 to 41, with NaNs of both signs, infinities, signed
// zeros and subnormals, for hi = +Inf, 6, 0 and a subnormal; a range it
// does not take (hi = -0, lo != 0) it leaves alone.
func TestEpilogueClampSIMDMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	nan := math.Float32frombits(0x7fc00001)
	special := []float32{nan, -nan, float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1e-40, -3e-39, 6, 7}
	took := false
	for _, hi := range []float32{float32(math.Inf(1)), 6, 0, 1e-40} {
		for n := 1; n <= 41; n++ {
			v := make([]float32, n)
			for i := range v {
				if rng.IntN(4) == 0 {
					v[i] = special[rng.IntN(len(special))]
				} else {
					v[i] = float32(rng.NormFloat64() * 5)
				}
			}
			want := append([]float32(nil), v...)
			if math.IsInf(float64(hi), 1) {
				relu(want)
			} else {
				clampZeroToMax(want, hi)
			}
			got := append([]float32(nil), v...)
			if !simdClamp(got, 0, hi) {
				continue
			}
			took = true
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("hi %v, n %d: [%d] = %#x from %v, the Go loop's %#x", hi, n, i, math.Float32bits(got[i]), v[i], math.Float32bits(want[i]))
				}
			}
		}
	}
	v := []float32{-1, 2, 3, 4, 5, 6, 7, 8, 9}
	if simdClamp(v, 0, float32(math.Copysign(0, -1))) || simdClamp(v, 1, 6) {
		t.Error("the AVX2 clamp took a range it does not compute as Go does")
	}
	if !took && simdKernels {
		t.Error("the AVX2 clamp took none of the ranges it is for")
	}
}
