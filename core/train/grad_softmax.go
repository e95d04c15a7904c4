package train

import (
	"fmt"

	"github.com/pare-ml/pare/core/tensor"
)

// Softmax and LogSoftmax inside a graph (a final one is replaced by the
// fused loss instead). With y = softmax(x) along the axis:
//
//	Softmax:    dx = y * (dy - sum(dy * y))
//	LogSoftmax: dx = dy - exp(y) * sum(dy)
//
// Before opset 13 the input is coerced to 2-D at axis (the softmax runs
// over all dimensions from axis on); from 13 it runs along one axis.

func init() {
	registerGrad("Softmax", softmaxGrad(false), 0)
	registerGrad("LogSoftmax", softmaxGrad(true), 0)
}

// softmaxLayout splits a shape into outer x n x inner, the softmax
// running over n with stride inner.
func softmaxLayout(shape []int, axis int64, opset int64) (outer, n, inner int, err error) {
	rank := len(shape)
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || int(axis) >= max(rank, 1) {
		return 0, 0, 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	outer, n, inner = 1, 1, 1
	for i, d := range shape {
		switch {
		case i < int(axis):
			outer *= d
		case i == int(axis) || opset < 13:
			n *= d
		default:
			inner *= d
		}
	}
	return outer, n, inner, nil
}

func softmaxGrad(logOut bool) gradFunc {
	return func(c *gradContext) ([]*tensor.Tensor, error) {
		y, dy := c.out[0], c.dOut[0]
		if err := requireF32(y, "output"); err != nil {
			return nil, err
		}
		def := int64(1)
		if c.opset >= 13 {
			def = -1
		}
		outer, n, inner, err := softmaxLayout(y.Shape, c.node.AttrInt("axis", def), c.opset)
		if err != nil {
			return nil, err
		}
		dx := tensor.New(tensor.Float32, y.Shape)
		for o := 0; o < outer; o++ {
			for in := 0; in < inner; in++ {
				base := o*n*inner + in
				var s float32
				for k := 0; k < n; k++ {
					i := base + k*inner
					if logOut {
						s += dy.F32[i]
					} else {
						s += dy.F32[i] * y.F32[i]
					}
				}
				for k := 0; k < n; k++ {
					i := base + k*inner
					if logOut {
						dx.F32[i] = dy.F32[i] - expf(y.F32[i])*s
					} else {
						dx.F32[i] = y.F32[i] * (dy.F32[i] - s)
					}
				}
			}
		}
		return []*tensor.Tensor{dx}, nil
	}
}
