package graph

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// rule computes the output values of a node (dims and type; Const only for
// ops whose value follows from shapes alone, like Shape). It validates the
// attributes and inputs it reads and returns errors, never panics.
type rule func(c *nodeCtx) ([]*Value, error)

// rules maps op_type (default domain) to its shape rule. Each rule handles
// every opset form of its op; the op files fill the table from init.
var rules = map[string]rule{}

func register(r rule, ops ...string) {
	for _, op := range ops {
		rules[op] = r
	}
}

// keepType makes the rule of an op with one output that keeps the dtype of
// input 0 and whose dims follow from that input (and the node): dims
// computes them.
func keepType(dims func(c *nodeCtx, x *Value) ([]int, error)) rule {
	return func(c *nodeCtx) ([]*Value, error) {
		x, err := c.need(0)
		if err != nil {
			return nil, err
		}
		out, err := dims(c, x)
		if err != nil {
			return nil, err
		}
		return []*Value{{DType: x.DType, Dims: out}}, nil
	}
}

// SupportedOp reports whether InferShapes has a shape rule for op_type in
// the default domain.
func SupportedOp(opType string) bool {
	_, ok := rules[opType]
	return ok
}

// nodeCtx is what a rule sees: the node, the opset and the input values
// (nil for omitted optional inputs).
type nodeCtx struct {
	n     *onnx.Node
	opset int64
	in    []*Value
}

// input returns input i, or nil when it is omitted.
func (c *nodeCtx) input(i int) *Value {
	if i < len(c.in) {
		return c.in[i]
	}
	return nil
}

// need returns input i or an error when it is missing.
func (c *nodeCtx) need(i int) (*Value, error) {
	if v := c.input(i); v != nil {
		return v, nil
	}
	return nil, fmt.Errorf("%s needs input %d, which is missing", c.n.OpType, i)
}

// needRank returns input i, requiring a rank of at least minRank.
func (c *nodeCtx) needRank(i, minRank int) (*Value, error) {
	v, err := c.need(i)
	if err != nil {
		return nil, err
	}
	if len(v.Dims) < minRank {
		return nil, fmt.Errorf("input %d has shape %v; %s needs rank %d or more", i, v.Dims, c.n.OpType, minRank)
	}
	return v, nil
}

// constIntsInput returns the values of input i, which must be a constant
// integer tensor. what names the input for the error message.
func (c *nodeCtx) constIntsInput(i int, what string) ([]int64, error) {
	v, err := c.need(i)
	if err != nil {
		return nil, fmt.Errorf("%s needs its %s input: %w", c.n.OpType, what, err)
	}
	if v.Const == nil {
		return nil, fmt.Errorf("the %s input %q is not a known constant: it is computed at run time from input values, or the evaluator could not compute it; so the output shape cannot be known in advance: %w", what, c.n.Input[i], ErrDynamicShape)
	}
	ints, ok := constInts(v.Const)
	if !ok {
		return nil, fmt.Errorf("the %s input %q has type %v; an integer tensor is needed", what, c.n.Input[i], v.Const.DType)
	}
	return ints, nil
}

// constFloatsInput is constIntsInput for float values (scales).
func (c *nodeCtx) constFloatsInput(i int, what string) ([]float64, error) {
	v, err := c.need(i)
	if err != nil {
		return nil, err
	}
	if v.Const == nil {
		return nil, fmt.Errorf("the %s input %q is not a known constant: it is computed at run time from input values, or the evaluator could not compute it; so the output shape cannot be known in advance: %w", what, c.n.Input[i], ErrDynamicShape)
	}
	f, ok := constFloats(v.Const)
	if !ok {
		return nil, fmt.Errorf("the %s input %q has type %v; a numeric tensor is needed", what, c.n.Input[i], v.Const.DType)
	}
	return f, nil
}

// axesArg returns the axes of ops that moved them from an attribute to an
// input at opset inputFrom; ok is false when neither is given.
func (c *nodeCtx) axesArg(inputFrom int64, inputIndex int) (axes []int64, ok bool, err error) {
	if c.opset >= inputFrom {
		if c.input(inputIndex) == nil {
			return nil, false, nil
		}
		axes, err := c.constIntsInput(inputIndex, "axes")
		return axes, err == nil, err
	}
	a := c.n.Attr("axes")
	if a == nil {
		return nil, false, nil
	}
	return a.Ints, true, nil
}

// toDims converts int64 dimensions, rejecting negative or huge ones.
func toDims(v []int64, what string) ([]int, error) {
	out := make([]int, len(v))
	for i, d := range v {
		if d < 0 || d > maxDim {
			return nil, fmt.Errorf("%s[%d] is %d; dimensions must be in 0..%d", what, i, d, maxDim)
		}
		out[i] = int(d)
	}
	return out, nil
}

func clone(d []int) []int { return append([]int{}, d...) }

// same returns a value with the dims and type of v.
func same(v *Value) *Value { return &Value{DType: v.DType, Dims: clone(v.Dims)} }

func withType(v *Value, dt tensor.DType) *Value { return &Value{DType: dt, Dims: clone(v.Dims)} }

// outputCount is the number of outputs the node declares (including
// omitted ones in the middle).
func (c *nodeCtx) outputCount() int { return len(c.n.Output) }
