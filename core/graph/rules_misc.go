package graph

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/tensor"
)

// Constants, generators, reductions and resampling.

func init() {
	register(constantRule, "Constant")
	register(constantOfShapeRule, "ConstantOfShape")
	register(rangeRule, "Range")
	register(reduceRule,
		"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
		"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
		"ReduceSumSquare")
	register(argReduceRule, "ArgMax", "ArgMin")
	register(topKRule, "TopK")
	register(resizeRule, "Resize")
	register(keepType(upsampleDims), "Upsample")
}

func constantRule(c *nodeCtx) ([]*Value, error) {
	n := c.n
	if len(n.Attribute) != 1 {
		return nil, fmt.Errorf("a Constant node needs exactly one value attribute, this one has %d", len(n.Attribute))
	}
	a := n.Attribute[0]
	switch a.Name {
	case "value":
		if a.T == nil {
			return nil, fmt.Errorf("the Constant value attribute holds no tensor")
		}
		v, err := initializerValue(a.T)
		if err != nil {
			return nil, err
		}
		return []*Value{v}, nil
	case "value_float":
		k := tensor.FromF32([]int{}, []float32{a.F})
		return []*Value{{DType: tensor.Float32, Dims: []int{}, Const: k}}, nil
	case "value_floats":
		k := tensor.FromF32([]int{len(a.Floats)}, append([]float32{}, a.Floats...))
		return []*Value{{DType: tensor.Float32, Dims: clone(k.Shape), Const: smallOnly(k)}}, nil
	case "value_int":
		k := tensor.FromI64([]int{}, []int64{a.I})
		return []*Value{{DType: tensor.Int64, Dims: []int{}, Const: k}}, nil
	case "value_ints":
		k := tensor.FromI64([]int{len(a.Ints)}, append([]int64{}, a.Ints...))
		return []*Value{{DType: tensor.Int64, Dims: clone(k.Shape), Const: smallOnly(k)}}, nil
	case "value_string":
		return []*Value{{DType: tensor.DType(8), Dims: []int{}}}, nil
	case "value_strings":
		return []*Value{{DType: tensor.DType(8), Dims: []int{len(a.Strings)}}}, nil
	}
	return nil, fmt.Errorf("the Constant attribute %q is not supported", a.Name)
}

func smallOnly(t *tensor.Tensor) *tensor.Tensor {
	if t.Len() > MaxFoldElements {
		return nil
	}
	return t
}

func constantOfShapeRule(c *nodeCtx) ([]*Value, error) {
	shape, err := c.constIntsInput(0, "shape")
	if err != nil {
		return nil, err
	}
	dims, err := toDims(shape, "shape")
	if err != nil {
		return nil, err
	}
	dt := tensor.Float32
	if a := c.n.Attr("value"); a != nil && a.T != nil {
		dt = tensor.DType(a.T.DataType)
	}
	return []*Value{{DType: dt, Dims: dims}}, nil
}

func rangeRule(c *nodeCtx) ([]*Value, error) {
	var v [3]float64
	var iv [3]int64
	isInt := true
	for i, what := range []string{"start", "limit", "delta"} {
		in, err := c.need(i)
		if err != nil {
			return nil, err
		}
		if len(in.Dims) != 0 && !(len(in.Dims) == 1 && in.Dims[0] == 1) {
			return nil, fmt.Errorf("%s has shape %v; Range needs scalars", what, in.Dims)
		}
		f, err := c.constFloatsInput(i, what)
		if err != nil {
			return nil, err
		}
		v[i] = f[0]
		if ints, ok := constInts(in.Const); ok {
			iv[i] = ints[0]
		} else {
			isInt = false
		}
	}
	var n int64
	if isInt {
		if iv[2] == 0 {
			return nil, fmt.Errorf("the Range delta is 0, so the sequence never ends")
		}
		span := iv[1] - iv[0]
		// A difference that wrapped around, or MinInt64 (whose division by
		// -1 wraps), is far more elements than any tensor holds.
		if (span < 0) != (iv[1] < iv[0]) || span == math.MinInt64 {
			return nil, fmt.Errorf("the Range from %d to %d has too many elements", iv[0], iv[1])
		}
		n = max(ceilDivSigned(span, iv[2]), 0)
	} else {
		if v[2] == 0 || math.IsNaN(v[2]) {
			return nil, fmt.Errorf("the Range delta is %v; it must be a non-zero number", v[2])
		}
		f := math.Ceil((v[1] - v[0]) / v[2])
		if math.IsNaN(f) || f > maxDim {
			return nil, fmt.Errorf("the Range from %v to %v by %v has too many elements", v[0], v[1], v[2])
		}
		n = int64(max(f, 0))
	}
	if n > maxDim {
		return nil, fmt.Errorf("the Range has %d elements, too many", n)
	}
	return []*Value{{DType: c.in[0].DType, Dims: []int{int(n)}}}, nil
}

