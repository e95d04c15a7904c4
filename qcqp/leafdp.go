package qcqp

import (
	"cmp"
	"math"
	"slices"
	"sort"
)

// The exact leaf knapsack. Leaves with equal costs in every constraint
// form a group: keeping t channels beyond the group's mandatory ones
// (each leaf's floor, its best channels) is
// worth the t best of the union of its leaves' other channels. Groups are
// combined by a dynamic program over (cost, value) states that keeps the
// Pareto front and drops every state whose value plus the LP bound of the
// groups still to come cannot beat a feasible choice found up front.

type leafGroup struct {
	leaves []int
	mand   int       // the leaves' mandatory channels (their floors)
	kappa  []float64 // per constraint, per channel
	items  []float64 // non-mandatory channel values, decreasing
	owner  []int     // leaf of each item
	pref   []float64 // pref[t]: the leaves' best channels plus the t best items
}

// lpTail is the LP relaxation of the groups after one stage under one
// constraint: the mandatory channels and those that cost nothing or less
// are all taken, the others fill the room best ratio first.
type lpTail struct {
	freeVal, freeRoom float64
	cumCost, cumVal   []float64
	ratio             []float64
}

func (t *lpTail) bound(room float64) float64 {
	room += t.freeRoom
	if room < 0 {
		return math.Inf(-1)
	}
	p := sort.SearchFloat64s(t.cumCost, room+1e-12) - 1 // last prefix that fits
	v := t.freeVal + t.cumVal[p]
	if p+1 < len(t.cumCost) {
		v += (room - t.cumCost[p]) * t.ratio[p]
	}
	return v
}

func (ls *leafSolver) groups(kappa [][]float64) []*leafGroup {
	md := ls.md
	nc := len(md.cons)
	var groups []*leafGroup
	for l := range md.leaves {
		var g *leafGroup
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
			g = &leafGroup{kappa: make([]float64, nc)}
			for c := range nc {
				g.kappa[c] = kappa[c][l]
			}
			groups = append(groups, g)
		}
		g.leaves = append(g.leaves, l)
	}
	for _, g := range groups {
		best := 0.0
		n := 0
		for _, l := range g.leaves {
			f := md.floor[md.leaves[l]]
			for _, v := range ls.sorted[l][:f] {
				best += v
			}
			n += len(ls.sorted[l]) - f
			g.mand += f
		}
		// Merge the leaves' sorted tails.
		g.items = make([]float64, 0, n)
		g.owner = make([]int, 0, n)
		for _, l := range g.leaves {
			for _, v := range ls.sorted[l][md.floor[md.leaves[l]]:] {
				g.items = append(g.items, v)
				g.owner = append(g.owner, l)
			}
		}
		if len(g.leaves) > 1 {
			idx := make([]int, n)
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, func(a, b int) int { return cmp.Or(cmp.Compare(g.items[b], g.items[a]), cmp.Compare(a, b)) })
			items, owner := make([]float64, n), make([]int, n)
			for k, i := range idx {
				items[k], owner[k] = g.items[i], g.owner[i]
			}
			g.items, g.owner = items, owner
		}
		g.pref = make([]float64, n+1)
		g.pref[0] = best
		for i, v := range g.items {
			g.pref[i+1] = g.pref[i] + v
		}
	}
	slices.SortStableFunc(groups, func(a, b *leafGroup) int { return cmp.Compare(len(a.items), len(b.items)) })
	return groups
}

