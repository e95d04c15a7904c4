package qcqp

import (
	"math"
	"slices"
)

// The leaf knapsack's LP bound under several constraints at once, by
// Lagrangian duality.
//
// Leaf l keeping k_l channels (floor f_l <= k_l <= kmax_l) is worth at
// most its floor's values plus s_l[f_l] + ... + s_l[k_l-1] (its values in
// decreasing order) and costs kappa[c][l] per channel in constraint c.
// Taking each constraint alone and keeping the least of those bounds
// (fractionalOne) leaves every leaf that a constraint does not price free
// to keep all its channels: a memory budget is one constraint per node,
// each pricing a few maps' activations, so no single one of them limits
// every leaf. For multipliers mu >= 0, every feasible choice satisfies
//
//	sum_l sum_{j<k_l} s_lj <= sum_c mu_c room_c + sum_l sum_{f_l<=j<kmax_l} max(0, s_lj - e_l)
//
// with room_c what constraint c leaves after the floors and e_l =
// sum_c mu_c kappa[c][l] (add mu_c times each constraint's slack, then
// keep only the items the prices leave positive). So every mu gives a
// valid bound, the least of them is the LP optimum with all constraints
// (LP duality), and mu = t*e_c, the best single multiplier, gives back
// constraint c's own LP bound. The search starts from the best single
// constraint (or the last call's mu when that is lower) and moves one
// multiplier at a time to its exact minimiser; the bound only falls, so
// it is never above the least single-constraint bound.

// Sweeps over the constraints per call, and the relative progress below
// which a sweep ends the search.
const (
	dualSweeps = 6
	dualTol    = 1e-7
)

// dualState is the multiplier search's memory and scratch.
type dualState struct {
	mu, warm []float64 // per constraint: current, and the last call's result
	hasWarm  bool
	eff      []float64 // per leaf: sum_c mu_c kappa[c][l]
	room     []float64 // per constraint
	kmax     []int     // per leaf
	// the constraints the search moves (activeCons)
	active   []int
	isActive []bool
	keep     []float64
}

func (ls *leafSolver) dual() *dualState {
	if ls.ds == nil {
		nc, nl := len(ls.md.cons), len(ls.md.leaves)
		ls.ds = &dualState{mu: make([]float64, nc), warm: make([]float64, nc), eff: make([]float64, nl), room: make([]float64, nc), kmax: make([]int, nl), isActive: make([]bool, nc)}
	}
	return ls.ds
}

// dualValue is the bound at the multipliers ds.mu (ds.eff set): the
// mandatory values are not included.
func (ls *leafSolver) dualValue(ds *dualState) float64 {
	md := ls.md
	v := 0.0
	for c, mu := range ds.mu {
		v += mu * ds.room[c]
	}
	for l, m := range md.leaves {
		e := ds.eff[l]
		for _, s := range ls.sorted[l][md.floor[m]:ds.kmax[l]] {
			if s <= e {
				break // sorted: the rest are not above the price either
			}
			v += s - e
		}
	}
	return v
}

// setEff recomputes the leaves' prices from ds.mu.
func (ls *leafSolver) setEff(ds *dualState, kappa [][]float64) {
	clear(ds.eff)
	for c, mu := range ds.mu {
		if mu == 0 {
			continue
		}
		for l, k := range kappa[c] {
			ds.eff[l] += mu * k
		}
	}
}

// minimiseOne sets mu_c to the minimiser of the bound over mu_c >= 0 with
// the other multipliers fixed (kappa[c] >= 0). The bound is convex and
// piecewise linear in mu_c with slope room_c minus the costs of the items
// still positive, so the minimiser is the price of the item at which the
// items, taken in decreasing order of reduced value per cost, first
// overflow room_c (zero when they all fit): the fractional knapsack's
// critical ratio.
func (ls *leafSolver) minimiseOne(ds *dualState, c int, kappa []float64) {
	md := ls.md
	old := ds.mu[c]
	for l, k := range kappa {
		ds.eff[l] -= old * k
	}
	room := ds.room[c]
	key := ls.key
	h := ls.heap[:0]
	for l, m := range md.leaves {
		k := kappa[l]
		if k <= 0 {
			continue
		}
		f := md.floor[m]
		if f < ds.kmax[l] && ls.sorted[l][f] > ds.eff[l] {
			ls.next[l] = int32(f)
			key[l] = (ls.sorted[l][f] - ds.eff[l]) / k
			h = append(h, int32(l))
		}
	}
	heapInit(h, key)
	t := 0.0
	used := 0.0
	for len(h) > 0 {
		l := h[0]
		k := kappa[l]
		if used+k > room {
			t = key[l]
			break
		}
		used += k
		ls.next[l]++
		if n := int(ls.next[l]); n == ds.kmax[l] || ls.sorted[l][n] <= ds.eff[l] {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		} else {
			key[l] = (ls.sorted[l][n] - ds.eff[l]) / k
		}
		heapDown(h, 0, key)
	}
	ls.heap = h[:0]
	ds.mu[c] = t
	for l, k := range kappa {
		ds.eff[l] += t * k
	}
}

