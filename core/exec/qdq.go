package exec

import (
	"math"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// QDQ models at the speed of float ones. A QDQ file (ONNX's standard
// form of a quantized model, what pare quantize writes) stores each weight
// as integers behind a DequantizeLinear and puts QuantizeLinear ->
// DequantizeLinear on every quantized activation:
//
//   - DequantizeLinear of an initializer has constant inputs, so
//     NewSession folds it once like any constant node: the Conv reads the
//     float weight (and the int32 bias as float) and fuses as usual.
//   - A QuantizeLinear -> DequantizeLinear pair on an activation, with the
//     element-wise prefix that quantizers put before it (Abs, Relu, Sub,
//     Add or Mul of a scalar constant, Clip to constant bounds: a QIL
//     quantizer's, or a network's input scaling) and the signed
//     form's Mul by Sign of the chain's input after it, runs here as one
//     fake-quant pass: one buffer, no integer tensor, where the unfused
//     plan makes up to seven passes and as many buffers.
//   - When the chain's input is the output of a Conv (fused or not) that
//     nothing else reads, the pass runs inside the Conv's step on its
//     output, before the next op reads it, and the Conv's fused Relu or
//     Clip becomes the pass's clamp (absorbClamp).
//   - A Conv whose input is such a chain's output and whose weight is a
//     folded DequantizeLinear of integer codes multiplies the codes in
//     int32 where the platform has an integer GEMM (qconv.go).
//
// The pass is nn.FakeQuant (AVX2 natively, the SIMD kernel module in
// wasm). Each element goes through exactly the float32 operations of the
// unfused kernels (the Q kernel's float32 division, round half to even, the
// saturation and NaN-to-0 rule, the DQ kernel's float32 multiply), so the
// fused result is bit for bit the unfused one (qdq_test.go). An input the
// pass does not handle at run time (not float32, a constant whose shape
// would broadcast) runs the original kernels one after the other.

// fakeQuant is one fused QuantizeLinear -> DequantizeLinear chain.
type fakeQuant struct {
	pre []preOp
	// qScale, qZero and [qLo, qHi] are the QuantizeLinear's scale, zero
	// point and saturation range; dScale and dZero the DequantizeLinear's.
	qScale, dScale float32
	qZero, dZero   float64
	qLo, qHi       float64
	// [lo, hi] is what x/qScale is clamped to before rounding: the
	// saturation range less the zero point, narrowed by a Clip just before
	// the QuantizeLinear (mergeClip).
	lo, hi float32
	// signed multiplies the result by Sign of the chain's input, or, when
	// signScale is not 0, of the input times signScale: the output of
	// the Mul by that constant which pre then starts with.
	signed    bool
	signScale float32
	// pooledClamp is the clamp absorbClamp took from the Conv before a
	// max pool that f follows (absorbPooledClamp), for the fallback.
	pooledClamp *nn.Epilogue
	// q is the fused pass (finish).
	q nn.FakeQuant
	// members are the original steps, in order, for the fallback, with
	// the constants they read (a run-only session releases those from its
	// own table, since no fused step names them).
	members []step
	consts  map[string]*tensor.Tensor
	input   string
}

// preOp is one element-wise op before the QuantizeLinear.
type preOp struct {
	kind nn.FakeQuantOpKind
	// a is the constant of Sub, Add and Mul and the lower bound of Clip,
	// b the upper bound of Clip.
	a, b float32
	// rank is the rank of the constant operand of Sub, Add and Mul: an input of
	// lower rank would be broadcast up to it.
	rank int
}

// fuseFakeQuant returns steps with every recognised chain replaced by one
// step (placed where the chain's DequantizeLinear, or signed Mul, was), or
// folded into the Conv step that produces its input.
func (s *Session) fuseFakeQuant(steps []step) []step {
	readers := map[string]int{}
	producer := map[string]int{}
	for i, st := range steps {
		for _, name := range st.node.Input {
			if name != "" {
				readers[name]++
			}
		}
		for _, name := range st.node.Output {
			producer[name] = i
		}
	}
	isOutput := map[string]bool{}
	for _, o := range s.outputs {
		isOutput[o] = true
	}
	// private reports whether value name is produced by a step and read
	// only by the one step after it in the chain.
	private := func(name string) bool { return readers[name] == 1 && !isOutput[name] }
	stepOf := func(name string) (int, bool) {
		i, ok := producer[name]
		return i, ok
	}

	drop := map[int]bool{}
	placed := map[int]step{}
	for i, st := range steps {
		if !isOp(st.node, "DequantizeLinear") || drop[i] {
			continue
		}
		f := &fakeQuant{}
		qi, ok := stepOf(st.node.Input[0])
		if !ok || !isOp(steps[qi].node, "QuantizeLinear") || !private(st.node.Input[0]) || !s.readQDQ(f, steps[qi], st) {
			continue
		}
		chain := []int{qi, i}
		// Walk back over the element-wise prefix.
		in := steps[qi].node.Input[0]
		for {
			pi, ok := stepOf(in)
			if !ok || !private(in) || drop[pi] {
				break
			}
			op, data, ok := s.readPreOp(steps[pi])
			if !ok {
				break
			}
			f.pre = append([]preOp{op}, f.pre...)
			chain = append([]int{pi}, chain...)
			in = data
		}
		f.input = in
		f.mergeClip()
		last, out := i, st.node.Output[0]
		// The signed form: Mul(DQ, Sign(input)).
		if private(out) {
			if mi, ok := s.signedMul(steps, out, in, readers, isOutput); ok {
				si := producer[steps[mi].node.Input[0]]
				if steps[mi].node.Input[0] == out {
					si = producer[steps[mi].node.Input[1]]
				}
				f.signed = true
				chain = append(chain, si, mi)
				last, out = mi, steps[mi].node.Output[0]
			}
		}
		// A signed chain's input may be a Mul by a constant that only the
		// chain reads, through its first op and the Sign: a network's input
		// scaling before a signed quantizer (the first layer of a net
		// quantized whole). The pass takes the Mul too, and the sign of the
		// same product.
		if pi, ok := stepOf(in); ok && f.signed && readers[in] == 2 && !isOutput[in] && !drop[pi] {
			if op, data, ok := s.readPreOp(steps[pi]); ok && op.kind == nn.FakeQuantMul && op.a != 0 {
				f.pre = append([]preOp{op}, f.pre...)
				f.signScale = op.a
				chain = append(chain, pi)
				in = data
				f.input = in
			}
		}
		f.consts = map[string]*tensor.Tensor{}
		for _, j := range chain {
			f.members = append(f.members, steps[j])
			for _, name := range steps[j].node.Input {
				if t, ok := s.consts[name]; ok {
					f.consts[name] = t
				}
			}
		}
		sortSteps(f.members, chain)
		f.finish()
		for _, j := range chain {
			drop[j] = true
		}
		// Into the producing Conv, when only the chain reads its output
		// (the signed form also reads the input through Sign: not then).
		if ci, ok := stepOf(in); ok && !f.signed && private(in) && !drop[ci] {
			if cs, ok := s.withQuantEpilogue(steps[ci], f, out); ok {
				cs.grid = f
				placed[ci] = cs
				continue
			}
			// Into a pooling step, directly or through a reshape of its
			// output (mnist-8's and the Fashion nets' Gemm input).
			if ps, ok := withQuantAfter(steps[ci], f, out); ok {
				s.absorbPooledClamp(steps, ci, f, private)
				ps.grid = f
				placed[ci] = ps
				continue
			}
			if pi, ok := stepOf(steps[ci].node.Input[0]); ok && isShapeOnly(steps[ci].node) && private(steps[ci].node.Input[0]) && !drop[pi] && f.scalarPre() {
				if ps, ok := withQuantAfter(steps[pi], f, steps[pi].node.Output[0]); ok {
					s.absorbPooledClamp(steps, pi, f, private)
					rs := steps[ci]
					node := *rs.node
					node.Output = []string{out}
					rs.node = &node
					ps.grid, rs.grid = f, f
					placed[pi], placed[ci] = ps, rs
					continue
				}
			}
		}
		node := &onnx.Node{Name: st.node.Name, OpType: "DequantizeLinear", Input: []string{in}, Output: []string{out}}
		placed[last] = step{node: node, opset: st.opset, kernel: f.kernel, overwrites: true, grid: f}
	}
	if len(drop) == 0 {
		return steps
	}
	out := make([]step, 0, len(steps))
	for i, st := range steps {
		if fs, ok := placed[i]; ok {
			out = append(out, fs)
			continue
		}
		if !drop[i] {
			out = append(out, st)
		}
	}
	return out
}

// mergeClip folds a Clip that is the last op before the QuantizeLinear
// into the clamp of x/qScale. Dividing by a positive scale is monotone
// in float32 too, so fl(clip(x, l, h)/s) = clamp(fl(x/s), fl(l/s),
// fl(h/s)) exactly, NaN passing through both; when that range overlaps
// [lo, hi], the two clamps are one.
func (f *fakeQuant) mergeClip() {
	n := len(f.pre)
	if n == 0 || f.pre[n-1].kind != nn.FakeQuantClip || !(f.qScale > 0) || math.IsInf(float64(f.qScale), 1) {
		return
	}
	p := f.pre[n-1]
	l, h := p.a/f.qScale, p.b/f.qScale
	if !(l <= f.hi && h >= f.lo) {
		return
	}
	f.lo, f.hi = max(f.lo, l), min(f.hi, h)
	f.pre = f.pre[:n-1]
}

// absorbClamp moves the Relu or Clip fused into the producing Conv into
// the clamp of x/qScale when f has no prefix and mergeClip can fold it:
// one pass over the output fewer. For values the result is the same
// (mergeClip's monotonicity argument); a NaN, which the epilogue's
// branch-free clamp may turn into 0 or its upper bound, now quantizes to
// level 0 as it does through the unfused Relu, Clip and QuantizeLinear.
func (f *fakeQuant) absorbClamp(e *nn.Epilogue) {
	if !e.Clamp || len(f.pre) != 0 {
		return
	}
	f.pre = []preOp{{kind: nn.FakeQuantClip, a: e.Min, b: e.Max}}
	f.mergeClip()
	if len(f.pre) != 0 {
		f.pre = nil
		return
	}
	e.Clamp = false
	f.finish()
}

// sortSteps orders members by their step index (the chain was gathered
// out of order: prefix, Q, DQ, Sign, Mul).
func sortSteps(members []step, idx []int) {
	for a := 1; a < len(idx); a++ {
		for b := a; b > 0 && idx[b] < idx[b-1]; b-- {
			idx[b], idx[b-1] = idx[b-1], idx[b]
			members[b], members[b-1] = members[b-1], members[b]
		}
	}
}

func isOp(n *onnx.Node, op string) bool {
	return n.OpType == op && onnx.IsDefaultDomain(n.Domain) && len(n.Output) == 1 && len(n.Input) >= 1
}

// scalarF32 returns the value of a one-element float32 constant and its
// rank.
func (s *Session) scalarF32(name string) (float32, int, bool) {
	t := s.consts[name]
	if t == nil || t.DType != tensor.Float32 || t.Len() != 1 || len(t.F32) != 1 {
		return 0, 0, false
	}
	return t.F32[0], len(t.Shape), true
}

// perTensorScale is scalarF32 for a quantization scale, which the kernels
// read per tensor only when it is a scalar or of shape [1].
func (s *Session) perTensorScale(name string) (float32, bool) {
	v, rank, ok := s.scalarF32(name)
	return v, ok && rank <= 1
}

// readQDQ fills f's quantization parameters when q and dq are a per-tensor
// pair with constant scales and zero points that the kernels accept.
func (s *Session) readQDQ(f *fakeQuant, q, dq step) bool {
	qn, dn := q.node, dq.node
	if len(qn.Input) < 2 || len(dn.Input) < 2 {
		return false
	}
	if a := dn.Attr("output_dtype"); a != nil && a.I != 0 && tensor.DType(a.I) != tensor.Float32 {
		return false
	}
	var ok bool
	if f.qScale, ok = s.perTensorScale(qn.Input[1]); !ok {
		return false
	}
	if f.dScale, ok = s.perTensorScale(dn.Input[1]); !ok {
		return false
	}
	qType := tensor.Uint8
	if a := qn.Attr("output_dtype"); a != nil && a.I != 0 {
		qType = tensor.DType(a.I)
	}
	var qz, dz *tensor.Tensor
	if len(qn.Input) > 2 && qn.Input[2] != "" {
		if qz = s.consts[qn.Input[2]]; qz == nil || qz.Len() != 1 {
			return false
		}
		qType = qz.DType
	}
	if len(dn.Input) > 2 && dn.Input[2] != "" {
		if dz = s.consts[dn.Input[2]]; dz == nil || dz.Len() != 1 || dz.DType != qType {
			return false
		}
	}
	lo, hi, ok := quantRange(qType)
	if !ok || qType == tensor.Int32 || (qType == tensor.Int4 || qType == tensor.Uint4) && q.opset < 21 {
		return false
	}
	f.qLo, f.qHi = lo, hi
	if qz != nil {
		f.qZero = float64(asInt64(qz, 0))
	}
	if dz != nil {
		f.dZero = float64(asInt64(dz, 0))
	}
	f.lo, f.hi = float32(lo-f.qZero), float32(hi-f.qZero)
	return true
}

// readPreOp recognises an element-wise op on float32 data with constant
// scalar operands, and returns the name of its data input.
func (s *Session) readPreOp(st step) (preOp, string, bool) {
	n := st.node
	if !onnx.IsDefaultDomain(n.Domain) || len(n.Output) != 1 || len(n.Input) == 0 {
		return preOp{}, "", false
	}
	switch n.OpType {
	case "Abs":
		return preOp{kind: nn.FakeQuantAbs}, n.Input[0], len(n.Input) == 1
	case "Relu":
		return preOp{kind: nn.FakeQuantRelu}, n.Input[0], len(n.Input) == 1
	case "Sub", "Add", "Mul":
		if len(n.Input) != 2 || st.opset < 7 {
			return preOp{}, "", false
		}
		data := 0
		c, rank, ok := s.scalarF32(n.Input[1])
		if !ok && n.OpType == "Mul" {
			// A float32 product does not depend on the operands' order.
			data = 1
			c, rank, ok = s.scalarF32(n.Input[0])
		}
		if !ok {
			return preOp{}, "", false
		}
		k := nn.FakeQuantSub
		switch n.OpType {
		case "Add":
			k = nn.FakeQuantAdd
		case "Mul":
			k = nn.FakeQuantMul
		}
		return preOp{kind: k, a: c, rank: rank}, n.Input[data], true
	case "Clip":
		if lo, hi, ok := s.activationRange(st); ok {
			return preOp{kind: nn.FakeQuantClip, a: lo, b: hi}, n.Input[0], true
		}
	}
	return preOp{}, "", false
}

// signedMul finds Mul(dq, Sign(input)) (either operand order) as the only
// reader of dq, with the Sign read by nothing else.
func (s *Session) signedMul(steps []step, dq, input string, readers map[string]int, isOutput map[string]bool) (int, bool) {
	for mi, st := range steps {
		n := st.node
		if !isOp(n, "Mul") || len(n.Input) != 2 || n.Input[0] != dq && n.Input[1] != dq || n.Input[0] == n.Input[1] {
			continue
		}
		other := n.Input[1]
		if other == dq {
			other = n.Input[0]
		}
		if readers[other] != 1 || isOutput[other] {
			return 0, false
		}
		for _, sg := range steps {
			if isOp(sg.node, "Sign") && sg.node.Output[0] == other && sg.node.Input[0] == input {
				return mi, true
			}
		}
		return 0, false
	}
	return 0, false
}

// withQuantEpilogue returns conv's step with f applied to its output,
// which is renamed out, when conv is a float Conv (fused or not).
func (s *Session) withQuantEpilogue(conv step, f *fakeQuant, out string) (step, bool) {
	conv, ok := s.asFusedConv(conv)
	if !ok {
		return step{}, false
	}
	fc, n := conv.conv, conv.node
	if fc.quant != nil {
		return step{}, false
	}
	for _, p := range f.pre {
		if p.rank > 3 { // a Conv's output has rank 3 or more
			return step{}, false
		}
	}
	fc.quant = f
	f.absorbClamp(&fc.clamp)
	node := *n
	node.Output = []string{out}
	return step{node: &node, opset: conv.opset, kernel: fc.kernel, overwrites: true, conv: fc}, true
}

// quantAfterOps are the ops whose output withQuantAfter may fake-quantize
// in place: their kernels write a fresh buffer of their one output.
var quantAfterOps = map[string]bool{"MaxPool": true, "AveragePool": true, "GlobalAveragePool": true, "GlobalMaxPool": true}

// withQuantAfter returns prod's step with f applied in place to its
// output, which is renamed out, when prod is a pooling op with one
// output: the pass runs while the output is in cache, and the plan has
// one step and one buffer fewer (mnist-8 with every layer quantized had
// three such steps, a twentieth of its time in wasm). Fake-quantizing
// the pool's finished output is the chain on the same values, bit for
// bit.
func withQuantAfter(prod step, f *fakeQuant, out string) (step, bool) {
	n := prod.node
	if !quantAfterOps[n.OpType] || !onnx.IsDefaultDomain(n.Domain) || len(n.Output) != 1 || prod.conv != nil {
		return step{}, false
	}
	for _, p := range f.pre {
		if p.rank > 3 { // a pool's output has rank 3 or more
			return step{}, false
		}
	}
	inner := prod.kernel
	node := *n
	node.Output = []string{out}
	prod.node = &node
	prod.kernel = func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		outs, err := inner(c, in)
		if err != nil || len(outs) != 1 || outs[0] == nil {
			return outs, err
		}
		y := outs[0]
		if !f.handles(y) {
			// Not reached from a Conv's output (float32, rank 3 or more,
			// checked above), so the chain's input has its clamp back.
			if f.pooledClamp != nil {
				clampInPlace(outs, *f.pooledClamp)
			}
			return f.unfused(c, y)
		}
		for _, t := range in {
			if t != nil && sharesData(y, t) { // not these kernels; but never write an input
				y = copyTensor(c, y, y.Shape)
				break
			}
		}
		f.apply(y.F32, y.F32)
		return []*tensor.Tensor{y}, nil
	}
	return prod, true
}

