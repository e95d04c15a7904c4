package qil

import (
	"math"
	"testing"
)

// TestMinMaxOfAreTheBuiltins checks maxOf and minOf against Go's max and
// min on every pair of special and ordinary values, by bits (any NaN
// for a NaN).
func TestMinMaxOfAreTheBuiltins(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 1, -1, 2.5, -2.5,
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64}
	same := func(a, b float64) bool {
		if math.IsNaN(a) || math.IsNaN(b) {
			return math.IsNaN(a) && math.IsNaN(b)
		}
		return math.Float64bits(a) == math.Float64bits(b)
	}
	for _, m := range vals {
		for _, f := range vals {
			if got, want := maxOf(m, f), max(m, f); !same(got, want) {
				t.Errorf("maxOf(%g, %g) = %g (%x), max gives %g (%x)", m, f, got, math.Float64bits(got), want, math.Float64bits(want))
			}
			if got, want := minOf(m, f), min(m, f); !same(got, want) {
				t.Errorf("minOf(%g, %g) = %g (%x), min gives %g (%x)", m, f, got, math.Float64bits(got), want, math.Float64bits(want))
			}
		}
	}
}
