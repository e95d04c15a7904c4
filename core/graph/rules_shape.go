package graph

import (
	"fmt"

	"github.com/pare-ml/pare/core/tensor"
)

// Ops that move, select or rearrange elements: their output shape follows
// from input shapes and (constant) shape-like inputs.

func init() {
	register(shapeRule, "Shape")
	register(sizeRule, "Size")
	register(keepType(reshapeDims), "Reshape")
	register(keepType(flattenDims), "Flatten")
	register(keepType(transposeDims), "Transpose")
	register(keepType(squeezeDims), "Squeeze")
	register(keepType(unsqueezeDims), "Unsqueeze")
	register(concatRule, "Concat")
	register(splitRule, "Split")
	register(sliceRule, "Slice")
	register(padRule, "Pad")
	register(gatherRule, "Gather")
	register(gatherElementsRule, "GatherElements")
	register(unaryRule, "ScatterElements", "Scatter", "ScatterND", "CumSum", "Trilu")
	register(keepType(expandDims), "Expand")
	register(keepType(tileDims), "Tile")
	register(depthToSpaceRule, "DepthToSpace")
	register(spaceToDepthRule, "SpaceToDepth")
}

// shapeRule: Shape's output is known from the input's dims alone, so it is
// a constant without evaluation.
func shapeRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	r := len(x.Dims)
	start, end := 0, r
	if c.opset >= 15 {
		start = clampAxis(c.n.AttrInt("start", 0), r)
		if a := c.n.Attr("end"); a != nil {
			end = clampAxis(a.I, r)
		}
	}
	dims := []int{}
	if start < end {
		dims = x.Dims[start:end]
	}
	k := shapeConst(dims)
	return []*Value{{DType: tensor.Int64, Dims: clone(k.Shape), Const: k}}, nil
}

// clampAxis maps a possibly negative position into 0..rank (Shape's
// start/end and Slice's bounds).
func clampAxis(a int64, rank int) int {
	if a < 0 {
		a += int64(rank)
	}
	return int(min(max(a, 0), int64(rank)))
}

func sizeRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	k := tensor.FromI64([]int{}, []int64{x.Elements()})
	return []*Value{{DType: tensor.Int64, Dims: []int{}, Const: k}}, nil
}

func reshapeDims(c *nodeCtx, x *Value) ([]int, error) {
	var shape []int64
	var err error
	if c.opset < 5 {
		a := c.n.Attr("shape")
		if a == nil {
			return nil, fmt.Errorf("the Reshape node (opset %d) has no shape attribute", c.opset)
		}
		shape = a.Ints
	} else if shape, err = c.constIntsInput(1, "shape"); err != nil {
		return nil, err
	}
	allowZero := c.opset >= 14 && c.n.AttrInt("allowzero", 0) != 0
	return ResolveReshape(x.Dims, shape, allowZero)
}

func flattenDims(c *nodeCtx, x *Value) ([]int, error) {
	r := len(x.Dims)
	axis := c.n.AttrInt("axis", 1)
	if axis < -int64(r) || axis > int64(r) {
		return nil, fmt.Errorf("axis %d is out of range for rank %d (valid: %d..%d)", axis, r, -r, r)
	}
	if axis < 0 {
		axis += int64(r)
	}
	outer, inner := 1, 1
	for i, d := range x.Dims {
		if int64(i) < axis {
			outer *= d
		} else {
			inner *= d
		}
	}
	return []int{outer, inner}, nil
}

func transposeDims(c *nodeCtx, x *Value) ([]int, error) {
	r := len(x.Dims)
	perm := make([]int, r)
	if a := c.n.Attr("perm"); a != nil && len(a.Ints) > 0 {
		if len(a.Ints) != r {
			return nil, fmt.Errorf("perm %v has %d values; the input %v has rank %d", a.Ints, len(a.Ints), x.Dims, r)
		}
		p, err := NormAxes(a.Ints, r, "perm entry")
		if err != nil {
			return nil, err
		}
		copy(perm, p)
	} else {
		for i := range perm {
			perm[i] = r - 1 - i
		}
	}
	out := make([]int, r)
	for i, p := range perm {
		out[i] = x.Dims[p]
	}
	return out, nil
}

func squeezeDims(c *nodeCtx, x *Value) ([]int, error) {
	axes, given, err := c.axesArg(13, 1)
	if err != nil {
		return nil, err
	}
	return SqueezeShape(x.Dims, axes, given)
}

func unsqueezeDims(c *nodeCtx, x *Value) ([]int, error) {
	axes, given, err := c.axesArg(13, 1)
	if err != nil {
		return nil, err
	}
	if !given {
		return nil, fmt.Errorf("the Unsqueeze node has no axes")
	}
	return UnsqueezeShape(x.Dims, axes)
}

