//go:build js && wasm && !purego

package nn

import (
	"fmt"
	"math"
	"unsafe"
)

// simdElementwiseMin is the length below which an element-wise call into
// the kernel costs more than Go's loop.
const simdElementwiseMin = 32

// The training passes of channel.go in the SIMD kernel module
// (core/gemm/simd/kernel.wat). As in simd_wasm.go, only heap addresses
// and integers cross, and every extent the kernel will touch is checked
// here first, because it can write anywhere in Go's memory. The exported
// functions have checked the same lengths already; the checks are
// repeated so that no caller of a raw import depends on another
// function's checks.

//go:wasmimport pare_gemm channel_moments
func simdChannelMomentsRaw(out, x unsafe.Pointer, batch, channels, plane int32)

//go:wasmimport pare_gemm channel_grad_sums
func simdChannelGradSumsRaw(out, g, x, mean, invStd unsafe.Pointer, batch, channels, plane int32)

//go:wasmimport pare_gemm channel_affine
func simdChannelAffineRaw(y, x, scale, shift unsafe.Pointer, batch, channels, plane, relu int32)

//go:wasmimport pare_gemm bn_input_grad
func simdBatchNormInputGradRaw(dx, g, x, mean, invStd, k, meanG, meanGX unsafe.Pointer, batch, channels, plane int32)

//go:wasmimport pare_gemm relu_mask
func simdReluMaskRaw(d, g, y unsafe.Pointer, n int32)

//go:wasmimport pare_gemm add
func simdAddRaw(y, a, b unsafe.Pointer, n, relu int32)

//go:wasmimport pare_gemm clip
func simdClipRaw(y, x unsafe.Pointer, n, loBits, hiBits int32)

//go:wasmimport pare_gemm clip_grad
func simdClipGradRaw(d, g, x unsafe.Pointer, n, loBits, hiBits int32)

// kernelShape reports whether a batch x channels x plane tensor is one
// the kernel takes: every dimension at least 1 (the kernel's loops run at
// least once) and every byte offset within int32.
func kernelShape(batch, channels, plane int) bool {
	if batch < 1 || channels < 1 || plane < 1 {
		return false
	}
	return plane <= math.MaxInt32/4/channels/batch
}

// checkOperand panics, naming the operand, when v is shorter than need:
// the kernel would read or write past it.
func checkOperand(op, operand string, have, need int) {
	if have < need {
		panic(fmt.Sprintf("nn: SIMD %s: %s has %d elements, needs %d", op, operand, have, need))
	}
}

func boolInt32(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func simdChannelMoments(moments []float64, x []float32, batch, channels, plane int) bool {
	if !simdKernels || !kernelShape(batch, channels, plane) {
		return false
	}
	checkOperand("channel moments", "moments", len(moments), 2*channels)
	checkOperand("channel moments", "x", len(x), batch*channels*plane)
	simdChannelMomentsRaw(unsafe.Pointer(&moments[0]), unsafe.Pointer(&x[0]), int32(batch), int32(channels), int32(plane))
	return true
}

func simdChannelGradSums(sums []float64, g, x, mean, invStd []float32, batch, channels, plane int) bool {
	if !simdKernels || !kernelShape(batch, channels, plane) {
		return false
	}
	n := batch * channels * plane
	checkOperand("channel grad sums", "sums", len(sums), 2*channels)
	checkOperand("channel grad sums", "g", len(g), n)
	checkOperand("channel grad sums", "x", len(x), n)
	checkOperand("channel grad sums", "mean", len(mean), channels)
	checkOperand("channel grad sums", "invStd", len(invStd), channels)
	simdChannelGradSumsRaw(unsafe.Pointer(&sums[0]), unsafe.Pointer(&g[0]), unsafe.Pointer(&x[0]),
		unsafe.Pointer(&mean[0]), unsafe.Pointer(&invStd[0]), int32(batch), int32(channels), int32(plane))
	return true
}

func simdChannelAffine(y, x, scale, shift []float32, batch, channels, plane int, relu bool) bool {
	if !simdKernels || !kernelShape(batch, channels, plane) {
		return false
	}
	n := batch * channels * plane
	checkOperand("channel affine", "y", len(y), n)
	checkOperand("channel affine", "x", len(x), n)
	checkOperand("channel affine", "scale", len(scale), channels)
	checkOperand("channel affine", "shift", len(shift), channels)
	simdChannelAffineRaw(unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0]), unsafe.Pointer(&scale[0]), unsafe.Pointer(&shift[0]),
		int32(batch), int32(channels), int32(plane), boolInt32(relu))
	return true
}

