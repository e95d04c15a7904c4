package exec

import (
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
)

// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear.
//
// A scale (and zero point) is a scalar (per tensor), a 1-D tensor along
// axis (per axis), or, with block_size > 0, a tensor of the input's rank
// whose axis dimension is ceil(dim/block_size) (blocked).

// quantRange returns the saturation bounds of a quantized type.
func quantRange(dt tensor.DType) (lo, hi float64, ok bool) {
	switch dt {
	case tensor.Uint8:
		return 0, 255, true
	case tensor.Int8:
		return -128, 127, true
	case tensor.Uint4:
		return 0, 15, true
	case tensor.Int4:
		return -8, 7, true
	case tensor.Int32:
		return math.MinInt32, math.MaxInt32, true
	}
	return 0, 0, false
}

// scaleIndex maps each element of an input of shape xs to the element of
// the scale tensor that applies to it.
type scaleIndex struct {
	perTensor         bool
	perAxis           bool // 1-D scale along axis
	outer, dim, inner int  // split of xs around axis
	block             int  // elements of axis per scale entry
	scaleDim          int
}

func newScaleIndex(c *Context, xs []int, scale, zp *tensor.Tensor) (*scaleIndex, error) {
	if zp != nil && zp.Len() != scale.Len() {
		return nil, fmt.Errorf("zero point shape %v does not match scale shape %v", zp.Shape, scale.Shape)
	}
	if scale.Len() == 0 {
		return nil, fmt.Errorf("scale is empty")
	}
	if scale.Len() == 1 && len(scale.Shape) <= 1 {
		return &scaleIndex{perTensor: true}, nil
	}
	axis, err := graph.NormAxis(c.Node.AttrInt("axis", 1), len(xs), "axis")
	if err != nil {
		return nil, err
	}
	s := &scaleIndex{
		outer: tensor.NumElements(xs[:axis]),
		dim:   xs[axis],
		inner: tensor.NumElements(xs[axis+1:]),
		block: 1,
	}
	blockSize := int(c.Node.AttrInt("block_size", 0))
	if blockSize <= 0 {
		if len(scale.Shape) != 1 || scale.Shape[0] != xs[axis] {
			return nil, fmt.Errorf("per-axis scale must be 1-D of size %d (axis %d of %v), got shape %v", xs[axis], axis, xs, scale.Shape)
		}
		s.perAxis = true
		return s, nil
	}
	want := append([]int(nil), xs...)
	want[axis] = (xs[axis] + blockSize - 1) / blockSize
	if !slices.Equal(scale.Shape, want) {
		return nil, fmt.Errorf("blocked scale must have shape %v (block_size %d on axis %d), got %v", want, blockSize, axis, scale.Shape)
	}
	s.block = blockSize
	s.scaleDim = want[axis]
	return s, nil
}

// at returns the scale element index for input element i.
func (s *scaleIndex) at(i int) int {
	if s.perTensor {
		return 0
	}
	a := (i / s.inner) % s.dim
	if s.perAxis {
		return a
	}
	o := i / (s.dim * s.inner)
	return (o*s.scaleDim+a/s.block)*s.inner + i%s.inner
}

func quantizeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	x, scale, zp := in[0], in[1], input(in, 2)
	if !isFloat(x.DType) || !isFloat(scale.DType) {
		return nil, fmt.Errorf("input and scale must be float, got %v and %v", x.DType, scale.DType)
	}
	outType := tensor.Uint8
	if zp != nil {
		outType = zp.DType
	} else if a := c.Node.Attr("output_dtype"); a != nil && a.I != 0 {
		outType = tensor.DType(a.I)
	}
	lo, hi, ok := quantRange(outType)
	if !ok || outType == tensor.Int32 {
		return nil, fmt.Errorf("quantizing to %v is not supported (uint8, int8, uint4, int4 are)", outType)
	}
	if (outType == tensor.Int4 || outType == tensor.Uint4) && c.Opset < 21 {
		return nil, fmt.Errorf("%v needs opset 21", outType)
	}
	idx, err := newScaleIndex(c, x.Shape, scale, zp)
	if err != nil {
		return nil, err
	}
	out := c.Alloc(outType, x.Shape)
	for i, n := 0, x.Len(); i < n; i++ {
		k := idx.at(i)
		var q float64
		if x.DType == tensor.Float32 && scale.DType == tensor.Float32 {
			// Divide in float32 as the reference does, then round.
			q = float64(x.F32[i] / scale.F32[k])
		} else {
			q = asFloat64(x, i) / asFloat64(scale, k)
		}
		q = math.RoundToEven(q)
		if zp != nil {
			q += asFloat64(zp, k)
		}
		q = math.Min(math.Max(q, lo), hi)
		if math.IsNaN(q) {
			q = 0
		}
		setFromInt(out, i, int64(q))
	}
	return []*tensor.Tensor{out}, nil
}

func dequantizeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	x, scale, zp := in[0], in[1], input(in, 2)
	if _, _, ok := quantRange(x.DType); !ok {
		return nil, fmt.Errorf("dequantizing %v is not supported (uint8, int8, int32, uint4, int4 are)", x.DType)
	}
	if !isFloat(scale.DType) {
		return nil, fmt.Errorf("scale must be float, got %v", scale.DType)
	}
	if zp != nil && zp.DType != x.DType {
		return nil, fmt.Errorf("zero point type %v differs from input type %v", zp.DType, x.DType)
	}
	if x.DType == tensor.Int32 && zp != nil {
		for i := 0; i < zp.Len(); i++ {
			if asInt64(zp, i) != 0 {
				return nil, fmt.Errorf("int32 input needs a zero point of 0")
			}
		}
	}
	idx, err := newScaleIndex(c, x.Shape, scale, zp)
	if err != nil {
		return nil, err
	}
	outType := scale.DType
	if a := c.Node.Attr("output_dtype"); a != nil && a.I != 0 {
		outType = tensor.DType(a.I)
		if !isFloat(outType) {
			return nil, fmt.Errorf("output_dtype %v is not supported", outType)
		}
	}
	out := c.Alloc(outType, x.Shape)
	for i, n := 0, x.Len(); i < n; i++ {
		k := idx.at(i)
		v := asInt64(x, i)
		if zp != nil {
			v -= asInt64(zp, k)
		}
		if out.DType == tensor.Float32 && scale.DType == tensor.Float32 {
			out.F32[i] = float32(v) * scale.F32[k]
		} else {
			setFromFloat(out, i, float64(v)*asFloat64(scale, k))
		}
	}
	return []*tensor.Tensor{out}, nil
}

// dynamicQuantizeKernel quantizes float32 to uint8 with a scale and zero
// point chosen from the data range extended to include 0.
func dynamicQuantizeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	if x.DType != tensor.Float32 {
		return nil, fmt.Errorf("needs float32 input, got %v", x.DType)
	}
	// The range includes 0 and skips NaN (the builtin min and max would
	// propagate it into the scale and spoil every value), as onnxruntime.
	var mn, mx float32
	for _, v := range x.F32 {
		if v < mn {
			mn = v
		}
		if v > mx {
			mx = v
		}
	}
	scale := (mx - mn) / 255
	y := c.Alloc(tensor.Uint8, x.Shape)
	ys := c.Alloc(tensor.Float32, nil)
	yz := c.Alloc(tensor.Uint8, nil)
	ys.F32[0] = scale
	if scale == 0 {
		return []*tensor.Tensor{y, ys, yz}, nil
	}
	zp := math.Min(math.Max(math.RoundToEven(float64(0-mn/scale)), 0), 255)
	yz.U8[0] = uint8(zp)
	for i, v := range x.F32 {
		q := math.RoundToEven(float64(v/scale)) + zp
		if q != q {
			q = 0 // NaN: Go's float to uint8 conversion is undefined
		}
		y.U8[i] = uint8(math.Min(math.Max(q, 0), 255))
	}
	return []*tensor.Tensor{y, ys, yz}, nil
}

func init() {
	Register("QuantizeLinear", 10, 0, quantizeKernel)
	Register("DequantizeLinear", 10, 0, dequantizeKernel)
	Register("DynamicQuantizeLinear", 11, 0, dynamicQuantizeKernel)
}
