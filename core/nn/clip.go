package nn

// Clip and its gradient, the passes of a ReLU6 (Clip to [0, 6]) that the
// training engine cannot fuse: one or two per MobileNet block, and as
// scalar Go loops a fifth of a MobileNetV2 training step in wasm. The
// vector kernels (AVX2 natively, the SIMD module in wasm) give the Go
// loops' bits: NaNs pass through the clamp, -0 stays -0.

// Clip sets y[i] to x[i] clamped to [lo, hi] as ONNX's Clip kernel does:
// lo where x < lo, then hi where x > hi, else x (a NaN stays NaN, -0
// stays -0). x must be at least as long as y; y may be x.
func Clip(y, x []float32, lo, hi float32) {
	mustHave("Clip", "x", len(x), len(y))
	if simdClip(y, x, lo, hi) {
		return
	}
	clipGo(y, x, lo, hi)
}

// clipGo is Clip's loop.
func clipGo(y, x []float32, lo, hi float32) {
	x = x[:len(y)]
	for i, v := range x {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		y[i] = v
	}
}

// ClipGrad is Clip's backward pass: d[i] = g[i] where lo <= x[i] <= hi
// (the bounds count as inside, as in PyTorch), else g[i] * 0 (a signed
// zero; NaN where g is infinite or NaN): the derivative times g. g and x
// must be at least as long as d; d may be g.
func ClipGrad(d, g, x []float32, lo, hi float32) {
	mustHave("ClipGrad", "g", len(g), len(d))
	mustHave("ClipGrad", "x", len(x), len(d))
	if simdClipGrad(d, g, x, lo, hi) {
		return
	}
	clipGradGo(d, g, x, lo, hi)
}

// clipGradGo is ClipGrad's loop.
func clipGradGo(d, g, x []float32, lo, hi float32) {
	g, x = g[:len(d)], x[:len(d)]
	for i, v := range x {
		if v >= lo && v <= hi {
			d[i] = g[i]
		} else {
			d[i] = g[i] * 0
		}
	}
}
