package graph

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/tensor"
)

// Convolutions and pooling: sliding windows over the spatial axes of an
// [N, C, D1, ..., Dn] input.

func init() {
	register(convRule(0, 1, -1), "Conv")
	register(convRule(0, 1, tensor.Int32), "ConvInteger")
	register(convRule(0, 3, -1), "QLinearConv")
	register(convTransposeRule, "ConvTranspose")
	register(poolRule, "MaxPool", "AveragePool", "LpPool")
	register(globalPoolRule, "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool")
}

// window holds the sliding-window attributes of one node, already checked.
type window struct {
	kernel, strides, dilations, pads []int // pads: nsp begins, then nsp ends
	autoPad                          string
	ceil                             bool
}

// readWindow reads and checks kernel_shape (or takes kernel from the
// weights), strides, dilations, pads and auto_pad for nsp spatial axes.
func readWindow(c *nodeCtx, nsp int, kernel []int) (*window, error) {
	w := &window{autoPad: c.n.AttrString("auto_pad", "NOTSET")}
	switch w.autoPad {
	case "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID", "":
	default:
		return nil, fmt.Errorf("auto_pad %q is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", w.autoPad)
	}
	if a := c.n.Attr("kernel_shape"); a != nil {
		if len(a.Ints) != nsp {
			return nil, fmt.Errorf("kernel_shape %v has %d values; the input has %d spatial axes", a.Ints, len(a.Ints), nsp)
		}
		ks, err := positiveInts(a.Ints, "kernel_shape")
		if err != nil {
			return nil, err
		}
		if kernel != nil && !slices.Equal(ks, kernel) {
			return nil, fmt.Errorf("kernel_shape %v does not match the weight's spatial shape %v", a.Ints, kernel)
		}
		kernel = ks
	}
	if kernel == nil {
		return nil, fmt.Errorf("%s has no kernel_shape attribute", c.n.OpType)
	}
	w.kernel = kernel
	var err error
	if w.strides, err = intsOrOnes(c, "strides", nsp); err != nil {
		return nil, err
	}
	if w.dilations, err = intsOrOnes(c, "dilations", nsp); err != nil {
		return nil, err
	}
	w.pads = make([]int, 2*nsp)
	if a := c.n.Attr("pads"); a != nil {
		if len(a.Ints) != 2*nsp {
			return nil, fmt.Errorf("pads %v has %d values; %d spatial axes need %d", a.Ints, len(a.Ints), nsp, 2*nsp)
		}
		for i, p := range a.Ints {
			if p < 0 || p > maxDim {
				return nil, fmt.Errorf("pads[%d] is %d; pads must be non-negative", i, p)
			}
			w.pads[i] = int(p)
		}
	}
	w.ceil = c.n.AttrInt("ceil_mode", 0) != 0
	return w, nil
}

func intsOrOnes(c *nodeCtx, name string, n int) ([]int, error) {
	a := c.n.Attr(name)
	if a == nil || len(a.Ints) == 0 {
		out := make([]int, n)
		for i := range out {
			out[i] = 1
		}
		return out, nil
	}
	if len(a.Ints) != n {
		return nil, fmt.Errorf("%s %v has %d values; the input has %d spatial axes", name, a.Ints, len(a.Ints), n)
	}
	return positiveInts(a.Ints, name)
}

func positiveInts(v []int64, what string) ([]int, error) {
	out := make([]int, len(v))
	for i, x := range v {
		if x < 1 || x > maxDim {
			return nil, fmt.Errorf("%s[%d] is %d; it must be positive", what, i, x)
		}
		out[i] = int(x)
	}
	return out, nil
}

// outSize is the number of window positions along spatial axis i.
func (w *window) outSize(i, in int) (int, error) {
	s := w.strides[i]
	dk := (w.kernel[i]-1)*w.dilations[i] + 1
	switch w.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		return ceilDiv(in, s), nil
	case "VALID":
		if in < dk {
			return 0, fmt.Errorf("spatial axis %d has size %d, smaller than the (dilated) kernel %d", i, in, dk)
		}
		return ceilDiv(in-dk+1, s), nil
	}
	nsp := len(w.kernel)
	pb, pe := w.pads[i], w.pads[nsp+i]
	span := in + pb + pe - dk
	if span < 0 {
		return 0, fmt.Errorf("spatial axis %d has padded size %d, smaller than the (dilated) kernel %d", i, in+pb+pe, dk)
	}
	if !w.ceil {
		return span/s + 1, nil
	}
	out := ceilDiv(span, s) + 1
	// A last window that would start in the end padding is dropped
	// (PyTorch and onnxruntime do the same).
	if (out-1)*s >= in+pb {
		out--
	}
	return out, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// convOperands reads the data (input xi) and weight (input wi) of a Conv or
// ConvTranspose and its group, checking what both need: ranks of 3 or more
// that agree, and a positive group. The channel checks differ per op and
// are left to the caller.
func convOperands(c *nodeCtx, xi, wi int) (x, wt *Value, group int, err error) {
	if x, err = c.needRank(xi, 3); err != nil {
		return nil, nil, 0, err
	}
	if wt, err = c.needRank(wi, 3); err != nil {
		return nil, nil, 0, err
	}
	if len(wt.Dims) != len(x.Dims) {
		return nil, nil, 0, fmt.Errorf("weight shape %v does not match input shape %v (rank %d vs %d)", wt.Dims, x.Dims, len(wt.Dims), len(x.Dims))
	}
	g := c.n.AttrInt("group", 1)
	if g < 1 || g > maxDim {
		return nil, nil, 0, fmt.Errorf("group is %d; it must be positive", g)
	}
	return x, wt, int(g), nil
}

