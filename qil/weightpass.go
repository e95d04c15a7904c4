package qil

import (
	"math"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
)

// savedT is T(|w|) of every weight of one QILWeight node, as its training
// forward computed it, for the node's backward.
type savedT []float64

// weightForward is QILWeight's forward while training: weightKernel's
// output, computed the same way (weightLevel's T, rounding and scale), and
// T of every weight saved. With gamma != 1, T is a math.Pow per weight,
// the weight quantizer's main cost; the backward needs the same T (for
// the level and the slope) and reads it from here instead of computing
// it again. Inference and export run weightKernel.
func weightForward(n *onnx.Node, _ int64, in []*tensor.Tensor, _ train.Mode) ([]*tensor.Tensor, any, error) {
	a, err := readWeightArgs(n, in)
	if err != nil {
		return nil, nil, err
	}
	y := tensor.New(tensor.Float32, a.w.Shape)
	t := make(savedT, len(a.w.F32))
	g, q := float64(a.gamma), float64(a.q)
	for k := range a.c {
		c, d := float64(a.c[k]), float64(a.d[k])
		scale := weightScale(a.c[k], a.d[k], a.q)
		for i := k * a.inner; i < (k+1)*a.inner; i++ {
			w := a.w.F32[i]
			t[i] = weightT(math.Abs(float64(w)), c, d, g)
			level := int(math.RoundToEven(q * t[i]))
			if w < 0 {
				level = -level
			}
			y.F32[i] = float32(level) * scale
		}
	}
	return []*tensor.Tensor{y}, t, nil
}
