package qcqp

import (
	"cmp"
	"math"
	"slices"
)

// With the hubs fixed, the leaves are a multiple-choice knapsack: leaf l
// keeping k channels is worth the sum of its k best channel values and
// costs kappa[c][l]*k in constraint c, and every leaf keeps at least one
// channel. leafSolver answers it two ways: exactly (a Pareto DP over
// groups of leaves with equal costs, for incumbents) and fractionally
// (the LP relaxation, for bounds).
type leafSolver struct {
	md     *model
	sorted [][]float64 // per leaf, values in decreasing order
	perm   [][]int32   // per leaf, channel of each sorted position
	heap   []int32
	next   []int32
}

func newLeafSolver(md *model) *leafSolver {
	ls := &leafSolver{md: md}
	for _, m := range md.leaves {
		ls.sorted = append(ls.sorted, make([]float64, md.size[m]))
		ls.perm = append(ls.perm, make([]int32, md.size[m]))
	}
	ls.next = make([]int32, len(md.leaves))
	return ls
}

// sortLeaf orders leaf l's values, keeping the permutation when perm.
func (ls *leafSolver) sortLeaf(l int, vals []float64, perm bool) {
	s := ls.sorted[l]
	if !perm {
		copy(s, vals)
		slices.SortFunc(s, func(a, b float64) int { return cmp.Compare(b, a) })
		return
	}
	p := ls.perm[l]
	for i := range p {
		p[i] = int32(i)
	}
	slices.SortFunc(p, func(a, b int32) int { return cmp.Compare(vals[b], vals[a]) })
	for i, j := range p {
		s[i] = vals[j]
	}
}

// fractional returns the LP bound of the leaf knapsack for the values
// vals[l][j], under each constraint separately (the smallest of those
// bounds is returned; each is valid since dropping constraints only
// relaxes). When theta is not nil it receives, for the constraint that
// gave the bound, the fraction of each leaf channel taken. It returns -Inf
// when even one channel per leaf does not fit.
func (ls *leafSolver) fractional(vals [][]float64, base []float64, kappa [][]float64, theta [][]float64) float64 {
	md := ls.md
	withTheta := theta != nil
	for l := range md.leaves {
		ls.sortLeaf(l, vals[l], withTheta)
	}
	var bestSum float64
	for l := range md.leaves {
		bestSum += ls.sorted[l][0]
	}
	if len(md.cons) == 0 {
		total := 0.0
		for l := range md.leaves {
			for _, v := range ls.sorted[l] {
				total += v
			}
			if withTheta {
				for j := range theta[l] {
					theta[l][j] = 1
				}
			}
		}
		return total
	}
	best, bestC := math.Inf(1), -1
	for c := range md.cons {
		v, ok := ls.fractionalOne(c, base[c], kappa[c], nil)
		if !ok {
			return math.Inf(-1)
		}
		if v+bestSum < best {
			best, bestC = v+bestSum, c
		}
	}
	if withTheta {
		ls.fractionalOne(bestC, base[bestC], kappa[bestC], theta)
	}
	return best
}