// kernelWindow reads the window attributes of a Conv-like node whose
// kernel is given by the spatial dims of weight wt, which must not be empty.
func kernelWindow(c *nodeCtx, wt *Value) (*window, error) {
	for _, k := range wt.Dims[2:] {
		if k < 1 {
			return nil, fmt.Errorf("weight %v has an empty kernel", wt.Dims)
		}
	}
	return readWindow(c, len(wt.Dims)-2, wt.Dims[2:])
}

// convRule handles Conv and its quantized forms; x and w are the input
// positions of data and weights, dt the output type (-1: like x, or the
// y_zero_point type for QLinearConv).
func convRule(xi, wi int, dt tensor.DType) rule {
	return func(c *nodeCtx) ([]*Value, error) {
		x, wt, g, err := convOperands(c, xi, wi)
		if err != nil {
			return nil, err
		}
		if x.Dims[1] != wt.Dims[1]*g {
			return nil, fmt.Errorf("input has %d channels but weight %v with group %d expects %d", x.Dims[1], wt.Dims, g, wt.Dims[1]*g)
		}
		if wt.Dims[0]%g != 0 {
			return nil, fmt.Errorf("weight %v has %d output channels, not divisible by group %d", wt.Dims, wt.Dims[0], g)
		}
		nsp := len(x.Dims) - 2
		w, err := kernelWindow(c, wt)
		if err != nil {
			return nil, err
		}
		out := []int{x.Dims[0], wt.Dims[0]}
		for i := 0; i < nsp; i++ {
			o, err := w.outSize(i, x.Dims[2+i])
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
		t := x.DType
		switch {
		case dt >= 0:
			t = dt
		case c.n.OpType == "QLinearConv":
			if zp := c.input(7); zp != nil {
				t = zp.DType
			}
		}
		return []*Value{{DType: t, Dims: out}}, nil
	}
}

func convTransposeRule(c *nodeCtx) ([]*Value, error) {
	x, wt, g, err := convOperands(c, 0, 1)
	if err != nil {
		return nil, err
	}
	if x.Dims[1] != wt.Dims[0] {
		return nil, fmt.Errorf("input has %d channels but weight %v expects %d", x.Dims[1], wt.Dims, wt.Dims[0])
	}
	if wt.Dims[0]%g != 0 {
		return nil, fmt.Errorf("weight %v: %d input channels are not divisible by group %d", wt.Dims, wt.Dims[0], g)
	}
	nsp := len(x.Dims) - 2
	w, err := kernelWindow(c, wt)
	if err != nil {
		return nil, err
	}
	outPad := make([]int, nsp)
	if a := c.n.Attr("output_padding"); a != nil {
		if len(a.Ints) != nsp {
			return nil, fmt.Errorf("output_padding %v has %d values; the input has %d spatial axes", a.Ints, len(a.Ints), nsp)
		}
		for i, p := range a.Ints {
			if p < 0 || p > maxDim {
				return nil, fmt.Errorf("output_padding[%d] is %d; it must be non-negative", i, p)
			}
			outPad[i] = int(p)
		}
	}
	out := []int{x.Dims[0], wt.Dims[1] * g}
	if a := c.n.Attr("output_shape"); a != nil && len(a.Ints) > 0 {
		shape := a.Ints
		if len(shape) == nsp+2 {
			shape = shape[2:]
		}
		if len(shape) != nsp {
			return nil, fmt.Errorf("output_shape %v has %d values; the input has %d spatial axes", a.Ints, len(a.Ints), nsp)
		}
		dims, err := positiveInts(shape, "output_shape")
		if err != nil {
			return nil, err
		}
		return []*Value{{DType: x.DType, Dims: append(out, dims...)}}, nil
	}
	for i := 0; i < nsp; i++ {
		in := x.Dims[2+i]
		var o int
		switch w.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			o = in * w.strides[i]
		default:
			dk := (w.kernel[i]-1)*w.dilations[i] + 1
			pb, pe := w.pads[i], w.pads[nsp+i]
			if w.autoPad == "VALID" {
				pb, pe = 0, 0
			}
			o = w.strides[i]*(in-1) + outPad[i] + dk - pb - pe
		}
		if o < 1 {
			return nil, fmt.Errorf("spatial axis %d gets output size %d; the pads are larger than the output", i, o)
		}
		out = append(out, o)
	}
	return []*Value{{DType: x.DType, Dims: out}}, nil
}

func poolRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.needRank(0, 3)
	if err != nil {
		return nil, err
	}
	nsp := len(x.Dims) - 2
	w, err := readWindow(c, nsp, nil)
	if err != nil {
		return nil, err
	}
	out := []int{x.Dims[0], x.Dims[1]}
	for i := 0; i < nsp; i++ {
		o, err := w.outSize(i, x.Dims[2+i])
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	res := []*Value{{DType: x.DType, Dims: out}}
	if c.n.OpType == "MaxPool" {
		res = append(res, &Value{DType: tensor.Int64, Dims: clone(out)})
	}
	return res, nil
}

func globalPoolRule(c *nodeCtx) ([]*Value, error) {
	x, err := c.needRank(0, 3)
	if err != nil {
		return nil, err
	}
	out := clone(x.Dims)
	for i := 2; i < len(out); i++ {
		out[i] = 1
	}
	return []*Value{{DType: x.DType, Dims: out}}, nil
}
