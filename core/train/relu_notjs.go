//go:build !js

package train

import "math"

// The ReLU loops, in the form each platform runs fastest (measured on the
// ResNet-20 training benchmark): natively branch-free (half the outputs
// of a ReLU are zero in no pattern a branch predictor can learn, and the
// mispredictions cost more than the rest of the loop: 177 -> 216
// images/s); under wasm the branches are 5 % faster.

// relu is max(v, 0), compiled to MAXSS.
func relu(v float32) float32 { return max(v, 0) }

// reluMask sets d[i] = g[i] where y[i] > 0 and 0 elsewhere, for y >= 0 (a
// ReLU's output). A non-negative float is > 0 exactly when its bits are
// not all zero.
func reluMask(d, g, y []float32) {
	g = g[:len(d)]
	y = y[:len(d)]
	for i, v := range y {
		b := math.Float32bits(v)
		keep := -((b | -b) >> 31) // all ones when b != 0
		d[i] = math.Float32frombits(math.Float32bits(g[i]) & keep)
	}
}