// fractionalOne is the LP over the non-mandatory channels under
// constraint c alone.
func (ls *leafSolver) fractionalOne(c int, base float64, kappa []float64, theta [][]float64) (float64, bool) {
	md := ls.md
	room := md.cons[c].budget - base
	for l := range md.leaves {
		room -= kappa[l]
	}
	var val float64
	h := ls.heap[:0]
	for l := range md.leaves {
		s := ls.sorted[l]
		if theta != nil {
			t := theta[l]
			for j := range t {
				t[j] = 0
			}
			t[ls.perm[l][0]] = 1
		}
		if kappa[l] <= 0 {
			for i, v := range s[1:] {
				val += v
				if theta != nil {
					theta[l][ls.perm[l][i+1]] = 1
				}
			}
			room -= kappa[l] * float64(len(s)-1)
			continue
		}
		if len(s) > 1 {
			ls.next[l] = 1
			h = append(h, int32(l))
		}
	}
	if room < -1e-9*math.Max(1, math.Abs(md.cons[c].budget)) {
		return 0, false
	}
	room = max(room, 0)
	ratio := func(l int32) float64 { return ls.sorted[l][ls.next[l]] / kappa[l] }
	less := func(a, b int32) bool { return ratio(a) > ratio(b) }
	heapInit(h, less)
	for len(h) > 0 && room > 0 {
		l := h[0]
		v := ls.sorted[l][ls.next[l]]
		k := kappa[l]
		if k <= room {
			val += v
			room -= k
			if theta != nil {
				theta[l][ls.perm[l][ls.next[l]]] = 1
			}
		} else {
			f := room / k
			val += f * v
			if theta != nil {
				theta[l][ls.perm[l][ls.next[l]]] = f
			}
			room = 0
			break
		}
		ls.next[l]++
		if int(ls.next[l]) == len(ls.sorted[l]) {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		heapDown(h, 0, less)
	}
	ls.heap = h[:0]
	return val, true
}

// leafKmax writes the most channels each leaf can keep under every
// constraint, given the others keep their mandatory one (and every
// channel that costs nothing); ok is false when the leaves cannot all
// keep one.
func (md *model) leafKmax(base []float64, kappa [][]float64, kmax []int) bool {
	for l, m := range md.leaves {
		kmax[l] = md.size[m]
	}
	for c := range md.cons {
		room := md.cons[c].budget - base[c]
		for l, m := range md.leaves {
			k := kappa[c][l]
			room -= k
			if k < 0 {
				room -= k * float64(md.size[m]-1)
			}
		}
		if room < -1e-9*math.Max(1, math.Abs(md.cons[c].budget)) {
			return false
		}
		room = max(room, 0)
		for l := range md.leaves {
			if k := kappa[c][l]; k > 0 {
				kmax[l] = min(kmax[l], 1+int(math.Floor(room/k+1e-9)))
			}
		}
	}
	return true
}

func heapInit(h []int32, less func(a, b int32) bool) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		heapDown(h, i, less)
	}
}

func heapDown(h []int32, i int, less func(a, b int32) bool) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			l = r
		}
		if !less(h[l], h[i]) {
			return
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
}

