package nn

import (
	"fmt"
	"math"
)

// The passes of a training step around its convolutions: batch
// normalisation with batch statistics (forward and backward), the ReLU
// mask and element-wise sums. Each is a few flops per element, so in Go's
// scalar WebAssembly they cost about as much as the GEMMs; under wasm they
// run in the SIMD kernel module (simd_train_wasm.go), which reproduces the
// Go code below bit for bit (the same four float32 lanes, the same
// float64 flushes, the same order of operations), so results do not
// depend on the build.
//
// Tensors are batch x channels x plane, contiguous. A slice shorter than
// its shape is a programming error of the caller and panics with a
// message naming the operand, before any kernel runs.

// blockLen is how many values the float32 partial sums take before
// flushing into float64: short enough that float32 rounding stays near
// 1e-6 relative, long enough to run at float32 speed with four independent
// accumulators.
const blockLen = 256

// ChannelMoments sets moments[2c] to the sum and moments[2c+1] to the sum
// of squares of channel c's batch*plane values of x, in float64: the
// batch statistics of BatchNormalization. Each plane is summed in float32
// blocks of 256 values flushed into float64, so E[x^2] - E[x]^2 loses
// nothing that matters unless |mean| exceeds the standard deviation by a
// factor of 10^3.
func ChannelMoments(moments []float64, x []float32, batch, channels, plane int) {
	n := channelShape("ChannelMoments", batch, channels, plane)
	mustHave("ChannelMoments", "moments", len(moments), 2*channels)
	mustHave("ChannelMoments", "x", len(x), n)
	if simdChannelMoments(moments, x, batch, channels, plane) {
		return
	}
	channelMoments(planeMoments, moments, x, batch, channels, plane)
}

// channelMoments is ChannelMoments' loop over channels and images with the
// moments of one plane computed by planeSums (planeMoments, or a vector
// kernel that reproduces its operations).
func channelMoments(planeSums func(xs []float32) (float64, float64), moments []float64, x []float32, batch, channels, plane int) {
	for c := 0; c < channels; c++ {
		var sum, sumSq float64
		for b := 0; b < batch; b++ {
			s1, s2 := planeSums(x[(b*channels+c)*plane : (b*channels+c+1)*plane])
			sum += s1
			sumSq += s2
		}
		moments[2*c], moments[2*c+1] = sum, sumSq
	}
}

// ChannelGradSums sets sums[2c] to the sum of g over channel c and
// sums[2c+1] to the sum over images of invStd[c] * sum(g*(x-mean[c])) over
// the channel's plane, in float64: the bias and scale gradients of
// BatchNormalization, and the two reductions its input gradient needs.
func ChannelGradSums(sums []float64, g, x, mean, invStd []float32, batch, channels, plane int) {
	n := channelShape("ChannelGradSums", batch, channels, plane)
	mustHave("ChannelGradSums", "sums", len(sums), 2*channels)
	mustHave("ChannelGradSums", "g", len(g), n)
	mustHave("ChannelGradSums", "x", len(x), n)
	mustHave("ChannelGradSums", "mean", len(mean), channels)
	mustHave("ChannelGradSums", "invStd", len(invStd), channels)
	if simdChannelGradSums(sums, g, x, mean, invStd, batch, channels, plane) {
		return
	}
	channelGradSums(planeGradSums, sums, g, x, mean, invStd, batch, channels, plane)
}

// channelGradSums is ChannelGradSums' loop over channels and images with
// the sums of one plane computed by planeSums (planeGradSums, or a vector
// kernel that reproduces its operations).
func channelGradSums(planeSums func(g, xs []float32, mean float32) (float64, float64), sums []float64, g, x, mean, invStd []float32, batch, channels, plane int) {
	for c := 0; c < channels; c++ {
		var sumG, sumGX float64
		for b := 0; b < batch; b++ {
			row := (b*channels + c) * plane
			sg, sgx := planeSums(g[row:row+plane], x[row:row+plane], mean[c])
			sumG += sg
			sumGX += sgx * float64(invStd[c])
		}
		sums[2*c], sums[2*c+1] = sumG, sumGX
	}
}

