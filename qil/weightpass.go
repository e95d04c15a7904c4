package qil

import (
	"math"

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
// weight, the weight quantizer's main cost, and ln u one more
// (layerPower); the backward needs the same T (for the level and the
// slope) and ln u (for gamma's gradient) and reads both from here
// instead of computing them again. Inference and export run
// weightKernel. The output and the saved slices are the last step's
// when the net recycles its buffers (24 bytes a weight that would
// otherwise be garbage every step: ResNet-18's 11 M weights, 270 MB).
func weightForward(f *train.NodeForward) ([]*tensor.Tensor, any, error) {
	a, err := readWeightArgs(f.Node, f.In)
	if err != nil {
		return nil, nil, err
	}
	y := f.Buffer(a.w.Shape, false)
	s, _ := f.Previous().(savedTransform)
	if len(s.t) != len(a.w.F32) || len(s.logU) != len(a.w.F32) {
		s = savedTransform{t: make([]float64, len(a.w.F32)), logU: make([]float64, len(a.w.F32))}
	}
	q := float64(a.q)
	power := newLayerPower(float64(a.gamma))
	for k := range a.c {
		c, d := float64(a.c[k]), float64(a.d[k])
		scale := weightScale(a.c[k], a.d[k], a.q)
		for i := k * a.inner; i < (k+1)*a.inner; i++ {
			w := a.w.F32[i]
			u, inside := weightUnit(math.Abs(float64(w)), c, d)
			t, logU := u, 0.0
			if inside {
				t, logU = power.pow(u)
			}
			s.t[i], s.logU[i] = t, logU
			level := int(math.RoundToEven(q * t))
			if w < 0 {
				level = -level
			}
			y.F32[i] = float32(level) * scale
		}
	}
	return []*tensor.Tensor{y}, s, nil
}

// weightGradsSaved is weightGrads from the forward's saved T and ln u:
// weightDerivatives' arithmetic written into the loop, expression for
// expression and in the same order, so the gradients are weightGrads'
// bits (TestWeightForwardSavesTheKernelsTransform), without a call and
// a five-field result per weight (most of the backward's time in wasm)
// and with the slope's cap, a power, once per layer. Outside the
// interval the derivatives are 0, as weightTransform{t: u} has them.
func weightGradsSaved(a weightArgs, dy []float32, discrete bool, saved *savedTransform, into []float32) (dw []float32, dc, dd []float64, dg float64) {
	n := len(a.w.F32)
	dw = into[:n]
	dc, dd = make([]float64, len(a.c)), make([]float64, len(a.c))
	ts, logs, dy := saved.t[:n], saved.logU[:n], dy[:n]
	g, q := float64(a.gamma), float64(a.q)
	slopeAtCap := g * math.Pow(1e-6, g-1) // weightDerivatives' slope below u = 1e-6
	for k := range a.c {
		c, d, s := float64(a.c[k]), float64(a.d[k]), float64(a.c[k]+a.d[k])
		var dck, ddk float64
		for i := k * a.inner; i < (k+1)*a.inner; i++ {
			v := a.w.F32[i]
			sign := 1.0
			if v < 0 {
				sign = -1
			}
			u, inside := weightUnit(math.Abs(float64(v)), c, d)
			t := u
			var da, dcw, ddw, dgw float64
			if inside {
				t = ts[i]
				var slope float64
				switch {
				case g == 1:
					slope = 1
				case u >= 1e-6:
					slope = g * t / u
				default:
					slope = slopeAtCap
				}
				da = slope / (2 * d)
				dcw = -slope / (2 * d)
				ddw = slope * (1 - 2*u) / (2 * d)
				if u > 0 {
					dgw = t * logs[i]
				}
			}
			level := t
			if discrete {
				level = math.RoundToEven(q*t) / q
			}
			gy := float64(dy[i])
			dw[i] = float32(gy * s * da)
			dck += gy * sign * (level + s*dcw)
			ddk += gy * sign * (level + s*ddw)
			dg += gy * sign * s * dgw
		}
		dc[k], dd[k] = dck, ddk
		if a.unit != nil {
			// c_k = c_in[k]*unit[k]: the chain rule's factor.
			dc[k] *= float64(a.unit[k])
			dd[k] *= float64(a.unit[k])
		}
	}
	return
}
