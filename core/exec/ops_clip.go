package exec

import (
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/tensor"
)

// Clip and PRelu: activations with extra operands.

// clipKernel clamps to [min, max], read from attributes before opset 11 and
// from optional scalar inputs from opset 11 on. When min > max every value
// becomes max, as the specification says.
func clipKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	lo, hi := math.Inf(-1), math.Inf(1)
	if c.Opset < 11 {
		lo = float64(c.Node.AttrFloat("min", -math.MaxFloat32))
		hi = float64(c.Node.AttrFloat("max", math.MaxFloat32))
	} else {
		for i, p := range []*float64{&lo, &hi} {
			b := input(in, i+1)
			if b == nil {
				continue
			}
			if b.Len() != 1 || b.DType != x.DType {
				return nil, fmt.Errorf("bound %d must be a scalar of type %v, got %v %v", i+1, x.DType, b.DType, b.Shape)
			}
			*p = asFloat64(b, 0)
		}
	}
	out, err := alloc(c, x.DType, x.Shape)
	if err != nil {
		return nil, err
	}
	clampI := func(v int64) int64 {
		f := float64(v)
		if f < lo {
			f = lo
		}
		if f > hi {
			f = hi
		}
		return int64(f)
	}
	switch x.DType {
	case tensor.Float32:
		l, h := float32(math.Max(lo, -math.MaxFloat32)), float32(math.Min(hi, math.MaxFloat32))
		if math.IsInf(lo, -1) {
			l = float32(math.Inf(-1))
		}
		if math.IsInf(hi, 1) {
			h = float32(math.Inf(1))
		}
		nn.Clip(out.F32, x.F32, l, h)
	case tensor.Float64:
		for i, v := range x.F64 {
			out.F64[i] = math.Min(math.Max(v, lo), hi)
		}
	default:
		if !mapIntegers(out, x, clampI) {
			return nil, fmt.Errorf("unsupported element type %v", x.DType)
		}
	}
	return []*tensor.Tensor{out}, nil
}

// preluKernel computes x<0 ? slope*x : x with slope broadcast to x. Before
// opset 7 a 1-D slope applies along the channel axis.
func preluKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	x, slope := in[0], in[1]
	if x.DType != slope.DType {
		return nil, fmt.Errorf("slope type %v differs from input type %v", slope.DType, x.DType)
	}
	if c.Opset < 7 && len(slope.Shape) == 1 && len(x.Shape) >= 2 && slope.Shape[0] == x.Shape[1] && slope.Shape[0] != 1 {
		s := make([]int, len(x.Shape)-1)
		for i := range s {
			s[i] = 1
		}
		s[0] = slope.Shape[0]
		slope = &tensor.Tensor{DType: slope.DType, Shape: s, F32: slope.F32, F64: slope.F64}
	}
	var out *tensor.Tensor
	var err error
	switch x.DType {
	case tensor.Float32:
		out, err = broadcast2(c, x, slope, x.DType, func(v, s float32) float32 {
			if v < 0 {
				return v * s
			}
			return v
		})
	case tensor.Float64:
		out, err = broadcast2(c, x, slope, x.DType, func(v, s float64) float64 {
			if v < 0 {
				return v * s
			}
			return v
		})
	default:
		return nil, fmt.Errorf("unsupported element type %v", x.DType)
	}
	if err != nil {
		return nil, err
	}
	if !slices.Equal(out.Shape, x.Shape) {
		return nil, fmt.Errorf("slope shape %v does not broadcast to input shape %v", slope.Shape, x.Shape)
	}
	return []*tensor.Tensor{out}, nil
}

func init() {
	Register("Clip", 1, 0, clipKernel)
	Register("PRelu", 1, 0, preluKernel)
}