// ChannelAffine sets y = x*scale[c] + shift[c] for every value of channel
// c (BatchNormalization's normalisation and affine folded into one
// multiply-add), followed by max(y, 0) when relu is set (branch-free: -0
// becomes +0, a NaN with its sign bit set becomes 0). y may be x.
func ChannelAffine(y, x, scale, shift []float32, batch, channels, plane int, relu bool) {
	n := channelShape("ChannelAffine", batch, channels, plane)
	mustHave("ChannelAffine", "y", len(y), n)
	mustHave("ChannelAffine", "x", len(x), n)
	mustHave("ChannelAffine", "scale", len(scale), channels)
	mustHave("ChannelAffine", "shift", len(shift), channels)
	if simdChannelAffine(y, x, scale, shift, batch, channels, plane, relu) {
		return
	}
	for b := 0; b < batch; b++ {
		for c := 0; c < channels; c++ {
			row := (b*channels + c) * plane
			affineGo(y[row:row+plane], x[row:row+plane], scale[c], shift[c], relu)
		}
	}
}

// affineGo is ChannelAffine of one plane.
func affineGo(ys, xs []float32, k, off float32, relu bool) {
	xs = xs[:len(ys)]
	if relu {
		for i, v := range xs {
			ys[i] = reluBits(v*k + off)
		}
		return
	}
	for i, v := range xs {
		ys[i] = v*k + off
	}
}

// BatchNormInputGrad writes the input gradient of BatchNormalization with
// batch statistics, for every value of channel c:
//
//	dx = k[c] * ((g - meanG[c]) - ((x - mean[c]) * invStd[c]) * meanGX[c])
//
// where k is scale*invStd and meanG, meanGX are ChannelGradSums' sums
// divided by batch*plane. dx may be g.
func BatchNormInputGrad(dx, g, x, mean, invStd, k, meanG, meanGX []float32, batch, channels, plane int) {
	n := channelShape("BatchNormInputGrad", batch, channels, plane)
	mustHave("BatchNormInputGrad", "dx", len(dx), n)
	mustHave("BatchNormInputGrad", "g", len(g), n)
	mustHave("BatchNormInputGrad", "x", len(x), n)
	mustHave("BatchNormInputGrad", "mean", len(mean), channels)
	mustHave("BatchNormInputGrad", "invStd", len(invStd), channels)
	mustHave("BatchNormInputGrad", "k", len(k), channels)
	mustHave("BatchNormInputGrad", "meanG", len(meanG), channels)
	mustHave("BatchNormInputGrad", "meanGX", len(meanGX), channels)
	if simdBatchNormInputGrad(dx, g, x, mean, invStd, k, meanG, meanGX, batch, channels, plane) {
		return
	}
	for b := 0; b < batch; b++ {
		for c := 0; c < channels; c++ {
			row := (b*channels + c) * plane
			bnInputGradGo(dx[row:row+plane], g[row:row+plane], x[row:row+plane], mean[c], invStd[c], k[c], meanG[c], meanGX[c])
		}
	}
}

// bnInputGradGo is BatchNormInputGrad of one plane.
func bnInputGradGo(ds, gs, xs []float32, mu, inv, kc, mg, mgx float32) {
	gs, xs = gs[:len(ds)], xs[:len(ds)]
	for i, gv := range gs {
		xhat := (xs[i] - mu) * inv
		ds[i] = kc * (gv - mg - xhat*mgx)
	}
}

// ReluMask sets d[i] = g[i] where y[i] > 0 and +0 elsewhere, for y >= 0
// (a ReLU's output): ReLU's backward pass. A non-negative float is > 0
// exactly when its bits are not all zero, which keeps the loop
// branch-free. g and y must be at least as long as d; d may be g.
func ReluMask(d, g, y []float32) {
	mustHave("ReluMask", "g", len(g), len(d))
	mustHave("ReluMask", "y", len(y), len(d))
	if simdReluMask(d, g, y) {
		return
	}
	reluMaskGo(d, g, y)
}

// reluMaskGo is ReluMask's loop.
func reluMaskGo(d, g, y []float32) {
	g = g[:len(d)]
	y = y[:len(d)]
	for i, v := range y {
		b := math.Float32bits(v)
		keep := -((b | -b) >> 31) // all ones when b != 0
		d[i] = math.Float32frombits(math.Float32bits(g[i]) & keep)
	}
}

