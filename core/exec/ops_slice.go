package exec

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
)

// Concat, Split, Slice and Gather: ops that cut and join along an axis.

func concatKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	first := in[0]
	rank := len(first.Shape)
	def := int64(math.MinInt64)
	if c.Opset < 4 {
		def = 1
	}
	a := c.Node.AttrInt("axis", def)
	if a == math.MinInt64 {
		return nil, fmt.Errorf("attribute axis is required")
	}
	axis, err := graph.NormAxis(a, rank, "axis")
	if err != nil {
		return nil, err
	}
	shape := append([]int(nil), first.Shape...)
	shape[axis] = 0
	for i, t := range in {
		if t == nil {
			return nil, fmt.Errorf("input %d is missing", i)
		}
		if t.DType != first.DType || len(t.Shape) != rank {
			return nil, fmt.Errorf("input %d is %v %v, not compatible with input 0 %v %v", i, t.DType, t.Shape, first.DType, first.Shape)
		}
		for d := range t.Shape {
			if d != axis && t.Shape[d] != first.Shape[d] {
				return nil, fmt.Errorf("input %d has shape %v; only axis %d may differ from %v", i, t.Shape, axis, first.Shape)
			}
		}
		shape[axis] += t.Shape[axis]
	}
	out, err := alloc(c, first.DType, shape)
	if err != nil {
		return nil, err
	}
	outer := tensor.NumElements(shape[:axis])
	inner := tensor.NumElements(shape[axis+1:])
	rowOut := shape[axis] * inner
	off := 0
	for _, t := range in {
		block := t.Shape[axis] * inner
		for o := 0; o < outer; o++ {
			copyBlock(out, o*rowOut+off, t, o*block, block)
		}
		off += block
	}
	return []*tensor.Tensor{out}, nil
}

func splitKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	axis, err := graph.NormAxis(c.Node.AttrInt("axis", 0), len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	nOut := len(c.Node.Output)
	dim := x.Shape[axis]
	var sizes []int64
	switch {
	case c.Opset < 13:
		sizes = c.Node.AttrInts("split", nil)
	case input(in, 1) != nil:
		if sizes, err = ints(in[1], "split"); err != nil {
			return nil, err
		}
	}
	if sizes == nil {
		if c.Opset >= 18 {
			if a := c.Node.Attr("num_outputs"); a != nil {
				nOut = int(a.I)
			}
		}
		if nOut <= 0 {
			return nil, fmt.Errorf("no outputs to split into")
		}
		chunk := (dim + nOut - 1) / nOut
		if c.Opset < 18 {
			if dim%nOut != 0 {
				return nil, fmt.Errorf("axis %d of size %d does not split evenly into %d outputs", axis, dim, nOut)
			}
			chunk = dim / nOut
		}
		sizes = make([]int64, nOut)
		left := dim
		for i := range sizes {
			sizes[i] = int64(min(chunk, left))
			left -= int(sizes[i])
		}
	}
	if len(sizes) != len(c.Node.Output) {
		return nil, fmt.Errorf("split %v has %d parts for %d outputs", sizes, len(sizes), len(c.Node.Output))
	}
	total := int64(0)
	for _, s := range sizes {
		if s < 0 {
			return nil, fmt.Errorf("split %v has a negative size", sizes)
		}
		total += s
	}
	if total != int64(dim) {
		return nil, fmt.Errorf("split %v sums to %d, but axis %d has size %d", sizes, total, axis, dim)
	}
	outer := tensor.NumElements(x.Shape[:axis])
	inner := tensor.NumElements(x.Shape[axis+1:])
	outs := make([]*tensor.Tensor, len(sizes))
	start := 0
	for i, s := range sizes {
		shape := append([]int(nil), x.Shape...)
		shape[axis] = int(s)
		out := c.Alloc(x.DType, shape)
		block := int(s) * inner
		for o := 0; o < outer; o++ {
			copyBlock(out, o*block, x, o*dim*inner+start*inner, block)
		}
		start += int(s)
		outs[i] = out
	}
	return outs, nil
}

