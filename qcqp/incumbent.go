package qcqp

import (
	"cmp"
	"slices"
)

// The primal side of the search (QCQP-SOLVER.md 5.4 step 3): exact leaves
// for given hub masks, block-coordinate ascent over the hubs, and the
// hub large-neighbourhood search that tries every count of every hub.
// Selections here are masks over the free maps only.

// primal holds scratch space for the heuristics.
type primal struct {
	md     *model
	ls     *leafSolver
	n      []int
	base   []float64
	kappa  [][]float64
	scores [][]float64
	counts []int
	order  []int32
}

func newPrimal(md *model) *primal {
	pr := &primal{md: md, ls: newLeafSolver(md), n: make([]int, len(md.free)),
		base: make([]float64, len(md.cons)), counts: make([]int, len(md.leaves))}
	for range md.cons {
		pr.kappa = append(pr.kappa, make([]float64, len(md.leaves)))
	}
	for _, c := range md.size {
		pr.scores = append(pr.scores, make([]float64, c))
	}
	return pr
}

// value is the objective of free masks keep (fixed maps whole).
func (md *model) value(keep [][]bool) float64 {
	v := md.konst
	for m, k := range keep {
		for i, on := range k {
			if on {
				v += md.lin[m][i]
			}
		}
	}
	for b := range md.blocks {
		bl := &md.blocks[b]
		kr, kc := keep[bl.r], keep[bl.c]
		cols := len(kc)
		for j, on := range kr {
			if !on {
				continue
			}
			row := bl.q[j*cols : (j+1)*cols]
			for i, w := range row {
				if kc[i] {
					v += w
				}
			}
		}
	}
	return v
}

// score writes into out what each channel of map m adds when kept, with
// every other map's mask as in keep. For a hub with a self block the
// score counts both directions of each pair, which is the marginal gain
// of that channel alone.
func (md *model) score(keep [][]bool, m int, out []float64) {
	copy(out, md.lin[m])
	for _, b := range md.rowsOf[m] {
		bl := &md.blocks[b]
		kc := keep[bl.c]
		cols := len(kc)
		for j := range out {
			row := bl.q[j*cols : (j+1)*cols]
			s := 0.0
			for i, w := range row {
				if kc[i] {
					s += w
				}
			}
			out[j] += s
		}
	}
	for _, b := range md.colsOf[m] {
		bl := &md.blocks[b]
		kr := keep[bl.r]
		cols := len(out)
		for j, on := range kr {
			if !on {
				continue
			}
			row := bl.q[j*cols : (j+1)*cols]
			for i, w := range row {
				out[i] += w
			}
		}
	}
}

// solveLeaves sets every leaf's mask to its exact best for the hubs'
// masks in keep and returns the objective, or false when the hubs'
// counts leave no room for the leaves.
func (pr *primal) solveLeaves(keep [][]bool) (float64, bool) {
	md := pr.md
	for _, h := range md.hubs {
		pr.n[h] = countOn(keep[h])
	}
	md.leafCosts(pr.n, pr.base, pr.kappa)
	for _, m := range md.leaves {
		md.score(keep, m, pr.scores[m])
	}
	vals := make([][]float64, len(md.leaves))
	for l, m := range md.leaves {
		vals[l] = pr.scores[m]
	}
	if _, ok := pr.ls.exact(vals, pr.base, pr.kappa, pr.counts); !ok {
		return 0, false
	}
	for l, m := range md.leaves {
		pr.setTop(keep[m], pr.scores[m], pr.counts[l])
	}
	return md.value(keep), true
}

// setTop keeps the k channels of largest score.
func (pr *primal) setTop(keep []bool, score []float64, k int) {
	o := pr.order[:0]
	for i := range score {
		o = append(o, int32(i))
	}
	slices.SortStableFunc(o, func(a, b int32) int { return cmp.Compare(score[b], score[a]) })
	for i := range keep {
		keep[i] = false
	}
	for _, i := range o[:k] {
		keep[i] = true
	}
	pr.order = o
}

