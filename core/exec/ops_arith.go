package exec

import (
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
)

// Binary arithmetic with numpy broadcasting (Add, Sub, Mul, Div, Pow) and
// the variadic Sum, Max, Min and Mean.

type arithOp byte

const (
	opAdd arithOp = iota
	opSub
	opMul
	opDiv
	opMax
	opMin
)

func arithFn[T numeric](op arithOp) func(a, b T) T {
	switch op {
	case opAdd:
		return func(a, b T) T { return a + b }
	case opSub:
		return func(a, b T) T { return a - b }
	case opMul:
		return func(a, b T) T { return a * b }
	case opDiv:
		var z T
		if _, ok := any(z).(float32); ok {
			return func(a, b T) T { return a / b }
		}
		if _, ok := any(z).(float64); ok {
			return func(a, b T) T { return a / b }
		}
		// Integer division truncates toward zero; a zero divisor yields 0
		// rather than a crash (the result is undefined in ONNX).
		return func(a, b T) T {
			if b == 0 {
				return 0
			}
			return a / b
		}
	case opMax:
		return func(a, b T) T {
			if a != a || a > b { // NaN propagates
				return a
			}
			return b
		}
	case opMin:
		return func(a, b T) T {
			if a != a || a < b {
				return a
			}
			return b
		}
	}
	panic("exec: unknown arithmetic op")
}

// arith applies op elementwise to two tensors of the same numeric type.
func arith(c *Context, op arithOp, a, b *tensor.Tensor) (*tensor.Tensor, error) {
	if a.DType != b.DType {
		return nil, fmt.Errorf("operand types differ: %v and %v", a.DType, b.DType)
	}
	switch a.DType {
	case tensor.Float32:
		return broadcast2(c, a, b, a.DType, arithFn[float32](op))
	case tensor.Float64:
		return broadcast2(c, a, b, a.DType, arithFn[float64](op))
	case tensor.Int64:
		return broadcast2(c, a, b, a.DType, arithFn[int64](op))
	case tensor.Int32:
		return broadcast2(c, a, b, a.DType, arithFn[int32](op))
	case tensor.Int8:
		return broadcast2(c, a, b, a.DType, arithFn[int8](op))
	case tensor.Uint8:
		return broadcast2(c, a, b, a.DType, arithFn[uint8](op))
	}
	return nil, fmt.Errorf("unsupported element type %v", a.DType)
}

func binaryArithKernel(op arithOp) Kernel {
	return func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 2); err != nil {
			return nil, err
		}
		b, err := legacyBroadcast(c, in[0], in[1])
		if err != nil {
			return nil, err
		}
		out, err := arith(c, op, in[0], b)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{out}, nil
	}
}

// legacyBroadcast applies the opset 1-6 rule for binary ops: with
// broadcast=1, B's shape is matched to A's starting at axis (default: the
// trailing dims, which is what numpy broadcasting does anyway). Without
// broadcast=1 the shapes must be equal.
func legacyBroadcast(c *Context, a, b *tensor.Tensor) (*tensor.Tensor, error) {
	if c.Opset >= 7 {
		return b, nil
	}
	if c.Node.AttrInt("broadcast", 0) == 0 {
		if !slices.Equal(a.Shape, b.Shape) {
			return nil, fmt.Errorf("shapes %v and %v differ and attribute broadcast is not set (opset %d)", a.Shape, b.Shape, c.Opset)
		}
		return b, nil
	}
	ax := c.Node.Attr("axis")
	if ax == nil || len(b.Shape) == 0 {
		return b, nil
	}
	axis, err := graph.NormAxis(ax.I, len(a.Shape), "axis")
	if err != nil {
		return nil, err
	}
	if axis+len(b.Shape) > len(a.Shape) {
		return nil, fmt.Errorf("input B of shape %v does not fit input A %v at axis %d", b.Shape, a.Shape, axis)
	}
	shape := append([]int(nil), b.Shape...)
	for len(shape) < len(a.Shape)-axis {
		shape = append(shape, 1)
	}
	v := *b
	v.Shape = shape
	return &v, nil
}

// variadicKernel folds Sum, Max, Min (and Mean, which divides at the end)
// over any number of inputs with broadcasting.
func variadicKernel(op arithOp, mean bool) Kernel {
	return func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		for i := 1; i < len(in); i++ {
			if in[i] == nil {
				return nil, fmt.Errorf("input %d is missing", i)
			}
		}
		acc := in[0]
		if len(in) == 1 {
			acc = copyTensor(c, in[0], in[0].Shape)
		}
		for i := 1; i < len(in); i++ {
			next, err := arith(c, op, acc, in[i])
			if err != nil {
				return nil, err
			}
			acc = next
		}
		if mean {
			n := float64(len(in))
			switch acc.DType {
			case tensor.Float32:
				for i := range acc.F32 {
					acc.F32[i] = float32(float64(acc.F32[i]) / n)
				}
			case tensor.Float64:
				for i := range acc.F64 {
					acc.F64[i] /= n
				}
			default:
				return nil, fmt.Errorf("needs a float type, got %v", acc.DType)
			}
		}
		return []*tensor.Tensor{acc}, nil
	}
}

// powKernel computes x^y; the exponent may have a different numeric type.
func powKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	x, y := in[0], in[1]
	yf := tensor.New(tensor.Float64, y.Shape)
	for i := range yf.F64 {
		yf.F64[i] = asFloat64(y, i)
	}
	var out *tensor.Tensor
	var err error
	switch x.DType {
	case tensor.Float32:
		out, err = broadcast2(c, x, yf, x.DType, func(a float32, b float64) float32 {
			if b == 2 {
				return a * a
			}
			return float32(math.Pow(float64(a), b))
		})
	case tensor.Float64:
		out, err = broadcast2(c, x, yf, x.DType, math.Pow)
	case tensor.Int64:
		out, err = broadcast2(c, x, yf, x.DType, func(a int64, b float64) int64 { return int64(math.Pow(float64(a), b)) })
	case tensor.Int32:
		out, err = broadcast2(c, x, yf, x.DType, func(a int32, b float64) int32 { return int32(math.Pow(float64(a), b)) })
	default:
		return nil, fmt.Errorf("unsupported base type %v", x.DType)
	}
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}

func init() {
	Register("Add", 1, 0, binaryArithKernel(opAdd))
	Register("Sub", 1, 0, binaryArithKernel(opSub))
	Register("Mul", 1, 0, binaryArithKernel(opMul))
	Register("Div", 1, 0, binaryArithKernel(opDiv))
	Register("Pow", 1, 0, powKernel)
	Register("Sum", 1, 0, variadicKernel(opAdd, false))
	Register("Mean", 1, 0, variadicKernel(opAdd, true))
	Register("Max", 1, 0, variadicKernel(opMax, false))
	Register("Min", 1, 0, variadicKernel(opMin, false))
}