// absorbPooledClamp moves the Relu or Clip fused into the Conv whose
// output the max pool at steps[pi] alone reads into f's clamp, as
// absorbClamp does for a chain on the Conv's own output: one pass over
// the Conv's output fewer (mnist-8's two Conv -> Relu -> MaxPool). A
// clamp to [lo, hi] is non-decreasing, so the maximum of the clamped
// values is the clamp of the maximum; the pool keeps a NaN in the same
// taps either way (a first NaN tap wins, later ones are skipped), and
// fake quantization then maps NaN to level 0 as the unfused Relu, pool
// and QuantizeLinear do.
func (s *Session) absorbPooledClamp(steps []step, pi int, f *fakeQuant, private func(string) bool) {
	n := steps[pi].node
	if n.OpType != "MaxPool" && n.OpType != "GlobalMaxPool" || len(n.Input) < 1 || !private(n.Input[0]) {
		return
	}
	for _, st := range steps {
		if fc := st.conv; fc != nil && st.node.Output[0] == n.Input[0] && fc.quant == nil && fc.clamp.Clamp {
			e := fc.clamp
			f.absorbClamp(&fc.clamp)
			if !fc.clamp.Clamp {
				f.pooledClamp = &e
			}
			return
		}
	}
}

// isShapeOnly reports whether n only reshapes its first input (its
// values pass unchanged, in order), so an element-wise pass commutes
// with it.
func isShapeOnly(n *onnx.Node) bool {
	return (n.OpType == "Reshape" || n.OpType == "Flatten") && onnx.IsDefaultDomain(n.Domain) && len(n.Output) == 1 && len(n.Input) >= 1
}

