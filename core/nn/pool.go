package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/pare-ml/pare/core/tensor"
)

// PoolParams are the attributes of ONNX MaxPool and AveragePool. Nil slices
// take the defaults (unit strides and dilations, no padding); Kernel is
// required.
type PoolParams struct {
	Kernel, Strides, Dilations, Pads []int
	AutoPad                          string
	CeilMode                         bool
	// CountIncludePad (AveragePool): divide by the window size including
	// explicit padding instead of by the number of real input values.
	CountIncludePad bool
	// ColumnMajorIndices (MaxPool storage_order=1): Indices count the
	// spatial position column-major.
	ColumnMajorIndices bool
}

// PoolGeometry is a pool resolved against a concrete input shape.
type PoolGeometry struct {
	Batch, Channels int
	Window
}

// OutShape is the shape of Y: N x C x Out.
func (g *PoolGeometry) OutShape() []int {
	return append([]int{g.Batch, g.Channels}, g.Out...)
}

// ResolvePool checks x (N x C x spatial) against p for operator op
// ("MaxPool" or "AveragePool", used in errors).
func ResolvePool(op string, xShape []int, p PoolParams) (*PoolGeometry, error) {
	if len(xShape) < 3 {
		return nil, fmt.Errorf("%s: input X %v must be N x C x spatial (rank >= 3)", op, xShape)
	}
	if p.Kernel == nil {
		return nil, fmt.Errorf("%s: kernel_shape is required", op)
	}
	win, err := windowSpec{op: op, in: xShape[2:], kernel: p.Kernel, strides: p.Strides, dilations: p.Dilations, pads: p.Pads, autoPad: p.AutoPad, ceilMode: p.CeilMode}.resolve()
	if err != nil {
		return nil, err
	}
	g := &PoolGeometry{Batch: xShape[0], Channels: xShape[1], Window: win}
	if _, err := checkedProduct(op, g.OutShape()); err != nil {
		return nil, err
	}
	return g, nil
}

// axisTaps precomputes, for each output position of one dimension, the
// first image index and the kernel taps [lo, hi) inside the image, plus
// the number of taps inside the padded extent (for count_include_pad).
type axisTaps struct {
	start, lo, hi, padded []int
}

func newAxisTaps(out, stride, padBegin, padEnd, dil, k, in int) axisTaps {
	t := axisTaps{start: make([]int, out), lo: make([]int, out), hi: make([]int, out), padded: make([]int, out)}
	for o := 0; o < out; o++ {
		t.start[o] = o*stride - padBegin
		t.lo[o], t.hi[o] = validRange(o, stride, padBegin, dil, k, in)
		lo, hi := validRange(o, stride, 0, dil, k, in+padBegin+padEnd)
		t.padded[o] = hi - lo
	}
	return t
}

// poolTaps returns the per-axis tap tables of a 3-D promoted window.
func poolTaps(p *window3) [3]axisTaps {
	var t [3]axisTaps
	for d := 0; d < 3; d++ {
		t[d] = newAxisTaps(p.Out[d], p.Strides[d], p.PadBegin[d], p.PadEnd[d], p.Dilations[d], p.Kernel[d], p.In[d])
	}
	return t
}

// MaxPool computes ONNX MaxPool; indices is nil unless withIndices.
func MaxPool(x *tensor.Tensor, p PoolParams, withIndices bool) (y, indices *tensor.Tensor, err error) {
	g, err := ResolvePool("MaxPool", x.Shape, p)
	if err != nil {
		return nil, nil, err
	}
	y = tensor.New(x.DType, g.OutShape())
	if withIndices {
		indices = tensor.New(tensor.Int64, g.OutShape())
	}
	if err := MaxPoolInto(y, indices, x, g, p.ColumnMajorIndices); err != nil {
		return nil, nil, err
	}
	return y, indices, nil
}

