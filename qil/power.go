package qil

import "math"

// layerPower is u^gamma for one layer's gamma, with ln u beside it: the
// training forward needs T = u^gamma of every weight and the backward
// needs T ln u for d/dgamma. The forward computes both and saves them
// (weightForward), so the backward reads the logarithm instead of
// computing it again.
//
// The power is powGamma's (math.Pow) and the logarithm math.Log, so the
// bits are those of the formulas in transform.go. (Taking ln u out of
// math.Pow's own computation would save the second logarithm, but only
// by restating the standard library's algorithm here; not done.)
type layerPower struct {
	gamma float64
}

func newLayerPower(gamma float64) layerPower { return layerPower{gamma: gamma} }

// pow returns powGamma(u, gamma) and ln u (math.Log(u)) for u > 0; for u
// <= 0 or NaN the logarithm is 0, as weightDerivatives never reads it
// there.
func (p layerPower) pow(u float64) (t, logU float64) {
	t = powGamma(u, p.gamma)
	if u > 0 {
		logU = math.Log(u)
	}
	return t, logU
}
