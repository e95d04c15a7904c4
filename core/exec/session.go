package exec

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Session runs one model. Build it once with NewSession (which checks every
// operator, converts the weights and folds constant nodes) and call Run as
// often as needed. Run calls are serialised: a Session is safe for use by
// several goroutines, but runs one model evaluation at a time.
type Session struct {
	inputs []*onnx.ValueInfo
	// distinctInputs is the number of distinct names in inputs.
	distinctInputs int
	outputs        []string
	// consts holds initializers and the values of folded nodes.
	consts map[string]*tensor.Tensor
	steps  []step
	// fused is steps with Conv chains merged (fuse.go): what Run uses.
	fused []step
	// folded lists the outputs of folded nodes (reported by RunAll).
	folded []string
	// dequantized maps the output of each folded DequantizeLinear to
	// the node and its opset: a Conv weight that is one may keep its
	// integer codes (qconv.go).
	dequantized map[string]step
	// runOnly sessions fold BN in place and release what only RunAll
	// reads (lean.go).
	runOnly bool

	// fusedPlan and stepsPlan are fused and steps with their values
	// resolved to slots (runplan.go); vals is the slot storage of a run.
	fusedPlan, stepsPlan *runPlan
	vals                 []*tensor.Tensor
	// ahead is the trace predicted for Run on the declared input shapes
	// (ahead.go), nil when shapes could not be inferred; each new pool
	// (ReleaseBuffers) plans its first run from it.
	ahead *aheadTrace

	mu   sync.Mutex
	pool *bufferPool
}

// step is one node to run, with the values that die after it.
type step struct {
	node   *onnx.Node
	opset  int64
	kernel Kernel
	// release lists values produced by earlier steps (or by this one) whose
	// last reader is this step; their buffers return to the pool.
	release []string
	// overwrites is set when the kernel writes every element of every
	// output it allocates (Conv): the pool then skips clearing them.
	overwrites bool
	// conv is the fused Conv a fused step runs (nil otherwise), for
	// fusions that extend it (qdq.go).
	conv *fusedConv
	// grid is set when the step's output is a fake-quant chain's (qdq.go):
	// every value a step times an integer code, which a Conv reading it
	// may multiply in integers (qconv.go).
	grid *fakeQuant
	// memo is where the kernel keeps what it derives from the node and
	// its input shapes between runs (Context.memo).
	memo any
}

// writesEveryOutput reports whether n's kernel overwrites each element of
// the outputs it allocates, so recycled buffers need no clearing.
func writesEveryOutput(n *onnx.Node) bool {
	return n.OpType == "Conv" && onnx.IsDefaultDomain(n.Domain)
}

// RunOptions tunes a run.
type RunOptions struct {
	// KeepAll keeps every intermediate value and returns it with the
	// outputs (by value name). Nothing is recycled, so memory grows to
	// the sum of all activations: meant for training and debugging.
	KeepAll bool
}

// NewSession prepares m for execution. It fails with an *UnsupportedError
// listing every node without a kernel, or with a plain error for a
// malformed graph or weights it cannot convert.
func NewSession(m *onnx.Model) (*Session, error) {
	return NewSessionWith(m, SessionOptions{})
}

// NewSessionWith is NewSession with options.
func NewSessionWith(m *onnx.Model, opts SessionOptions) (*Session, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("exec: model has no graph")
	}
	g, err := graph.New(m.Graph)
	if err != nil {
		return nil, err
	}
	shapes, err := validate(m, g)
	if err != nil {
		return nil, err
	}
	s := &Session{inputs: g.Inputs(), consts: map[string]*tensor.Tensor{}, pool: newBufferPool(opts.CollectFirstRun, nil)}
	for _, o := range m.Graph.Output {
		s.outputs = append(s.outputs, o.Name)
	}
	distinct := map[string]bool{}
	for _, vi := range s.inputs {
		distinct[vi.Name] = true
	}
	s.distinctInputs = len(distinct)

	order := g.Order()
	kernels := make([]Kernel, len(order))
	opsets := make([]int64, len(order))
	var unsupported []UnsupportedOp
	for i, n := range order {
		opsets[i] = m.OpsetVersion(n.Domain)
		if opsets[i] == 0 && onnx.IsDefaultDomain(n.Domain) {
			// A model without an opset import for the default domain is
			// malformed; read it as opset 1, the oldest semantics.
			opsets[i] = 1
		}
		kernels[i] = Lookup(n.Domain, n.OpType, opsets[i])
		if kernels[i] == nil {
			unsupported = append(unsupported, UnsupportedOp{Node: nodeName(n), OpType: n.OpType, Domain: n.Domain, Opset: opsets[i]})
		}
	}
	if len(unsupported) > 0 {
		return nil, &UnsupportedError{Ops: unsupported}
	}

	if w := opts.Weights; w != nil {
		if w.byTensor == nil {
			return nil, fmt.Errorf("exec: these Weights already went to a session; read the model again for another")
		}
		defer func() { w.byTensor = nil }() // the session owns them now
	}
	for _, init := range m.Graph.Initializer {
		t, err := opts.Weights.initializer(init)
		if err != nil {
			return nil, fmt.Errorf("exec: initializer %q: %w", init.Name, err)
		}
		s.consts[init.Name] = t
	}

	// Fold nodes whose inputs are all constant (Constant nodes, and shape
	// arithmetic or generated weights hanging off them) once, here.
	for i, n := range order {
		if !s.foldable(n) {
			s.steps = append(s.steps, step{node: n, opset: opsets[i], kernel: kernels[i], overwrites: writesEveryOutput(n)})
			continue
		}
		in := make([]*tensor.Tensor, len(n.Input))
		for j, name := range n.Input {
			if name != "" {
				in[j] = s.consts[name]
			}
		}
		outs, err := runKernel(&Context{Node: n, Opset: opsets[i]}, kernels[i], in)
		if err != nil {
			return nil, fmt.Errorf("exec: folding constant %w", err)
		}
		for j, name := range n.Output {
			if name != "" && j < len(outs) {
				s.consts[name] = outs[j]
				s.folded = append(s.folded, name)
			}
		}
		if isOp(n, "DequantizeLinear") {
			if s.dequantized == nil {
				s.dequantized = map[string]step{}
			}
			s.dequantized[n.Output[0]] = step{node: n, opset: opsets[i]}
		}
	}
	s.planLiveness(s.steps)
	// Set before fusion, which then folds BN into weights in place.
	s.runOnly = opts.RunOnly
	s.fused = s.fuseSteps()
	if !opts.noFakeQuant {
		s.fused = s.fuseFakeQuant(s.fused)
		if !opts.noIntegerConv {
			s.integerConvs(s.fused)
		}
	}
	s.dequantized = nil
	s.planLiveness(s.fused)
	if opts.RunOnly {
		s.releaseUnfused()
	}
	s.fusedPlan = s.planRun(s.fused)
	if !s.runOnly {
		s.stepsPlan = s.planRun(s.steps) // RunAll's; a graph folded whole has no steps
	}
	if !opts.noPlanAhead && shapes != nil {
		if opts.CollectFirstRun {
			// Loading's garbage so far (the decoded model's structures,
			// the graphs, Validate's shape inference, folding) is freed
			// before the trace is predicted, whose garbage then reuses
			// those pages: in wasm, whose linear memory never shrinks, the
			// pages freed at the first run's collection stay beside the
			// arena (docs/benchmarks.md).
			runtime.GC()
		}
		// Validate's shapes: the same inference on the same model and
		// declared input shapes, not run a second time.
		s.ahead = traceOf(m, shapes, s.fusedPlan)
		s.pool.ahead = s.ahead
	}
	return s, nil
}

