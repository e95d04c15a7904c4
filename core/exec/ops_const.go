package exec

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/tensor"
)

// Constant, ConstantOfShape and Range: ops that make values rather than
// transform them.

func constantKernel(c *Context, _ []*tensor.Tensor) ([]*tensor.Tensor, error) {
	n := c.Node
	for _, a := range n.Attribute {
		switch a.Name {
		case "value":
			if a.T == nil {
				return nil, fmt.Errorf("attribute value has no tensor")
			}
			t, err := tensor.FromONNX(a.T)
			if err != nil {
				return nil, fmt.Errorf("attribute value: %w", err)
			}
			return []*tensor.Tensor{t}, nil
		case "value_float":
			t := c.Alloc(tensor.Float32, nil)
			t.F32[0] = a.F
			return []*tensor.Tensor{t}, nil
		case "value_floats":
			t := c.Alloc(tensor.Float32, []int{len(a.Floats)})
			copy(t.F32, a.Floats)
			return []*tensor.Tensor{t}, nil
		case "value_int":
			t := c.Alloc(tensor.Int64, nil)
			t.I64[0] = a.I
			return []*tensor.Tensor{t}, nil
		case "value_ints":
			t := c.Alloc(tensor.Int64, []int{len(a.Ints)})
			copy(t.I64, a.Ints)
			return []*tensor.Tensor{t}, nil
		case "sparse_value", "value_string", "value_strings":
			return nil, fmt.Errorf("attribute %s is not supported (Pare has no sparse or string tensors)", a.Name)
		}
	}
	return nil, fmt.Errorf("has no value attribute")
}

func constantOfShapeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	shape, err := shapeArg(in[0], "shape")
	if err != nil {
		return nil, err
	}
	fill := &tensor.Tensor{DType: tensor.Float32, Shape: []int{1}, F32: []float32{0}}
	if a := c.Node.Attr("value"); a != nil && a.T != nil {
		if fill, err = tensor.FromONNX(a.T); err != nil {
			return nil, fmt.Errorf("attribute value: %w", err)
		}
		if fill.Len() != 1 {
			return nil, fmt.Errorf("attribute value must hold one element, has %d", fill.Len())
		}
	}
	out, err := alloc(c, fill.DType, shape)
	if err != nil {
		return nil, err
	}
	n := out.Len()
	zeros := make([]int, len(shape))
	if n > 0 {
		stridedCopy(out, fill, shape, zeros, 0)
	}
	return []*tensor.Tensor{out}, nil
}

// rangeKernel produces start, start+delta, ... up to (not including) limit:
// max(ceil((limit-start)/delta), 0) elements.
func rangeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 3); err != nil {
		return nil, err
	}
	for i, t := range in[:3] {
		if t.Len() != 1 {
			return nil, fmt.Errorf("input %d must be a scalar, has shape %v", i, t.Shape)
		}
		if t.DType != in[0].DType {
			return nil, fmt.Errorf("inputs must share one type, got %v and %v", in[0].DType, t.DType)
		}
	}
	dt := in[0].DType
	start, limit, delta := asFloat64(in[0], 0), asFloat64(in[1], 0), asFloat64(in[2], 0)
	if delta == 0 {
		return nil, fmt.Errorf("delta is 0")
	}
	count := math.Max(math.Ceil((limit-start)/delta), 0)
	if count > maxElements || math.IsNaN(count) {
		return nil, fmt.Errorf("range of %v elements is too large", count)
	}
	out, err := alloc(c, dt, []int{int(count)})
	if err != nil {
		return nil, err
	}
	for i := 0; i < int(count); i++ {
		switch dt {
		case tensor.Float32:
			out.F32[i] = in[0].F32[0] + float32(i)*in[2].F32[0]
		case tensor.Float64:
			out.F64[i] = start + float64(i)*delta
		case tensor.Int64:
			out.I64[i] = in[0].I64[0] + int64(i)*in[2].I64[0]
		case tensor.Int32:
			out.I32[i] = in[0].I32[0] + int32(i)*in[2].I32[0]
		default:
			return nil, fmt.Errorf("unsupported element type %v", dt)
		}
	}
	return []*tensor.Tensor{out}, nil
}

func init() {
	Register("Constant", 1, 0, constantKernel)
	Register("ConstantOfShape", 9, 0, constantOfShapeKernel)
	Register("Range", 11, 0, rangeKernel)
}
