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
	// it returns as saved reaches Backward. It must allocate its outputs.
	Forward func(node *onnx.Node, opset int64, in []*tensor.Tensor, mode Mode) (out []*tensor.Tensor, saved any, err error)
	// Backward returns one gradient per input, shaped like the input
	// (nil where Need is false). It must not modify In, Out or DOut.
	Backward func(g *NodeGrad) ([]*tensor.Tensor, error)
	// Inputs lists the differentiable input positions; nil means all.
	// Float initializers at these positions become parameters.
	Inputs []int
}

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
}

// RegisterOp registers op for nodes of domain ("" for the default ONNX
// domain) and opType, replacing any built-in rule. Call it from an init
// function, before building nets.
func RegisterOp(domain, opType string, op Op) {
	if op.Backward == nil {
		panic(fmt.Sprintf("train.RegisterOp(%q, %q): Backward is required", domain, opType))
	}
	key := opKey{onnx.CanonicalDomain(domain), opType}
	gradRules[key] = gradRule{inputs: op.Inputs, fn: func(c *gradContext) ([]*tensor.Tensor, error) {
		return op.Backward(&NodeGrad{Node: c.node, Opset: c.net.model.OpsetVersion(c.node.Domain), Mode: c.mode, In: c.in, Out: c.out, DOut: c.dOut, Need: c.need, Saved: c.saved})
	}, views: true}
	if op.Forward != nil {
		customForward[key] = func(n *Net, nd *onnx.Node, in []*tensor.Tensor, mode Mode) ([]*tensor.Tensor, any, error) {
			return op.Forward(nd, n.model.OpsetVersion(nd.Domain), in, mode)
		}
	}
}
