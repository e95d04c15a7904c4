package exec

import (
	"fmt"
	"math"

	"github.com/pare-ml/pare/core/tensor"
)

// Resize (opset 10: X, scales; 11+: X, roi, scales, sizes) and Upsample
// (opsets 7-9) in modes nearest and linear. Both modes are separable, so
// each axis whose size or mapping changes is resampled in turn.

type resizeParams struct {
	mode        string // nearest, linear
	coordMode   string
	nearestMode string
	extrapolate float64
	scales      []float64
	outShape    []int
	roi         []float64 // [starts..., ends...] for tf_crop_and_resize
}

// sourceCoord maps output index x along an axis to a fractional input
// coordinate.
func (p *resizeParams) sourceCoord(x, axis, inLen, outLen int) float64 {
	s := p.scales[axis]
	xf := float64(x)
	switch p.coordMode {
	case "half_pixel":
		return (xf+0.5)/s - 0.5
	case "pytorch_half_pixel":
		if outLen > 1 {
			return (xf+0.5)/s - 0.5
		}
		return 0
	case "align_corners":
		if outLen == 1 {
			return 0
		}
		return xf * float64(inLen-1) / float64(outLen-1)
	case "tf_half_pixel_for_nn":
		return (xf + 0.5) / s
	case "tf_crop_and_resize":
		rank := len(p.roi) / 2
		start, end := p.roi[axis], p.roi[rank+axis]
		if outLen > 1 {
			return start*float64(inLen-1) + xf*(end-start)*float64(inLen-1)/float64(outLen-1)
		}
		return 0.5 * (start + end) * float64(inLen-1)
	}
	return xf / s // asymmetric
}

func (p *resizeParams) nearest(v float64) int {
	switch p.nearestMode {
	case "round_prefer_ceil":
		return int(math.Floor(v + 0.5))
	case "floor":
		return int(math.Floor(v))
	case "ceil":
		return int(math.Ceil(v))
	}
	// round_prefer_floor: halves go down.
	return int(math.Ceil(v - 0.5))
}

func validResizeModes(p *resizeParams) error {
	switch p.mode {
	case "nearest", "linear":
	case "cubic":
		return fmt.Errorf("mode cubic is not supported (nearest and linear are); re-export with linear or nearest")
	default:
		return fmt.Errorf("unknown mode %q", p.mode)
	}
	switch p.coordMode {
	case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize":
	default:
		return fmt.Errorf("coordinate_transformation_mode %q is not supported", p.coordMode)
	}
	switch p.nearestMode {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return fmt.Errorf("nearest_mode %q is not supported", p.nearestMode)
	}
	return nil
}

func resizeKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	n := c.Node
	p := &resizeParams{
		mode:        n.AttrString("mode", "nearest"),
		coordMode:   n.AttrString("coordinate_transformation_mode", "half_pixel"),
		nearestMode: n.AttrString("nearest_mode", "round_prefer_floor"),
		extrapolate: float64(n.AttrFloat("extrapolation_value", 0)),
	}
	var scalesT, sizesT, roiT *tensor.Tensor
	if c.Opset < 11 {
		// Opset 10 behaves like Upsample: asymmetric coordinates, floor.
		p.coordMode, p.nearestMode = "asymmetric", "floor"
		scalesT = input(in, 1)
	} else {
		roiT, scalesT, sizesT = input(in, 1), input(in, 2), input(in, 3)
	}
	if c.Opset >= 18 {
		if n.AttrInt("antialias", 0) != 0 {
			return nil, fmt.Errorf("antialias=1 is not supported")
		}
		if n.Attr("axes") != nil {
			return nil, fmt.Errorf("attribute axes is not supported; give scales or sizes for every axis")
		}
		if pol := n.AttrString("keep_aspect_ratio_policy", "stretch"); pol != "stretch" && sizesT != nil && sizesT.Len() > 0 {
			return nil, fmt.Errorf("keep_aspect_ratio_policy %q is not supported", pol)
		}
	}
	if err := validResizeModes(p); err != nil {
		return nil, err
	}
	p.outShape = make([]int, rank)
	p.scales = make([]float64, rank)
	switch {
	case sizesT != nil && sizesT.Len() > 0:
		sizes, err := ints(sizesT, "sizes")
		if err != nil {
			return nil, err
		}
		if len(sizes) != rank {
			return nil, fmt.Errorf("sizes %v must have %d entries", sizes, rank)
		}
		for i, s := range sizes {
			if s < 0 || s > maxElements {
				return nil, fmt.Errorf("invalid size %d", s)
			}
			p.outShape[i] = int(s)
			p.scales[i] = float64(s) / float64(x.Shape[i])
		}
	case scalesT != nil && scalesT.Len() > 0:
		if scalesT.Len() != rank || !isFloat(scalesT.DType) {
			return nil, fmt.Errorf("scales must be %d floats, got %v %v", rank, scalesT.DType, scalesT.Shape)
		}
		for i := 0; i < rank; i++ {
			s := asFloat64(scalesT, i)
			if !(s > 0) || s*float64(x.Shape[i]) > maxElements {
				return nil, fmt.Errorf("invalid scale %v on axis %d", s, i)
			}
			p.scales[i] = s
			p.outShape[i] = int(math.Floor(float64(x.Shape[i]) * s))
		}
	default:
		return nil, fmt.Errorf("needs scales or sizes")
	}
	if p.coordMode == "tf_crop_and_resize" {
		if roiT == nil || roiT.Len() != 2*rank {
			return nil, fmt.Errorf("tf_crop_and_resize needs roi with %d values", 2*rank)
		}
		p.roi = make([]float64, 2*rank)
		for i := range p.roi {
			p.roi[i] = asFloat64(roiT, i)
		}
		if scalesT != nil && scalesT.Len() > 0 {
			for i := range p.outShape {
				p.outShape[i] = int(math.Floor(float64(x.Shape[i]) * (p.roi[rank+i] - p.roi[i]) * p.scales[i]))
			}
		}
	}
	return one(resample(c, x, p))
}

// upsampleKernel is the pre-Resize Upsample: scales as attribute (7-8) or
// input (9), asymmetric coordinates, floor for nearest.
func upsampleKernel(c *Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := need(in, 1); err != nil {
		return nil, err
	}
	x := in[0]
	rank := len(x.Shape)
	p := &resizeParams{mode: c.Node.AttrString("mode", "nearest"), coordMode: "asymmetric", nearestMode: "floor"}
	if p.mode == "bilinear" {
		p.mode = "linear"
	}
	if err := validResizeModes(p); err != nil {
		return nil, err
	}
	p.scales = make([]float64, rank)
	p.outShape = make([]int, rank)
	if c.Opset >= 9 {
		if err := need(in, 2); err != nil {
			return nil, err
		}
		if in[1].Len() != rank {
			return nil, fmt.Errorf("scales must have %d entries", rank)
		}
		for i := range p.scales {
			p.scales[i] = asFloat64(in[1], i)
		}
	} else {
		sc := c.Node.AttrFloats("scales", nil)
		if len(sc) != rank {
			return nil, fmt.Errorf("attribute scales must have %d entries", rank)
		}
		for i, s := range sc {
			p.scales[i] = float64(s)
		}
	}
	for i, s := range p.scales {
		if !(s > 0) || s*float64(x.Shape[i]) > maxElements {
			return nil, fmt.Errorf("invalid scale %v on axis %d", s, i)
		}
		p.outShape[i] = int(math.Floor(float64(x.Shape[i]) * s))
	}
	return one(resample(c, x, p))
}