// MaxPoolInto computes MaxPool into y (float32 or uint8/int8, like x) and,
// when indices is not nil, the flat index into x of each maximum
// (row-major over N, C and spatial, or column-major over the spatial dims
// when columnMajor).
func MaxPoolInto(y, indices, x *tensor.Tensor, g *PoolGeometry, columnMajor bool) error {
	if err := checkPoolOperands("MaxPool", y, x, g); err != nil {
		return err
	}
	if indices != nil && (indices.DType != tensor.Int64 || !slices.Equal(indices.Shape, g.OutShape()) || len(indices.I64) != indices.Len()) {
		return fmt.Errorf("MaxPool: Indices must be int64 %v, got %v %v", g.OutShape(), indices.DType, indices.Shape)
	}
	switch x.DType {
	case tensor.Float32:
		maxPool(y.F32, indices, x.F32, g, columnMajor, float32(math.Inf(-1)))
	case tensor.Uint8:
		maxPool(y.U8, indices, x.U8, g, columnMajor, 0)
	case tensor.Int8:
		maxPool(y.I8, indices, x.I8, g, columnMajor, math.MinInt8)
	}
	return nil
}

func maxPool[T float32 | uint8 | int8](y []T, indices *tensor.Tensor, x []T, g *PoolGeometry, columnMajor bool, lowest T) {
	p := g.promote3()
	if indices == nil && windowsInside2D(&p) {
		if yf, ok := any(y).([]float32); ok && simdMaxPool(yf, any(x).([]float32), g.Batch*g.Channels, &p) {
			return
		}
		maxPoolInside(y, x, g.Batch*g.Channels, &p)
		return
	}
	t := poolTaps(&p)
	inD, inH, inW := p.In[0], p.In[1], p.In[2]
	outD, outH, outW := p.Out[0], p.Out[1], p.Out[2]
	inSize, outSize := inD*inH*inW, outD*outH*outW
	dD, dH, dW := p.Dilations[0], p.Dilations[1], p.Dilations[2]
	for plane := 0; plane < g.Batch*g.Channels; plane++ {
		xp := x[plane*inSize : (plane+1)*inSize]
		yp := y[plane*outSize : (plane+1)*outSize]
		o := 0
		for od := 0; od < outD; od++ {
			for oh := 0; oh < outH; oh++ {
				for ow := 0; ow < outW; ow++ {
					best, bestAt := lowest, -1
					for kd := t[0].lo[od]; kd < t[0].hi[od]; kd++ {
						id := t[0].start[od] + kd*dD
						for kh := t[1].lo[oh]; kh < t[1].hi[oh]; kh++ {
							row := (id*inH + t[1].start[oh] + kh*dH) * inW
							for kw := t[2].lo[ow]; kw < t[2].hi[ow]; kw++ {
								at := row + t[2].start[ow] + kw*dW
								if v := xp[at]; v > best || bestAt < 0 {
									best, bestAt = v, at
								}
							}
						}
					}
					yp[o] = best
					if indices != nil {
						idx := bestAt
						if columnMajor && bestAt >= 0 {
							// Spatial position read with the first axis fastest.
							w := bestAt % inW
							h := (bestAt / inW) % inH
							d := bestAt / (inW * inH)
							idx = (w*inH+h)*inD + d
						}
						indices.I64[plane*outSize+o] = int64(plane*inSize + idx)
					}
					o++
				}
			}
		}
	}
}

// windowsInside2D reports whether p is a 1-D or 2-D window without
// dilation whose every window lies inside the image (no padding reached):
// the common CNN pool (2x2 or 3x3, stride = kernel or 2), which then needs
// neither tap tables nor per-tap bounds.
func windowsInside2D(p *window3) bool {
	if p.In[0] != 1 || p.Kernel[0] != 1 || p.Out[0] != 1 {
		return false
	}
	for d := 1; d < 3; d++ {
		if p.Dilations[d] != 1 || p.PadBegin[d] != 0 || p.Out[d] < 1 || (p.Out[d]-1)*p.Strides[d]+p.Kernel[d] > p.In[d] {
			return false
		}
	}
	return true
}