func simdBatchNormInputGrad(dx, g, x, mean, invStd, k, meanG, meanGX []float32, batch, channels, plane int) bool {
	if !simdKernels || !kernelShape(batch, channels, plane) {
		return false
	}
	n := batch * channels * plane
	checkOperand("BN input grad", "dx", len(dx), n)
	checkOperand("BN input grad", "g", len(g), n)
	checkOperand("BN input grad", "x", len(x), n)
	checkOperand("BN input grad", "mean", len(mean), channels)
	checkOperand("BN input grad", "invStd", len(invStd), channels)
	checkOperand("BN input grad", "k", len(k), channels)
	checkOperand("BN input grad", "meanG", len(meanG), channels)
	checkOperand("BN input grad", "meanGX", len(meanGX), channels)
	simdBatchNormInputGradRaw(unsafe.Pointer(&dx[0]), unsafe.Pointer(&g[0]), unsafe.Pointer(&x[0]),
		unsafe.Pointer(&mean[0]), unsafe.Pointer(&invStd[0]), unsafe.Pointer(&k[0]), unsafe.Pointer(&meanG[0]), unsafe.Pointer(&meanGX[0]),
		int32(batch), int32(channels), int32(plane))
	return true
}

func simdReluMask(d, g, y []float32) bool {
	if !simdKernels || len(d) < simdElementwiseMin || len(d) > math.MaxInt32/4 {
		return false
	}
	checkOperand("relu mask", "g", len(g), len(d))
	checkOperand("relu mask", "y", len(y), len(d))
	simdReluMaskRaw(unsafe.Pointer(&d[0]), unsafe.Pointer(&g[0]), unsafe.Pointer(&y[0]), int32(len(d)))
	return true
}

// simdClip and simdClipGrad run the kernel on the multiple of four and
// the Go loop on the rest.
func simdClip(y, x []float32, lo, hi float32) bool {
	if !simdKernels || len(y) < simdElementwiseMin || len(y) > math.MaxInt32/4 {
		return false
	}
	checkOperand("clip", "x", len(x), len(y))
	n := len(y) &^ 3
	simdClipRaw(unsafe.Pointer(&y[0]), unsafe.Pointer(&x[0]), int32(n), int32(math.Float32bits(lo)), int32(math.Float32bits(hi)))
	clipGo(y[n:], x[n:len(y)], lo, hi)
	return true
}

func simdClipGrad(d, g, x []float32, lo, hi float32) bool {
	if !simdKernels || len(d) < simdElementwiseMin || len(d) > math.MaxInt32/4 {
		return false
	}
	checkOperand("clip grad", "g", len(g), len(d))
	checkOperand("clip grad", "x", len(x), len(d))
	n := len(d) &^ 3
	simdClipGradRaw(unsafe.Pointer(&d[0]), unsafe.Pointer(&g[0]), unsafe.Pointer(&x[0]), int32(n), int32(math.Float32bits(lo)), int32(math.Float32bits(hi)))
	clipGradGo(d[n:], g[n:len(d)], x[n:len(d)], lo, hi)
	return true
}

func simdAdd(y, a, b []float32, relu bool) bool {
	if !simdKernels || len(y) < simdElementwiseMin || len(y) > math.MaxInt32/4 {
		return false
	}
	checkOperand("add", "a", len(a), len(y))
	checkOperand("add", "b", len(b), len(y))
	simdAddRaw(unsafe.Pointer(&y[0]), unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0]), int32(len(y)), boolInt32(relu))
	return true
}

//go:wasmimport pare_gemm dw_weight_grad
func simdDepthwiseWeightGradRaw(dw, dy, x, col unsafe.Pointer, channels, inH, inW, outH, outW, kH, kW, strideH, strideW, padT, padL, dilH, dilW int32)

// simdDepthwiseWeightGrad runs DepthwiseWeightGrad's channels in the kernel
// and reports whether it did (p a promoted 2-D window). The kernel writes
// col (taps x outH*outW) and dw (channels x taps) and reads x and dy only
// inside their channels planes: those are the extents checked.
func simdDepthwiseWeightGrad(dw, dy, x, col []float32, channels int, p *window3) bool {
	if !simdKernels || channels < 1 || !kernelWindowFits("depthwise weight gradient", x, col, 1, p, false) {
		return false
	}
	taps, outPlane, inPlane := p.Kernel[1]*p.Kernel[2], p.Out[1]*p.Out[2], p.In[1]*p.In[2]
	if channels > math.MaxInt32/4/max(inPlane, outPlane, taps) {
		return false
	}
	switch {
	case len(x) < channels*inPlane:
		panic(fmt.Sprintf("nn: SIMD depthwise weight gradient: X has %d elements, needs %d x %d", len(x), channels, inPlane))
	case len(dy) < channels*outPlane:
		panic(fmt.Sprintf("nn: SIMD depthwise weight gradient: dY has %d elements, needs %d x %d", len(dy), channels, outPlane))
	case len(dw) < channels*taps:
		panic(fmt.Sprintf("nn: SIMD depthwise weight gradient: dW has %d elements, needs %d x %d", len(dw), channels, taps))
	}
	simdDepthwiseWeightGradRaw(unsafe.Pointer(&dw[0]), unsafe.Pointer(&dy[0]), unsafe.Pointer(&x[0]), unsafe.Pointer(&col[0]), int32(channels),
		int32(p.In[1]), int32(p.In[2]), int32(p.Out[1]), int32(p.Out[2]), int32(p.Kernel[1]), int32(p.Kernel[2]),
		int32(p.Strides[1]), int32(p.Strides[2]), int32(p.PadBegin[1]), int32(p.PadBegin[2]), int32(p.Dilations[1]), int32(p.Dilations[2]))
	return true
}