// tails builds, for every stage gi, the LP of groups gi.. under each
// constraint. The items that cost something are sorted by value per cost
// once per constraint, and each stage takes its groups' items from that
// order (sorting again per stage made the tables cost more than the DP on
// MobileNetV2's memory budget: 18 groups, 49 constraints). Equal ratios
// keep the order of groups and items, so the tables do not depend on the
// sort's internals.
func tails(groups []*leafGroup, nc int) [][]lpTail {
	out := make([][]lpTail, len(groups)+1)
	for gi := range out {
		out[gi] = make([]lpTail, nc)
	}
	type it struct {
		v, k float64
		g    int
	}
	var its []it
	for c := range nc {
		its = its[:0]
		for gi, g := range groups {
			if k := g.kappa[c]; k > 0 {
				for _, v := range g.items {
					its = append(its, it{v, k, gi})
				}
			}
		}
		slices.SortStableFunc(its, func(a, b it) int { return cmp.Compare(b.v/b.k, a.v/a.k) })
		for gi := range out {
			t := &out[gi][c]
			for _, g := range groups[gi:] {
				k := g.kappa[c]
				t.freeVal += g.pref[0] // the leaves' mandatory best channels
				if k <= 0 {
					for _, v := range g.items {
						t.freeVal += v
						t.freeRoom -= k
					}
				}
			}
			n := 0
			for _, x := range its {
				if x.g >= gi {
					n++
				}
			}
			t.cumCost = make([]float64, n+1)
			t.cumVal = make([]float64, n+1)
			t.ratio = make([]float64, n)
			i := 0
			for _, x := range its {
				if x.g < gi {
					continue
				}
				t.cumCost[i+1] = t.cumCost[i] + x.k
				t.cumVal[i+1] = t.cumVal[i] + x.v
				t.ratio[i] = x.v / x.k
				i++
			}
		}
	}
	return out
}

// exact solves the leaf knapsack for the channel scores vals (each
// leaf's objective is linear once the hubs are fixed) and writes the
// chosen counts; ok is false when no choice fits.
func (ls *leafSolver) exact(vals [][]float64, base []float64, kappa [][]float64, counts []int) (float64, bool) {
	md := ls.md
	ls.inexact = false
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
	groups := ls.groups(kappa)
	ng := len(groups)
	// mandatory[gi][c]: what groups gi.. must spend on their leaves'
	// floors.
	mandatory := make([][]float64, ng+1)
	mandatory[ng] = make([]float64, nc)
	for gi := ng - 1; gi >= 0; gi-- {
		mandatory[gi] = slices.Clone(mandatory[gi+1])
		for c := range nc {
			mandatory[gi][c] += groups[gi].kappa[c] * float64(groups[gi].mand)
		}
	}
	tl := tails(groups, nc)
	// room left in constraint c after cost, with the mandatory channels
	// of groups gi.. reserved.
	roomAfter := func(c, gi int, cost float64) float64 {
		return md.cons[c].budget - cost - mandatory[gi][c]
	}
	// upper bound of states at stage gi (groups gi.. still to choose).
	tailBound := func(gi int, cost []float64) float64 {
		b := math.Inf(1)
		for c := range nc {
			b = min(b, tl[gi][c].bound(roomAfter(c, gi, cost[c])))
		}
		return b
	}
	for c := range nc {
		if roomAfter(c, 0, base[c])+tl[0][c].freeRoom < 0 {
			return 0, false
		}
	}
	// A feasible choice up front, to prune against: channels in order of
	// value per cost while they fit.
	upFront, incumbent, ok := ls.ratioGreedy(groups, base, mandatory[0])
	if !ok {
		incumbent = math.Inf(-1)
	}
	limit := statesCap(nc)
	stStates := [][]leafState{{{parent: -1}}}
	stCosts := [][]float64{slices.Clone(base)}
	for gi, g := range groups {
		if ok && md.clk.over() {
			// Out of time: the up-front choice is feasible; it is not a
			// proof of anything.
			ls.inexact = true
			return ls.setCounts(groups, upFront, counts), true
		}
		prev, prevCost := stStates[gi], stCosts[gi]
		var next []leafState
		var nextCost []float64
		cost := make([]float64, nc)
		for si, s := range prev {
			// One stage can take seconds (hundreds of states times
			// hundreds of counts under dozens of constraints on
			// MobileNetV2's memory budget), so the clock is read within
			// it too.
			if ok && si%leafClockEvery == leafClockEvery-1 && md.clk.over() {
				ls.inexact = true
				return ls.setCounts(groups, upFront, counts), true
			}
			pc := prevCost[si*nc : (si+1)*nc]
			tmax, fits := g.maxFit(md, pc, mandatory[gi+1])
			if !fits {
				continue
			}
			tmin := 0
			if gi == ng-1 {
				tmin = tmax // values only grow with t: take all that fits
			}
			for t := tmax; t >= tmin; t-- {
				for c := range nc {
					cost[c] = pc[c] + g.kappa[c]*float64(g.mand+t)
				}
				v := s.val + g.pref[t]
				if gi < ng-1 && v+tailBound(gi+1, cost) <= incumbent+1e-12*math.Abs(incumbent) {
					// Fewer channels only lower the value and the bound
					// of the rest rises by at most what they free, so
					// keep scanning: smaller t frees room.
					continue
				}
				next = append(next, leafState{val: v, parent: int32(si), t: int32(t)})
				nextCost = append(nextCost, cost...)
				if gi == ng-1 && v > incumbent {
					incumbent = v
				}
			}
		}
		if len(next) == 0 {
			if gi == ng-1 || !math.IsInf(incumbent, -1) {
				// Everything was pruned against the up-front choice:
				// it is optimal.
				return ls.setCounts(groups, upFront, counts), true
			}
			return 0, false
		}
		if gi < ng-1 {
			// Scores (value plus the bound of the rest) are computed once:
			// each costs nc tail bounds.
			score := func(i int) float64 { return next[i].val + tailBound(gi+1, nextCost[i*nc:(i+1)*nc]) }
			if nc > 1 && len(next) > 2*limit {
				next, nextCost = ls.truncate(next, nextCost, nc, 2*limit, score)
			}
			keepIdx := paretoIndex(nextCost, nc, func(i int) float64 { return next[i].val })
			if len(keepIdx) > limit {
				sc := make([]float64, len(next))
				for _, i := range keepIdx {
					sc[i] = score(i)
				}
				slices.SortFunc(keepIdx, func(a, b int) int { return cmp.Compare(sc[b], sc[a]) })
				keepIdx = keepIdx[:limit]
				ls.inexact = true
			}
			ns, nco := make([]leafState, len(keepIdx)), make([]float64, 0, len(keepIdx)*nc)
			for k, i := range keepIdx {
				ns[k] = next[i]
				nco = append(nco, nextCost[i*nc:(i+1)*nc]...)
			}
			next, nextCost = ns, nco
		}
		stStates = append(stStates, next)
		stCosts = append(stCosts, nextCost)
	}
	final := stStates[ng]
	bi := 0
	for i, s := range final {
		if s.val > final[bi].val {
			bi = i
		}
	}
	if final[bi].val < incumbent-1e-12*math.Abs(incumbent) {
		return ls.setCounts(groups, upFront, counts), true
	}
	for l, m := range md.leaves {
		counts[l] = md.floor[m]
	}
	si := bi
	for gi := ng - 1; gi >= 0; gi-- {
		s := stStates[gi+1][si]
		for _, l := range groups[gi].owner[:s.t] {
			counts[l]++
		}
		si = int(s.parent)
	}
	return final[bi].val, true
}