// polish alternates exact leaves and exact best responses of each hub
// (its counts kept) until the objective stops rising, and returns it.
// Every round keeps the counts, so keep stays feasible; past the time
// limit (or on cancellation) it stops after the round under way.
func (pr *primal) polish(keep [][]bool) (float64, bool) {
	md := pr.md
	best, ok := pr.solveLeaves(keep)
	if !ok {
		return 0, false
	}
	trial := make([]bool, 0, 64)
	for range 100 {
		if md.clk.over() {
			break
		}
		before := best
		for _, h := range md.hubs {
			md.score(keep, h, pr.scores[h])
			trial = append(trial[:0], keep[h]...)
			pr.setTop(keep[h], pr.scores[h], countOn(keep[h]))
			if v := md.value(keep); v > best {
				best = v
			} else {
				copy(keep[h], trial)
			}
		}
		if v, ok := pr.solveLeaves(keep); ok && v > best {
			best = v
		}
		best = md.value(keep)
		if best <= before*(1+1e-12) {
			break
		}
	}
	return best, true
}

// hubSearch is the neighbourhood search's try of every count of one hub
// (a grid of about 64 of them on hubs wider than 64): the hub's channels
// by their score at the start, the other hubs as they are, exact leaves.
// It runs one count at a time so that a Step can stop between two and
// the next one resume it exactly (one count is one leaf solve, about
// 0.1 s on ResNet-20 under a memory budget of 25 constraints).
type hubSearch struct {
	h       int
	sc      []float64
	cand    [][]bool
	best    [][]bool
	bestV   float64
	c, step int // the next count to try and the grid's step
}

// newHubSearch starts the search of hub h from keep, whose objective is
// value.
func (pr *primal) newHubSearch(keep [][]bool, h int, value float64) *hubSearch {
	md := pr.md
	md.score(keep, h, pr.scores[h])
	return &hubSearch{h: h, sc: slices.Clone(pr.scores[h]), cand: cloneMasks(keep), bestV: value,
		c: md.floor[h], step: max(1, md.size[h]/64)}
}

// more reports whether counts are left to try.
func (hs *hubSearch) more(md *model) bool { return hs.c <= md.size[hs.h] }

// try evaluates the next count.
func (pr *primal) try(hs *hubSearch) {
	pr.setTop(hs.cand[hs.h], hs.sc, hs.c)
	hs.c += hs.step
	v, ok := pr.solveLeaves(hs.cand)
	if ok && v > hs.bestV*(1+1e-12) {
		hs.bestV = v
		hs.best = cloneMasks(hs.cand)
	}
}

// finish installs the best count found, polished, in keep and returns its
// value; moved is false when no count beat the value the search started
// from.
func (pr *primal) finish(hs *hubSearch, keep [][]bool) (v float64, moved bool) {
	if hs.best == nil {
		return hs.bestV, false
	}
	v, _ = pr.polish(hs.best)
	for m := range keep {
		copy(keep[m], hs.best[m])
	}
	return v, true
}

func countOn(k []bool) int {
	n := 0
	for _, on := range k {
		if on {
			n++
		}
	}
	return n
}

func cloneMasks(k [][]bool) [][]bool {
	out := make([][]bool, len(k))
	for m := range k {
		out[m] = slices.Clone(k[m])
	}
	return out
}

// selection turns free masks into a Selection of the whole problem.
func (md *model) selection(keep [][]bool) *Selection {
	s := &Selection{Keep: make([][]bool, len(md.p.Maps))}
	for m, mp := range md.p.Maps {
		if l := md.local[m]; l >= 0 {
			s.Keep[m] = slices.Clone(keep[l])
			continue
		}
		s.Keep[m] = make([]bool, mp.Channels)
		for i := range s.Keep[m] {
			s.Keep[m][i] = true
		}
	}
	return s
}

// freeMasks is the inverse of selection.
func (md *model) freeMasks(s *Selection) [][]bool {
	out := make([][]bool, len(md.free))
	for l, m := range md.free {
		out[l] = slices.Clone(s.Keep[m])
	}
	return out
}