// foldable reports whether every input of n is already a constant.
func (s *Session) foldable(n *onnx.Node) bool {
	for _, name := range n.Input {
		if name == "" {
			continue
		}
		if _, ok := s.consts[name]; !ok {
			return false
		}
	}
	return true
}

// planLiveness records, for each step, the values whose last reader it is.
// Graph outputs, inputs and constants are never released.
func (s *Session) planLiveness(steps []step) {
	keep := map[string]bool{}
	for _, o := range s.outputs {
		keep[o] = true
	}
	last := map[string]int{}
	for i, st := range steps {
		for _, name := range st.node.Output {
			if name != "" {
				last[name] = i // a value nobody reads dies where it is born
			}
		}
		for _, name := range st.node.Input {
			if _, produced := last[name]; produced {
				last[name] = i
			}
		}
	}
	for name, i := range last {
		if !keep[name] {
			steps[i].release = append(steps[i].release, name)
		}
	}
}

// InputNames returns the names of the inputs a caller must feed, in graph
// order (initializers listed as inputs by old exporters are excluded).
func (s *Session) InputNames() []string {
	names := make([]string, len(s.inputs))
	for i, vi := range s.inputs {
		names[i] = vi.Name
	}
	return names
}

// Inputs returns the declared type and shape of each input.
func (s *Session) Inputs() []*onnx.ValueInfo { return s.inputs }

