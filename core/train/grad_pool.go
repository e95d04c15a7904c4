package train

import (
	"fmt"
	"slices"

	"github.com/pare-ml/pare/core/nn"
	"github.com/pare-ml/pare/core/tensor"
)

// Pooling backward. MaxPool sends each output's gradient to the first
// maximal input of its window (the forward's choice); AveragePool spreads
// it over the window's real inputs with the forward's divisor; the global
// pools do the same over a whole plane.

func init() {
	registerGrad("MaxPool", poolGrad(true), 0)
	registerGrad("AveragePool", poolGrad(false), 0)
	registerGrad("GlobalAveragePool", globalAverageGrad, 0)
	registerGrad("GlobalMaxPool", globalMaxGrad, 0)
}

// windowTable lists, for every output position and kernel offset (both
// row-major), the input position read, or -1 in the padding.
func windowTable(w *nn.Window) []int32 {
	dims := len(w.In)
	outSize, kSize := w.OutSize(), w.KernelSize()
	table := make([]int32, outSize*kSize)
	inStride := contiguousStrides(w.In)
	oIdx := make([]int, dims)
	kIdx := make([]int, dims)
	for o := 0; o < outSize; o++ {
		for d := range kIdx {
			kIdx[d] = 0
		}
		for k := 0; k < kSize; k++ {
			pos := 0
			for d := 0; d < dims; d++ {
				p := oIdx[d]*w.Strides[d] - w.PadBegin[d] + kIdx[d]*w.Dilations[d]
				if p < 0 || p >= w.In[d] {
					pos = -1
					break
				}
				pos += p * inStride[d]
			}
			table[o*kSize+k] = int32(pos)
			for d := dims - 1; d >= 0; d-- {
				if kIdx[d]++; kIdx[d] < w.Kernel[d] {
					break
				}
				kIdx[d] = 0
			}
		}
		for d := dims - 1; d >= 0; d-- {
			if oIdx[d]++; oIdx[d] < w.Out[d] {
				break
			}
			oIdx[d] = 0
		}
	}
	return table
}

func poolGrad(isMax bool) gradFunc {
	return func(c *gradContext) ([]*tensor.Tensor, error) {
		x, dy := c.in[0], c.dOut[0]
		if err := requireF32(x, "X"); err != nil {
			return nil, err
		}
		op := "AveragePool"
		if isMax {
			op = "MaxPool"
		}
		p := nn.PoolParamsOf(c.node)
		g, err := nn.ResolvePool(op, x.Shape, p)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(dy.Shape, g.OutShape()) {
			return nil, fmt.Errorf("output gradient shape %v, want %v", dy.Shape, g.OutShape())
		}
		win := &g.Window
		table := windowTable(win)
		inSize, outSize, kSize := win.InSize(), win.OutSize(), win.KernelSize()
		dx := tensor.New(tensor.Float32, x.Shape)
		var weight []float32
		if !isMax {
			if weight, err = averageWeights(win, p, table); err != nil {
				return nil, err
			}
		}
		for plane := 0; plane < g.Batch*g.Channels; plane++ {
			xs := x.F32[plane*inSize : (plane+1)*inSize]
			dxs := dx.F32[plane*inSize : (plane+1)*inSize]
			dys := dy.F32[plane*outSize : (plane+1)*outSize]
			for o, gv := range dys {
				taps := table[o*kSize : (o+1)*kSize]
				if isMax {
					best := int32(-1)
					for _, t := range taps {
						if t >= 0 && (best < 0 || xs[t] > xs[best]) {
							best = t
						}
					}
					if best >= 0 {
						dxs[best] += gv
					}
					continue
				}
				v := gv * weight[o]
				for _, t := range taps {
					if t >= 0 {
						dxs[t] += v
					}
				}
			}
		}
		return []*tensor.Tensor{dx}, nil
	}
}

// averageWeights is the factor each real input of output o's window
// receives: 1/divisor. The divisor is read off the forward kernel itself
// (its average of ones times the count of real inputs), so padding
// conventions (count_include_pad, ceil_mode) match it exactly.
func averageWeights(w *nn.Window, p nn.PoolParams, table []int32) ([]float32, error) {
	shape := append([]int{1, 1}, w.In...)
	ones := tensor.New(tensor.Float32, shape)
	for i := range ones.F32 {
		ones.F32[i] = 1
	}
	avg, err := nn.AveragePool(ones, p)
	if err != nil {
		return nil, err
	}
	kSize := w.KernelSize()
	weight := make([]float32, w.OutSize())
	for o := range weight {
		real := 0
		for _, t := range table[o*kSize : (o+1)*kSize] {
			if t >= 0 {
				real++
			}
		}
		if real > 0 {
			weight[o] = avg.F32[o] / float32(real)
		}
	}
	return weight, nil
}

func globalAverageGrad(c *gradContext) ([]*tensor.Tensor, error) {
	x, dy := c.in[0], c.dOut[0]
	if err := requireF32(x, "X"); err != nil {
		return nil, err
	}
	planes := dy.Len()
	if planes == 0 || x.Len()%planes != 0 {
		return nil, fmt.Errorf("output gradient %v does not match input %v", dy.Shape, x.Shape)
	}
	s := x.Len() / planes
	dx := tensor.New(tensor.Float32, x.Shape)
	for p, g := range dy.F32 {
		v := g / float32(s)
		row := dx.F32[p*s : (p+1)*s]
		for i := range row {
			row[i] = v
		}
	}
	return []*tensor.Tensor{dx}, nil
}

func globalMaxGrad(c *gradContext) ([]*tensor.Tensor, error) {
	x, dy := c.in[0], c.dOut[0]
	if err := requireF32(x, "X"); err != nil {
		return nil, err
	}
	planes := dy.Len()
	if planes == 0 || x.Len()%planes != 0 {
		return nil, fmt.Errorf("output gradient %v does not match input %v", dy.Shape, x.Shape)
	}
	s := x.Len() / planes
	dx := tensor.New(tensor.Float32, x.Shape)
	for p, g := range dy.F32 {
		row := x.F32[p*s : (p+1)*s]
		best := 0
		for i, v := range row {
			if v > row[best] {
				best = i
			}
		}
		dx.F32[p*s+best] = g
	}
	return []*tensor.Tensor{dx}, nil
}
