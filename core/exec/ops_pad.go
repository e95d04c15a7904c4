package exec

import (
	"fmt"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
)

// padKernel implements Pad in its three forms: attribute "paddings" (opset
// 1), attributes pads/mode/value (2-10) and inputs pads, constant_value,
// axes (11+, axes from 18). Modes: constant, reflect, edge, wrap. Negative
// pads crop.
func padKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	mode := c.Node.AttrString("mode", "constant")
	var pads []int64
	value := 0.0
	var axes []int
	switch {
	case c.Opset < 2:
		pads = c.Node.AttrInts("paddings", nil)
		value = float64(c.Node.AttrFloat("value", 0))
	case c.Opset < 11:
		pads = c.Node.AttrInts("pads", nil)
		value = float64(c.Node.AttrFloat("value", 0))
	default:
		if err := need(in, 2); err != nil {
			return nil, err
		}
		var err error
		if pads, err = ints(in[1], "pads"); err != nil {
			return nil, err
		}
		if v := input(in, 2); v != nil && v.Len() > 0 {
			if v.DType != x.DType {
				return nil, fmt.Errorf("constant_value type %v differs from input type %v", v.DType, x.DType)
			}
			value = asFloat64(v, 0)
		}
		if a := input(in, 3); a != nil {
			av, err := ints(a, "axes")
			if err != nil {
				return nil, err
			}
			if axes, err = graph.NormAxes(av, rank, "axis"); err != nil {
				return nil, err
			}
		}
	}
	if axes == nil {
		axes = make([]int, rank)
		for i := range axes {
			axes[i] = i
		}
	}
	if len(pads) != 2*len(axes) {
		return nil, fmt.Errorf("pads %v must have 2 entries per padded axis (%d axes)", pads, len(axes))
	}
	begin := make([]int, rank)
	end := make([]int, rank)
	for i, a := range axes {
		b, e := pads[i], pads[i+len(axes)]
		if b > maxElements || e > maxElements || b < -maxElements || e < -maxElements {
			return nil, fmt.Errorf("pads %v out of range", pads)
		}
		begin[a], end[a] = int(b), int(e)
	}
	shape := make([]int, rank)
	for d := range shape {
		shape[d] = x.Shape[d] + begin[d] + end[d]
		if shape[d] < 0 {
			return nil, fmt.Errorf("pads %v crop axis %d (size %d) below zero", pads, d, x.Shape[d])
		}
		if x.Shape[d] == 0 && shape[d] > 0 && mode != "constant" {
			return nil, fmt.Errorf("cannot %s-pad empty axis %d", mode, d)
		}
	}
	// src[d][o] is the input index along d feeding output index o, or -1
	// where the constant value goes.
	src := make([][]int, rank)
	for d := range src {
		n := x.Shape[d]
		src[d] = make([]int, shape[d])
		for o := range src[d] {
			i := o - begin[d]
			if i < 0 || i >= n {
				switch mode {
				case "constant":
					i = -1
				case "edge":
					i = min(max(i, 0), n-1)
				case "wrap":
					i = ((i % n) + n) % n
				case "reflect":
					if n == 1 {
						i = 0
						break
					}
					period := 2 * (n - 1)
					i = ((i % period) + period) % period
					if i >= n {
						i = period - i
					}
				default:
					return nil, fmt.Errorf("unknown mode %q (want constant, reflect, edge or wrap)", mode)
				}
			}
			src[d][o] = i
		}
	}
	out, err := alloc(c, x.DType, shape)
	if err != nil {
		return nil, err
	}
	switch x.DType {
	case tensor.Float32:
		padT(out.F32, x.F32, x.Shape, shape, src, float32(value))
	case tensor.Float64:
		padT(out.F64, x.F64, x.Shape, shape, src, value)
	case tensor.Int64:
		padT(out.I64, x.I64, x.Shape, shape, src, int64(value))
	case tensor.Int32:
		padT(out.I32, x.I32, x.Shape, shape, src, int32(value))
	case tensor.Int8:
		padT(out.I8, x.I8, x.Shape, shape, src, int8(value))
	case tensor.Uint8:
		padT(out.U8, x.U8, x.Shape, shape, src, uint8(value))
	case tensor.Bool:
		padT(out.Bool, x.Bool, x.Shape, shape, src, value != 0)
	default:
		return nil, fmt.Errorf("unsupported element type %v", x.DType)
	}
	return []*tensor.Tensor{out}, nil
}

func padT[T elem](dst, s []T, inShape, outShape []int, src [][]int, value T) {
	rank := len(outShape)
	if len(dst) == 0 {
		return
	}
	if rank == 0 {
		dst[0] = s[0]
		return
	}
	inStrides := tensor.Strides(inShape)
	last := src[rank-1]
	n := outShape[rank-1]
	idx := make([]int, rank-1)
	for o := 0; o < len(dst); o += n {
		base, inside := 0, true
		for d := 0; d < rank-1; d++ {
			i := src[d][idx[d]]
			if i < 0 {
				inside = false
				break
			}
			base += i * inStrides[d]
		}
		row := dst[o : o+n]
		for j, i := range last {
			if inside && i >= 0 {
				row[j] = s[base+i]
			} else {
				row[j] = value
			}
		}
		for d := rank - 2; d >= 0; d-- {
			idx[d]++
			if idx[d] < outShape[d] {
				break
			}
			idx[d] = 0
		}
	}
}

func init() {
	Register("Pad", 1, 0, padKernel)
}