// AddInto sets y = a + b element-wise, followed by max(y, 0) when relu is
// set (as ChannelAffine): a residual connection's relu(a + b), or the
// accumulation of a gradient (y = a). a and b must be at least as long as
// y; y may be a or b.
func AddInto(y, a, b []float32, relu bool) {
	mustHave("AddInto", "a", len(a), len(y))
	mustHave("AddInto", "b", len(b), len(y))
	if simdAdd(y, a, b, relu) {
		return
	}
	addGo(y, a, b, relu)
}

// addGo is AddInto's loop.
func addGo(y, a, b []float32, relu bool) {
	a = a[:len(y)]
	b = b[:len(y)]
	if relu {
		for i, v := range a {
			y[i] = reluBits(v + b[i])
		}
		return
	}
	for i, v := range a {
		y[i] = v + b[i]
	}
}

// reluBits is max(v, 0) without a branch: v with every bit cleared when
// its sign bit is set (-0 becomes +0; NaN stays NaN unless negative). Half
// the values of a ReLU are negative in no pattern a branch predictor can
// learn.
func reluBits(v float32) float32 {
	b := math.Float32bits(v)
	return math.Float32frombits(b &^ uint32(int32(b)>>31))
}

// planeMoments returns the sum and the sum of squares of xs, in float32
// blocks of four lanes flushed into float64 (the SIMD kernel's exact
// order).
func planeMoments(xs []float32) (sum, sumSq float64) {
	for len(xs) > 0 {
		blk := xs[:min(blockLen, len(xs))]
		xs = xs[len(blk):]
		var a0, a1, a2, a3, q0, q1, q2, q3 float32
		i := 0
		for ; i+4 <= len(blk); i += 4 {
			v := blk[i : i+4 : i+4]
			a0 += v[0]
			a1 += v[1]
			a2 += v[2]
			a3 += v[3]
			q0 += v[0] * v[0]
			q1 += v[1] * v[1]
			q2 += v[2] * v[2]
			q3 += v[3] * v[3]
		}
		for ; i < len(blk); i++ {
			a0 += blk[i]
			q0 += blk[i] * blk[i]
		}
		sum += float64(a0+a1) + float64(a2+a3)
		sumSq += float64(q0+q1) + float64(q2+q3)
	}
	return sum, sumSq
}

// planeGradSums returns sum(g) and sum(g * (x - mean)), summed as
// planeMoments.
func planeGradSums(g, xs []float32, mean float32) (sumG, sumGX float64) {
	xs = xs[:len(g)]
	for len(g) > 0 {
		n := min(blockLen, len(g))
		gb, xb := g[:n], xs[:n]
		g, xs = g[n:], xs[n:]
		var a0, a1, a2, a3, b0, b1, b2, b3 float32
		i := 0
		for ; i+4 <= n; i += 4 {
			gv, xv := gb[i:i+4:i+4], xb[i:i+4:i+4]
			a0 += gv[0]
			a1 += gv[1]
			a2 += gv[2]
			a3 += gv[3]
			b0 += gv[0] * (xv[0] - mean)
			b1 += gv[1] * (xv[1] - mean)
			b2 += gv[2] * (xv[2] - mean)
			b3 += gv[3] * (xv[3] - mean)
		}
		for ; i < n; i++ {
			a0 += gb[i]
			b0 += gb[i] * (xb[i] - mean)
		}
		sumG += float64(a0+a1) + float64(a2+a3)
		sumGX += float64(b0+b1) + float64(b2+b3)
	}
	return sumG, sumGX
}

// channelShape checks the dimensions of a batch x channels x plane tensor
// and returns its element count.
func channelShape(op string, batch, channels, plane int) int {
	if batch < 0 || channels < 0 || plane < 0 {
		panic(fmt.Sprintf("nn.%s: negative shape %d x %d x %d", op, batch, channels, plane))
	}
	if channels > 0 && plane > 0 && (batch > math.MaxInt/channels/plane) {
		panic(fmt.Sprintf("nn.%s: shape %d x %d x %d overflows", op, batch, channels, plane))
	}
	return batch * channels * plane
}

// mustHave panics, naming the operand, when a slice is shorter than the
// shape it stands for.
func mustHave(op, operand string, got, need int) {
	if got < need {
		panic(fmt.Sprintf("nn.%s: %s has %d values, needs %d", op, operand, got, need))
	}
}