// ceilDivSigned is ceil(a/b) for any signs.
func ceilDivSigned(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) == (b < 0) {
		q++
	}
	return q
}

// reduceAxesFromInput is the opset at which each reduction moved its axes
// from an attribute to an input.
func reduceAxesFromInput(op string) int64 {
	if op == "ReduceSum" {
		return 13
	}
	return 18
}

func reduceRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	axes, _, err := c.axesArg(reduceAxesFromInput(c.n.OpType), 1)
	if err != nil {
		return nil, err
	}
	keep := c.n.AttrInt("keepdims", 1) != 0
	if len(axes) == 0 && c.n.AttrInt("noop_with_empty_axes", 0) != 0 {
		return []*Value{same(x)}, nil
	}
	r := len(x.Dims)
	reduce := make([]bool, r)
	if len(axes) == 0 {
		for i := range reduce {
			reduce[i] = true
		}
	} else {
		ax, err := NormAxes(axes, r, "axis")
		if err != nil {
			return nil, err
		}
		for _, a := range ax {
			reduce[a] = true
		}
	}
	out := []int{}
	for i, d := range x.Dims {
		switch {
		case !reduce[i]:
			out = append(out, d)
		case keep:
			out = append(out, 1)
		}
	}
	return []*Value{{DType: x.DType, Dims: out}}, nil
}

func argReduceRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.needRank(0, 1)
	if err != nil {
		return nil, err
	}
	axis, err := NormAxis(c.n.AttrInt("axis", 0), len(x.Dims), "axis")
	if err != nil {
		return nil, err
	}
	out := []int{}
	for i, d := range x.Dims {
		switch {
		case i != axis:
			out = append(out, d)
		case c.n.AttrInt("keepdims", 1) != 0:
			out = append(out, 1)
		}
	}
	return []*Value{{DType: tensor.Int64, Dims: out}}, nil
}

func topKRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.needRank(0, 1)
	if err != nil {
		return nil, err
	}
	axis, err := NormAxis(c.n.AttrInt("axis", -1), len(x.Dims), "axis")
	if err != nil {
		return nil, err
	}
	var k int64
	if c.opset < 10 {
		k = c.n.AttrInt("k", -1)
	} else {
		ks, err := c.constIntsInput(1, "K")
		if err != nil {
			return nil, err
		}
		if len(ks) != 1 {
			return nil, fmt.Errorf("input K has %d values; it must hold one", len(ks))
		}
		k = ks[0]
	}
	if k < 0 || k > int64(x.Dims[axis]) {
		return nil, fmt.Errorf("k is %d; axis %d has size %d", k, axis, x.Dims[axis])
	}
	out := clone(x.Dims)
	out[axis] = int(k)
	return []*Value{{DType: x.DType, Dims: out}, {DType: tensor.Int64, Dims: clone(out)}}, nil
}

// scaledDims gives floor(d * scale) per axis, computed in float32 like
// onnxruntime does.
func scaledDims(in []int, scales []float64) ([]int, error) {
	if len(scales) != len(in) {
		return nil, fmt.Errorf("scales %v has %d values; the input %v has rank %d", scales, len(scales), in, len(in))
	}
	out := make([]int, len(in))
	for i, s := range scales {
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("scales[%d] is %v; scales must be positive", i, s)
		}
		o := math.Floor(float64(float32(in[i]) * float32(s)))
		if o > maxDim {
			return nil, fmt.Errorf("scales[%d] = %v makes axis %d too large", i, s, i)
		}
		out[i] = int(o)
	}
	return out, nil
}

