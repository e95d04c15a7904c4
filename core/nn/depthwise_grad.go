package nn

// DepthwiseWeightGrad adds one image's weight gradient of a depthwise
// convolution (one input channel per group, 2-D window w) to dw (channels
// x kernel taps), using col (taps x w.OutSize() floats) as scratch, and
// reports whether it did: only where the platform's kernel module takes it
// (wasm with the SIMD kernel). Per channel it is Im2Col of the plane and the
// one-row GEMM dW_c += dY_c * col^T (alpha and beta 1), the very kernels
// and order a caller otherwise calls channel by channel, so dw gets that
// path's bits; the calls are made inside the module, which saves two host
// calls and Go's checks per channel (MobileNetV2's batches have thousands).
func DepthwiseWeightGrad(dw, dy, x, col []float32, channels int, w *Window) bool {
	if len(w.In) != 2 {
		return false
	}
	p := w.promote3()
	return simdDepthwiseWeightGrad(dw, dy, x, col, channels, &p)
}