// OutputNames returns the graph output names in graph order.
func (s *Session) OutputNames() []string { return append([]string(nil), s.outputs...) }

// Stats reports the memory behaviour of the last completed run.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pool.stats
}

// ReleaseBuffers drops the buffers kept for reuse between runs.
func (s *Session) ReleaseBuffers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pool = newBufferPool(s.pool.collectTrace, s.ahead)
}

// Run evaluates the model on inputs (by input name) and returns the graph
// outputs by name. Inputs are only read; the returned tensors belong to the
// caller.
func (s *Session) Run(inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	return s.RunWith(context.Background(), inputs, RunOptions{})
}

// RunContext is Run that stops between nodes once ctx is done, returning
// ctx.Err().
func (s *Session) RunContext(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	return s.RunWith(ctx, inputs, RunOptions{})
}

// RunAll is Run that also returns every intermediate value (RunOptions
// KeepAll).
func (s *Session) RunAll(inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	return s.RunWith(context.Background(), inputs, RunOptions{KeepAll: true})
}

// RunWith is the general form of Run.
func (s *Session) RunWith(ctx context.Context, inputs map[string]*tensor.Tensor, opt RunOptions) (map[string]*tensor.Tensor, error) {
	if err := s.checkInputs(inputs); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pool := s.pool
	pool.stats = Stats{}
	pool.live = 0
	// Deferred calls run last first: the plan is settled, then measured.
	defer func() { pool.stats.PooledBytes = pool.retainedBytes() }()
	completed := false
	if !opt.KeepAll {
		pool.beginRun(inputs)
		defer func() { pool.endRun(completed) }()
	}

	plan := s.fusedPlan
	if opt.KeepAll {
		if s.runOnly {
			return nil, ErrRunOnly
		}
		plan = s.stepsPlan // every intermediate value, unfused
	}
	// vals holds the tensor of each slot: what the running steps produced
	// and the graph inputs. It is the session's, cleared after the run so
	// that nothing the caller receives stays referenced.
	if cap(s.vals) < len(plan.names) {
		s.vals = make([]*tensor.Tensor, len(plan.names))
	}
	vals := s.vals[:len(plan.names)]
	defer clear(vals)
	for j, name := range plan.inputs {
		vals[plan.produced+j] = inputs[name]
	}
	c := &Context{}
	zeroed, uninit, put := pool.get, pool.getUninit, pool.put
	var inBuf []*tensor.Tensor // one input slice for every step: no kernel keeps it
	for i := range plan.steps {
		ps := &plan.steps[i]
		st := ps.step
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if n := len(ps.in); cap(inBuf) < n {
			inBuf = make([]*tensor.Tensor, n, max(n, 8))
		}
		in := inBuf[:len(ps.in)]
		for j, op := range ps.in {
			in[j] = op.read(vals)
		}
		c.Node, c.Opset, c.memo = st.node, st.opset, &st.memo
		if !opt.KeepAll {
			c.alloc = zeroed
			if st.overwrites {
				c.alloc = uninit
			}
			c.temp, c.free = uninit, put
		}
		outs, err := runKernel(c, st.kernel, in)
		if err != nil {
			return nil, err
		}
		for j, slot := range ps.out {
			if slot < 0 || j >= len(outs) {
				continue
			}
			vals[slot] = outs[j]
			pool.produced(outs[j])
		}
		if opt.KeepAll {
			continue
		}
		for _, slot := range ps.release {
			if t := vals[slot]; t != nil {
				vals[slot] = nil
				pool.released(t)
				pool.put(t)
			}
		}
	}

	result := make(map[string]*tensor.Tensor, len(s.outputs))
	for i, name := range s.outputs {
		op := plan.outputs[i]
		var t *tensor.Tensor
		if op.slot >= 0 && op.slot < plan.produced {
			t = vals[op.slot]
		}
		if t == nil {
			// An output that is an input or a constant: hand out a copy so
			// the caller cannot modify the session's weights or its own input
			// through it.
			src := op.read(vals)
			if src == nil {
				return nil, fmt.Errorf("exec: output %q was not computed", name)
			}
			t = copyTensor(&Context{}, src, src.Shape)
		}
		result[name] = t
	}
	if opt.KeepAll {
		for slot, t := range vals[:plan.produced] {
			if t != nil {
				result[plan.names[slot]] = t
			}
		}
		for _, name := range s.folded {
			if _, ok := result[name]; !ok {
				src := s.consts[name]
				result[name] = copyTensor(&Context{}, src, src.Shape)
			}
		}
	}
	completed = true
	return result, nil
}