// scalarPre reports whether every constant of f's prefix has rank 0,
// so the chain computes the same values, of the same shape, before a
// reshape as after it (a constant of higher rank could broadcast the
// reshaped value up).
func (f *fakeQuant) scalarPre() bool {
	for _, p := range f.pre {
		if p.rank > 0 {
			return false
		}
	}
	return true
}

// kernel runs the fused chain on in[0].
func (f *fakeQuant) kernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	if x == nil || !f.handles(x) {
		return f.unfused(c, x)
	}
	y, err := alloc(c, tensor.Float32, x.Shape)
	if err != nil {
		return nil, err
	}
	f.apply(y.F32, x.F32)
	return []*tensor.Tensor{y}, nil
}

// handles reports whether the fused pass computes what the kernels would
// on x: float32 data no constant broadcasts to a larger rank.
func (f *fakeQuant) handles(x *tensor.Tensor) bool {
	if x.DType != tensor.Float32 || len(x.F32) != x.Len() {
		return false
	}
	for _, p := range f.pre {
		if p.rank > len(x.Shape) {
			return false
		}
	}
	return true
}

// unfused runs the original kernels in order.
func (f *fakeQuant) unfused(c *Context, x *tensor.Tensor) ([]*tensor.Tensor, error) {
	values := map[string]*tensor.Tensor{f.input: x}
	var last *tensor.Tensor
	for _, st := range f.members {
		args := make([]*tensor.Tensor, len(st.node.Input))
		for j, name := range st.node.Input {
			if v, ok := values[name]; ok {
				args[j] = v
			} else if name != "" {
				args[j] = f.consts[name]
			}
		}
		outs, err := runKernel(&Context{Node: st.node, Opset: st.opset}, st.kernel, args)
		if err != nil {
			return nil, err
		}
		values[st.node.Output[0]] = outs[0]
		last = outs[0]
	}
	return []*tensor.Tensor{copyTensor(c, last, last.Shape)}, nil
}

