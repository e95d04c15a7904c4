package nn

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/gemm"
	"github.com/pare-ml/pare/core/tensor"
)

// ConvTransposeParams are the attributes of ONNX ConvTranspose. OutputShape
// (spatial dims only; a full N x C x spatial shape is accepted too), when
// set, decides the padding; otherwise Pads or AutoPad do.
type ConvTransposeParams struct {
	ConvParams
	OutputPadding, OutputShape []int
}

// ConvTransposeGeometry is a ConvTranspose resolved against concrete
// shapes. Its Window describes the forward Conv that this op transposes:
// Window.In is the ConvTranspose output (the "image"), Window.Out its input.
type ConvTransposeGeometry struct {
	Batch, InChannels, OutChannels, Group int
	Window
}

// OutShape is the shape of Y: N x M x spatial.
func (g *ConvTransposeGeometry) OutShape() []int {
	return append([]int{g.Batch, g.OutChannels}, g.In...)
}

// ResolveConvTranspose checks x (N x C x spatial) and w (C x M/group x
// kernel) against p and computes the output geometry.
func ResolveConvTranspose(xShape, wShape []int, p ConvTransposeParams) (*ConvTransposeGeometry, error) {
	if len(xShape) < 3 || len(wShape) != len(xShape) {
		return nil, fmt.Errorf("ConvTranspose: input X %v and weight W %v must both be N x C x spatial of equal rank >= 3", xShape, wShape)
	}
	r := len(xShape) - 2
	if r > maxSpatialDims {
		return nil, fmt.Errorf("ConvTranspose: %d spatial dimensions, want 1 to %d", r, maxSpatialDims)
	}
	group := p.Group
	if group == 0 {
		group = 1
	}
	n, c := xShape[0], xShape[1]
	if group < 0 || wShape[0] != c || c%group != 0 {
		return nil, fmt.Errorf("ConvTranspose: group %d does not fit X %v (C=%d) and W %v (first dim must equal C)", group, xShape, c, wShape)
	}
	m := wShape[1] * group
	kernel := append([]int(nil), wShape[2:]...)
	if p.Kernel != nil && !slices.Equal(p.Kernel, kernel) {
		return nil, fmt.Errorf("ConvTranspose: kernel_shape %v disagrees with W %v", p.Kernel, wShape)
	}
	vec := func(name string, v []int, def int) ([]int, error) {
		if v == nil {
			out := make([]int, r)
			for i := range out {
				out[i] = def
			}
			return out, nil
		}
		if len(v) != r {
			return nil, fmt.Errorf("ConvTranspose: %s %v need %d values", name, v, r)
		}
		return append([]int(nil), v...), nil
	}
	strides, err := vec("strides", p.Strides, 1)
	if err != nil {
		return nil, err
	}
	dil, err := vec("dilations", p.Dilations, 1)
	if err != nil {
		return nil, err
	}
	outPad, err := vec("output_padding", p.OutputPadding, 0)
	if err != nil {
		return nil, err
	}
	in := xShape[2:]
	for d := 0; d < r; d++ {
		if strides[d] < 1 || dil[d] < 1 || kernel[d] < 1 || outPad[d] < 0 {
			return nil, fmt.Errorf("ConvTranspose: kernel %v, strides %v, dilations %v must be positive, output_padding %v non-negative", kernel, strides, dil, outPad)
		}
	}
	padBegin, padEnd := make([]int, r), make([]int, r)
	outShape := make([]int, r)
	// fullSize is the output size with no padding at all.
	fullSize := func(d int) int { return strides[d]*(in[d]-1) + outPad[d] + (kernel[d]-1)*dil[d] + 1 }
	autoPad := p.AutoPad
	if autoPad == "" {
		autoPad = AutoPadNotSet
	}
	target := p.OutputShape
	if len(target) == r+2 {
		target = target[2:]
	}
	if target == nil && (autoPad == AutoPadSameUpper || autoPad == AutoPadSameLower) {
		target = make([]int, r)
		for d := range target {
			target[d] = in[d] * strides[d]
		}
	}
	switch {
	case target != nil:
		if len(target) != r {
			return nil, fmt.Errorf("ConvTranspose: output_shape %v needs %d spatial values", p.OutputShape, r)
		}
		for d := 0; d < r; d++ {
			total := fullSize(d) - target[d]
			if total < 0 {
				// A larger output than the windows reach: the extra end
				// positions get only the bias (negative end padding).
				padBegin[d], padEnd[d] = 0, total
			} else if autoPad == AutoPadSameUpper {
				padBegin[d], padEnd[d] = total/2, total-total/2
			} else {
				padBegin[d], padEnd[d] = total-total/2, total/2
			}
			outShape[d] = target[d]
		}
	case autoPad == AutoPadValid:
		for d := 0; d < r; d++ {
			outShape[d] = fullSize(d)
		}
	case autoPad == AutoPadNotSet:
		if p.Pads != nil {
			if len(p.Pads) != 2*r {
				return nil, fmt.Errorf("ConvTranspose: pads %v need %d values (begins then ends)", p.Pads, 2*r)
			}
			copy(padBegin, p.Pads[:r])
			copy(padEnd, p.Pads[r:])
		}
		for d := 0; d < r; d++ {
			if padBegin[d] < 0 || padEnd[d] < 0 {
				return nil, fmt.Errorf("ConvTranspose: negative pads %v", p.Pads)
			}
			outShape[d] = fullSize(d) - padBegin[d] - padEnd[d]
		}
	default:
		return nil, fmt.Errorf("ConvTranspose: unknown auto_pad %q (want NOTSET, SAME_UPPER, SAME_LOWER or VALID)", p.AutoPad)
	}
	for d := 0; d < r; d++ {
		if outShape[d] < 1 {
			return nil, fmt.Errorf("ConvTranspose: output spatial shape %v is empty (input %v, kernel %v, strides %v, pads %v %v)", outShape, in, kernel, strides, padBegin, padEnd)
		}
	}
	g := &ConvTransposeGeometry{
		Batch: n, InChannels: c, OutChannels: m, Group: group,
		Window: Window{In: outShape, Kernel: kernel, Out: append([]int(nil), in...), Strides: strides, Dilations: dil, PadBegin: padBegin, PadEnd: padEnd},
	}
	if _, err := checkedProduct("ConvTranspose", g.OutShape()); err != nil {
		return nil, err
	}
	if _, err := checkedProduct("ConvTranspose", []int{m / group, g.KernelSize(), g.OutSize()}); err != nil {
		return nil, err
	}
	return g, nil
}

