package qil

import "math"

// actGrads returns the gradients of sum(dy * x_q) with respect to X, c and
// d (see transform.go); discrete false differentiates the continuous
// transformer.
//
// In float32 per element (the sums in float64): the activations are the
// bulk of a QIL step's own work. The level is rounded with the 1.5*2^23
// trick, which for 0 <= q*xh <= 255 is round half to even. The common
// case, an unsigned quantizer in training, takes actGradsUnsigned's
// branch-free loop; the signed and continuous ones take the plain loop.
// Both add the same terms to dc and dd in the same order, so the sums are
// the same to the bit (TestActGradsUnsignedMatchesTheBranchingLoop).
func actGrads(a actArgs, dy []float32, discrete bool) (dx []float32, dc, dd float64) {
	dx = make([]float32, len(a.x.F32))
	dc, dd = actGradsInto(dx, a, dy, discrete)
	return
}

// actGradsWritesEveryElement reports whether actGradsInto writes every
// element of dx, so that dx need not be cleared first: the unsigned,
// discrete loop does; the plain loop writes only the elements inside the
// interval.
func actGradsWritesEveryElement(a actArgs, discrete bool) bool { return discrete && !a.signed }

// actGradsInto is actGrads writing dx, which is as long as a.x and,
// unless actGradsWritesEveryElement, all zeros.
func actGradsInto(dx []float32, a actArgs, dy []float32, discrete bool) (dc, dd float64) {
	if actGradsWritesEveryElement(a, discrete) {
		return actGradsUnsigned(dx, a.x.F32, dy, a.grid)
	}
	lo, width, q := a.grid.lo, a.grid.width, float32(a.grid.q)
	inv, invQ := 1/width, 1/q
	for i, v := range a.x.F32 {
		x, gy := v, dy[i]
		if a.signed {
			switch {
			case v < 0:
				x, gy = -v, -gy
			case v == 0:
				gy = 0
			}
		}
		u := x - lo
		switch {
		case u <= 0:
			// pruned: no gradient
		case u >= width:
			// clipped: only the output scale 2d moves it
			dd += 2 * float64(gy)
		default:
			xh := u * inv
			level := xh
			if discrete {
				level = ((q*xh + roundMagic) - roundMagic) * invQ
			}
			dx[i] = dy[i]
			dc -= float64(gy)
			dd += float64(gy) * float64(2*level+1-2*xh)
		}
	}
	return
}

// actGradsUnsigned is actGrads for an unsigned, discrete quantizer: it
// writes dx and returns dc and dd. Whether an element is pruned, inside
// or clipped is close to random (half of a ReLU's outputs are 0), so the
// plain loop's branches mispredict; here the three cases are bit masks:
//
//   - inside (u neither <= 0 nor >= width, NaN included, as in the
//     plain loop): dx = dy, dc -= dy, dd += dy * (2*level + 1 - 2*xh);
//   - clipped: dd += dy * 2 (= 2*dy exactly);
//   - pruned: dc and dd get +0 (the masked dy times the masked factor,
//     both +0 bits), which leaves any sum unchanged, -0 included, and
//     dx stays 0.
//
// dc and dd never become -0 (they start at +0, and x + (-x) is +0), so
// adding +0 where the plain loop adds nothing changes no bit.
//
// With SIMD (actgrad_amd64.go) a prefix of x goes eight elements at a
// time; the sums still take every term one by one in x's order, and the
// Go loop finishes the rest from where they stand.
func actGradsUnsigned(dx, x, dy []float32, g actGrid) (dc, dd float64) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	n, dc, dd := actGradsUnsignedSIMD(dx, x, dy, g)
	return actGradsUnsignedGo(dx[n:], x[n:], dy[n:], g, dc, dd)
}

// actGradsUnsignedGo is actGradsUnsigned's loop, adding its terms to dc
// and dd as given.
func actGradsUnsignedGo(dx, x, dy []float32, g actGrid, dc, dd float64) (float64, float64) {
	lo, width, q := g.lo, g.width, float32(g.q)
	inv, invQ := 1/width, 1/q
	dy, dx = dy[:len(x)], dx[:len(x)]
	const two = 0x40000000 // float32 2
	for i, v := range x {
		gy := math.Float32bits(dy[i])
		u := v - lo
		xh := u * inv
		level := ((q*xh + roundMagic) - roundMagic) * invQ
		f := math.Float32bits(2*level + 1 - 2*xh)
		pruned, clipped := mask32(u <= 0), mask32(u >= width)
		clipped &^= pruned
		inside := ^(pruned | clipped)
		gin := math.Float32frombits(gy & inside)
		dx[i] = gin
		dc -= float64(gin)
		dd += float64(math.Float32frombits(gy&^pruned)) * float64(math.Float32frombits(f&inside|two&clipped))
	}
	return dc, dd
}

// mask32 is all ones for true, 0 for false (a conditional move, not a
// branch).
func mask32(b bool) uint32 {
	var m uint32
	if b {
		m = ^uint32(0)
	}
	return m
}
