package nn

import (
	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/tensor"
)

// A QDQ model's convolution reads an activation whose every value is a
// step times an integer code and a weight that is a DequantizeLinear of
// integer codes, a scale per output channel. Its product can then be
// summed exactly in integers and scaled once (gemm.Qgemm), which the wasm
// SIMD kernel and AVX2 do faster than the float product of the dequantized
// values. The result differs from that float product only by the float
// product's rounding (the integer sum has none): within float32 rounding
// of sum |w||x|, as a different summation order would be.

// IntegerConv is a convolution's weight as integer codes: A holds them
// (output channels x input channels * kernel size) with the scale of each
// row, the weight's scale times the input's step, and Inv is 1 / the
// input's step.
type IntegerConv struct {
	A   *gemm.QuantA
	Inv float32
	// Float, when set, returns the float weight, which the caller then
	// need not keep: ConvIntegerIntoCol takes a w without data (its shape
	// alone) and calls Float only for what it computes in float (an image
	// the integer kernel refuses), dropping the result after the call.
	Float func() *tensor.Tensor
}

// ConvIntegerIntoCol is ConvFusedIntoCol for an x whose values are all
// Inv^-1 times an integer code, and w the dequantized codes of ic.A (or,
// when ic.Float is set, a tensor of w's shape without data). Where
// the platform has no integer kernel, for convolutions it does not take
// (depthwise and grouped ones, or an A that does not match w), and for an
// image holding NaN or codes beyond the kernel's bound, it computes what
// ConvFusedIntoCol does.
func ConvIntegerIntoCol(y, x, w, b *tensor.Tensor, g *ConvGeometry, e Epilogue, col []float32, ic *IntegerConv) error {
	return convFused(y, x, w, b, g, e, col, ic)
}

// floatWeight returns w, or the float weight ic.Float makes when w holds
// no data (its shape alone).
func (ic *IntegerConv) floatWeight(w *tensor.Tensor) *tensor.Tensor {
	if w.F32 == nil && w.Len() > 0 && ic != nil && ic.Float != nil {
		return ic.Float()
	}
	return w
}

// fits reports whether ic can compute g's convolution.
func (ic *IntegerConv) fits(g *ConvGeometry) bool {
	return ic != nil && ic.A != nil && gemm.IntegerKernel() && g.Group == 1 && !g.Winograd &&
		ic.A.Rows() == g.OutChannels && ic.A.Depth() == g.InChannels*g.KernelSize()
}

// multiply computes one image's output yg = A * col(img) (+ yg when beta
// is 1) as ConvFusedIntoCol's float path would: reading img directly for
// a pointwise convolution, through panels where the platform gathers
// them, and by blocks of col otherwise. False means the image holds a
// value the integer kernel refuses, with yg partly written.
func (ic *IntegerConv) multiply(yg, img []float32, pointwise bool, panels *ColPanels, col []float32, cg int, w *Window, beta float32) bool {
	outSize := w.OutSize()
	switch {
	case pointwise:
		return gemm.Qgemm(ic.A, outSize, img, outSize, ic.Inv, beta != 0, yg, outSize)
	case panels != nil:
		panels.SetImage(img)
		return gemm.QgemmPanels(ic.A, outSize, panels, ic.Inv, beta != 0, yg, outSize)
	}
	return eachColBlock(img, col, cg, w, func(block []float32, cols, off int) bool {
		return gemm.Qgemm(ic.A, cols, block, cols, ic.Inv, beta != 0, yg[off:], outSize)
	})
}

// restartImage writes image n's output start again (its bias and residual,
// or zeros) and returns the GEMM's beta for it.
func restartImage(yg []float32, b, residual *tensor.Tensor, n, channels, plane int) float32 {
	var res *tensor.Tensor
	if residual != nil {
		size := channels * plane
		res = &tensor.Tensor{DType: tensor.Float32, Shape: []int{1, channels, plane}, F32: residual.F32[n*size : (n+1)*size]}
	}
	if initOutput(yg, b, res, 1, channels, plane) {
		return 1
	}
	clear(yg)
	return 0
}
