package exec

import (
	"math"

	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/tensor"
)

// Integer convolutions in QDQ models. Where the platform has an integer
// GEMM (gemm.IntegerKernel: the wasm SIMD kernel, AVX2), a Conv whose input is a
// fake-quant chain's output (every value a step times an integer code) and
// whose weight is a DequantizeLinear of integer codes folded at load,
// with a scale per output channel or one for all, multiplies the codes in
// int32 and scales each output channel once (nn.ConvIntegerIntoCol): what
// onnxruntime's QLinearConv computes. The codes are packed once, here; the
// float weight stays for the images the kernel refuses (a NaN input) and
// for RunAll.
//
// The result is the exact integer sum where the float model has the
// rounding of its float32 sum: the two differ within float32 rounding of
// sum |w||x|, so a quantized activation downstream whose value falls
// within that of a rounding boundary may take the other level (as
// onnxruntime, which sums in its own order, does on some). Everything else
// is the float path's bits.

// integerConvs gives each fused Conv step of steps that qualifies its
// integer weights, turning plain Conv steps into fused ones where needed
// (steps is modified in place).
func (s *Session) integerConvs(steps []step) {
	if !gemm.IntegerKernel() || len(s.dequantized) == 0 {
		return
	}
	grids := map[string]*fakeQuant{}
	for _, st := range steps {
		if st.grid != nil && len(st.node.Output) == 1 {
			grids[st.node.Output[0]] = st.grid
		}
	}
	for i, st := range steps {
		if len(st.node.Input) < 2 || grids[st.node.Input[0]] == nil {
			continue
		}
		fs, ok := s.asFusedConv(st)
		if !ok || fs.conv.integer != nil {
			continue
		}
		fc := fs.conv
		w := s.consts[fs.node.Input[1]]
		if w == nil || fc.bnScale == nil && w != s.consts[fc.conv.Input[1]] || nn.ConvParamsOf(fc.conv).Group > 1 {
			continue // a weight rewritten since it was dequantized, or grouped
		}
		dq, ok := s.dequantized[fc.conv.Input[1]]
		if !ok {
			continue
		}
		if ic, ok := s.integerWeights(dq, w, fc.bnScale, grids[st.node.Input[0]]); ok {
			fc.integer = ic
			steps[i] = fs
			if s.runOnly {
				s.dropFloatWeight(fs.node.Input[1], ic)
			}
		}
	}
}