// apply writes the chain's result for x into y (same length; y may be x
// unless the chain is signed, which never runs in place).
func (f *fakeQuant) apply(y, x []float32) { f.q.Apply(y, x) }

// finish sets q, the pass that apply runs, from the chain's parameters.
// QuantizeLinear computes k = clamp(round(x/s) + z, qLo, qHi), with x/s
// divided in float32, round half to even, and NaN to level 0, then
// DequantizeLinear (k - z') s'. Since qLo - z and qHi - z are integers
// and rounding is monotone, clamping x/s to [lo, hi] before rounding
// gives the same k; the clamped value is at most 2^9 in magnitude, so
// nn.FakeQuant's float32 rounding is exact, and k - z' is a small
// integer, exact in float32: every step is the kernels' arithmetic,
// without float64 or integer conversions.
func (f *fakeQuant) finish() {
	f.q = nn.FakeQuant{
		Scale: f.qScale, Lo: f.lo, Hi: f.hi,
		NaN:       float32(-f.qZero), // level 0
		Offset:    float32(f.qZero - f.dZero),
		Step:      f.dScale,
		Signed:    f.signed,
		SignScale: f.signScale,
	}
	for _, p := range f.pre {
		f.q.Pre = append(f.q.Pre, nn.FakeQuantOp{Kind: p.kind, A: p.a, B: p.b})
	}
}
