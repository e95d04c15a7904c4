package qil

import (
	"math"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
)

// savedTransform is what one QILWeight node's training forward computed
// of every weight, for the node's backward: T(|w|), and ln u where the
// weight lies inside the interval (d/dgamma = T ln u; 0 elsewhere).
type savedTransform struct {
	t, logU []float64
}

// weightForward is QILWeight's forward while training: weightKernel's
// output, computed the same way (weightLevel's T, rounding and scale), and
// T and ln u of every weight saved. With gamma != 1, T is a power per
// weight, the weight quantizer's main cost, and ln u is computed inside
// it (layerPower); the backward needs the same T (for the level and the
// slope) and ln u (for gamma's gradient) and reads both from here
// instead of computing them again. Inference and export run
// weightKernel.
func weightForward(n *onnx.Node, _ int64, in []*tensor.Tensor, _ train.Mode) ([]*tensor.Tensor, any, error) {
	a, err := readWeightArgs(n, in)
	if err != nil {
		return nil, nil, err
	}
	y := tensor.New(tensor.Float32, a.w.Shape)
	s := savedTransform{t: make([]float64, len(a.w.F32)), logU: make([]float64, len(a.w.F32))}
	q := float64(a.q)
	power := newLayerPower(float64(a.gamma))
	for k := range a.c {
		c, d := float64(a.c[k]), float64(a.d[k])
		scale := weightScale(a.c[k], a.d[k], a.q)
		for i := k * a.inner; i < (k+1)*a.inner; i++ {
			w := a.w.F32[i]
			u, inside := weightUnit(math.Abs(float64(w)), c, d)
			t := u
			if inside {
				t, s.logU[i] = power.pow(u)
			}
			s.t[i] = t
			level := int(math.RoundToEven(q * t))
			if w < 0 {
				level = -level
			}
			y.F32[i] = float32(level) * scale
		}
	}
	return []*tensor.Tensor{y}, s, nil
}