// maxPoolInside is maxPool for windowsInside2D windows. The order of
// comparisons is maxPool's (the first tap, then v > best), so NaNs
// propagate the same way.
func maxPoolInside[T float32 | uint8 | int8](y, x []T, planes int, p *window3) {
	inH, inW, outH, outW := p.In[1], p.In[2], p.Out[1], p.Out[2]
	kH, kW, sH, sW := p.Kernel[1], p.Kernel[2], p.Strides[1], p.Strides[2]
	for plane := 0; plane < planes; plane++ {
		xp := x[plane*inH*inW : (plane+1)*inH*inW]
		yp := y[plane*outH*outW : (plane+1)*outH*outW]
		for oh := 0; oh < outH; oh++ {
			out := yp[oh*outW : (oh+1)*outW]
			top := oh * sH * inW
			if kH == 2 && kW == 2 {
				r0, r1 := xp[top:top+inW], xp[top+inW:top+2*inW]
				for ow := range out {
					i := ow * sW
					best := r0[i]
					if v := r0[i+1]; v > best {
						best = v
					}
					if v := r1[i]; v > best {
						best = v
					}
					if v := r1[i+1]; v > best {
						best = v
					}
					out[ow] = best
				}
				continue
			}
			for ow := range out {
				at := top + ow*sW
				best := xp[at]
				for kh := 0; kh < kH; kh++ {
					for _, v := range xp[at+kh*inW : at+kh*inW+kW] {
						if v > best {
							best = v
						}
					}
				}
				out[ow] = best
			}
		}
	}
}

// AveragePool computes ONNX AveragePool.
func AveragePool(x *tensor.Tensor, p PoolParams) (*tensor.Tensor, error) {
	g, err := ResolvePool("AveragePool", x.Shape, p)
	if err != nil {
		return nil, err
	}
	y := tensor.New(tensor.Float32, g.OutShape())
	if err := AveragePoolInto(y, x, g, p.CountIncludePad); err != nil {
		return nil, err
	}
	return y, nil
}

// AveragePoolInto computes AveragePool into y. With countIncludePad the
// divisor counts window taps inside the padded input (explicit or auto
// padding, not the extra end of a ceil_mode window); otherwise only taps
// inside the input.
func AveragePoolInto(y, x *tensor.Tensor, g *PoolGeometry, countIncludePad bool) error {
	if err := checkPoolOperands("AveragePool", y, x, g); err != nil {
		return err
	}
	if x.DType != tensor.Float32 {
		return fmt.Errorf("AveragePool: input must be float32, got %v", x.DType)
	}
	p := g.promote3()
	t := poolTaps(&p)
	inD, inH, inW := p.In[0], p.In[1], p.In[2]
	outD, outH, outW := p.Out[0], p.Out[1], p.Out[2]
	inSize, outSize := inD*inH*inW, outD*outH*outW
	dD, dH, dW := p.Dilations[0], p.Dilations[1], p.Dilations[2]
	for plane := 0; plane < g.Batch*g.Channels; plane++ {
		xp := x.F32[plane*inSize : (plane+1)*inSize]
		yp := y.F32[plane*outSize : (plane+1)*outSize]
		o := 0
		for od := 0; od < outD; od++ {
			for oh := 0; oh < outH; oh++ {
				for ow := 0; ow < outW; ow++ {
					var sum float32
					for kd := t[0].lo[od]; kd < t[0].hi[od]; kd++ {
						id := t[0].start[od] + kd*dD
						for kh := t[1].lo[oh]; kh < t[1].hi[oh]; kh++ {
							row := xp[(id*inH+t[1].start[oh]+kh*dH)*inW:]
							for kw := t[2].lo[ow]; kw < t[2].hi[ow]; kw++ {
								sum += row[t[2].start[ow]+kw*dW]
							}
						}
					}
					var count int
					if countIncludePad {
						count = t[0].padded[od] * t[1].padded[oh] * t[2].padded[ow]
					} else {
						count = (t[0].hi[od] - t[0].lo[od]) * (t[1].hi[oh] - t[1].lo[oh]) * (t[2].hi[ow] - t[2].lo[ow])
					}
					if count > 0 {
						yp[o] = sum / float32(count)
					} else {
						yp[o] = 0
					}
					o++
				}
			}
		}
	}
	return nil
}

