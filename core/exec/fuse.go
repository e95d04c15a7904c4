package exec

import (
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Conv fusion: the step list Run uses merges each Conv with what only it
// feeds, as onnxruntime does at its default optimisation level:
//
//	Conv -> BatchNormalization   the BN is folded into the Conv's weights
//	                             and bias once, at session creation
//	     -> Add(constant)        a per-channel constant is folded into
//	                             the bias (CNTK's separate bias nodes)
//	     -> Add(other)           the other operand is added while the
//	                             output is written (a ResNet shortcut)
//	     -> Relu | Clip          the clamp is applied to each finished
//	                             output row or GEMM block
//
// in that order, each part optional. A fused Conv runs one kernel and
// produces one buffer where the unfused graph makes up to four full
// passes over memory and three buffers; in WebAssembly, where Go's scalar
// loops are the slow part, that is most of the time of the elementwise
// ops. RunAll (KeepAll) keeps the unfused steps, because training and
// debugging read every intermediate value.
//
// Folding BN changes rounding: W*a summed differs from a*(W summed) in
// the last bits, within 1e-5 relative of the output's scale (tested in
// fuse_test.go against the unfused run).

// fusedConv is what one fused step computes after the Conv.
type fusedConv struct {
	conv *onnx.Node
	// add, when set, is the fused Add node and addSlot the index of the
	// Conv's output among its inputs (the other is the residual).
	add     *onnx.Node
	addSlot int
	addOps  int64
	// act, when set, is the fused Relu or Clip and clamp its range.
	act   *onnx.Node
	actOp int64
	clamp nn.Epilogue
	// quant, when set, is a fake-quant chain applied to the finished
	// output (qdq.go).
	quant *fakeQuant
	// bnScale is the per-channel multiplier of a BatchNormalization
	// folded into the weight (nil when none was): the weight is then no
	// longer the dequantized codes, which integer's scales multiply by
	// it instead. integer, when set, multiplies a quantized input by the
	// weight's codes (qconv.go).
	bnScale []float64
	integer *nn.IntegerConv
	// geometry caches the Conv resolved for the input shapes of the last
	// run (shapes rarely change between runs): parsing the attributes and
	// resolving the window allocates a dozen small slices. Runs of a
	// Session are serialised, so the cache needs no lock.
	geometry *nn.ConvGeometry
	xShape   []int
	outShape []int
	// colFloats is the col matrix scratch of geometry
	// (nn.ConvScratchFloats), asked of the run's pool.
	colFloats int
}

// fuseSteps returns a copy of s.steps with Conv chains merged into single
// steps (release lists not yet planned). Each fused step sits where the
// last node of its chain sat, so every operand it reads already exists.
func (s *Session) fuseSteps() []step {
	readers := map[string]int{}
	for _, st := range s.steps {
		for _, name := range st.node.Input {
			if name != "" {
				readers[name]++
			}
		}
	}
	isOutput := map[string]bool{}
	for _, o := range s.outputs {
		isOutput[o] = true
	}
	// soleReader returns the step that is the only reader of value name,
	// or -1 (several readers, a graph output, or a reader already fused).
	consumer := map[string]int{}
	for i, st := range s.steps {
		for _, name := range st.node.Input {
			consumer[name] = i
		}
	}
	merged := make([]bool, len(s.steps))
	soleReader := func(name string) int {
		if readers[name] != 1 || isOutput[name] || merged[consumer[name]] {
			return -1
		}
		return consumer[name]
	}

	placed := map[int]step{} // step index of a chain's last node -> fused step
	for i, st := range s.steps {
		if st.node.OpType != "Conv" || !onnx.IsDefaultDomain(st.node.Domain) || len(st.node.Output) != 1 {
			continue
		}
		w, b, ok := s.convConstants(st.node)
		if !ok {
			continue
		}
		f := &fusedConv{conv: st.node}
		last, out := i, st.node.Output[0]
		var chain []int
		if j := soleReader(out); j > i && s.steps[j].node.OpType == "BatchNormalization" {
			// A run-only session owns a weight and bias no other node
			// reads, and folds into them in place: no second copy.
			own := s.runOnly && readers[st.node.Input[1]] == 1 && !isOutput[st.node.Input[1]] &&
				(len(st.node.Input) < 3 || st.node.Input[2] == "" || readers[st.node.Input[2]] == 1 && !isOutput[st.node.Input[2]])
			if w2, b2, scale, ok := s.foldBatchNorm(s.steps[j], w, b, own); ok {
				w, b = w2, b2
				f.bnScale = scale
				chain = append(chain, j)
				last, out = j, s.steps[j].node.Output[0]
			}
		}
		if j := soleReader(out); j > last && s.steps[j].node.OpType == "Add" {
			if b2, ok := s.foldConstantAdd(s.steps[j], out, b, len(w.Shape)); ok {
				b = b2
				chain = append(chain, j)
				last, out = j, s.steps[j].node.Output[0]
			}
		}
		if j := soleReader(out); j > last && s.steps[j].node.OpType == "Add" && len(s.steps[j].node.Input) == 2 {
			add := s.steps[j].node
			slot := 0
			if add.Input[1] == out {
				slot = 1
			}
			other := add.Input[1-slot]
			if _, constant := s.consts[other]; !constant && other != out && len(add.Output) == 1 {
				f.add, f.addSlot, f.addOps = add, slot, s.steps[j].opset
				chain = append(chain, j)
				last, out = j, add.Output[0]
			}
		}
		if j := soleReader(out); j > last && len(s.steps[j].node.Output) == 1 {
			if lo, hi, ok := s.activationRange(s.steps[j]); ok {
				f.act, f.actOp = s.steps[j].node, s.steps[j].opset
				f.clamp = nn.Epilogue{Clamp: true, Min: lo, Max: hi}
				chain = append(chain, j)
				last, out = j, s.steps[j].node.Output[0]
			}
		}
		if len(chain) == 0 {
			continue
		}
		// Chains without a BN keep reading the original weight; the
		// fused names may then alias it (constants are never released).
		wName, bName := fusedName(st.node, "W"), fusedName(st.node, "B")
		s.consts[wName], s.consts[bName] = w, b
		inputs := []string{st.node.Input[0], wName, bName}
		if f.add != nil {
			inputs = append(inputs, f.add.Input[1-f.addSlot])
		}
		node := &onnx.Node{Name: st.node.Name, OpType: "Conv", Attribute: st.node.Attribute, Input: inputs, Output: []string{out}}
		merged[i] = true
		for _, j := range chain {
			merged[j] = true
		}
		placed[last] = step{node: node, opset: st.opset, kernel: f.kernel, overwrites: true, conv: f}
	}

	steps := make([]step, 0, len(s.steps))
	for i, st := range s.steps {
		if fs, ok := placed[i]; ok {
			steps = append(steps, fs)
			continue
		}
		if !merged[i] {
			st.release = nil
			steps = append(steps, st)
		}
	}
	return steps
}

// asFusedConv returns st as a fused Conv step: st itself when it is one,
// a fused step of the Conv alone when st is a Conv with constant weights
// (its output, and what other fusions add to it, unchanged), false
// otherwise.
func (s *Session) asFusedConv(st step) (step, bool) {
	if st.conv != nil {
		return st, true
	}
	n := st.node
	if !isOp(n, "Conv") || len(n.Input) < 2 {
		return step{}, false
	}
	w, b, ok := s.convConstants(n)
	if !ok {
		return step{}, false
	}
	fc := &fusedConv{conv: n}
	wName, bName := fusedName(n, "W"), fusedName(n, "B")
	s.consts[wName], s.consts[bName] = w, b
	node := &onnx.Node{Name: n.Name, OpType: "Conv", Attribute: n.Attribute, Input: []string{n.Input[0], wName, bName}, Output: n.Output}
	return step{node: node, opset: st.opset, kernel: fc.kernel, overwrites: true, conv: fc, release: st.release, grid: st.grid}, true
}

// fusedName names a fused Conv's rewritten weight or bias; the NUL byte
// keeps it apart from every name a model can contain.
func fusedName(conv *onnx.Node, what string) string {
	return fmt.Sprintf("\x00fused/%s/%s/%s", conv.Name, conv.Output[0], what)
}

// convConstants returns a Conv's weight and bias (zeros when absent) when
// both are float32 constants. They are the session's own tensors (the
// unfused steps of RunAll use them too): foldBatchNorm copies before it
// modifies, so a chain without BN costs no weight memory.
func (s *Session) convConstants(n *onnx.Node) (w, b *tensor.Tensor, ok bool) {
	if len(n.Input) < 2 {
		return nil, nil, false
	}
	wc := s.consts[n.Input[1]]
	if wc == nil || wc.DType != tensor.Float32 || len(wc.Shape) < 3 || len(wc.F32) != wc.Len() {
		return nil, nil, false
	}
	m := wc.Shape[0]
	if len(n.Input) > 2 && n.Input[2] != "" {
		bc := s.consts[n.Input[2]]
		if bc == nil || bc.DType != tensor.Float32 || len(bc.F32) != m || len(bc.Shape) != 1 {
			return nil, nil, false
		}
		return wc, bc, true
	}
	return wc, tensor.New(tensor.Float32, []int{m}), true
}

// foldBatchNorm returns w and b with an inference BatchNormalization
// applied per output channel: y = a*(conv+b-mean)+beta with
// a = scale/sqrt(var+eps), computed in float64. It declines (ok false) for
// anything but the plain per-channel inference form with constant
// parameters, which the unfused kernel then handles or rejects.
//
// With inPlace, w and b are modified and returned (the caller owns them);
// otherwise they are copied first. scale is a per channel.
func (s *Session) foldBatchNorm(bn step, w, b *tensor.Tensor, inPlace bool) (wf, bf *tensor.Tensor, scale []float64, ok bool) {
	n := bn.node
	if len(n.Input) < 5 || len(n.Output) < 1 {
		return nil, nil, nil, false
	}
	for _, extra := range n.Output[1:] {
		if extra != "" {
			return nil, nil, nil, false // training statistics requested
		}
	}
	if bn.opset >= 14 && n.AttrInt("training_mode", 0) != 0 || bn.opset < 9 && n.AttrInt("spatial", 1) == 0 {
		return nil, nil, nil, false
	}
	m := w.Shape[0]
	var p [4][]float32 // scale, bias, mean, var
	for i := range p {
		t := s.consts[n.Input[i+1]]
		if t == nil || t.DType != tensor.Float32 || len(t.F32) != m {
			return nil, nil, nil, false
		}
		p[i] = t.F32
	}
	eps := float64(n.AttrFloat("epsilon", 1e-5))
	if !inPlace {
		w = tensor.FromF32(w.Shape, append([]float32(nil), w.F32...))
		b = tensor.FromF32(b.Shape, append([]float32(nil), b.F32...))
	}
	per := w.Len() / m
	scale = make([]float64, m)
	for c := 0; c < m; c++ {
		a := float64(p[0][c]) / math.Sqrt(float64(p[3][c])+eps)
		scale[c] = a
		row := w.F32[c*per : (c+1)*per]
		for k, v := range row {
			row[k] = float32(float64(v) * a)
		}
		b.F32[c] = float32((float64(b.F32[c])-float64(p[2][c]))*a + float64(p[1][c]))
	}
	return w, b, scale, true
}

// foldConstantAdd returns b plus the constant operand of an Add after the
// Conv whose output is out, when that constant is a per-channel bias
// (shape [M, 1, ...] or a scalar, right-aligned against the output of
// rank rank, so the Add does not change the output's shape): CNTK-style
// exports (mnist-8) add the bias as a separate node. b is copied, never
// modified.
func (s *Session) foldConstantAdd(add step, out string, b *tensor.Tensor, rank int) (*tensor.Tensor, bool) {
	n := add.node
	if add.opset < 7 || len(n.Input) != 2 || len(n.Output) != 1 {
		return nil, false // before opset 7 Add broadcast by attributes
	}
	other := n.Input[0]
	if other == out {
		other = n.Input[1]
	}
	c := s.consts[other]
	if c == nil || other == out || c.DType != tensor.Float32 || len(c.F32) != c.Len() || len(c.Shape) > rank {
		return nil, false
	}
	m := b.Len()
	perChannel := c.Len() == 1
	if !perChannel && c.Len() == m {
		// Right-aligned, the channel axis (1 of the output) is at
		// len(c.Shape)-(rank-1); every other axis must be 1.
		axis := len(c.Shape) - (rank - 1)
		perChannel = axis >= 0 && c.Shape[axis] == m
		for i, d := range c.Shape {
			perChannel = perChannel && (i == axis || d == 1)
		}
	}
	if !perChannel {
		return nil, false
	}
	sum := tensor.FromF32(b.Shape, append([]float32(nil), b.F32...))
	for i := range sum.F32 {
		sum.F32[i] += c.F32[i%len(c.F32)]
	}
	return sum, true
}

// activationRange returns the clamp range of a Relu, or of a Clip whose
// bounds are constants, on float32 data.
func (s *Session) activationRange(st step) (lo, hi float32, ok bool) {
	n := st.node
	inf := float32(math.Inf(1))
	switch n.OpType {
	case "Relu":
		return 0, inf, len(n.Input) == 1
	case "Clip":
		lo, hi = -inf, inf
		if st.opset < 11 {
			return n.AttrFloat("min", -math.MaxFloat32), n.AttrFloat("max", math.MaxFloat32), len(n.Input) == 1
		}
		for i, p := range []*float32{&lo, &hi} {
			if len(n.Input) <= i+1 || n.Input[i+1] == "" {
				continue
			}
			t := s.consts[n.Input[i+1]]
			if t == nil || t.DType != tensor.Float32 || len(t.F32) != 1 {
				return 0, 0, false
			}
			*p = t.F32[0]
		}
		return lo, hi, lo <= hi
	}
	return 0, 0, false
}

// kernel runs a fused step: in is X, the folded W and B, and the residual
// when an Add was fused. A residual that needs broadcasting (shapes are
// known only now) takes the unfused path through the original kernels.
func (f *fusedConv) kernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := requireFloat32("Conv", in, "X", "W", "B"); err != nil {
		return nil, err
	}
	g := f.geometry
	if g == nil || !slices.Equal(in[0].Shape, f.xShape) {
		var err error
		if g, err = nn.ResolveConv(in[0].Shape, in[1].Shape, nn.ConvParamsOf(c.Node)); err != nil {
			return nil, err
		}
		f.geometry, f.xShape, f.outShape = g, append(f.xShape[:0], in[0].Shape...), g.OutShape()
		f.colFloats = nn.ConvScratchFloats(g)
	}
	y, err := alloc(c, tensor.Float32, f.outShape)
	if err != nil {
		return nil, err
	}
	e := f.clamp
	var residual *tensor.Tensor
	if f.add != nil {
		residual = in[3]
	}
	if residual == nil || residual.DType == tensor.Float32 && slices.Equal(residual.Shape, y.Shape) {
		e.Residual = residual
		// The col matrix's scratch from the run's pool, after y, as the
		// predicted trace has it (temp.go).
		col := c.scratch(f.colFloats)
		err := nn.ConvIntegerIntoCol(y, in[0], in[1], in[2], g, e, scratchData(col), f.integer)
		c.release(col)
		if err != nil {
			return nil, err
		}
		if f.quant != nil {
			f.quant.apply(y.F32, y.F32)
		}
		return []*tensor.Tensor{y}, nil
	}
	if err := nn.ConvInto(y, in[0], in[1], in[2], g); err != nil {
		return nil, err
	}
	operands := []*tensor.Tensor{residual, residual}
	operands[f.addSlot] = y
	out, err := runKernel(&Context{Node: f.add, Opset: f.addOps, alloc: c.alloc}, Lookup("", "Add", f.addOps), operands)
	if err != nil {
		return nil, err
	}
	out = clampInPlace(out, f.clamp)
	if f.quant != nil && out[0].DType == tensor.Float32 {
		f.quant.apply(out[0].F32, out[0].F32)
	}
	return out, nil
}

// clampInPlace applies e's clamp to the float32 output of the unfused
// path's Add (a buffer of this run, which nothing else references yet).
func clampInPlace(out []*tensor.Tensor, e nn.Epilogue) []*tensor.Tensor {
	if t := out[0]; e.Clamp && t.DType == tensor.Float32 {
		for i, v := range t.F32 {
			t.F32[i] = min(max(v, e.Min), e.Max)
		}
	}
	return out
}
