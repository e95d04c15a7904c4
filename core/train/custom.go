package train

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Op teaches the training engine an operator it does not know, or one
// that must behave differently while training: QIL's quantizers (a
// straight-through gradient for rounding, gradients for the interval
// parameters) register themselves this way.
type Op struct {
	// Forward, when set, computes the node instead of exec.EvalNode; what
	// it returns as saved reaches Backward. Its outputs are new tensors or
	// NodeForward.Buffer's.
	Forward func(f *NodeForward) (out []*tensor.Tensor, saved any, err error)
	// Backward returns one gradient per input, shaped like the input
	// (nil where Need is false). It must not modify In, Out or DOut.
	Backward func(g *NodeGrad) ([]*tensor.Tensor, error)
	// Inputs lists the differentiable input positions; nil means all.
	// Float initializers at these positions become parameters.
	Inputs []int
}

// NodeForward is what a Forward sees of one node in one pass.
type NodeForward struct {
	Node  *onnx.Node
	Opset int64
	Mode  Mode
	In    []*tensor.Tensor // nil for omitted inputs
	pool  *bufferPool
	prev  any
}

// Buffer returns a float32 tensor of shape for one of Forward's outputs:
// a buffer of the net's pool when the net recycles its buffers
// (Net.ReuseBuffers), valid until the next forward pass like the net's
// own activations, else a new one. Unless zero is set its elements are
// undefined: a Forward that writes every element passes false.
func (f *NodeForward) Buffer(shape []int, zero bool) *tensor.Tensor {
	if f.pool == nil {
		return tensor.New(tensor.Float32, shape)
	}
	return f.pool.get(phaseForward, shape, zero)
}

// Previous returns what this node's Forward saved in the net's previous
// forward pass when the net recycles its buffers, else nil. That pass is
// over (with buffer reuse a Pass is valid only until the next Forward),
// so a Forward may write this pass's saved state into its memory instead
// of allocating it afresh every step (QIL's weight quantizer saves two
// float64s per weight).
func (f *NodeForward) Previous() any { return f.prev }

// NodeGrad is what a Backward sees of one node in one pass.
type NodeGrad struct {
	Node  *onnx.Node
	Opset int64
	Mode  Mode
	In    []*tensor.Tensor // forward inputs, nil for omitted ones
	Out   []*tensor.Tensor // forward outputs
	DOut  []*tensor.Tensor // gradient of each float output (zeros when none reached it)
	Need  []bool           // Need[i]: input i wants a gradient
	Saved any              // what Forward returned as saved
	pool  *bufferPool
}

// Buffer returns a float32 tensor of shape for one of Backward's
// results: a buffer of the net's pool when the net recycles its buffers
// (Net.ReuseBuffers; NewTrainer turns it on), so that a custom op's
// input gradient is not allocated and zeroed afresh every step, else a
// new one. Unless zero is set its elements are undefined (a recycled
// buffer): a Backward that writes every element passes false. Like the
// net's own gradient buffers it is valid until the next Backward begins.
func (g *NodeGrad) Buffer(shape []int, zero bool) *tensor.Tensor {
	if g.pool == nil {
		return tensor.New(tensor.Float32, shape)
	}
	return g.pool.get(phaseBackward, shape, zero)
}

// OpKey names an operator for NetOptions.Ops: its domain ("" for the
// default ONNX domain) and op_type.
type OpKey struct{ Domain, OpType string }

// rangedOp is an Op registered for an opset range of its domain.
type rangedOp struct {
	minOpset, maxOpset int64
	rule               gradRule
	forward            forwardFunc
}

// registered holds the custom-domain operators of RegisterOp.
var registered = map[opKey][]rangedOp{}

// RegisterOp registers op for nodes of a custom domain at opsets
// minOpset..maxOpset of that domain (maxOpset 0: no upper limit),
// normally through core/custom. The default domain is refused (a
// process-wide override of a built-in would change every net: use
// NetOptions.Ops for one net), and so is a range overlapping an earlier
// registration.
func RegisterOp(domain, opType string, minOpset, maxOpset int64, op Op) error {
	if onnx.IsDefaultDomain(domain) {
		return fmt.Errorf("train: %s is in the default ONNX domain; override a built-in for one net with NetOptions.Ops", opType)
	}
	if minOpset < 1 || (maxOpset != 0 && maxOpset < minOpset) {
		return fmt.Errorf("train: %s.%s: opset range %d..%d is empty or starts below 1", domain, opType, minOpset, maxOpset)
	}
	r, f, err := compileOp(domain, opType, op)
	if err != nil {
		return err
	}
	key := opKey{onnx.CanonicalDomain(domain), opType}
	for _, o := range registered[key] {
		if (o.maxOpset == 0 || minOpset <= o.maxOpset) && (maxOpset == 0 || o.minOpset <= maxOpset) {
			return fmt.Errorf("train: %s.%s is already registered for an opset range overlapping %d..%d", domain, opType, minOpset, maxOpset)
		}
	}
	registered[key] = append(registered[key], rangedOp{minOpset, maxOpset, r, f})
	return nil
}

