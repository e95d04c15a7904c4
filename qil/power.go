package qil

import "math"

// layerPower is u^gamma for one layer's gamma, with ln u beside it: the
// training forward needs T = u^gamma of every weight and the backward
// needs T ln u for d/dgamma. math.Pow(u, gamma) computes that logarithm
// on the way (for 0 < u < 1 and a gamma with a fractional part, it is
// exp(f ln u) times a power of u by squaring, f the fractional part
// moved into [-0.5, 0.5]), but does not return it, so the backward paid
// for a second math.Log of every weight.
//
// pow follows math.Pow's own steps for 0 < u < 1 with the same math.Log,
// math.Exp and math.Frexp calls in the same order, so the bits are
// math.Pow's (TestLayerPowerIsMathPow, natively and in wasm: if a Go
// release changes math.Pow, that test fails); every other u, and a gamma
// math.Pow treats on its own (0.5, 1, not finite, beyond 2^63), goes to
// math.Pow itself. The split of gamma is done once per layer, and so are
// math.Pow's checks of gamma.
type layerPower struct {
	gamma float64
	// whole and frac are gamma = whole + frac with frac in [-0.5, 0.5],
	// as math.Pow splits it.
	whole int64
	frac  float64
	// general is true for a gamma that math.Pow does not take through
	// the split (or that needs no power: 1).
	general bool
}

func newLayerPower(gamma float64) layerPower {
	p := layerPower{gamma: gamma}
	if gamma == 1 || gamma == 0.5 || !(gamma > 0) || gamma >= 1<<63 || math.IsInf(gamma, 0) {
		p.general = true
		return p
	}
	whole, frac := math.Modf(gamma)
	if frac > 0.5 {
		frac--
		whole++
	}
	p.whole, p.frac = int64(whole), frac
	return p
}

// pow returns u^gamma as powGamma(u, gamma) does, to the bit, and ln u
// (math.Log(u)) for u > 0; for u <= 0 or NaN the logarithm is 0, as
// weightDerivatives never reads it there.
func (p layerPower) pow(u float64) (t, logU float64) {
	if p.general || !(u > 0 && u < 1) {
		t = powGamma(u, p.gamma)
		if u > 0 {
			logU = math.Log(u)
		}
		return t, logU
	}
	logU = math.Log(u)
	a := 1.0
	if p.frac != 0 {
		a = math.Exp(p.frac * logU)
	}
	// u^whole by squaring, the powers of two kept apart in e. For
	// 0 < u < 1 the exponent of u is at least -1074 and whole < 2^63,
	// but the squaring can still run the exponent past what a float64
	// holds: math.Pow stops there and leaves the result to Ldexp.
	m, me := math.Frexp(u)
	e := 0
	for i := p.whole; i != 0; i >>= 1 {
		if me < -1<<12 || 1<<12 < me {
			e += me
			break
		}
		if i&1 == 1 {
			a *= m
			e += me
		}
		m *= m
		me <<= 1
		if m < .5 {
			m += m
			me--
		}
	}
	return scaleByPowerOfTwo(a, e), logU
}

// scaleByPowerOfTwo is math.Ldexp(a, e). For e in the range of a normal
// float64's exponent, a * 2^e is one multiplication by an exact power of
// two: the exact product rounded once, which is what Ldexp returns too
// (exact for a normal result, rounded once for a subnormal one, Inf on
// overflow); other exponents go to Ldexp.
func scaleByPowerOfTwo(a float64, e int) float64 {
	if e < -1022 || e > 1023 {
		return math.Ldexp(a, e)
	}
	return a * math.Float64frombits(uint64(e+1023)<<52)
}
