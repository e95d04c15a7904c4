package qil

import (
	"math"

	"github.com/pare-ml/pare/core/nn"
)

// The arithmetic of QIL's transformers and discretizers, shared by the
// kernels, their gradients and the exporter so that all three compute the
// same numbers.
//
// Weights (per layer, interval centre c, half-width d, exponent gamma):
//
//	u    = (|w| - c) / (2d) + 1/2          (0 at c-d, 1 at c+d)
//	T(w) = 0 below c-d (pruned), 1 above c+d (clipped), u^gamma between
//	w_q  = (c+d) * sign(w) * round(q T) / q,   q = 2^(N-1) - 1
//
// The normalised level sign(w)*round(qT)/q in [-1, 1] is the paper's; it is
// multiplied by c+d, the one magnitude the transformer leaves in place, so
// that a layer without a BatchNorm after it keeps the scale of its
// output (the factor is a constant of the layer, exported as the
// DequantizeLinear scale, so the integer levels are exactly QIL's).
//
// Activations (gamma fixed at 1; p = c-d is the pruning threshold):
//
//	x_hat = clip((x - p) / (2d), 0, 1)
//	x_q   = 2d * round(q x_hat) / q,        q = 2^N - 1
//
// again the paper's normalised level times a layer constant (2d, the
// quantization step times q), so x_q is clip(x - p, 0, 2d) on a grid of
// step 2d/q: exactly Sub -> Clip -> QuantizeLinear -> DequantizeLinear.
// The signed variant, for inputs that are not behind a ReLU, applies the
// same to |x| with q = 2^(N-1) - 1 and restores the sign.
//
// round() is the only non-differentiable step; its gradient is taken as 1
// (straight through). Everything else is differentiated exactly: no
// gradient reaches w or x in the pruned and clipped regions.

// weightSteps is q for N-bit weights: 2^(N-1)-1 positive levels (N=2 is
// ternary).
func weightSteps(bits int) int { return 1<<(bits-1) - 1 }

// actSteps is q for N-bit activations: 2^N-1 steps above 0, or 2^(N-1)-1
// on each side of 0 for signed ones.
func actSteps(bits int, signed bool) int {
	if signed {
		return 1<<(bits-1) - 1
	}
	return 1<<bits - 1
}

// weightTransform is T(|w|) and its partial derivatives with respect to
// |w|, c, d and gamma (all 0 outside the interval).
type weightTransform struct {
	t, da, dc, dd, dg float64
}

func transformWeight(a, c, d, gamma float64) weightTransform {
	u, inside := weightUnit(a, c, d)
	if !inside {
		return weightTransform{t: u}
	}
	var logU float64
	if u > 0 {
		logU = math.Log(u)
	}
	return weightDerivatives(u, powGamma(u, gamma), logU, d, gamma)
}

// weightDerivatives is transformWeight inside the interval, at u with
// t = u^gamma and ln u (read only for u > 0) already computed (the
// training forward saves both, so that the backward does not compute the
// power or the logarithm again).
func weightDerivatives(u, t, logU, d, gamma float64) weightTransform {
	// du/da = 1/(2d); du/dc = -1/(2d); du/dd = -(a-c)/(2d^2) = (1-2u)/(2d).
	// The slope gamma*u^(gamma-1) is gamma*t/u, one power fewer; it blows
	// up at u=0 for gamma<1, where u is only ever the boundary value, so
	// below 1e-6 it is capped at its value there.
	var slope float64
	switch {
	case gamma == 1:
		slope = 1
	case u >= 1e-6:
		slope = gamma * t / u
	default:
		slope = gamma * math.Pow(1e-6, gamma-1)
	}
	wt := weightTransform{
		t:  t,
		da: slope / (2 * d),
		dc: -slope / (2 * d),
		dd: slope * (1 - 2*u) / (2 * d),
	}
	if u > 0 {
		wt.dg = t * logU
	}
	return wt
}

// weightUnit is u, where |w| = a lies in the interval [c-d, c+d] mapped
// to [0, 1], and whether it lies inside; outside, u is T itself: 0 below
// (pruned) and 1 above (clipped).
func weightUnit(a, c, d float64) (u float64, inside bool) {
	switch {
	case a < c-d:
		return 0, false
	case a > c+d:
		return 1, false
	}
	// clampTo is min(max(u, 0), 1) to the bit here: it differs from the
	// builtins only at -0, and x + 0.5 is never -0.
	return clampTo((a-c)/(2*d)+0.5, 1), true
}

// powGamma is u^gamma; gamma starts at 1 and often stays near it, where
// the power is the identity.
func powGamma(u, gamma float64) float64 {
	if gamma == 1 {
		return u
	}
	return math.Pow(u, gamma)
}

// weightT is transformWeight's T alone, what a forward pass needs.
func weightT(a, c, d, gamma float64) float64 {
	u, inside := weightUnit(a, c, d)
	if !inside {
		return u
	}
	return powGamma(u, gamma)
}

// weightLevel is the integer level k in [-q, q] of one weight: the value
// is k * weightScale(c, d, q).
func weightLevel(w, c, d, gamma float32, q int) int {
	k := int(math.RoundToEven(float64(q) * weightT(math.Abs(float64(w)), float64(c), float64(d), float64(gamma))))
	if w < 0 {
		return -k
	}
	return k
}

// weightScale is the real value of one weight level.
func weightScale(c, d float32, q int) float32 { return (c + d) / float32(q) }

// actGrid is the arithmetic of an activation quantizer as the exported
// graph computes it, in float32: u = clip(x - lo, 0, width), k =
// roundEven(u / step), x_q = k * step.
type actGrid struct {
	lo, width, step float32
	q               int
}

func newActGrid(c, d float32, q int) actGrid {
	width := 2 * d
	return actGrid{lo: c - d, width: width, step: width / float32(q), q: q}
}

// fakeQuant is the grid as the exported graph's chain, [Abs ->] Sub(lo)
// -> Clip(0, width) -> QuantizeLinear(step, uint8 0) -> DequantizeLinear
// [-> Mul(Sign(x))], in the executor's fused pass (nn.FakeQuant: SIMD
// natively and in wasm, the same float32 operations as the chain). The
// Sub is left out when lo is 0, as export leaves it out.
func (g actGrid) fakeQuant(signed bool) nn.FakeQuant {
	q := nn.FakeQuant{Scale: g.step, Lo: 0, Hi: 255, NaN: 0, Offset: 0, Step: g.step, Signed: signed}
	if signed {
		q.Pre = append(q.Pre, nn.FakeQuantOp{Kind: nn.FakeQuantAbs})
	}
	if g.lo != 0 {
		q.Pre = append(q.Pre, nn.FakeQuantOp{Kind: nn.FakeQuantSub, A: g.lo})
	}
	q.Pre = append(q.Pre, nn.FakeQuantOp{Kind: nn.FakeQuantClip, A: 0, B: g.width})
	return q
}

// roundMagic is 1.5*2^23: (v + roundMagic) - roundMagic rounds a float32
// 0 <= v <= 2^22 to an integer, half to even.
const roundMagic = 12582912
