package train

import (
	"context"
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Pass is one forward evaluation kept for the backward pass: every value
// the logits depend on, and what the custom forwards saved (batch
// statistics, dropout masks). With Net.ReuseBuffers (as in a Trainer) a
// Pass is valid until the net's next Forward.
type Pass struct {
	net    *Net
	mode   Mode
	values map[string]*tensor.Tensor
	saved  map[*onnx.Node]any
}

// Value returns a value computed (or fed) in the pass, or nil.
func (p *Pass) Value(name string) *tensor.Tensor { return p.values[name] }

// Logits returns the value the loss attaches to.
func (p *Pass) Logits() *tensor.Tensor { return p.values[p.net.logits] }

// Mode is the mode the pass ran in.
func (p *Pass) Mode() Mode { return p.mode }

// forwardFunc computes a node itself instead of exec.EvalNode; what it
// returns in saved is handed to the node's backward rule.
type forwardFunc func(n *Net, nd *onnx.Node, in []*tensor.Tensor, mode Mode) (out []*tensor.Tensor, saved any, err error)

// customForward lists the built-in ops whose training behaviour differs
// from inference.
var customForward = map[opKey]forwardFunc{
	{"", "BatchNormalization"}: batchNormForward,
	{"", "Dropout"}:            dropoutForward,
}

func hasKernel(nd *onnx.Node, opset int64) bool {
	return exec.Lookup(nd.Domain, nd.OpType, opset) != nil
}

// Forward evaluates the nodes the logits depend on. In ModeTrain it also
// updates BatchNormalization running statistics (once per call).
func (n *Net) Forward(inputs map[string]*tensor.Tensor, mode Mode) (*Pass, error) {
	return n.ForwardContext(context.Background(), inputs, mode)
}

// ForwardContext is Forward that stops between nodes once ctx is done.
func (n *Net) ForwardContext(ctx context.Context, inputs map[string]*tensor.Tensor, mode Mode) (*Pass, error) {
	n.pool.startPass(phaseForward)
	p := &Pass{net: n, mode: mode, values: make(map[string]*tensor.Tensor, len(n.consts)+2*len(n.order)), saved: map[*onnx.Node]any{}}
	if n.pool.enabled {
		// What the last pass saved is offered to this one's custom ops
		// (NodeForward.Previous). This pass's map is the next one's offer
		// from the start, so a pass that fails halfway offers what it reached.
		n.prevSaved, n.lastSaved = n.lastSaved, p.saved
	}
	for name, t := range n.consts {
		p.values[name] = t
	}
	for _, name := range n.inputs {
		t, ok := inputs[name]
		if !ok || t == nil {
			return nil, fmt.Errorf("train: input %q is missing", name)
		}
		if t.Len() == 0 && len(t.Shape) == 0 {
			return nil, fmt.Errorf("train: input %q is empty", name)
		}
		p.values[name] = t
	}
	in := make([]*tensor.Tensor, 0, 8)
	for _, nd := range n.order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in = in[:0]
		for _, name := range nd.Input {
			if name == "" {
				in = append(in, nil)
				continue
			}
			t, ok := p.values[name]
			if !ok {
				return nil, fmt.Errorf("train: node %s (%s) reads %q, which is neither an input, an initializer nor computed earlier", nodeName(nd), nd.OpType, name)
			}
			in = append(in, t)
		}
		var outs []*tensor.Tensor
		var err error
		reluDone := false
		if n.reluFused[nd] {
			// The node before applied the ReLU already.
			outs = []*tensor.Tensor{in[0]}
		} else if y := addRelu(n, nd, in); y != nil {
			outs = []*tensor.Tensor{y}
			reluDone = true
		} else if f, builtin, ok := n.forwardFor(nd); ok {
			// These apply a fused ReLU themselves.
			reluDone = builtin && (nd.OpType == "BatchNormalization" || nd.OpType == "Conv")
			var saved any
			outs, saved, err = f(n, nd, in, mode)
			if saved != nil {
				p.saved[nd] = saved
			}
		} else if slices.Contains(nd.Output, n.logits) {
			// Fresh logits: EvalForward's callers may keep them past the
			// next pass.
			outs, err = exec.EvalNode(nd, n.domainOpset(nd), in)
		} else {
			// The kernels' activation-sized outputs (a mobile net's Clip,
			// QIL's activation quantizer) from the pool, like the net's
			// own, rather than afresh every step.
			outs, err = exec.EvalNodeWith(nd, n.domainOpset(nd), in, n.forwardAlloc)
		}
		if err != nil {
			return nil, fmt.Errorf("train: forward: node %s (%s): %w", nodeName(nd), nd.OpType, err)
		}
		if n.fusedRelu[nd] != nil && !reluDone && len(outs) > 0 && outs[0] != nil && outs[0].DType == tensor.Float32 {
			// The output is fresh and read by the Relu alone.
			for i, v := range outs[0].F32 {
				outs[0].F32[i] = relu(v)
			}
		}
		for i, name := range nd.Output {
			if name != "" && i < len(outs) {
				p.values[name] = outs[i]
			}
		}
	}
	if p.Logits() == nil {
		return nil, fmt.Errorf("train: the forward pass did not compute the logits %q", n.logits)
	}
	return p, nil
}

// addRelu computes a residual connection's relu(a + b) in one pass when
// the Add's only reader is a Relu and both operands have one shape; nil
// otherwise.
func addRelu(n *Net, nd *onnx.Node, in []*tensor.Tensor) *tensor.Tensor {
	if nd.OpType != "Add" || n.fusedRelu[nd] == nil || len(in) != 2 || in[0] == nil || in[1] == nil {
		return nil
	}
	a, b := in[0], in[1]
	if a.DType != tensor.Float32 || b.DType != tensor.Float32 || !slices.Equal(a.Shape, b.Shape) || len(a.F32) != len(b.F32) {
		return nil
	}
	y := n.pool.get(phaseForward, a.Shape, false)
	nn.AddInto(y.F32[:len(a.F32)], a.F32, b.F32, true)
	return y
}
