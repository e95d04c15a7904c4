package graph

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/tensor"
)

// Element-wise ops: the output has the shape of the input, or the
// numpy-style broadcast of the inputs.

func init() {
	register(unaryRule,
		"Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish",
		"Sqrt", "Exp", "Log", "Neg", "Abs", "Floor", "Ceil", "Reciprocal",
		"Erf", "Not", "Identity", "Elu", "Selu", "Celu", "Softplus",
		"Softsign", "ThresholdedRelu", "Mish", "Gelu", "Sin", "Cos", "Tan",
		"Round", "Sign", "LRN", "InstanceNormalization", "Clip",
		"MeanVarianceNormalization", "Shrink", "BitwiseNot")
	register(axisUnaryRule, "Softmax", "LogSoftmax", "Hardmax")
	register(boolUnaryRule, "IsNaN", "IsInf")
	register(broadcastRule(false),
		"Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "Sum", "Max",
		"Min", "Mean", "BitwiseAnd", "BitwiseOr", "BitwiseXor")
	register(broadcastRule(true),
		"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And",
		"Or", "Xor")
	register(whereRule, "Where")
	register(preluRule, "PRelu")
	register(batchNormRule, "BatchNormalization")
	register(layerNormRule, "LayerNormalization")
	register(dropoutRule, "Dropout")
	register(castRule, "Cast")
	register(castLikeRule, "CastLike")
	register(quantizeRule, "QuantizeLinear")
	register(dequantizeRule, "DequantizeLinear")
	register(dynamicQuantizeRule, "DynamicQuantizeLinear")
}

// dynamicQuantizeRule: y (uint8, x's shape), scalar scale and zero point.
func dynamicQuantizeRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	return []*Value{withType(x, tensor.Uint8), {DType: tensor.Float32, Dims: []int{}}, {DType: tensor.Uint8, Dims: []int{}}}, nil
}

func unaryRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	return []*Value{same(x)}, nil
}

func boolUnaryRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	return []*Value{withType(x, tensor.Bool)}, nil
}

// axisUnaryRule covers Softmax-like ops, whose axis must be in range
// (default 1 before opset 13, -1 from 13).
func axisUnaryRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	def := int64(1)
	if c.opset >= 13 {
		def = -1
	}
	rank := len(x.Dims)
	if rank == 0 {
		rank = 1 // a scalar behaves as a vector of one for the axis check
	}
	if _, err := NormAxis(c.n.AttrInt("axis", def), rank, "axis"); err != nil {
		return nil, err
	}
	return []*Value{same(x)}, nil
}

func broadcastRule(boolResult bool) rule {
	return func(c *nodeCtx) ([]*Value, error) {
		var shapes [][]int
		var first *Value
		for i := range c.in {
			v := c.input(i)
			if v == nil {
				continue
			}
			if first == nil {
				first = v
			}
			shapes = append(shapes, v.Dims)
		}
		if first == nil {
			return nil, fmt.Errorf("%s has no inputs", c.n.OpType)
		}
		if len(shapes) < 2 && !variadic[c.n.OpType] {
			return nil, fmt.Errorf("%s needs two inputs, has %d", c.n.OpType, len(shapes))
		}
		var dims []int
		if c.opset < 7 && c.n.AttrInt("broadcast", 0) == 1 {
			// Legacy broadcasting (opset < 7): the second input is
			// broadcast onto the first, whose shape is the output's.
			dims = clone(first.Dims)
		} else {
			var err error
			if dims, err = BroadcastShape(shapes...); err != nil {
				return nil, err
			}
		}
		dt := first.DType
		if boolResult {
			dt = tensor.Bool
		}
		return []*Value{{DType: dt, Dims: dims}}, nil
	}
}

var variadic = map[string]bool{"Sum": true, "Max": true, "Min": true, "Mean": true}

func whereRule(c *nodeCtx) ([]*Value, error) {
	cond, err := c.need(0)
	if err != nil {
		return nil, err
	}
	x, err := c.need(1)
	if err != nil {
		return nil, err
	}
	y, err := c.need(2)
	if err != nil {
		return nil, err
	}
	dims, err := BroadcastShape(cond.Dims, x.Dims, y.Dims)
	if err != nil {
		return nil, err
	}
	return []*Value{{DType: x.DType, Dims: dims}}, nil
}