// exact solves the leaf knapsack for the channel scores vals (each
// leaf's objective is linear once the hubs are fixed) and writes the
// chosen counts; ok is false when no choice fits.
func (ls *leafSolver) exact(vals [][]float64, base []float64, kappa [][]float64, counts []int) (float64, bool) {
	md := ls.md
	for l := range md.leaves {
		ls.sortLeaf(l, vals[l], false)
	}
	nc := len(md.cons)
	if nc == 0 {
		total := 0.0
		for l, m := range md.leaves {
			counts[l] = md.size[m]
			for _, v := range ls.sorted[l] {
				total += v
			}
		}
		return total, true
	}
	// Group leaves of equal cost vectors; a group keeping t channels
	// beyond its leaves' mandatory best ones takes the t best of the union.
	type group struct {
		leaves []int
		kappa  []float64
		items  []float64 // values of the non-mandatory channels, decreasing
		owner  []int     // leaf of each item
		pref   []float64
	}
	var groups []*group
	for l := range md.leaves {
		var g *group
		for _, o := range groups {
			same := true
			for c := range nc {
				if kappa[c][o.leaves[0]] != kappa[c][l] {
					same = false
					break
				}
			}
			if same {
				g = o
				break
			}
		}
		if g == nil {
			g = &group{kappa: make([]float64, nc)}
			for c := range nc {
				g.kappa[c] = kappa[c][l]
			}
			groups = append(groups, g)
		}
		g.leaves = append(g.leaves, l)
	}
	for _, g := range groups {
		type it struct {
			v float64
			l int
		}
		var its []it
		best := 0.0
		for _, l := range g.leaves {
			best += ls.sorted[l][0]
			for _, v := range ls.sorted[l][1:] {
				its = append(its, it{v, l})
			}
		}
		slices.SortStableFunc(its, func(a, b it) int { return cmp.Compare(b.v, a.v) })
		g.pref = make([]float64, len(its)+1)
		g.pref[0] = best
		for i, x := range its {
			g.items = append(g.items, x.v)
			g.owner = append(g.owner, x.l)
			g.pref[i+1] = g.pref[i] + x.v
		}
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return cmp.Compare(len(a.items), len(b.items)) })
	// minRest[gi][c]: the least that groups gi.. can add to constraint c.
	minRest := make([][]float64, len(groups)+1)
	minRest[len(groups)] = make([]float64, nc)
	for gi := len(groups) - 1; gi >= 0; gi-- {
		g := groups[gi]
		minRest[gi] = make([]float64, nc)
		for c := range nc {
			k := g.kappa[c]
			minRest[gi][c] = minRest[gi+1][c] + k*float64(len(g.leaves)) + min(0, k)*float64(len(g.items))
		}
	}
	type state struct {
		cost   []float64
		val    float64
		parent int
		t      int
	}
	start := state{cost: slices.Clone(base), parent: -1}
	for c := range nc {
		if start.cost[c]+minRest[0][c] > md.cons[c].budget {
			return 0, false
		}
	}
	stages := [][]state{{start}}
	last := len(groups) - 1
	for gi, g := range groups {
		prev := stages[len(stages)-1]
		var next []state
		for si, s := range prev {
			tmax := len(g.items)
			fits := true
			for c := range nc {
				k := g.kappa[c]
				room := md.cons[c].budget - s.cost[c] - minRest[gi+1][c] - k*float64(len(g.leaves))
				if room < 0 {
					fits = false
					break
				}
				if k > 0 {
					tmax = min(tmax, int(math.Floor(room/k)))
				}
			}
			if !fits {
				continue
			}
			tmin := 0
			if gi == last {
				tmin = tmax // values only grow with t: take all that fits
			}
			for t := tmin; t <= tmax; t++ {
				cost := make([]float64, nc)
				for c := range nc {
					cost[c] = s.cost[c] + g.kappa[c]*float64(len(g.leaves)+t)
				}
				next = append(next, state{cost: cost, val: s.val + g.pref[t], parent: si, t: t})
			}
		}
		if len(next) == 0 {
			return 0, false
		}
		if gi < last {
			next = paretoFront(next, func(s state) ([]float64, float64) { return s.cost, s.val })
		}
		stages = append(stages, next)
	}
	final := stages[len(stages)-1]
	bi := 0
	for i, s := range final {
		if s.val > final[bi].val {
			bi = i
		}
	}
	total := final[bi].val
	for l := range counts[:len(md.leaves)] {
		counts[l] = 1
	}
	si := bi
	for gi := len(groups) - 1; gi >= 0; gi-- {
		s := stages[gi+1][si]
		for _, l := range groups[gi].owner[:s.t] {
			counts[l]++
		}
		si = s.parent
	}
	return total, true
}

// paretoFront keeps the states no other state beats on value while
// costing no more in every constraint.
func paretoFront[S any](ss []S, key func(S) ([]float64, float64)) []S {
	if len(ss) < 2 {
		return ss
	}
	c0, _ := key(ss[0])
	if len(c0) == 1 {
		slices.SortStableFunc(ss, func(a, b S) int {
			ca, va := key(a)
			cb, vb := key(b)
			return cmp.Or(cmp.Compare(ca[0], cb[0]), cmp.Compare(vb, va))
		})
		out := ss[:0]
		best := math.Inf(-1)
		for _, s := range ss {
			if _, v := key(s); v > best {
				out = append(out, s)
				best = v
			}
		}
		return out
	}
	slices.SortStableFunc(ss, func(a, b S) int {
		_, va := key(a)
		_, vb := key(b)
		return cmp.Compare(vb, va)
	})
	var out []S
	for _, s := range ss {
		cs, _ := key(s)
		dominated := false
		for _, o := range out {
			co, _ := key(o)
			all := true
			for c := range cs {
				if co[c] > cs[c] {
					all = false
					break
				}
			}
			if all {
				dominated = true
				break
			}
		}
		if !dominated {
			out = append(out, s)
		}
	}
	return out
}
