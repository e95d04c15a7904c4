package qcqp

import (
	"container/heap"
	"math"
	"slices"
	"time"
)

// The branch-and-bound (QCQP-SOLVER.md 5.4 steps 4-7). Open items are of
// two kinds. A box is a range lo..hi of every hub's count with the cheap
// bound over the range; a box of one count vector is screened by the
// Lagrangian split bound and becomes a node. A node is a count vector
// with some hub channels forced in or out; it branches on the channel
// rows and columns disagree about most. Items are taken best bound first,
// so the largest open bound is the proven upper bound at every moment;
// past MaxOpen items, new ones go on a depth-first stack instead, which
// bounds memory by the depth of the tree.

type item struct {
	bound  float64
	lo, hi []int32 // per hub
	fix    fixing  // nil until the vector is screened
	branch int     // hub channel to branch on (nodes only)
	agree  int8    // the value of branch the bound's solution chose
}

type itemHeap []*item

func (h itemHeap) Len() int           { return len(h) }
func (h itemHeap) Less(i, j int) bool { return h[i].bound > h[j].bound }
func (h itemHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *itemHeap) Push(x any)        { *h = append(*h, x.(*item)) }
func (h *itemHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// Iterations of the subgradient method when a count vector is first
// screened and when a branch creates a node (QCQP-SOLVER.md 3.3c, 3.4).
const (
	screenIters = 100
	nodeIters   = 15
)

type searchStats struct {
	boxes, screened, branched, leaves int64
	iters                             int64
}

type search struct {
	md     *model
	bd     *bounder
	pr     *primal
	hubOff []int
	nHubCh int
	open   itemHeap
	stack  []*item
	max    int

	lb     float64
	best   [][]bool
	pruned float64 // the largest bound pruned above lb by the gap limit
	gapTol float64

	nodes    int64
	deadline time.Time // of the current Step
	// cnt, when not nil, is the count-level bound frozen at its best
	// evaluation (countbox.go), which bounds every box
	cnt *countRelax
	// what the search did, for benchmarks and tuning
	stats searchStats
	// scratch
	lo, hi, n []int
	picks     [][]bool
	dis       [][]float64
	alpha     []float64
}

func newSearch(md *model, maxOpen int, gapTol float64) *search {
	s := &search{md: md, bd: newBounder(md), pr: newPrimal(md), max: maxOpen, lb: math.Inf(-1), pruned: math.Inf(-1), gapTol: gapTol}
	for _, h := range md.hubs {
		s.hubOff = append(s.hubOff, s.nHubCh)
		s.nHubCh += md.size[h]
	}
	s.alpha = make([]float64, len(md.blocks))
	nf := len(md.free)
	s.lo, s.hi, s.n = make([]int, nf), make([]int, nf), make([]int, nf)
	for _, c := range md.size {
		s.picks = append(s.picks, make([]bool, c))
		s.dis = append(s.dis, make([]float64, c))
	}
	return s
}

// pruneAt is the bound at or below which an item cannot hold a better
// selection than the incumbent (within the gap limit).
func (s *search) pruneAt() float64 {
	if math.IsInf(s.lb, -1) {
		return s.lb
	}
	p := s.lb + 1e-10*math.Max(1, math.Abs(s.lb))
	if s.gapTol > 0 && s.lb > 0 {
		p = max(p, s.lb/(1-s.gapTol)*(1-1e-12))
	}
	return p
}

func (s *search) discard(bound float64) {
	if bound > s.lb {
		s.pruned = max(s.pruned, bound)
	}
}

// offer makes keep the incumbent when it is better.
func (s *search) offer(keep [][]bool, v float64) {
	if v > s.lb {
		s.lb = v
		s.best = cloneMasks(keep)
	}
}

func (s *search) push(it *item) {
	if it.bound <= s.pruneAt() {
		s.discard(it.bound)
		return
	}
	if len(s.open)+len(s.stack) >= s.max {
		s.stack = append(s.stack, it)
		return
	}
	heap.Push(&s.open, it)
}

func (s *search) pop() *item {
	if n := len(s.stack); n > 0 {
		it := s.stack[n-1]
		s.stack = s.stack[:n-1]
		return it
	}
	if len(s.open) == 0 {
		return nil
	}
	return heap.Pop(&s.open).(*item)
}

// bound is the proven upper bound on the optimum.
func (s *search) bound() float64 {
	b := max(s.lb, s.pruned)
	if len(s.open) > 0 {
		b = max(b, s.open[0].bound)
	}
	for _, it := range s.stack {
		b = max(b, it.bound)
	}
	return b
}

func (s *search) finished() bool { return len(s.open) == 0 && len(s.stack) == 0 }

// root opens the box of every count vector.
func (s *search) root() {
	it := &item{lo: make([]int32, len(s.md.hubs)), hi: make([]int32, len(s.md.hubs))}
	for hp, h := range s.md.hubs {
		it.lo[hp], it.hi[hp] = int32(s.md.floor[h]), int32(s.md.size[h])
	}
	it.bound = s.boxBound(it.lo, it.hi)
	if math.IsInf(it.bound, -1) {
		return
	}
	s.push(it)
}

// capRoot lowers the root box's bound to b (an upper bound on every
// count vector) while the root is the only open item.
func (s *search) capRoot(b float64) {
	if len(s.open) == 1 && len(s.stack) == 0 && s.nodes == 0 && b < s.open[0].bound {
		s.open[0].bound = b
	}
}

func (s *search) boxBound(lo, hi []int32) float64 {
	for hp, h := range s.md.hubs {
		s.lo[h], s.hi[h] = int(lo[hp]), int(hi[hp])
	}
	b := s.bd.cheap(s.lo, s.hi)
	if s.cnt != nil && b > s.pruneAt() {
		b = min(b, s.cnt.boxBound(s.lo, s.hi))
	}
	return b
}

// vectorBound is the side bound of one count vector.
func (s *search) vectorBound(n []int32) float64 {
	for hp, h := range s.md.hubs {
		s.lo[h], s.hi[h] = int(n[hp]), int(n[hp])
	}
	if s.cnt != nil {
		if b := s.cnt.boxBound(s.lo, s.hi); b <= s.pruneAt() {
			return b
		}
	}
	return s.bd.sideBound(s.lo, s.hi, s.alpha, s.pruneAt())
}

// step processes one item; it returns false when none is left.
func (s *search) step() bool {
	it := s.pop()
	if it == nil {
		return false
	}
	if it.bound <= s.pruneAt() {
		s.discard(it.bound)
		return true
	}
	s.nodes++
	switch {
	case it.fix != nil:
		s.stats.branched++
		s.branch(it)
	case slices.Equal(it.lo, it.hi):
		s.stats.screened++
		s.screen(it)
	default:
		s.stats.boxes++
		s.split(it)
	}
	return true
}

// split halves the widest count range of a box.
func (s *search) split(it *item) {
	w, at := int32(0), 0
	for hp := range it.lo {
		if d := it.hi[hp] - it.lo[hp]; d > w {
			w, at = d, hp
		}
	}
	mid := (it.lo[at] + it.hi[at]) / 2
	for _, half := range [2][2]int32{{it.lo[at], mid}, {mid + 1, it.hi[at]}} {
		c := &item{lo: slices.Clone(it.lo), hi: slices.Clone(it.hi)}
		c.lo[at], c.hi[at] = half[0], half[1]
		if slices.Equal(c.lo, c.hi) {
			c.bound = min(it.bound, s.vectorBound(c.lo))
		} else {
			c.bound = min(it.bound, s.boxBound(c.lo, c.hi))
		}
		s.push(c)
	}
}

// screen runs the split bound on a count vector and turns it into a node.
func (s *search) screen(it *item) {
	it.fix = make(fixing, s.nHubCh)
	s.evaluate(it, screenIters, 2)
}

// branch forces the chosen hub channel in and out.
func (s *search) branch(it *item) {
	// The child that agrees with the bound's solution goes last so that a
	// depth-first stack takes it first.
	for _, v := range [2]int8{-it.agree, it.agree} {
		c := &item{bound: it.bound, lo: it.lo, hi: it.hi, fix: slices.Clone(it.fix)}
		c.fix[it.branch] = v
		s.evaluate(c, nodeIters, 1)
	}
}

// evaluate bounds a node, offers the primal its bound suggests, and keeps
// it open when it may still hold a better selection.
func (s *search) evaluate(it *item, iters int, lambda float64) {
	md := s.md
	for hp, h := range md.hubs {
		s.n[h] = int(it.lo[hp])
	}
	if !s.propagate(it.fix) {
		return
	}
	if s.fixedAll(it.fix) {
		s.stats.leaves++
		keep := s.hubMasks(it.fix)
		if v, ok := s.pr.solveLeaves(keep); ok {
			s.offer(keep, v)
		}
		if s.pr.ls.inexact {
			// The capped DP proves nothing: keep this node's bound.
			s.discard(it.bound)
		}
		return
	}
	b, used := s.bd.lagrangian(s.n, it.fix, s.hubOff, s.pruneAt(), iters, lambda, s.picks, s.dis, s.deadline)
	s.stats.iters += int64(used)
	if math.IsInf(b, -1) {
		return
	}
	it.bound = min(it.bound, b)
	s.primalFrom(s.picks)
	if it.bound <= s.pruneAt() {
		s.discard(it.bound)
		return
	}
	it.branch, it.agree = s.chooseBranch(it.fix)
	s.push(it)
}

// primalFrom turns the hub picks of a bound into a selection (exact
// leaves, then polish when it comes close to the incumbent).
func (s *search) primalFrom(picks [][]bool) {
	keep := make([][]bool, len(s.md.free))
	for m, c := range s.md.size {
		keep[m] = make([]bool, c)
	}
	for _, h := range s.md.hubs {
		copy(keep[h], picks[h])
	}
	v, ok := s.pr.solveLeaves(keep)
	if !ok {
		return
	}
	if v > s.lb*(1-2e-3) || math.IsInf(s.lb, -1) {
		v, _ = s.pr.polish(keep)
	}
	s.offer(keep, v)
}

func (s *search) hubMasks(fix fixing) [][]bool {
	keep := make([][]bool, len(s.md.free))
	for m, c := range s.md.size {
		keep[m] = make([]bool, c)
	}
	for hp, h := range s.md.hubs {
		for i := range keep[h] {
			keep[h][i] = fix[s.hubOff[hp]+i] > 0
		}
	}
	return keep
}

// propagate completes the fixings a hub's count implies (all its
// remaining channels in, or out) and reports whether they are consistent.
func (s *search) propagate(fix fixing) bool {
	for hp, h := range s.md.hubs {
		f := fix[s.hubOff[hp] : s.hubOff[hp]+s.md.size[h]]
		in, out := 0, 0
		for _, v := range f {
			switch v {
			case 1:
				in++
			case -1:
				out++
			}
		}
		n := s.n[h]
		if in > n || len(f)-out < n {
			return false
		}
		var fill int8
		switch {
		case in == n:
			fill = -1
		case len(f)-out == n:
			fill = 1
		}
		if fill != 0 {
			for i, v := range f {
				if v == 0 {
					f[i] = fill
				}
			}
		}
	}
	return true
}

func (s *search) fixedAll(fix fixing) bool {
	return !slices.Contains(fix, 0)
}

// chooseBranch picks the free hub channel rows and columns disagree about
// most (QCQP-SOLVER.md 3.4), or the first free one when they agree.
func (s *search) chooseBranch(fix fixing) (int, int8) {
	bestAt, bestD, hub, ch := -1, -1.0, -1, -1
	for hp, h := range s.md.hubs {
		for i, d := range s.dis[h] {
			at := s.hubOff[hp] + i
			if fix[at] != 0 {
				continue
			}
			if math.Abs(d) > bestD {
				bestAt, bestD, hub, ch = at, math.Abs(d), h, i
			}
		}
	}
	agree := int8(-1)
	if s.picks[hub][ch] {
		agree = 1
	}
	return bestAt, agree
}
