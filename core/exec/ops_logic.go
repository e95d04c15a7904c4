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

func compareTyped[T numeric](c *Context, a, b *tensor.Tensor, op cmpOp) (*tensor.Tensor, error) {
	return broadcast2(c, a, b, tensor.Bool, cmpFn[T](op))
}

// compareByType instantiates the ordered comparisons for each numeric type.
var compareByType = map[tensor.DType]func(c *Context, a, b *tensor.Tensor, op cmpOp) (*tensor.Tensor, error){
	tensor.Float32: compareTyped[float32],
	tensor.Float64: compareTyped[float64],
	tensor.Int64:   compareTyped[int64],
	tensor.Int32:   compareTyped[int32],
	tensor.Int8:    compareTyped[int8],
	tensor.Uint8:   compareTyped[uint8],
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
		if a.DType == tensor.Bool {
			if op != cmpEq {
				return nil, fmt.Errorf("bool operands support only Equal")
			}
			return one(broadcast2(c, a, b, tensor.Bool, func(x, y bool) bool { return x == y }))
		}
		compare, ok := compareByType[a.DType]
		if !ok {
			return nil, fmt.Errorf("unsupported element type %v", a.DType)
		}
		return one(compare(c, a, b, op))
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
		return one(broadcast2(c, in[0], in[1], tensor.Bool, f))
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

// whereByType instantiates Where for each element type.
var whereByType = map[tensor.DType]func(c *Context, cond, x, y *tensor.Tensor) (*tensor.Tensor, error){
	tensor.Float32: whereTyped[float32],
	tensor.Float64: whereTyped[float64],
	tensor.Int64:   whereTyped[int64],
	tensor.Int32:   whereTyped[int32],
	tensor.Int8:    whereTyped[int8],
	tensor.Uint8:   whereTyped[uint8],
	tensor.Bool:    whereTyped[bool],
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
	where, ok := whereByType[x.DType]
	if !ok {
		return nil, fmt.Errorf("unsupported element type %v", x.DType)
	}
	return one(where(c, cond, x, y))
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