func upsampleDims(c *nodeCtx, x *Value) ([]int, error) {
	var scales []float64
	var err error
	if c.opset < 9 {
		for _, f := range c.n.AttrFloats("scales", nil) {
			scales = append(scales, float64(f))
		}
	} else if scales, err = c.constFloatsInput(1, "scales"); err != nil {
		return nil, err
	}
	return scaledDims(x.Dims, scales)
}

// resizeRule handles Resize 10 (X, scales) and 11+ (X, roi, scales,
// sizes), with the axes and keep_aspect_ratio_policy attributes of 18+.
func resizeRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	r := len(x.Dims)
	if c.opset < 11 {
		scales, err := c.constFloatsInput(1, "scales")
		if err != nil {
			return nil, err
		}
		out, err := scaledDims(x.Dims, scales)
		if err != nil {
			return nil, err
		}
		return []*Value{{DType: x.DType, Dims: out}}, nil
	}
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if c.opset >= 18 {
		if a := c.n.Attr("axes"); a != nil && len(a.Ints) > 0 {
			if axes, err = NormAxes(a.Ints, r, "axis"); err != nil {
				return nil, err
			}
		}
	}
	sub := make([]int, len(axes)) // input dims of the resized axes
	for i, a := range axes {
		sub[i] = x.Dims[a]
	}
	var res []int
	if sv := c.input(3); sv != nil && sv.Elements() > 0 {
		sizes, err := c.constIntsInput(3, "sizes")
		if err != nil {
			return nil, err
		}
		if len(sizes) != len(axes) {
			return nil, fmt.Errorf("sizes %v has %d values for %d axes", sizes, len(sizes), len(axes))
		}
		if res, err = toDims(sizes, "sizes"); err != nil {
			return nil, err
		}
		if res, err = keepAspect(c.n.AttrString("keep_aspect_ratio_policy", "stretch"), sub, res); err != nil {
			return nil, err
		}
	} else if sc := c.input(2); sc != nil && sc.Elements() > 0 {
		scales, err := c.constFloatsInput(2, "scales")
		if err != nil {
			return nil, err
		}
		if c.n.AttrString("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize" && c.input(1) != nil && c.input(1).Elements() > 0 {
			roi, err := c.constFloatsInput(1, "roi")
			if err != nil {
				return nil, err
			}
			if len(roi) != 2*len(axes) {
				return nil, fmt.Errorf("roi %v has %d values; %d axes need %d", roi, len(roi), len(axes), 2*len(axes))
			}
			for i := range scales {
				if i < len(axes) {
					scales[i] *= roi[len(axes)+i] - roi[i]
				}
			}
		}
		if res, err = scaledDims(sub, scales); err != nil {
			return nil, err
		}
	} else {
		return nil, fmt.Errorf("the Resize node needs non-empty scales or sizes")
	}
	out := clone(x.Dims)
	for i, a := range axes {
		out[a] = res[i]
	}
	return []*Value{{DType: x.DType, Dims: out}}, nil
}

// keepAspect applies keep_aspect_ratio_policy: one scale for all resized
// axes, the largest that fits in sizes (not_larger) or the smallest that
// covers it (not_smaller).
func keepAspect(policy string, in, sizes []int) ([]int, error) {
	switch policy {
	case "stretch", "":
		return sizes, nil
	case "not_larger", "not_smaller":
	default:
		return nil, fmt.Errorf("keep_aspect_ratio_policy %q is not stretch, not_larger or not_smaller", policy)
	}
	scale := 0.0
	for i, d := range in {
		if d == 0 {
			return nil, fmt.Errorf("cannot keep the aspect ratio of an empty axis")
		}
		s := float64(sizes[i]) / float64(d)
		if i == 0 || (policy == "not_larger" && s < scale) || (policy == "not_smaller" && s > scale) {
			scale = s
		}
	}
	out := make([]int, len(in))
	for i, d := range in {
		out[i] = int(math.Floor(float64(d)*scale + 0.5))
	}
	return out, nil
}
