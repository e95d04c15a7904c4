package qcqp

// Once the hubs' counts are known, every constraint splits into a part
// that depends on hubs only (base) and, per leaf, a cost per kept channel
// (kappa), because no constraint term multiplies two leaves.

// leafCosts fills base[c] and kappa[c][l] (l indexes md.leaves) for the
// hub counts n (indexed by free map; leaf entries are ignored).
func (md *model) leafCosts(n []int, base []float64, kappa [][]float64) {
	for c := range md.cons {
		cp := &md.cons[c]
		b := cp.c0
		k := kappa[c]
		for _, m := range md.hubs {
			b += cp.lin[m] * float64(n[m])
		}
		for li, m := range md.leaves {
			k[li] = cp.lin[m]
		}
		for _, t := range cp.quad {
			la, lb := md.hubPos[t.a] < 0, md.hubPos[t.b] < 0
			switch {
			case la:
				k[md.leafIndex(t.a)] += t.coef * float64(n[t.b])
			case lb:
				k[md.leafIndex(t.b)] += t.coef * float64(n[t.a])
			default:
				b += t.coef * float64(n[t.a]) * float64(n[t.b])
			}
		}
		base[c] = b
	}
}

// leafCostsMin is leafCosts minimised over the box lo <= n <= hi of hub
// counts, term by term, so it bounds every count vector of the box from
// below whatever the signs of the coefficients.
func (md *model) leafCostsMin(lo, hi []int, base []float64, kappa [][]float64) {
	lin := func(coef float64, m int) float64 {
		return min(coef*float64(lo[m]), coef*float64(hi[m]))
	}
	for c := range md.cons {
		cp := &md.cons[c]
		b := cp.c0
		k := kappa[c]
		for _, m := range md.hubs {
			b += lin(cp.lin[m], m)
		}
		for li, m := range md.leaves {
			k[li] = cp.lin[m]
		}
		for _, t := range cp.quad {
			la, lb := md.hubPos[t.a] < 0, md.hubPos[t.b] < 0
			switch {
			case la:
				k[md.leafIndex(t.a)] += lin(t.coef, t.b)
			case lb:
				k[md.leafIndex(t.b)] += lin(t.coef, t.a)
			case t.a == t.b:
				b += min(t.coef*sq(lo[t.a]), t.coef*sq(hi[t.a]))
			default:
				a0, a1, b0, b1 := float64(lo[t.a]), float64(hi[t.a]), float64(lo[t.b]), float64(hi[t.b])
				b += min(t.coef*a0*b0, t.coef*a0*b1, t.coef*a1*b0, t.coef*a1*b1)
			}
		}
		base[c] = b
	}
}

func sq(v int) float64 { return float64(v) * float64(v) }

func (md *model) leafIndex(m int) int { return md.leafPos[m] }
