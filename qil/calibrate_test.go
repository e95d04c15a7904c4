package qil

import (
	"math"
	"math/rand/v2"
	"testing"
)

// mseThresholdMinMax is mseThreshold as first written, clamping with Go's
// min and max: the reference the comparisons must equal.
func mseThresholdMinMax(v []float32, symmetric bool, q int) float32 {
	peak := 0.0
	for _, x := range v {
		if symmetric {
			peak = max(peak, math.Abs(float64(x)))
		} else {
			peak = max(peak, float64(x))
		}
	}
	if peak == 0 || math.IsNaN(peak) || math.IsInf(peak, 0) {
		return 1
	}
	best, bestErr := peak, math.Inf(1)
	for i := 1; i <= 100; i++ {
		t := peak * float64(i) / 100
		step := t / float64(q)
		e := 0.0
		for _, x := range v {
			a := float64(x)
			if symmetric {
				a = math.Abs(a)
			}
			r := math.RoundToEven(min(max(a, 0), t)/step) * step
			e += (a - r) * (a - r)
		}
		if e < bestErr {
			best, bestErr = t, e
		}
	}
	return float32(best)
}

// TestClampByComparisonsGivesTheSameError: on every platform, the
// squared error mseThreshold adds for a value is the same bits with the
// comparisons (wasm's clampTo) as with min and max, for values below 0,
// -0, 0, inside, at and above the threshold, NaN and infinities.
func TestClampByComparisonsGivesTheSameError(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	special := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), -1e-30, 1e-30}
	for trial := 0; trial < 20000; trial++ {
		th := math.Abs(rng.NormFloat64()) + 1e-3
		step := th / float64(1+rng.IntN(255))
		a := rng.NormFloat64() * th * 2
		switch trial % 5 {
		case 0:
			a = special[rng.IntN(len(special))]
		case 1:
			a = th // at the threshold
		case 2:
			a = math.Round(a/step)*step + step/2 // a rounding tie
		}
		sq := func(c float64) uint64 {
			r := math.RoundToEven(c/step) * step
			return math.Float64bits((a - r) * (a - r))
		}
		if got, want := sq(clampByComparisons(a, th)), sq(min(max(a, 0), th)); got != want {
			t.Fatalf("a=%g t=%g: error bits %x with comparisons, %x with min and max", a, th, got, want)
		}
	}
}

// TestMSEThresholdIsTheMinMaxClamp: mseThreshold with this platform's
// clampTo (comparisons in wasm) picks the same threshold, bit for bit, as
// with min and max, on weights, one-sided
// activations with negative values, exact zeros and -0, a NaN and ties.
func TestMSEThresholdIsTheMinMaxClamp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		v := make([]float32, 1+rng.IntN(300))
		for i := range v {
			switch rng.IntN(8) {
			case 0:
				v[i] = 0
			case 1:
				v[i] = float32(math.Copysign(0, -1))
			case 2:
				v[i] = float32(rng.IntN(16)) / 4 // ties on coarse grids
			default:
				v[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(5)-2)))
			}
		}
		if trial%50 == 7 {
			v[rng.IntN(len(v))] = float32(math.NaN())
		}
		for _, symmetric := range []bool{true, false} {
			for _, q := range []int{1, 3, 7, 15, 127, 255} {
				got, want := mseThreshold(v, symmetric, q), mseThresholdMinMax(v, symmetric, q)
				if math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("trial %d, symmetric %v, q %d: %g, with min and max %g", trial, symmetric, q, got, want)
				}
			}
		}
	}
}

// BenchmarkMSEThreshold is one activation's calibration search over
// 64 Ki samples (about half of them 0, as after a ReLU), with this
// platform's clampTo and with min and max.
//
//	go test ./qil -run '^$' -bench MSEThreshold
//	GOOS=js GOARCH=wasm go test -exec=$PWD/tools/wasmexec/go_js_wasm_exec ./qil -run '^$' -bench MSEThreshold
func BenchmarkMSEThreshold(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	v := make([]float32, 1<<16)
	for i := range v {
		v[i] = float32(max(0, rng.NormFloat64()))
	}
	for _, impl := range []struct {
		name string
		f    func([]float32, bool, int) float32
	}{{"clampTo", mseThreshold}, {"minmax", mseThresholdMinMax}} {
		b.Run(impl.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				impl.f(v, false, 15)
			}
		})
	}
}
