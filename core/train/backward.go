package train

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// gradContext is what a backward rule sees of one node.
type gradContext struct {
	net   *Net
	node  *onnx.Node
	opset int64
	in    []*tensor.Tensor // forward inputs (nil for omitted ones)
	out   []*tensor.Tensor // forward outputs
	dOut  []*tensor.Tensor // gradient of each output, nil when none reached it
	need  []bool           // need[i]: input i wants a gradient
	// ownOut[j]: dOut[j] belongs to this rule alone, which may overwrite
	// it (and return it as an input's gradient).
	ownOut []bool
	saved  any // what the node's custom forward saved
	mode   Mode
}

// gradFunc returns one gradient per input (nil where need[i] is false),
// shaped like the input.
type gradFunc func(c *gradContext) ([]*tensor.Tensor, error)

// gradRule is the backward of one operator.
type gradRule struct {
	// inputs lists the differentiable input positions; nil means all.
	inputs []int
	fn     gradFunc
	// views marks rules that may return (views of) their output gradient
	// or one tensor for several inputs; the others return fresh tensors
	// the accumulator may add into in place.
	views bool
}

func (r gradRule) differentiable(i int) bool {
	if r.inputs == nil {
		return true
	}
	for _, j := range r.inputs {
		if j == i {
			return true
		}
	}
	return false
}

// opKey names an operator: domain ("" for ONNX) and op_type.
type opKey struct{ domain, op string }

// gradRules is filled by the init functions of the grad_*.go files.
var gradRules = map[opKey]gradRule{}

func registerGrad(op string, fn gradFunc, inputs ...int) {
	gradRules[opKey{"", op}] = gradRule{inputs: inputs, fn: fn}
}

// registerViewGrad registers a rule that passes gradients through without
// copying (see gradRule.views).
func registerViewGrad(op string, fn gradFunc, inputs ...int) {
	gradRules[opKey{"", op}] = gradRule{inputs: inputs, fn: fn, views: true}
}

// nonDifferentiable ops produce values no gradient flows through (shapes,
// comparisons, indices): a parameter feeding them is not an error.
var nonDifferentiable = map[string]bool{
	"Shape": true, "Size": true, "Equal": true, "Less": true, "Greater": true,
	"LessOrEqual": true, "GreaterOrEqual": true, "And": true, "Or": true,
	"Xor": true, "Not": true, "ArgMax": true, "ArgMin": true, "NonZero": true,
	"ConstantOfShape": true, "Range": true, "Floor": true, "Ceil": true,
	"Round": true, "Sign": true,
}

