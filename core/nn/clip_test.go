package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// clipBounds are the ranges the Clip tests run: ReLU6, a symmetric one,
// half-open ones and an empty one (min > max: every value becomes max).
var clipBounds = [][2]float32{{0, 6}, {-1, 1}, {float32(math.Inf(-1)), 6}, {0, float32(math.Inf(1))}, {2, 1}}

// clipInputs draws x around the bounds with the values where a clamp can
// go wrong spread through it (NaNs of both signs, signed zeros,
// infinities, the bounds themselves), and g with infinities and NaNs.
func clipInputs(rng *rand.Rand, n int, lo, hi float32) (x, g []float32) {
	special := []float32{float32(math.NaN()), -float32(math.NaN()), 0, float32(math.Copysign(0, -1)),
		float32(math.Inf(1)), float32(math.Inf(-1)), lo, hi, 6, 1, -1}
	x, g = make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 4)
		g[i] = float32(rng.NormFloat64())
		if rng.IntN(4) == 0 {
			x[i] = special[rng.IntN(len(special))]
		}
		if rng.IntN(8) == 0 {
			g[i] = special[rng.IntN(6)]
		}
	}
	return x, g
}

// TestClipMatchesDefinition checks Clip and ClipGrad (whichever kernel
// this build runs) against ONNX's Clip and its derivative times g, also
// in place, on lengths around every vector width.
func TestClipMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	for _, b := range clipBounds {
		lo, hi := b[0], b[1]
		for _, n := range elementwiseLengths {
			x, g := clipInputs(rng, n, lo, hi)
			wantY, wantD := make([]float32, n), make([]float32, n)
			for i, v := range x {
				switch {
				case v < lo && lo > hi, v > hi:
					wantY[i] = hi
				case v < lo:
					wantY[i] = lo
				default:
					wantY[i] = v
				}
				if v >= lo && v <= hi {
					wantD[i] = g[i]
				} else {
					wantD[i] = g[i] * 0
				}
			}
			name := fmt.Sprintf("[%v, %v] n=%d", lo, hi, n)
			y, d := make([]float32, n), make([]float32, n)
			Clip(y, x, lo, hi)
			ClipGrad(d, g, x, lo, hi)
			sameBits32(t, name+" clip", y, wantY)
			sameBits32(t, name+" clip grad", d, wantD)
			y = append(y[:0], x...)
			Clip(y, y, lo, hi)
			sameBits32(t, name+" clip in place", y, wantY)
			d = append(d[:0], g...)
			ClipGrad(d, d, x, lo, hi)
			sameBits32(t, name+" clip grad in place", d, wantD)
		}
	}
}