// runKernel runs one node, turning a kernel panic into an error, checking
// that every named output was produced and copying any output that shares
// storage with an input (the executor frees inputs independently).
func runKernel(c *Context, k Kernel, in []*tensor.Tensor) (outs []*tensor.Tensor, err error) {
	n := c.Node
	defer func() {
		if r := recover(); r != nil {
			err = nodeError(n, fmt.Errorf("internal error (please report): %v\n%s", r, debug.Stack()))
		}
	}()
	outs, err = k(c, in)
	if err != nil {
		return nil, nodeError(n, err)
	}
	for j, name := range n.Output {
		if name == "" {
			continue
		}
		if j >= len(outs) || outs[j] == nil {
			return nil, nodeError(n, fmt.Errorf("output %d (%q) was not produced", j, name))
		}
		if dataLen(outs[j]) != outs[j].Len() {
			return nil, nodeError(n, fmt.Errorf("internal error (please report): output %q has %d elements for shape %v", name, dataLen(outs[j]), outs[j].Shape))
		}
		for _, t := range in {
			if t != nil && sharesData(outs[j], t) {
				outs[j] = copyTensor(c, outs[j], outs[j].Shape)
				break
			}
		}
	}
	return outs, nil
}

// sharesData reports whether a and b use the same backing array (a
// constant may hold its shape alone: qconv.go's dropped float weights).
func sharesData(a, b *tensor.Tensor) bool {
	if a.DType != b.DType || dataLen(a) == 0 || dataLen(b) == 0 {
		return false
	}
	switch a.DType {
	case tensor.Float32:
		return &a.F32[0] == &b.F32[0]
	case tensor.Float64:
		return &a.F64[0] == &b.F64[0]
	case tensor.Int64:
		return &a.I64[0] == &b.I64[0]
	case tensor.Int32:
		return &a.I32[0] == &b.I32[0]
	case tensor.Int8, tensor.Int4:
		return &a.I8[0] == &b.I8[0]
	case tensor.Uint8, tensor.Uint4:
		return &a.U8[0] == &b.U8[0]
	case tensor.Bool:
		return &a.Bool[0] == &b.Bool[0]
	}
	return false
}

// EvalNode runs a single node on the given inputs (nil for an omitted
// optional input), outside any session. graph.InferShapes uses it to fold
// constants. It fails with an *UnsupportedError when no kernel exists.
func EvalNode(node *onnx.Node, opset int64, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	return EvalNodeWith(node, opset, in, nil)
}

// EvalNodeWith is EvalNode with the kernel's Context.Alloc served by
// alloc (nil: new tensors), which must return zeroed tensors as
// Context.Alloc promises kernels: core/train hands custom-domain nodes
// its buffer pool this way.
func EvalNodeWith(node *onnx.Node, opset int64, in []*tensor.Tensor, alloc func(dt tensor.DType, shape []int) *tensor.Tensor) ([]*tensor.Tensor, error) {
	k := Lookup(node.Domain, node.OpType, opset)
	if k == nil {
		return nil, &UnsupportedError{Ops: []UnsupportedOp{{Node: nodeName(node), OpType: node.OpType, Domain: node.Domain, Opset: opset}}}
	}
	for i, t := range in {
		if t != nil && dataLen(t) != t.Len() {
			return nil, nodeError(node, fmt.Errorf("input %d has %d elements for shape %v", i, dataLen(t), t.Shape))
		}
	}
	return runKernel(&Context{Node: node, Opset: opset, alloc: alloc}, k, in)
}