func resample(c *Context, x *tensor.Tensor, p *resizeParams) (*tensor.Tensor, error) {
	if _, err := checkedSize(p.outShape); err != nil {
		return nil, err
	}
	rank := len(x.Shape)
	for d, n := range p.outShape {
		if x.Shape[d] == 0 && n > 0 {
			return nil, fmt.Errorf("cannot resize axis %d of size 0 to %d: there are no values to sample", d, n)
		}
	}
	crop := p.coordMode == "tf_crop_and_resize"
	if p.mode == "nearest" {
		src := make([][]int, rank)
		for d := range src {
			inLen, outLen := x.Shape[d], p.outShape[d]
			src[d] = make([]int, outLen)
			for o := range src[d] {
				v := p.sourceCoord(o, d, inLen, outLen)
				if crop && (v < 0 || v > float64(inLen-1)) {
					src[d][o] = -1
					continue
				}
				src[d][o] = min(max(p.nearest(v), 0), inLen-1)
			}
		}
		out := c.Alloc(x.DType, p.outShape)
		switch x.DType {
		case tensor.Float32:
			padT(out.F32, x.F32, x.Shape, p.outShape, src, float32(p.extrapolate))
		case tensor.Float64:
			padT(out.F64, x.F64, x.Shape, p.outShape, src, p.extrapolate)
		case tensor.Int64:
			padT(out.I64, x.I64, x.Shape, p.outShape, src, int64(p.extrapolate))
		case tensor.Int32:
			padT(out.I32, x.I32, x.Shape, p.outShape, src, int32(p.extrapolate))
		case tensor.Int8:
			padT(out.I8, x.I8, x.Shape, p.outShape, src, int8(p.extrapolate))
		case tensor.Uint8:
			padT(out.U8, x.U8, x.Shape, p.outShape, src, uint8(p.extrapolate))
		default:
			return nil, fmt.Errorf("unsupported element type %v", x.DType)
		}
		return out, nil
	}
	if x.DType != tensor.Float32 {
		return nil, fmt.Errorf("linear mode needs float32, got %v", x.DType)
	}
	// Linear: interpolate one axis at a time in float32.
	cur := x
	outside := make([][]bool, rank)
	for d := 0; d < rank; d++ {
		inLen, outLen := cur.Shape[d], p.outShape[d]
		if inLen == outLen && p.scales[d] == 1 && !crop {
			continue
		}
		shape := append([]int(nil), cur.Shape...)
		shape[d] = outLen
		next := tensor.New(tensor.Float32, shape)
		outer := tensor.NumElements(shape[:d])
		inner := tensor.NumElements(shape[d+1:])
		outside[d] = make([]bool, outLen)
		for o := 0; o < outLen; o++ {
			v := p.sourceCoord(o, d, inLen, outLen)
			if crop && (v < 0 || v > float64(inLen-1)) {
				outside[d][o] = true
			}
			v = math.Min(math.Max(v, 0), float64(inLen-1))
			i0 := int(math.Floor(v))
			i1 := min(i0+1, inLen-1)
			w1 := float32(v - float64(i0))
			w0 := 1 - w1
			for b := 0; b < outer; b++ {
				src0 := cur.F32[(b*inLen+i0)*inner : (b*inLen+i0+1)*inner]
				src1 := cur.F32[(b*inLen+i1)*inner : (b*inLen+i1+1)*inner]
				dst := next.F32[(b*outLen+o)*inner : (b*outLen+o+1)*inner]
				for k := range dst {
					dst[k] = w0*src0[k] + w1*src1[k]
				}
			}
		}
		cur = next
	}
	out := c.Alloc(tensor.Float32, p.outShape)
	copy(out.F32, cur.F32)
	if crop {
		markOutside(out, outside, float32(p.extrapolate))
	}
	return out, nil
}

// markOutside overwrites with v every element whose coordinate falls
// outside the input on any axis (tf_crop_and_resize extrapolation).
func markOutside(t *tensor.Tensor, outside [][]bool, v float32) {
	strides := tensor.Strides(t.Shape)
	for i := range t.F32 {
		for d, o := range outside {
			if o != nil && o[(i/strides[d])%t.Shape[d]] {
				t.F32[i] = v
				break
			}
		}
	}
}

func init() {
	Register("Resize", 10, 0, resizeKernel)
	Register("Upsample", 7, 9, upsampleKernel)
}
