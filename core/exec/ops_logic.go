package exec

import (
	"fmt"

	"github.com/pare-ml/pare/core/tensor"
)

// Comparisons, boolean logic and Where.

type cmpOp byte

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpGt
	cmpLe
	cmpGe
)

func cmpFn[T numeric](op cmpOp) func(a, b T) bool {
	switch op {
	case cmpEq:
		return func(a, b T) bool { return a == b }
	case cmpLt:
		return func(a, b T) bool { return a < b }
	case cmpGt:
		return func(a, b T) bool { return a > b }
	case cmpLe:
		return func(a, b T) bool { return a <= b }
	}
	return func(a, b T) bool { return a >= b }
}

func compareKernel(op cmpOp) Kernel {
	return func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 2); err != nil {
			return nil, err
		}
		a, b := in[0], in[1]
		if a.DType != b.DType {
			return nil, fmt.Errorf("operand types differ: %v and %v", a.DType, b.DType)
		}
		var out *tensor.Tensor
		var err error
		switch a.DType {
		case tensor.Float32:
			out, err = broadcast2(c, a, b, tensor.Bool, cmpFn[float32](op))
		case tensor.Float64:
			out, err = broadcast2(c, a, b, tensor.Bool, cmpFn[float64](op))
		case tensor.Int64:
			out, err = broadcast2(c, a, b, tensor.Bool, cmpFn[int64](op))
		case tensor.Int32:
			out, err = broadcast2(c, a, b, tensor.Bool, cmpFn[int32](op))
		case tensor.Int8:
			out, err = broadcast2(c, a, b, tensor.Bool, cmpFn[int8](op))
		case tensor.Uint8:
			out, err = broadcast2(c, a, b, tensor.Bool, cmpFn[uint8](op))
		case tensor.Bool:
			if op != cmpEq {
				return nil, fmt.Errorf("bool operands support only Equal")
			}
			out, err = broadcast2(c, a, b, tensor.Bool, func(x, y bool) bool { return x == y })
		default:
			return nil, fmt.Errorf("unsupported element type %v", a.DType)
		}
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}
}

func logicKernel(f func(a, b bool) bool) Kernel {
	return func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 2); err != nil {
			return nil, err
		}
		if in[0].DType != tensor.Bool || in[1].DType != tensor.Bool {
			return nil, fmt.Errorf("needs bool operands, got %v and %v", in[0].DType, in[1].DType)
		}
		out, err := broadcast2(c, in[0], in[1], tensor.Bool, f)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}
}

func notKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != tensor.Bool {
		return nil, fmt.Errorf("needs a bool tensor, got %v", x.DType)
	}
	out := c.Alloc(tensor.Bool, x.Shape)
	for i, v := range x.Bool {
		out.Bool[i] = !v
	}
	return []*tensor.Tensor{out}, nil
}

func whereTyped[T elem](c *Context, cond, x, y *tensor.Tensor) (*tensor.Tensor, error) {
	return broadcast3(c, cond, x, y, x.DType, func(k bool, a, b T) T {
		if k {
			return a
		}
		return b
	})
}

func whereKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 3); err != nil {
		return nil, err
	}
	cond, x, y := in[0], in[1], in[2]
	if cond.DType != tensor.Bool {
		return nil, fmt.Errorf("condition must be bool, got %v", cond.DType)
	}
	if x.DType != y.DType {
		return nil, fmt.Errorf("branch types differ: %v and %v", x.DType, y.DType)
	}
	var out *tensor.Tensor
	var err error
	switch x.DType {
	case tensor.Float32:
		out, err = whereTyped[float32](c, cond, x, y)
	case tensor.Float64:
		out, err = whereTyped[float64](c, cond, x, y)
	case tensor.Int64:
		out, err = whereTyped[int64](c, cond, x, y)
	case tensor.Int32:
		out, err = whereTyped[int32](c, cond, x, y)
	case tensor.Int8:
		out, err = whereTyped[int8](c, cond, x, y)
	case tensor.Uint8:
		out, err = whereTyped[uint8](c, cond, x, y)
	case tensor.Bool:
		out, err = whereTyped[bool](c, cond, x, y)
	default:
		return nil, fmt.Errorf("unsupported element type %v", x.DType)
	}
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}

func init() {
	Register("Equal", 1, 0, compareKernel(cmpEq))
	Register("Less", 1, 0, compareKernel(cmpLt))
	Register("Greater", 1, 0, compareKernel(cmpGt))
	Register("LessOrEqual", 12, 0, compareKernel(cmpLe))
	Register("GreaterOrEqual", 12, 0, compareKernel(cmpGe))
	Register("And", 1, 0, logicKernel(func(a, b bool) bool { return a && b }))
	Register("Or", 1, 0, logicKernel(func(a, b bool) bool { return a || b }))
	Register("Xor", 1, 0, logicKernel(func(a, b bool) bool { return a != b }))
	Register("Not", 1, 0, notKernel)
	Register("Where", 9, 0, whereKernel)
}