// gradPlan says which values need a gradient for the current set of
// frozen parameters.
func (n *Net) gradPlan() (map[string]bool, error) {
	need := map[string]bool{}
	for _, p := range n.Params {
		if !p.Frozen {
			need[p.Name] = true
		}
	}
	var missing []string
	for _, nd := range n.order {
		rule, ok := n.ruleFor(nd)
		any := false
		for i, name := range nd.Input {
			if !need[name] {
				continue
			}
			if ok && rule.differentiable(i) {
				any = true
			} else if !ok && (!onnx.IsDefaultDomain(nd.Domain) || !nonDifferentiable[nd.OpType]) {
				missing = append(missing, fmt.Sprintf("%s (%s) reads %q", nodeName(nd), nd.OpType, name))
			}
		}
		if any {
			for _, o := range nd.Output {
				if o != "" {
					need[o] = true
				}
			}
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("train: no gradient rule for %v; freeze the parameters before these nodes or replace the ops", missing)
	}
	return need, nil
}

// gradAccumulator sums the gradients reaching each value. A fresh
// gradient is owned and summed into in place; one that may be shared
// (rules such as Reshape return views of their output gradient) is kept
// without copying until a second one arrives. Then the sum goes into
// whichever of the two is owned, or, when neither is, into a buffer of
// the net's pool: a residual block's input gets the Add's shared
// gradient and its convolution's fresh one, and summing into the fresh
// one saves a copy and an allocation per block.
type gradAccumulator struct {
	grads map[string]*tensor.Tensor
	owned map[string]bool
	pool  *bufferPool
}

func (a *gradAccumulator) add(name string, g *tensor.Tensor, shape []int, fresh bool) error {
	if g.DType != tensor.Float32 || g.Len() != tensor.NumElements(shape) {
		return fmt.Errorf("gradient for %q has %d elements (%v), want shape %v", name, g.Len(), g.Shape, shape)
	}
	if !slices.Equal(g.Shape, shape) {
		g = &tensor.Tensor{DType: tensor.Float32, Shape: append([]int(nil), shape...), F32: g.F32}
	}
	old, ok := a.grads[name]
	switch {
	case !ok:
		a.grads[name] = g
		a.owned[name] = fresh
	case a.owned[name]:
		nn.AddInto(old.F32, old.F32, g.F32, false)
	case fresh:
		nn.AddInto(g.F32, g.F32, old.F32, false)
		a.grads[name] = g
		a.owned[name] = true
	default:
		sum := a.pool.get(phaseBackward, shape, false) // AddInto writes every element
		nn.AddInto(sum.F32, old.F32, g.F32, false)
		a.grads[name] = sum
		a.owned[name] = true
	}
	return nil
}

// Backward computes the gradient of the loss with respect to every
// parameter that is not frozen, given dLogits, the gradient of the loss
// with respect to the pass's logits. It overwrites Param.Grad (frozen
// parameters get zeros).
func (n *Net) Backward(p *Pass, dLogits *tensor.Tensor) error {
	if p == nil || p.net != n {
		return fmt.Errorf("train: Backward needs a Pass from this net's Forward")
	}
	need, err := n.gradPlan()
	if err != nil {
		return err
	}
	n.pool.startPass(phaseBackward)
	logits := p.Logits()
	if dLogits == nil || dLogits.Len() != logits.Len() {
		return fmt.Errorf("train: dLogits must have the logits' %d elements", logits.Len())
	}
	acc := &gradAccumulator{grads: map[string]*tensor.Tensor{}, owned: map[string]bool{}, pool: &n.pool}
	if err := acc.add(n.logits, dLogits, logits.Shape, false); err != nil {
		return err
	}
	for i := len(n.order) - 1; i >= 0; i-- {
		nd := n.order[i]
		c := &gradContext{net: n, node: nd, opset: n.opset, saved: p.saved[nd], mode: p.mode}
		anyOut := false
		for _, o := range nd.Output {
			g := acc.grads[o]
			if g != nil {
				anyOut = true
			}
			c.dOut = append(c.dOut, g)
			c.ownOut = append(c.ownOut, g != nil && acc.owned[o] && !n.noInPlace)
			c.out = append(c.out, p.values[o])
		}
		if !anyOut {
			continue
		}
		anyIn := false
		for _, name := range nd.Input {
			want := name != "" && need[name]
			c.need = append(c.need, want)
			anyIn = anyIn || want
			c.in = append(c.in, p.values[name])
		}
		for _, o := range nd.Output {
			delete(acc.grads, o) // consumed: free it
			delete(acc.owned, o)
		}
		if !anyIn {
			continue
		}
		rule, ok := n.ruleFor(nd)
		if !ok {
			return fmt.Errorf("train: no gradient rule for node %s (%s)", nodeName(nd), nd.OpType)
		}
		for j := range c.dOut {
			if c.dOut[j] == nil && c.out[j] != nil && c.out[j].DType == tensor.Float32 {
				c.dOut[j] = tensor.New(tensor.Float32, c.out[j].Shape)
			}
		}
		grads, err := rule.fn(c)
		if err != nil {
			return fmt.Errorf("train: backward: node %s (%s): %w", nodeName(nd), nd.OpType, err)
		}
		for j, g := range grads {
			if g == nil || j >= len(c.need) || !c.need[j] {
				continue
			}
			if err := acc.add(nd.Input[j], g, c.in[j].Shape, !rule.views); err != nil {
				return fmt.Errorf("train: backward: node %s (%s): %w", nodeName(nd), nd.OpType, err)
			}
		}
	}
	for _, prm := range n.Params {
		g := acc.grads[prm.Name]
		if prm.Frozen || g == nil {
			clear(prm.Grad.F32)
			continue
		}
		copy(prm.Grad.F32, g.F32)
	}
	return nil
}
