package scene

import "math"

// The QIL transformer and discretizer (Jung et al., CVPR 2019), as the
// live view draws them: the same formulas as package qil, kept here so
// the view needs no model code.

// TransformWeight maps a weight w to [-1, 1]: 0 below the pruning
// threshold c-d, ±1 above the clipping threshold c+d, and
// sign(w)·(α|w|+β)^γ between, with α = 0.5/d and β = 0.5 - 0.5c/d.
func TransformWeight(w float64, iv Interval) float64 {
	a := math.Abs(w)
	switch {
	case a < iv.C-iv.D:
		return 0
	case a > iv.C+iv.D:
		return math.Copysign(1, w)
	}
	g := iv.Gamma
	if g == 0 {
		g = 1
	}
	return math.Copysign(math.Pow(0.5/iv.D*a+0.5-0.5*iv.C/iv.D, g), w)
}

// TransformAct maps an activation x to [0, 1]: 0 below c-d, 1 above c+d,
// linear between; a signed quantizer maps |x| so and keeps x's sign.
func TransformAct(x float64, iv Interval) float64 {
	if iv.Signed {
		u := iv
		u.Signed = false
		return math.Copysign(TransformAct(math.Abs(x), u), x)
	}
	switch {
	case x < iv.C-iv.D:
		return 0
	case x > iv.C+iv.D:
		return 1
	}
	return 0.5/iv.D*x + 0.5 - 0.5*iv.C/iv.D
}

// Levels is the number of steps of the discretizer on each side: 2^(b-1)-1
// for signed weights, 2^b-1 for non-negative activations.
func Levels(bits int, signed bool) int {
	if signed {
		return 1<<(bits-1) - 1
	}
	return 1<<bits - 1
}

// Discretize rounds v in [-1, 1] to the nearest of q steps per unit.
func Discretize(v float64, q int) float64 {
	if q < 1 {
		return 0
	}
	return math.Round(v*float64(q)) / float64(q)
}

// WeightGrid is where the quantization levels fall in the weight domain:
// the positive |w| at which the quantized output steps from one level to
// the next (the inverse transformer at the half-steps), the pruning and
// clipping thresholds aside.
func WeightGrid(iv Interval) []float64 {
	q := Levels(iv.Bits, true)
	g := iv.Gamma
	if g == 0 {
		g = 1
	}
	var out []float64
	for k := 0; k < q; k++ {
		t := (float64(k) + 0.5) / float64(q) // output half-step
		// (α|w|+β)^γ = t  =>  |w| = (t^(1/γ) - β)/α
		w := (math.Pow(t, 1/g) - (0.5 - 0.5*iv.C/iv.D)) / (0.5 / iv.D)
		if w > iv.C-iv.D && w < iv.C+iv.D {
			out = append(out, w)
		}
	}
	return out
}
