package exec

import (
	"slices"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Planning the arena before the first run. A run that records the trace
// the arena is planned from (arena.go) is served by the free-list pool, and
// those buffers, the arena planned at its end and the garbage they become
// were, together, the process's peak (DenseNet-121: 26.8 MiB of free
// buffers for 8.0 MiB of live activations; docs/benchmarks.md). The trace
// is known before any run when every value's shape is: a kernel allocates
// its outputs through Context.Alloc, in output order, and the executor
// releases each value after its last reader (planLiveness), so shape
// inference on the model's declared input shapes gives the sizes, and the
// run plan the order. The session predicts that trace when it is built,
// and the first run on inputs of those shapes is served from an arena laid
// out from it: the free lists are never used.
//
// The prediction is checked as any plan is, request by request (planTake,
// planPut). A kernel that allocates otherwise than predicted (a temporary
// through Alloc, an omitted output it still allocates, outputs in another
// order) makes the run leave the plan there and finish from the free
// lists; that run also records its own trace, from which the next run is
// planned, so a wrong prediction costs one arena in one run, not a run
// more. Where shapes depend on values (a Reshape to a computed shape, an
// op without a shape rule) or an input has an unknown dimension other
// than the batch, nothing is predicted and the first run records as
// before; a first run on inputs of other shapes than those predicted for
// (another batch) records too, unless the caller predicted for that batch
// with PlanAhead.

// aheadTrace is the trace predicted for runs on inputs of the shapes in
// inputs.
type aheadTrace struct {
	inputs map[string][]int
	trace  runTrace
}

// PlanAhead predicts the trace of a run on inputs of the given shapes (by
// input name; inputs it omits take the declared shapes), so that the next
// run on such inputs that finds no plan in force, normally the first, is
// served from an arena planned from it rather than recording its trace
// from free lists. m must be the model the session was built from (a
// caller that keeps it, as the page does to compress it, and runs batches
// other than the batch of 1 NewSession predicts for). It reports whether
// the shapes could be inferred; when not, nothing changes.
func (s *Session) PlanAhead(m *onnx.Model, inputShapes map[string][]int) bool {
	a := predictTraceFor(m, s.fusedPlan, inputShapes)
	if a == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ahead, s.pool.ahead = a, a
	return true
}

// predictTraceFor returns the trace of the run plan p on the given input
// shapes, or nil when shape inference cannot give every value's type and
// shape. NewSession predicts from Validate's shapes instead (traceOf).
func predictTraceFor(m *onnx.Model, p *runPlan, inputs map[string][]int) *aheadTrace {
	shapes, err := graph.InferShapes(m, inputs, EvalNode)
	if err != nil {
		return nil
	}
	return traceOf(m, shapes, p)
}

// traceOf returns the trace of the run plan p on m's inferred shapes, or
// nil when they do not give every value's type and shape.
func traceOf(m *onnx.Model, shapes *graph.Shapes, p *runPlan) *aheadTrace {
	tr := runTrace{}
	// req[slot] is the request serving slot's value, -1 when it has none
	// (not yet produced, not float32, or released).
	req := make([]int32, p.produced)
	for i := range req {
		req[i] = -1
	}
	for _, ps := range p.steps {
		// A convolution, fused or not, asks the pool for its col
		// matrix's scratch (temp.go).
		sc := convScratch(ps, p, shapes)
		for j, slot := range ps.out {
			if slot < 0 {
				continue // omitted: a kernel that still allocates it leaves the plan
			}
			v := shapes.Of(p.names[slot])
			if v == nil || v.DType == tensor.Undefined || slices.Contains(ps.out[:j], slot) {
				return nil
			}
			if v.DType != tensor.Float32 {
				continue
			}
			r := int32(len(tr.sizes))
			tr.sizes = append(tr.sizes, int(v.Elements()))
			tr.events = append(tr.events, r)
			req[slot] = r
		}
		if sc > 0 { // requested after the outputs, released before the step's releases
			r := int32(len(tr.sizes))
			tr.sizes = append(tr.sizes, sc)
			tr.events = append(tr.events, r, ^r)
		}
		for _, slot := range ps.release {
			if r := req[slot]; r >= 0 {
				tr.events = append(tr.events, ^r)
				req[slot] = -1
			}
		}
	}
	// The shapes it was inferred on, every input's (InferShapes read the
	// declared shape of each one inputs omits).
	// Old exporters list initializers as graph inputs too.
	inits := map[string]bool{}
	for _, t := range m.Graph.Initializer {
		if t != nil {
			inits[t.Name] = true
		}
	}
	known := map[string][]int{}
	for _, vi := range m.Graph.Input {
		if v := shapes.Of(vi.Name); v != nil && !inits[vi.Name] {
			known[vi.Name] = v.Dims
		}
	}
	return &aheadTrace{inputs: known, trace: tr}
}

// convScratch is the im2col scratch step ps takes when it is a Conv on the
// inferred shapes, else 0.
func convScratch(ps plannedStep, p *runPlan, shapes *graph.Shapes) int {
	n := ps.step.node
	if n.OpType != "Conv" || !onnx.IsDefaultDomain(n.Domain) || len(ps.in) < 2 {
		return 0
	}
	dims := func(o operand) []int {
		if o.slot >= 0 {
			if v := shapes.Of(p.names[o.slot]); v != nil {
				return v.Dims
			}
			return nil
		}
		if o.fixed != nil {
			return o.fixed.Shape
		}
		return nil
	}
	x, w := dims(ps.in[0]), dims(ps.in[1])
	if x == nil || w == nil {
		return 0
	}
	g, err := nn.ResolveConv(x, w, nn.ConvParamsOf(n))
	if err != nil {
		return 0
	}
	return nn.ConvScratchFloats(g)
}

// matches reports whether inputs have the shapes the trace was predicted
// for.
func (a *aheadTrace) matches(inputs map[string]*tensor.Tensor) bool {
	for name, dims := range a.inputs {
		if t := inputs[name]; t == nil || !slices.Equal(t.Shape, dims) {
			return false
		}
	}
	return true
}