// preluRule: the slope broadcasts onto X (unidirectionally).
func preluRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	slope, err := c.need(1)
	if err != nil {
		return nil, err
	}
	// Before opset 7 a 1-D slope was per channel (axis 1), not broadcast
	// from the right.
	if c.opset < 7 && len(slope.Dims) == 1 && len(x.Dims) >= 2 && (slope.Dims[0] == 1 || slope.Dims[0] == x.Dims[1]) {
		return []*Value{same(x)}, nil
	}
	dims, err := BroadcastShape(x.Dims, slope.Dims)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(dims, x.Dims) {
		return nil, fmt.Errorf("slope shape %v does not broadcast onto input shape %v", slope.Dims, x.Dims)
	}
	return []*Value{same(x)}, nil
}

// batchNormRule: Y has X's shape; the optional statistics outputs
// (training mode) have shape [C].
func batchNormRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.needRank(0, 2)
	if err != nil {
		return nil, err
	}
	ch := x.Dims[1]
	for i := 1; i <= 4; i++ {
		p := c.input(i)
		if p == nil {
			return nil, fmt.Errorf("BatchNormalization needs input %d (scale, B, mean, var)", i)
		}
		// Opset < 7 allowed spatial=0 with per-element parameters.
		if c.opset >= 7 && (len(p.Dims) != 1 || p.Dims[0] != ch) && !(c.opset < 9 && c.n.AttrInt("spatial", 1) == 0) {
			return nil, fmt.Errorf("input %d has shape %v; it must be [%d] (the channels of X %v)", i, p.Dims, ch, x.Dims)
		}
	}
	outs := []*Value{same(x)}
	for i := 1; i < c.outputCount(); i++ {
		outs = append(outs, &Value{DType: x.DType, Dims: []int{ch}})
	}
	return outs, nil
}

// layerNormRule: Y has X's shape; Mean and InvStdDev keep the leading
// axes and have size 1 from axis on.
func layerNormRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	axis, err := NormAxis(c.n.AttrInt("axis", -1), len(x.Dims), "axis")
	if err != nil {
		return nil, err
	}
	stat := clone(x.Dims)
	for i := axis; i < len(stat); i++ {
		stat[i] = 1
	}
	outs := []*Value{same(x)}
	for i := 1; i < c.outputCount() && i < 3; i++ {
		outs = append(outs, &Value{DType: tensor.Float32, Dims: clone(stat)})
	}
	return outs, nil
}

func dropoutRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	// Before opset 10 the mask had X's type; from 10 it is bool.
	mask := withType(x, tensor.Bool)
	if c.opset < 10 {
		mask = same(x)
	}
	return []*Value{same(x), mask}, nil
}

func castRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	a := c.n.Attr("to")
	if a == nil {
		return nil, fmt.Errorf("the Cast node has no 'to' attribute; set it to an ONNX data type number")
	}
	to := tensor.DType(a.I)
	if to <= 0 || to > 23 {
		return nil, fmt.Errorf("the Cast attribute 'to' is %d, not an ONNX data type number", a.I)
	}
	return []*Value{withType(x, to)}, nil
}

func castLikeRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	like, err := c.need(1)
	if err != nil {
		return nil, err
	}
	return []*Value{withType(x, like.DType)}, nil
}

// quantizeRule: the output type is the zero point's type, else the
// output_dtype attribute (opset 21), else uint8.
func quantizeRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	if _, err := c.need(1); err != nil {
		return nil, err
	}
	dt := tensor.Uint8
	if zp := c.input(2); zp != nil {
		dt = zp.DType
	} else if c.opset >= 21 {
		if v := c.n.AttrInt("output_dtype", 0); v != 0 {
			dt = tensor.DType(v)
		}
	}
	return []*Value{withType(x, dt)}, nil
}

// dequantizeRule: float32 before opset 19; from 19 the scale's type.
func dequantizeRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	scale, err := c.need(1)
	if err != nil {
		return nil, err
	}
	dt := tensor.Float32
	if c.opset >= 19 && scale.DType != tensor.Undefined {
		dt = scale.DType
	}
	return []*Value{withType(x, dt)}, nil
}