// fractionalDual is the LP bound of the non-mandatory channels under
// every constraint at once (every kappa >= 0, at least two constraints).
// ok is false when the floors do not fit. theta, when not nil, receives
// the channels the final prices keep (a subgradient of the bound in the
// leaf values).
func (ls *leafSolver) fractionalDual(base []float64, kappa [][]float64, theta [][]float64) (float64, bool) {
	md := ls.md
	ds := ls.dual()
	if !md.leafKmax(base, kappa, ds.kmax) {
		return 0, false
	}
	for c := range md.cons {
		room := md.cons[c].budget - base[c]
		for l, m := range md.leaves {
			room -= kappa[c][l] * float64(md.floor[m])
		}
		ds.room[c] = max(room, 0) // leafKmax refused a negative one
	}
	ls.activeCons(ds, kappa)
	// The best single constraint.
	best, bestC, bestT := math.Inf(1), -1, 0.0
	for _, c := range ds.active {
		clear(ds.mu)
		clear(ds.eff)
		ls.minimiseOne(ds, c, kappa[c])
		if v := ls.dualValue(ds); v < best {
			best, bestC, bestT = v, c, ds.mu[c]
		}
	}
	clear(ds.mu)
	if bestC < 0 {
		// No constraint prices a leaf: every channel fits.
		ls.setEff(ds, kappa)
		best = ls.dualValue(ds)
	} else {
		ds.mu[bestC] = bestT
	}
	if ds.hasWarm && len(ds.active) > 1 {
		keep := append(ds.keep[:0], ds.mu...)
		copy(ds.mu, ds.warm)
		for c := range ds.mu {
			if !ds.isActive[c] {
				ds.mu[c] = 0
			}
		}
		ls.setEff(ds, kappa)
		if v := ls.dualValue(ds); v < best {
			best = v
		} else {
			copy(ds.mu, keep)
		}
	}
	ls.setEff(ds, kappa)
	for range dualSweeps {
		if len(ds.active) < 2 {
			break // one multiplier: the single bound is exact
		}
		for _, c := range ds.active {
			ls.minimiseOne(ds, c, kappa[c])
		}
		v := ls.dualValue(ds)
		if v >= best-dualTol*math.Max(1, math.Abs(best)) {
			best = min(best, v)
			break
		}
		best = v
	}
	// Exact minimisation per coordinate only lowers the bound; the value
	// at the final multipliers is the one theta belongs to, so recompute
	// it (rounding aside it equals best).
	v := ls.dualValue(ds)
	copy(ds.warm, ds.mu)
	ds.hasWarm = true
	if theta != nil {
		for l, m := range md.leaves {
			t := theta[l]
			clear(t)
			for j, ch := range ls.perm[l] {
				if j < md.floor[m] || (j < ds.kmax[l] && ls.sorted[l][j] > ds.eff[l]) {
					t[ch] = 1
				}
			}
		}
	}
	return v, true
}

// activeCons lists the constraints that can change the LP: one that
// prices no leaf cannot, and neither can one implied by another (kappa_c
// <= (room_c/room_d) kappa_d leaf by leaf: every choice that fits d fits
// c), so their multipliers stay at zero. Of two equivalent ones the first
// is kept. A memory budget's per-node constraints share the weights'
// cost, and most of them are implied by the node of the largest
// activations.
func (ls *leafSolver) activeCons(ds *dualState, kappa [][]float64) {
	ds.active = ds.active[:0]
	for c := range kappa {
		ds.isActive[c] = false
		if !slices.ContainsFunc(kappa[c], func(k float64) bool { return k > 0 }) {
			continue
		}
		implied := false
		for d := range kappa {
			if d == c || implied {
				continue
			}
			// c is implied by d when kappa_c <= s kappa_d leaf by leaf
			// and room_c >= s room_d for some s >= 0: s = room_c/room_d,
			// or any s when room_d is zero (then kappa_c may price only
			// leaves d prices). Equivalent pairs keep the lower index.
			all, equal := true, true
			for l, kc := range kappa[c] {
				kd := kappa[d][l]
				if ds.room[d] == 0 {
					if kc > 0 && kd <= 0 {
						all = false
						break
					}
					equal = equal && (kc > 0) == (kd > 0) && ds.room[c] == 0
					continue
				}
				a, b := kc*ds.room[d], kd*ds.room[c]
				if a > b {
					all = false
					break
				}
				if a != b {
					equal = false
				}
			}
			implied = all && (!equal || d < c)
		}
		if !implied {
			ds.active = append(ds.active, c)
			ds.isActive[c] = true
		}
	}
}