// integerWeights returns the integer form of weight w, the folded output of
// DequantizeLinear dq times bnScale per output channel (when not nil: a
// BatchNormalization folded since), for an input on f's grid, when the
// codes, the scales and the grid fit the integer kernel.
func (s *Session) integerWeights(dq step, w *tensor.Tensor, bnScale []float64, f *fakeQuant) (*nn.IntegerConv, bool) {
	n := dq.node
	if len(n.Input) < 2 || len(w.Shape) < 3 || n.AttrInt("block_size", 0) != 0 {
		return nil, false
	}
	x, scale := s.consts[n.Input[0]], s.consts[n.Input[1]]
	var zp *tensor.Tensor
	if len(n.Input) > 2 && n.Input[2] != "" {
		zp = s.consts[n.Input[2]]
	}
	if x == nil || scale == nil || scale.DType != tensor.Float32 || !slices16Shape(x, w) {
		return nil, false
	}
	switch x.DType {
	case tensor.Int8, tensor.Uint8, tensor.Int4, tensor.Uint4:
	default:
		return nil, false
	}
	if zp != nil && zp.DType != x.DType {
		return nil, false
	}
	idx, err := newScaleIndex(&Context{Node: n, Opset: dq.opset}, x.Shape, scale, zp)
	if err != nil || !idx.perTensor && (!idx.perAxis || idx.outer != 1 || idx.dim != w.Shape[0]) {
		return nil, false // the scale must be one per output channel (axis 0) or one for all
	}
	step, bound, ok := f.grid()
	if !ok {
		return nil, false
	}
	m, k := w.Shape[0], w.Len()/w.Shape[0]
	codes := make([]int16, m*k)
	alpha := make([]float32, m)
	for r := 0; r < m; r++ {
		ch := 0
		if !idx.perTensor {
			ch = r
		}
		alpha[r] = scale.F32[ch] * step
		if bnScale != nil {
			alpha[r] = float32(float64(scale.F32[ch]) * float64(step) * bnScale[r])
		}
		if !finite32(scale.F32[ch]) || !finite32(alpha[r]) {
			// An infinite or NaN scale makes the float weights Inf and
			// NaN (0 * Inf), which the integer sum would not reproduce.
			return nil, false
		}
		for c := 0; c < k; c++ {
			i := r*k + c
			v := asInt64(x, i)
			if zp != nil {
				v -= asInt64(zp, ch)
			}
			codes[i] = int16(v) // |v| <= 255 for 8-bit types
		}
	}
	a, err := gemm.NewQuantA(codes, m, k, alpha)
	if err != nil || a.BLimit() < bound {
		return nil, false
	}
	ic := &nn.IntegerConv{A: a, Inv: 1 / step}
	// The float weight from the codes, for dropFloatWeight: the
	// DequantizeLinear kernel's float32(code) * scale, then the folded
	// BatchNormalization's float32(float64(v) * a), as fuse.go computed it.
	rowScale := make([]float32, m)
	for r := range rowScale {
		rowScale[r] = scale.F32[0]
		if !idx.perTensor {
			rowScale[r] = scale.F32[r]
		}
	}
	shape := append([]int(nil), w.Shape...)
	ic.Float = func() *tensor.Tensor {
		codes := a.Codes()
		wf := tensor.New(tensor.Float32, shape)
		for i, c := range codes {
			r := i / k
			v := float32(c) * rowScale[r]
			if bnScale != nil {
				v = float32(float64(v) * bnScale[r])
			}
			wf.F32[i] = v
		}
		return wf
	}
	return ic, true
}

// dropFloatWeight replaces the float weight constant name of an integer
// Conv with its shape alone, when ic.Float rebuilds it bit for bit (checked
// here, once): a run-only session then holds 2 bytes a weight (the codes)
// instead of 4 plus 2, and makes the float weight only for an image the
// integer kernel refuses.
func (s *Session) dropFloatWeight(name string, ic *nn.IntegerConv) {
	w := s.consts[name]
	if w == nil || ic.Float == nil {
		return
	}
	rebuilt := ic.Float()
	if len(rebuilt.F32) != len(w.F32) {
		ic.Float = nil
		return
	}
	for i, v := range w.F32 {
		if math.Float32bits(v) != math.Float32bits(rebuilt.F32[i]) {
			ic.Float = nil // keep the float weight: the integer path still serves
			return
		}
	}
	s.consts[name] = &tensor.Tensor{DType: tensor.Float32, Shape: w.Shape}
}

// slices16Shape reports whether the codes x have w's shape.
func slices16Shape(x, w *tensor.Tensor) bool {
	if len(x.Shape) != len(w.Shape) || x.Len() != w.Len() {
		return false
	}
	for i := range x.Shape {
		if x.Shape[i] != w.Shape[i] {
			return false
		}
	}
	return true
}

// grid returns the step of f's output values, each step times an integer
// code, and the largest |code| they take, when the step has a finite
// reciprocal and the codes fit 16 bits. The pass makes code = round(r) +
// Offset with r clamped to [Lo, Hi] (NaN to the NaN level), times -1, 0 or
// 1 in the signed form.
func (f *fakeQuant) grid() (float32, int, bool) {
	q := &f.q
	step := q.Step
	if !(step > 0) || math.IsInf(float64(step), 0) || math.IsInf(float64(1/step), 0) {
		return 0, 0, false
	}
	off := float64(q.Offset)
	bound := 0.0
	for _, v := range []float64{math.Floor(float64(q.Lo)) + off, math.Ceil(float64(q.Hi)) + off, float64(q.NaN) + off} {
		bound = max(bound, math.Abs(v))
	}
	if math.IsNaN(bound) || bound > math.MaxInt16 || off != math.Trunc(off) {
		return 0, 0, false
	}
	return step, int(bound), true
}

func finite32(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
