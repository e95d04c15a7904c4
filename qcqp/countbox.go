package qcqp

import "math"

// The count-level bound inside boxes of hub counts. The count-level bound
// (countbound.go) is a sum of terms, each a function of one or two maps'
// count cells, whose maxima are added up; diffusion moves functions
// between the terms without changing their sum at any count vector. So
// for the multiplier and the reparametrisation that gave the least root
// bound, maximising each term only over the cells a box of hub counts
// allows bounds every count vector of that box: a bound per box, never
// above the root's, at the cost of one pass over the terms' tables and
// no new diffusion.

// countAt is the multiplier, constraint and reparametrisation of the
// best evaluation.
type countAt struct {
	ok         bool
	con        int
	lambda     float64
	phiA, phiB [][]float64 // per pair
}

// keepBest records the current state as the best evaluation.
func (cr *countRelax) keepBest(lambda float64) {
	at := &cr.at
	if at.phiA == nil {
		for k := range cr.pairs {
			at.phiA = append(at.phiA, make([]float64, cr.pairs[k].na))
			at.phiB = append(at.phiB, make([]float64, cr.pairs[k].nb))
		}
	}
	at.ok, at.con, at.lambda = true, cr.run.con, lambda
	for k := range cr.pairs {
		copy(at.phiA[k], cr.pairs[k].phiA)
		copy(at.phiB[k], cr.pairs[k].phiB)
	}
}

// freeze restores the best evaluation's tables for boxBound; false when
// there was none.
func (cr *countRelax) freeze() bool {
	at := &cr.at
	if !at.ok {
		return false
	}
	cr.setConstraint(at.con)
	for k := range cr.pairs {
		copy(cr.pairs[k].phiA, at.phiA[k])
		copy(cr.pairs[k].phiB, at.phiB[k])
	}
	return true
}

// boxBound is the frozen bound over the count vectors with lo[h] <= n_h
// <= hi[h] for every hub h (indexed by free map; leaves range freely).
func (cr *countRelax) boxBound(lo, hi []int) float64 {
	md := cr.md
	l := cr.at.lambda
	allowed := func(m, t int) bool {
		if md.hubPos[m] < 0 {
			return true
		}
		c := cr.cells[m][t]
		return c.hi >= lo[m] && c.lo <= hi[m]
	}
	sum := md.konst + l*(md.cons[cr.at.con].budget-md.cons[cr.at.con].c0)
	for m := range cr.cells {
		best := math.Inf(-1)
		for t := range cr.cells[m] {
			if allowed(m, t) {
				best = max(best, cr.unaryAt(m, t, l))
			}
		}
		sum += best
	}
	for k := range cr.pairs {
		p := &cr.pairs[k]
		best := math.Inf(-1)
		for t := range p.na {
			if !allowed(p.a, t) {
				continue
			}
			for u := range p.nb {
				if !allowed(p.b, u) {
					continue
				}
				at := t*p.nb + u
				best = max(best, p.v[at]-l*p.cost[at]-p.phiA[t]-p.phiB[u])
			}
		}
		sum += best
	}
	return sum
}
