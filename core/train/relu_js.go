//go:build js

package train

// See relu_notjs.go: under wasm the branching forms are faster.

func relu(v float32) float32 {
	if v > 0 {
		return v
	}
	return 0
}

func reluMask(d, g, y []float32) {
	g = g[:len(d)]
	y = y[:len(d)]
	for i, v := range y {
		if v > 0 {
			d[i] = g[i]
		} else {
			d[i] = 0
		}
	}
}