func checkPoolOperands(op string, y, x *tensor.Tensor, g *PoolGeometry) error {
	// Compared in place: OutShape allocates, and pools run on every image.
	want := len(y.Shape) == 2+len(g.Out) && y.Shape[0] == g.Batch && y.Shape[1] == g.Channels && slices.Equal(y.Shape[2:], g.Out)
	if !want || y.DType != x.DType {
		return fmt.Errorf("%s: output is %v %v, want %v %v", op, y.DType, y.Shape, x.DType, g.OutShape())
	}
	if x.Len() != g.Batch*g.Channels*g.InSize() {
		return fmt.Errorf("%s: input %v does not match the resolved geometry", op, x.Shape)
	}
	switch x.DType {
	case tensor.Float32:
		if len(x.F32) == x.Len() && len(y.F32) == y.Len() {
			return nil
		}
	case tensor.Uint8:
		if len(x.U8) == x.Len() && len(y.U8) == y.Len() {
			return nil
		}
	case tensor.Int8:
		if len(x.I8) == x.Len() && len(y.I8) == y.Len() {
			return nil
		}
	default:
		return fmt.Errorf("%s: unsupported input type %v", op, x.DType)
	}
	return fmt.Errorf("%s: tensor data does not match its shape %v", op, x.Shape)
}

// GlobalPoolShape is the output shape of the global pools: N x C x 1...
func GlobalPoolShape(op string, xShape []int) ([]int, error) {
	if len(xShape) < 3 {
		return nil, fmt.Errorf("%s: input X %v must be N x C x spatial (rank >= 3)", op, xShape)
	}
	out := append([]int(nil), xShape...)
	for i := 2; i < len(out); i++ {
		out[i] = 1
	}
	return out, nil
}

// GlobalAveragePoolInto averages every N x C plane of x into y.
func GlobalAveragePoolInto(y, x *tensor.Tensor) error {
	return globalPool("GlobalAveragePool", y, x, func(plane []float32) float32 {
		var s float32
		for _, v := range plane {
			s += v
		}
		return s / float32(len(plane))
	})
}

// GlobalMaxPoolInto takes the maximum of every N x C plane of x into y.
func GlobalMaxPoolInto(y, x *tensor.Tensor) error {
	return globalPool("GlobalMaxPool", y, x, func(plane []float32) float32 {
		m := float32(math.Inf(-1))
		for _, v := range plane {
			if v > m || v != v {
				m = v
			}
		}
		return m
	})
}

func globalPool(op string, y, x *tensor.Tensor, reduce func([]float32) float32) error {
	shape, err := GlobalPoolShape(op, x.Shape)
	if err != nil {
		return err
	}
	if x.DType != tensor.Float32 || y.DType != tensor.Float32 || !slices.Equal(y.Shape, shape) || len(x.F32) != x.Len() {
		return fmt.Errorf("%s: want float32 input and output %v, got %v %v -> %v %v", op, shape, x.DType, x.Shape, y.DType, y.Shape)
	}
	planes := x.Shape[0] * x.Shape[1]
	if planes == 0 {
		return nil
	}
	size := len(x.F32) / planes
	for i := 0; i < planes; i++ {
		y.F32[i] = reduce(x.F32[i*size : (i+1)*size])
	}
	return nil
}