// leafClockEvery is how many states of a DP stage are extended between
// two readings of the clock.
const leafClockEvery = 16

// maxLeafStates caps the Pareto front of the leaf DP. With several
// constraints (a memory budget is one per node) fronts can grow without
// bound; past the cap the states of largest value plus tail bound are
// kept and the answer is marked inexact (leafSolver.inexact), so that the
// search does not take it as a proof.
const maxLeafStates = 4096

// statesCap is the front's cap with nc constraints. The Pareto filter
// compares every pair of states over every constraint, so the cap shrinks
// as sqrt(1/nc) to keep one DP stage near 10^7 comparisons: ResNet-20
// under a memory budget has about 50 constraints, and a cap of 4,096
// made a single leaf solve run for minutes.
func statesCap(nc int) int {
	if nc <= 1 {
		return maxLeafStates
	}
	return max(128, min(maxLeafStates, int(math.Sqrt(1e7/float64(nc)))))
}

// leafState is a partial choice of the leaf DP: its value, the state it
// extends and the items its group takes.
type leafState struct {
	val    float64
	parent int32
	t      int32
}

// truncate keeps the keep states of largest score.
func (ls *leafSolver) truncate(next []leafState, cost []float64, nc, keep int, score func(int) float64) ([]leafState, []float64) {
	idx := make([]int, len(next))
	sc := make([]float64, len(next))
	for i := range idx {
		idx[i] = i
		sc[i] = score(i)
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(sc[b], sc[a]) })
	idx = idx[:keep]
	ns := make([]leafState, keep)
	nco := make([]float64, 0, keep*nc)
	for k, i := range idx {
		ns[k] = next[i]
		nco = append(nco, cost[i*nc:(i+1)*nc]...)
	}
	ls.inexact = true
	return ns, nco
}

