package qil

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLayerPowerIsMathPow checks layerPower against math.Pow and
// math.Log bit for bit, for gammas with and without a fractional part and
// u random in (0, 1), subnormal, at the ends and outside (0, 1, NaN,
// above 1): the forward saves exactly what the backward computed before.
func TestLayerPowerIsMathPow(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	us := []float64{0, math.Copysign(0, -1), 1, math.NaN(), 1.5, math.Inf(1),
		math.SmallestNonzeroFloat64, 1e-310, 0x1p-1022, 1e-300, 1e-30, 1e-6, 0.5, 0.5 + 0x1p-53, 1 - 0x1p-53, 0x1p-60}
	for range 20000 {
		us = append(us, r.Float64())
	}
	for range 200 {
		us = append(us, math.Ldexp(r.Float64(), -r.IntN(1070)))
	}
	for _, gamma := range []float64{1e-3, 0.25, 0.5, 0.5 + 0x1p-52, 0.7, 0.9999, 1, 1.0001, 1.25, 1.5, 1.5000001, 1.6, 2, 2.5, 3, 7.3, 40.2, 1500.5, 3e5} {
		p := newLayerPower(gamma)
		for _, u := range us {
			got, logU := p.pow(u)
			if want := math.Pow(u, gamma); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("gamma %v, u %v: %v, math.Pow %v", gamma, u, got, want)
			}
			wantLog := 0.0
			if u > 0 {
				wantLog = math.Log(u)
			}
			if math.Float64bits(logU) != math.Float64bits(wantLog) {
				t.Fatalf("gamma %v, u %v: ln u %v, math.Log %v", gamma, u, logU, wantLog)
			}
		}
	}
}