// HasOp reports whether RegisterOp registered a custom-domain operator at
// the given opset of its domain.
func HasOp(domain, opType string, opset int64) bool {
	_, ok := registeredOp(domain, opType, opset)
	return ok
}

func registeredOp(domain, opType string, opset int64) (rangedOp, bool) {
	for _, o := range registered[opKey{onnx.CanonicalDomain(domain), opType}] {
		if opset >= o.minOpset && (o.maxOpset == 0 || opset <= o.maxOpset) {
			return o, true
		}
	}
	return rangedOp{}, false
}

// compileOp turns an Op into the engine's backward rule and forward.
func compileOp(domain, opType string, op Op) (gradRule, forwardFunc, error) {
	if op.Backward == nil {
		return gradRule{}, nil, fmt.Errorf("train: op %q (domain %q): Backward is required", opType, domain)
	}
	r := gradRule{inputs: op.Inputs, views: true, fn: func(c *gradContext) ([]*tensor.Tensor, error) {
		return op.Backward(&NodeGrad{Node: c.node, Opset: c.net.domainOpset(c.node), Mode: c.mode, In: c.in, Out: c.out, DOut: c.dOut, Need: c.need, Saved: c.saved, pool: &c.net.pool})
	}}
	var f forwardFunc
	if op.Forward != nil {
		f = func(n *Net, nd *onnx.Node, in []*tensor.Tensor, mode Mode) ([]*tensor.Tensor, any, error) {
			nf := &NodeForward{Node: nd, Opset: n.domainOpset(nd), Mode: mode, In: in}
			if n.pool.enabled {
				nf.pool, nf.prev = &n.pool, n.prevSaved[nd]
			}
			return op.Forward(nf)
		}
	}
	return r, f, nil
}

// compileOverrides prepares NetOptions.Ops for one net.
func (n *Net) compileOverrides() error {
	for k, op := range n.opt.Ops {
		d := onnx.CanonicalDomain(k.Domain)
		r, f, err := compileOp(k.Domain, k.OpType, op)
		if err != nil {
			return err
		}
		n.overrides[opKey{d, k.OpType}] = rangedOp{rule: r, forward: f}
	}
	return nil
}

// domainOpset is the model's opset version of nd's domain.
func (n *Net) domainOpset(nd *onnx.Node) int64 {
	if onnx.IsDefaultDomain(nd.Domain) {
		return n.opset
	}
	return n.model.OpsetVersion(nd.Domain)
}

// nodeKey is nd's operator with "ai.onnx" read as the default domain.
func nodeKey(nd *onnx.Node) opKey {
	return opKey{onnx.CanonicalDomain(nd.Domain), nd.OpType}
}

// ruleFor returns the backward rule of a node: the net's override, the
// custom-domain registration, or the built-in rule, in that order.
func (n *Net) ruleFor(nd *onnx.Node) (gradRule, bool) {
	k := nodeKey(nd)
	if o, ok := n.overrides[k]; ok {
		return o.rule, true
	}
	if k.domain != "" {
		o, ok := registeredOp(k.domain, k.op, n.domainOpset(nd))
		return o.rule, ok
	}
	r, ok := gradRules[k]
	return r, ok
}

// forwardFor returns the training forward of a node when it has one;
// builtin reports that it is the engine's own (which may apply a fused
// ReLU itself).
func (n *Net) forwardFor(nd *onnx.Node) (f forwardFunc, builtin, ok bool) {
	k := nodeKey(nd)
	if o, ok := n.overrides[k]; ok {
		return o.forward, false, o.forward != nil
	}
	if k.domain != "" {
		o, ok := registeredOp(k.domain, k.op, n.domainOpset(nd))
		return o.forward, false, ok && o.forward != nil
	}
	f, ok = customForward[k]
	return f, true, ok
}

// overridden reports whether nd's operator is replaced for this net.
func (n *Net) overridden(nd *onnx.Node) bool {
	_, ok := n.overrides[nodeKey(nd)]
	return ok
}