// maxFit is the most items group g can take on top of cost, leaving room
// for the mandatory channels of the groups after it.
func (g *leafGroup) maxFit(md *model, cost, after []float64) (int, bool) {
	t := len(g.items)
	for c := range md.cons {
		k := g.kappa[c]
		room := md.cons[c].budget - cost[c] - after[c] - k*float64(g.mand)
		if k <= 0 {
			continue
		}
		if room < 0 {
			return 0, false
		}
		t = min(t, int(math.Floor(room/k)))
	}
	for c := range md.cons {
		if k := g.kappa[c]; k <= 0 && md.cons[c].budget-cost[c]-after[c]-k*float64(g.mand+t) < 0 {
			return 0, false
		}
	}
	return t, true
}

// ratioGreedy takes the groups' channels in decreasing order of value
// per unit of cost (summed over constraints relative to their budgets)
// while they fit, the mandatory ones reserved first; it returns how many
// each group takes beyond its mandatory channels and the value.
func (ls *leafSolver) ratioGreedy(groups []*leafGroup, base, mandatory []float64) ([]int, float64, bool) {
	md := ls.md
	nc := len(md.cons)
	room := make([]float64, nc)
	for c := range nc {
		room[c] = md.cons[c].budget - base[c] - mandatory[c]
		if room[c] < 0 {
			return nil, 0, false
		}
	}
	weight := make([]float64, len(groups))
	for gi, g := range groups {
		for c := range nc {
			weight[gi] += g.kappa[c] / math.Max(math.Abs(md.cons[c].budget), 1)
		}
	}
	take := make([]int, len(groups))
	open := make([]bool, len(groups))
	v := 0.0
	for gi, g := range groups {
		v += g.pref[0]
		open[gi] = len(g.items) > 0
	}
	for {
		bg, br := -1, math.Inf(-1)
		for gi, g := range groups {
			if !open[gi] {
				continue
			}
			r := math.Inf(1)
			if weight[gi] > 0 {
				r = g.items[take[gi]] / weight[gi]
			}
			if r > br {
				bg, br = gi, r
			}
		}
		if bg < 0 {
			break
		}
		g := groups[bg]
		fits := true
		for c := range nc {
			if room[c]-g.kappa[c] < 0 {
				fits = false
			}
		}
		if !fits {
			open[bg] = false // its other channels cost the same
			continue
		}
		for c := range nc {
			room[c] -= g.kappa[c]
		}
		v += g.items[take[bg]]
		take[bg]++
		if take[bg] == len(g.items) {
			open[bg] = false
		}
	}
	return take, v, true
}

// setCounts writes the leaf counts of a choice of items per group.
func (ls *leafSolver) setCounts(groups []*leafGroup, take []int, counts []int) float64 {
	for l, m := range ls.md.leaves {
		counts[l] = ls.md.floor[m]
	}
	v := 0.0
	for gi, g := range groups {
		for _, l := range g.owner[:take[gi]] {
			counts[l]++
		}
		v += g.pref[take[gi]]
	}
	return v
}

// paretoIndex returns the states (costs flat, nc per state) that no other
// state beats on value while costing no more in every constraint.
func paretoIndex(costs []float64, nc int, val func(int) float64) []int {
	n := len(costs) / nc
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if nc == 1 {
		slices.SortFunc(idx, func(a, b int) int { return cmp.Or(cmp.Compare(costs[a], costs[b]), cmp.Compare(val(b), val(a))) })
		out := idx[:0]
		best := math.Inf(-1)
		for _, i := range idx {
			if v := val(i); v > best {
				out = append(out, i)
				best = v
			}
		}
		return out
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(val(b), val(a)) })
	var out []int
	for _, i := range idx {
		ci := costs[i*nc : (i+1)*nc]
		dominated := false
		for _, o := range out {
			co := costs[o*nc : (o+1)*nc]
			all := true
			for c := range nc {
				if co[c] > ci[c] {
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
			out = append(out, i)
		}
	}
	return out
}