// sliceKernel implements both forms of Slice: attributes before opset 10,
// inputs (starts, ends, axes, steps) from 10 on. Indices are clamped the
// way the specification describes, negative steps walk backwards.
func sliceKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	var starts, ends, axes, steps []int64
	if c.Opset < 10 {
		starts = c.Node.AttrInts("starts", nil)
		ends = c.Node.AttrInts("ends", nil)
		axes = c.Node.AttrInts("axes", nil)
	} else {
		if err := need(in, 3); err != nil {
			return nil, err
		}
		var err error
		if starts, err = ints(in[1], "starts"); err != nil {
			return nil, err
		}
		if ends, err = ints(in[2], "ends"); err != nil {
			return nil, err
		}
		if t := input(in, 3); t != nil {
			if axes, err = ints(t, "axes"); err != nil {
				return nil, err
			}
		}
		if t := input(in, 4); t != nil {
			if steps, err = ints(t, "steps"); err != nil {
				return nil, err
			}
		}
	}
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("starts %v and ends %v differ in length", starts, ends)
	}
	if axes == nil {
		axes = make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if steps == nil {
		steps = make([]int64, len(starts))
		for i := range steps {
			steps[i] = 1
		}
	}
	if len(axes) != len(starts) || len(steps) != len(starts) {
		return nil, fmt.Errorf("starts, ends, axes and steps must have the same length")
	}
	ax, err := graph.NormAxes(axes, rank, "axis")
	if err != nil {
		return nil, err
	}
	shape := append([]int(nil), x.Shape...)
	inStrides := tensor.Strides(x.Shape)
	strides := append([]int(nil), inStrides...)
	base := 0
	for i, a := range ax {
		step := steps[i]
		if step == 0 {
			return nil, fmt.Errorf("step 0 on axis %d", a)
		}
		first, n := graph.SliceRange(int64(x.Shape[a]), starts[i], ends[i], step)
		shape[a] = int(n)
		// A step is only taken when n > 1 (so |step| < dim): a huge
		// step with one element must not overflow into the stride.
		strides[a] = 0
		if n > 1 {
			strides[a] = inStrides[a] * int(step)
		}
		if n > 0 {
			base += int(first) * inStrides[a]
		}
	}
	out := c.Alloc(x.DType, shape)
	stridedCopy(out, x, shape, strides, base)
	return []*tensor.Tensor{out}, nil
}

func gatherKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	x, idxT := in[0], in[1]
	axis, err := graph.NormAxis(c.Node.AttrInt("axis", 0), len(x.Shape), "axis")
	if err != nil {
		return nil, err
	}
	idx, err := ints(idxT, "indices")
	if err != nil {
		return nil, err
	}
	dim := x.Shape[axis]
	shape := append(append(append([]int(nil), x.Shape[:axis]...), idxT.Shape...), x.Shape[axis+1:]...)
	out, err := alloc(c, x.DType, shape)
	if err != nil {
		return nil, err
	}
	outer := tensor.NumElements(x.Shape[:axis])
	inner := tensor.NumElements(x.Shape[axis+1:])
	pos := make([]int, len(idx))
	for j, k := range idx {
		if k < -int64(dim) || k >= int64(dim) {
			return nil, fmt.Errorf("index %d out of range for axis %d of size %d", k, axis, dim)
		}
		if k < 0 {
			k += int64(dim)
		}
		pos[j] = int(k)
	}
	n := len(idx)
	for o := 0; o < outer; o++ {
		for j, k := range pos {
			copyBlock(out, (o*n+j)*inner, x, (o*dim+k)*inner, inner)
		}
	}
	return []*tensor.Tensor{out}, nil
}

func init() {
	Register("Concat", 1, 0, concatKernel)
	Register("Split", 1, 0, splitKernel)
	Register("Slice", 1, 0, sliceKernel)
	Register("Gather", 1, 0, gatherKernel)
}