func concatRule(c *nodeCtx) ([]*Value, error) {
	var ins []*Value
	for i := range c.in {
		if v := c.input(i); v != nil {
			ins = append(ins, v)
		}
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("the Concat node has no inputs")
	}
	r := len(ins[0].Dims)
	if r == 0 {
		return nil, fmt.Errorf("the Concat inputs are scalars; Concat needs rank 1 or more")
	}
	def := int64(1) // before opset 4 the axis defaulted to 1
	if c.opset >= 4 && c.n.Attr("axis") == nil {
		return nil, fmt.Errorf("the Concat node has no axis attribute (required from opset 4 on)")
	}
	axis, err := NormAxis(c.n.AttrInt("axis", def), r, "axis")
	if err != nil {
		return nil, err
	}
	out := clone(ins[0].Dims)
	for k, v := range ins[1:] {
		if len(v.Dims) != r {
			return nil, fmt.Errorf("input %d has shape %v, rank %d; input 0 has rank %d", k+1, v.Dims, len(v.Dims), r)
		}
		for i, d := range v.Dims {
			if i == axis {
				out[i] += d
			} else if d != out[i] {
				return nil, fmt.Errorf("input %d has shape %v, which differs from %v outside axis %d", k+1, v.Dims, ins[0].Dims, axis)
			}
		}
	}
	return []*Value{{DType: ins[0].DType, Dims: out}}, nil
}

func splitRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.needRank(0, 1)
	if err != nil {
		return nil, err
	}
	axis, err := NormAxis(c.n.AttrInt("axis", 0), len(x.Dims), "axis")
	if err != nil {
		return nil, err
	}
	n := c.outputCount()
	if n == 0 {
		return nil, fmt.Errorf("the Split node has no outputs")
	}
	d := x.Dims[axis]
	var split []int64
	if c.opset >= 13 {
		if c.input(1) != nil {
			if split, err = c.constIntsInput(1, "split"); err != nil {
				return nil, err
			}
		}
	} else if a := c.n.Attr("split"); a != nil {
		split = a.Ints
	}
	sizes := make([]int, n)
	switch {
	case len(split) > 0:
		if len(split) != n {
			return nil, fmt.Errorf("split %v has %d sizes for %d outputs", split, len(split), n)
		}
		sum := int64(0)
		for i, s := range split {
			if s < 0 || s > maxDim {
				return nil, fmt.Errorf("split[%d] is %d", i, s)
			}
			sizes[i] = int(s)
			sum += s
		}
		if sum != int64(d) {
			return nil, fmt.Errorf("split %v sums to %d, but axis %d has size %d", split, sum, axis, d)
		}
	default:
		if c.opset >= 18 {
			if k := c.n.AttrInt("num_outputs", int64(n)); k != int64(n) {
				return nil, fmt.Errorf("num_outputs is %d but the node has %d outputs", k, n)
			}
		}
		if d%n != 0 && c.opset < 18 {
			return nil, fmt.Errorf("axis %d of size %d cannot be split evenly into %d outputs", axis, d, n)
		}
		// Opset 18: chunks of ceil(d/n), the last one smaller.
		chunk := ceilDiv(d, n)
		for i := range sizes {
			sizes[i] = min(chunk, max(d-chunk*i, 0))
		}
		if chunk*(n-1) >= d && d > 0 && n > 1 {
			return nil, fmt.Errorf("axis %d of size %d cannot be split into %d non-empty chunks", axis, d, n)
		}
	}
	outs := make([]*Value, n)
	for i, s := range sizes {
		dims := clone(x.Dims)
		dims[axis] = s
		outs[i] = &Value{DType: x.DType, Dims: dims}
	}
	return outs, nil
}

func sliceRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	var starts, ends, axes, steps []int64
	if c.opset < 10 {
		starts = c.n.AttrInts("starts", nil)
		ends = c.n.AttrInts("ends", nil)
		axes = c.n.AttrInts("axes", nil)
	} else {
		if starts, err = c.constIntsInput(1, "starts"); err != nil {
			return nil, err
		}
		if ends, err = c.constIntsInput(2, "ends"); err != nil {
			return nil, err
		}
		if c.input(3) != nil {
			if axes, err = c.constIntsInput(3, "axes"); err != nil {
				return nil, err
			}
		}
		if c.input(4) != nil {
			if steps, err = c.constIntsInput(4, "steps"); err != nil {
				return nil, err
			}
		}
	}
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("starts %v and ends %v differ in length", starts, ends)
	}
	if axes == nil {
		if len(starts) > len(x.Dims) {
			return nil, fmt.Errorf("starts %v has more entries than the input %v has axes", starts, x.Dims)
		}
		axes = make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if len(axes) != len(starts) {
		return nil, fmt.Errorf("axes %v and starts %v differ in length", axes, starts)
	}
	if steps != nil && len(steps) != len(starts) {
		return nil, fmt.Errorf("steps %v and starts %v differ in length", steps, starts)
	}
	ax, err := NormAxes(axes, len(x.Dims), "axis")
	if err != nil {
		return nil, err
	}
	out := clone(x.Dims)
	for i, a := range ax {
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return nil, fmt.Errorf("steps[%d] is 0", i)
		}
		_, n := SliceRange(int64(x.Dims[a]), starts[i], ends[i], step)
		out[a] = int(n)
	}
	return []*Value{{DType: x.DType, Dims: out}}, nil
}

func padRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.need(0)
	if err != nil {
		return nil, err
	}
	r := len(x.Dims)
	var pads []int64
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if c.opset < 11 {
		a := c.n.Attr("pads")
		if a == nil {
			a = c.n.Attr("paddings") // opset 1 spelling
		}
		if a == nil {
			return nil, fmt.Errorf("the Pad node (opset %d) has no pads attribute", c.opset)
		}
		pads = a.Ints
	} else {
		if pads, err = c.constIntsInput(1, "pads"); err != nil {
			return nil, err
		}
		if c.opset >= 18 && c.input(3) != nil {
			ax, err := c.constIntsInput(3, "axes")
			if err != nil {
				return nil, err
			}
			if axes, err = NormAxes(ax, r, "axis"); err != nil {
				return nil, err
			}
		}
	}
	if len(pads) != 2*len(axes) {
		return nil, fmt.Errorf("pads %v has %d values; %d axes need %d", pads, len(pads), len(axes), 2*len(axes))
	}
	out := clone(x.Dims)
	for i, a := range axes {
		o := int64(out[a]) + pads[i] + pads[len(axes)+i]
		if o < 0 || o > maxDim {
			return nil, fmt.Errorf("pads %v give axis %d the size %d", pads, a, o)
		}
		out[a] = int(o)
	}
	return []*Value{{DType: x.DType, Dims: out}}, nil
}

func gatherRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.needRank(0, 1)
	if err != nil {
		return nil, err
	}
	idx, err := c.need(1)
	if err != nil {
		return nil, err
	}
	axis, err := NormAxis(c.n.AttrInt("axis", 0), len(x.Dims), "axis")
	if err != nil {
		return nil, err
	}
	out := append(clone(x.Dims[:axis]), idx.Dims...)
	out = append(out, x.Dims[axis+1:]...)
	return []*Value{{DType: x.DType, Dims: out}}, nil
}

func gatherElementsRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.needRank(0, 1)
	if err != nil {
		return nil, err
	}
	idx, err := c.need(1)
	if err != nil {
		return nil, err
	}
	if len(idx.Dims) != len(x.Dims) {
		return nil, fmt.Errorf("indices %v and data %v differ in rank", idx.Dims, x.Dims)
	}
	if _, err := NormAxis(c.n.AttrInt("axis", 0), len(x.Dims), "axis"); err != nil {
		return nil, err
	}
	return []*Value{{DType: x.DType, Dims: clone(idx.Dims)}}, nil
}

func expandDims(c *nodeCtx, x *Value) ([]int, error) {
	shape, err := c.constIntsInput(1, "shape")
	if err != nil {
		return nil, err
	}
	dims, err := toDims(shape, "shape")
	if err != nil {
		return nil, err
	}
	return BroadcastShape(x.Dims, dims)
}

func tileDims(c *nodeCtx, x *Value) ([]int, error) {
	reps, err := c.constIntsInput(1, "repeats")
	if err != nil {
		return nil, err
	}
	if len(reps) != len(x.Dims) {
		return nil, fmt.Errorf("repeats %v has %d values; the input %v has rank %d", reps, len(reps), x.Dims, len(x.Dims))
	}
	out := clone(x.Dims)
	for i, r := range reps {
		if r < 0 || r > maxDim {
			return nil, fmt.Errorf("repeats[%d] is %d", i, r)
		}
		if p := int64(out[i]) * r; p > maxDim {
			return nil, fmt.Errorf("repeats %v make axis %d too large", reps, i)
		} else {
			out[i] = int(p)
		}
	}
	return out, nil
}

func blocksize(c *nodeCtx) (int, error) {
	b := c.n.AttrInt("blocksize", 0)
	if b < 1 || b > 1<<15 {
		return 0, fmt.Errorf("blocksize is %d; it must be positive", b)
	}
	return int(b), nil
}

func depthToSpaceRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.needRank(0, 4)
	if err != nil {
		return nil, err
	}
	b, err := blocksize(c)
	if err != nil {
		return nil, err
	}
	if len(x.Dims) != 4 || x.Dims[1]%(b*b) != 0 {
		return nil, fmt.Errorf("input %v must be 4-D with channels divisible by blocksize² = %d", x.Dims, b*b)
	}
	d := x.Dims
	return []*Value{{DType: x.DType, Dims: []int{d[0], d[1] / (b * b), d[2] * b, d[3] * b}}}, nil
}

func spaceToDepthRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.needRank(0, 4)
	if err != nil {
		return nil, err
	}
	b, err := blocksize(c)
	if err != nil {
		return nil, err
	}
	d := x.Dims
	if len(d) != 4 || d[2]%b != 0 || d[3]%b != 0 {
		return nil, fmt.Errorf("input %v must be 4-D with height and width divisible by blocksize %d", d, b)
	}
	return []*Value{{DType: x.DType, Dims: []int{d[0], d[1] * b * b, d[2] / b, d[3] / b}}}, nil
}
