package qil

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestWeightUnitIsTheMinMaxClamp checks weightUnit's u, which clampTo
// clamps (comparisons in wasm), against min(max(u, 0), 1) with the
// builtins, bit for bit: weights at and around both ends of the
// interval, 0, NaN and infinities, random intervals.
func TestWeightUnitIsTheMinMaxClamp(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for range 20000 {
		d := float64(float32(math.Abs(r.NormFloat64())*0.3 + 1e-6))
		c := d + float64(float32(math.Abs(r.NormFloat64())*0.3))
		as := []float64{c - d, c + d, 0, math.NaN(), math.Inf(1),
			math.Nextafter(c-d, 0), math.Nextafter(c-d, 2), math.Nextafter(c+d, 0), math.Nextafter(c+d, 2),
			float64(float32(r.Float64() * 2 * (c + d)))}
		for _, a := range as {
			u, inside := weightUnit(a, c, d)
			if !inside {
				continue
			}
			if want := min(max((a-c)/(2*d)+0.5, 0), 1); math.Float64bits(u) != math.Float64bits(want) {
				t.Fatalf("a=%v c=%v d=%v: u = %v, min/max %v", a, c, d, u, want)
			}
		}
	}
}