// ConvTranspose computes the ONNX ConvTranspose of x with weights w and
// optional bias b.
func ConvTranspose(x, w, b *tensor.Tensor, p ConvTransposeParams) (*tensor.Tensor, error) {
	g, err := ResolveConvTranspose(x.Shape, w.Shape, p)
	if err != nil {
		return nil, err
	}
	y := tensor.New(tensor.Float32, g.OutShape())
	if err := ConvTransposeInto(y, x, w, b, g); err != nil {
		return nil, err
	}
	return y, nil
}

// ConvTransposeInto computes ConvTranspose into y, whose shape must be
// g.OutShape(): per image and group, col = W_g^T * X_g (a GEMM), then
// Col2Im scatters col into the output.
func ConvTransposeInto(y, x, w, b *tensor.Tensor, g *ConvTransposeGeometry) error {
	if err := checkConvOperands("ConvTranspose", y, x, w, b, g.Batch, g.OutChannels, g.In); err != nil {
		return err
	}
	cg, mg := g.InChannels/g.Group, g.OutChannels/g.Group
	imgSize, colCols, kSize := g.InSize(), g.OutSize(), g.KernelSize()
	if x.Len() != g.Batch*g.InChannels*colCols || w.Len() != g.InChannels*mg*kSize {
		return fmt.Errorf("ConvTranspose: X %v or W %v does not match the resolved geometry", x.Shape, w.Shape)
	}
	clear(y.F32)
	h, col := getScratch(mg * kSize * colCols)
	defer putScratch(h)
	for n := 0; n < g.Batch; n++ {
		for gr := 0; gr < g.Group; gr++ {
			xg := x.F32[(n*g.InChannels+gr*cg)*colCols : (n*g.InChannels+(gr+1)*cg)*colCols]
			wg := w.F32[gr*cg*mg*kSize : (gr+1)*cg*mg*kSize]
			yg := y.F32[(n*g.OutChannels+gr*mg)*imgSize : (n*g.OutChannels+(gr+1)*mg)*imgSize]
			gemm.Sgemm(true, false, mg*kSize, colCols, cg, 1, wg, mg*kSize, xg, colCols, 0, col, colCols)
			Col2Im(yg, col, mg, &g.Window)
		}
	}
	if b != nil {
		for n := 0; n < g.Batch; n++ {
			for m := 0; m < g.OutChannels; m++ {
				plane := y.F32[(n*g.OutChannels+m)*imgSize : (n*g.OutChannels+m+1)*imgSize]
				v := b.F32[m]
				for i := range plane {
					plane[i] += v
				}
			}
		}
	}
	return nil
}
