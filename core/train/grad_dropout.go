package train

import (
	"fmt"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Dropout: in ModeTrain each element is kept with probability 1-ratio and
// scaled by 1/(1-ratio) (inverted dropout, so inference is the identity);
// the mask comes from the net's seeded generator.

func init() {
	registerViewGrad("Dropout", dropoutGrad, 0)
}

func dropoutRatio(nd *onnx.Node, opset int64, in []*tensor.Tensor) (float32, error) {
	ratio := nd.AttrFloat("ratio", 0.5)
	if opset >= 12 {
		ratio = 0.5
		if t := inputAt(in, 1); t != nil {
			switch {
			case t.DType == tensor.Float32 && t.Len() == 1:
				ratio = t.F32[0]
			case t.DType == tensor.Float64 && t.Len() == 1:
				ratio = float32(t.F64[0])
			default:
				return 0, fmt.Errorf("Dropout ratio must be a float scalar")
			}
		}
	}
	if ratio < 0 || ratio >= 1 {
		return 0, fmt.Errorf("Dropout ratio %v is outside [0, 1)", ratio)
	}
	return ratio, nil
}

func dropoutForward(net *Net, nd *onnx.Node, in []*tensor.Tensor, mode Mode) ([]*tensor.Tensor, any, error) {
	x := in[0]
	if err := requireF32(x, "data"); err != nil {
		return nil, nil, err
	}
	ratio, err := dropoutRatio(nd, net.opset, in)
	if err != nil {
		return nil, nil, err
	}
	y := tensor.New(tensor.Float32, x.Shape)
	var keep []float32
	if mode == ModeTrain && ratio > 0 {
		keep = make([]float32, len(x.F32))
		scale := 1 / (1 - ratio)
		for i, v := range x.F32 {
			if net.rng.float64() >= float64(ratio) {
				keep[i] = scale
				y.F32[i] = v * scale
			}
		}
	} else {
		copy(y.F32, x.F32)
	}
	outs := []*tensor.Tensor{y}
	if len(nd.Output) > 1 && nd.Output[1] != "" {
		mask := tensor.New(tensor.Bool, x.Shape)
		for i := range mask.Bool {
			mask.Bool[i] = keep == nil || keep[i] != 0
		}
		outs = append(outs, mask)
	}
	if keep == nil {
		return outs, nil, nil
	}
	return outs, keep, nil
}

func dropoutGrad(c *gradContext) ([]*tensor.Tensor, error) {
	keep, _ := c.saved.([]float32)
	if keep == nil {
		return []*tensor.Tensor{c.dOut[0]}, nil
	}
	dx := tensor.New(tensor.Float32, c.in[0].Shape)
	for i, g := range c.dOut[0].F32 {
		dx.F32[i] = g * keep[i]
	}
	return []*tensor.Tensor{dx}, nil
}
