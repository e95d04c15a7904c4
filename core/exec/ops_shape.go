package exec

import (
	"fmt"

	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
)

// Ops that change a tensor's shape or layout without arithmetic. Every one
// returns a fresh tensor (never a view of its input) so that the executor
// may recycle input buffers as soon as their last consumer has run.

func one(t *tensor.Tensor, err error) ([]*tensor.Tensor, error) {
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func identityKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	return []*tensor.Tensor{copyTensor(c, in[0], in[0].Shape)}, nil
}

// reshaping builds the kernel of an op that only relabels its input's
// shape (Flatten, Reshape, Squeeze, Unsqueeze): newShape computes the
// output shape, in[0] being present, and the data is copied unchanged.
func reshaping(newShape func(c *Context, in []*tensor.Tensor) ([]int, error)) Kernel {
	return func(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if err := need(in, 1); err != nil {
			return nil, err
		}
		shape, err := newShape(c, in)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{copyTensor(c, in[0], shape)}, nil
	}
}

func flattenShape(c *Context, in []*tensor.Tensor) ([]int, error) {
	x := in[0]
	axis, err := normAxisIncl(c.Node.AttrInt("axis", 1), len(x.Shape))
	if err != nil {
		return nil, err
	}
	return []int{tensor.NumElements(x.Shape[:axis]), tensor.NumElements(x.Shape[axis:])}, nil
}

func reshapeShape(c *Context, in []*tensor.Tensor) ([]int, error) {
	var spec []int64
	if c.Opset < 5 {
		spec = c.Node.AttrInts("shape", nil)
	} else {
		if err := need(in, 2); err != nil {
			return nil, err
		}
		var err error
		if spec, err = ints(in[1], "shape"); err != nil {
			return nil, err
		}
	}
	return graph.ResolveReshape(in[0].Shape, spec, c.Opset >= 14 && c.Node.AttrInt("allowzero", 0) != 0)
}

func transposeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	perm := c.Node.AttrInts("perm", nil)
	if perm == nil {
		perm = make([]int64, rank)
		for i := range perm {
			perm[i] = int64(rank - 1 - i)
		}
	}
	if len(perm) != rank {
		return nil, fmt.Errorf("perm %v has %d entries for an input of rank %d", perm, len(perm), rank)
	}
	p, err := graph.NormAxes(perm, rank, "perm")
	if err != nil {
		return nil, fmt.Errorf("perm %v: %w", perm, err)
	}
	inStrides := tensor.Strides(x.Shape)
	shape := make([]int, rank)
	strides := make([]int, rank)
	for i, a := range p {
		shape[i] = x.Shape[a]
		strides[i] = inStrides[a]
	}
	out := c.Alloc(x.DType, shape)
	stridedCopy(out, x, shape, strides, 0)
	return []*tensor.Tensor{out}, nil
}

// axesArg reads the axes of Squeeze/Unsqueeze/Reduce*: an attribute before
// opsetInput, the optional second input from then on.
func axesArg(c *Context, in []*tensor.Tensor, opsetInput int64) ([]int64, bool, error) {
	if c.Opset < opsetInput {
		a := c.Node.Attr("axes")
		if a == nil {
			return nil, false, nil
		}
		return a.Ints, true, nil
	}
	t := input(in, 1)
	if t == nil {
		return nil, false, nil
	}
	v, err := ints(t, "axes")
	return v, true, err
}

func squeezeShape(c *Context, in []*tensor.Tensor) ([]int, error) {
	axes, given, err := axesArg(c, in, 13)
	if err != nil {
		return nil, err
	}
	return graph.SqueezeShape(in[0].Shape, axes, given)
}

func unsqueezeShape(c *Context, in []*tensor.Tensor) ([]int, error) {
	axes, given, err := axesArg(c, in, 13)
	if err != nil {
		return nil, err
	}
	if !given {
		return nil, fmt.Errorf("axes are required")
	}
	return graph.UnsqueezeShape(in[0].Shape, axes)
}

// shapeKernel returns the input's shape as int64, sliced by start/end from
// opset 15 (clamped, negative counts from the back).
func shapeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	s := in[0].Shape
	r := int64(len(s))
	start, end := int64(0), r
	if c.Opset >= 15 {
		start = c.Node.AttrInt("start", 0)
		end = c.Node.AttrInt("end", r)
	}
	clampIdx := func(i int64) int64 {
		if i < 0 {
			i += r
		}
		return min(max(i, 0), r)
	}
	start, end = clampIdx(start), clampIdx(end)
	n := max(end-start, 0)
	out := c.Alloc(tensor.Int64, []int{int(n)})
	for i := range out.I64 {
		out.I64[i] = int64(s[int(start)+i])
	}
	return []*tensor.Tensor{out}, nil
}

func sizeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	out := c.Alloc(tensor.Int64, nil)
	out.I64[0] = int64(in[0].Len())
	return []*tensor.Tensor{out}, nil
}

// shapeArg reads a 1-D shape input, checking its size.
func shapeArg(t *tensor.Tensor, what string) ([]int, error) {
	v, err := ints(t, what)
	if err != nil {
		return nil, err
	}
	if len(t.Shape) > 1 {
		return nil, fmt.Errorf("%s must be 1-D, got shape %v", what, t.Shape)
	}
	s := make([]int, len(v))
	for i, d := range v {
		if d < 0 || d > maxElements {
			return nil, fmt.Errorf("%s %v has an invalid dimension %d", what, v, d)
		}
		s[i] = int(d)
	}
	if _, err := checkedSize(s); err != nil {
		return nil, err
	}
	return s, nil
}

func expandKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	target, err := shapeArg(in[1], "shape")
	if err != nil {
		return nil, err
	}
	shape, err := graph.BroadcastShape(in[0].Shape, target)
	if err != nil {
		return nil, err
	}
	return one(expandTo(c, in[0], shape))
}

// tileKernel repeats the input: viewing input dims d as [1, d] and the
// output as [repeats, d] makes tiling a broadcast.
func tileKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 2); err != nil {
		return nil, err
	}
	x := in[0]
	reps, err := ints(in[1], "repeats")
	if err != nil {
		return nil, err
	}
	if len(reps) != len(x.Shape) {
		return nil, fmt.Errorf("repeats %v must have one entry per input dimension (rank %d)", reps, len(x.Shape))
	}
	rank := len(x.Shape)
	wide := make([]int, 2*rank)
	strides := make([]int, 2*rank)
	outShape := make([]int, rank)
	st := tensor.Strides(x.Shape)
	for i, d := range x.Shape {
		if reps[i] < 0 || reps[i] > maxElements {
			return nil, fmt.Errorf("invalid repeat count %d", reps[i])
		}
		r := int(reps[i])
		wide[2*i], wide[2*i+1] = r, d
		strides[2*i+1] = st[i]
		outShape[i] = r * d
	}
	if _, err := checkedSize(wide); err != nil {
		return nil, err
	}
	out := c.Alloc(x.DType, outShape)
	stridedCopy(out, x, wide, strides, 0)
	return []*tensor.Tensor{out}, nil
}

// dropoutKernel is inference-mode Dropout: the output equals the input and
// the optional mask is all true.
func dropoutKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	if c.Opset >= 12 {
		if t := input(in, 2); t != nil && t.DType == tensor.Bool && t.Len() == 1 && t.Bool[0] {
			return nil, fmt.Errorf("training_mode=true is not supported: Pare runs Dropout in inference mode")
		}
	}
	x := in[0]
	outs := []*tensor.Tensor{copyTensor(c, x, x.Shape)}
	if len(c.Node.Output) > 1 && c.Node.Output[1] != "" {
		maskType := tensor.Bool
		if c.Opset < 10 {
			maskType = x.DType // before opset 10 the mask had the input's type
		}
		mask := c.Alloc(maskType, x.Shape)
		for i := 0; i < mask.Len(); i++ {
			switch maskType {
			case tensor.Bool:
				mask.Bool[i] = true
			case tensor.Float32:
				mask.F32[i] = 1
			case tensor.Float64:
				mask.F64[i] = 1
			}
		}
		outs = append(outs, mask)
	}
	return outs, nil
}

func init() {
	Register("Identity", 1, 0, identityKernel)
	Register("Flatten", 1, 0, reshaping(flattenShape))
	Register("Reshape", 1, 0, reshaping(reshapeShape))
	Register("Transpose", 1, 0, transposeKernel)
	Register("Squeeze", 1, 0, reshaping(squeezeShape))
	Register("Unsqueeze", 1, 0, reshaping(unsqueezeShape))
	Register("Shape", 1, 0, shapeKernel)
	Register("Size", 1, 0, sizeKernel)
	Register("Expand", 8, 0, expandKernel)
	Register("Tile", 6, 0, tileKernel)
	Register("Dropout", 1, 0, dropoutKernel)
}
