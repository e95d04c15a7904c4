package qcqp

import (
	"cmp"
	"math"
	"slices"
)

// With the hubs fixed, the leaves are a multiple-choice knapsack: leaf l
// keeping k channels is worth the sum of its k best channel values and
// costs kappa[c][l]*k in constraint c, and every leaf keeps at least its
// floor (one channel, or Map.Min): those best channels are mandatory. leafSolver answers it two ways: exactly (a Pareto DP over
// groups of leaves with equal costs, for incumbents) and fractionally
// (the LP relaxation, for bounds).
type leafSolver struct {
	md     *model
	sorted [][]float64 // per leaf, values in decreasing order
	perm   [][]int32   // per leaf, channel of each sorted position
	heap   []int32
	next   []int32
	key    []float64
	// inexact reports that the last exact call had to cap its DP
	inexact bool
	// the values of the last sort of each leaf
	last           [][]float64
	valid, hasPerm []bool
	// the multipliers of the several-constraint bound (leafdual.go)
	ds *dualState
}

func newLeafSolver(md *model) *leafSolver {
	ls := &leafSolver{md: md}
	for _, m := range md.leaves {
		ls.sorted = append(ls.sorted, make([]float64, md.size[m]))
		ls.perm = append(ls.perm, make([]int32, md.size[m]))
		ls.last = append(ls.last, make([]float64, md.size[m]))
	}
	ls.valid = make([]bool, len(md.leaves))
	ls.hasPerm = make([]bool, len(md.leaves))
	ls.next = make([]int32, len(md.leaves))
	ls.key = make([]float64, len(md.leaves))
	return ls
}

// sortLeaf orders leaf l's values, keeping the permutation when perm. A
// leaf whose values are those of the last call is not sorted again (the
// bounds re-evaluate many leaves unchanged).
func (ls *leafSolver) sortLeaf(l int, vals []float64, perm bool) {
	if ls.valid[l] && (ls.hasPerm[l] || !perm) && slices.Equal(ls.last[l], vals) {
		return
	}
	copy(ls.last[l], vals)
	ls.valid[l], ls.hasPerm[l] = true, perm
	s := ls.sorted[l]
	if !perm {
		copy(s, vals)
		slices.Sort(s)
		slices.Reverse(s)
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
// vals[l][j]: under every constraint at once when there are several and
// no channel lowers a cost (fractionalDual), otherwise under each
// constraint separately (the smallest of those bounds is returned; each
// is valid since dropping constraints only relaxes). When theta is not nil it receives, for the constraint that
// gave the bound, the fraction of each leaf channel taken. It returns -Inf
// when even one channel per leaf does not fit.
func (ls *leafSolver) fractional(vals [][]float64, base []float64, kappa [][]float64, theta [][]float64) float64 {
	md := ls.md
	withTheta := theta != nil
	for l := range md.leaves {
		ls.sortLeaf(l, vals[l], withTheta)
	}
	var bestSum float64
	for l, m := range md.leaves {
		for _, v := range ls.sorted[l][:md.floor[m]] {
			bestSum += v
		}
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
	if len(md.cons) > 1 && nonNegative(kappa) {
		v, ok := ls.fractionalDual(base, kappa, theta)
		if !ok {
			return math.Inf(-1)
		}
		return v + bestSum
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

func nonNegative(kappa [][]float64) bool {
	for _, k := range kappa {
		for _, v := range k {
			if v < 0 {
				return false
			}
		}
	}
	return true
}

// fractionalOne is the LP over the non-mandatory channels under
// constraint c alone.
func (ls *leafSolver) fractionalOne(c int, base float64, kappa []float64, theta [][]float64) (float64, bool) {
	md := ls.md
	room := md.cons[c].budget - base
	for l, m := range md.leaves {
		room -= kappa[l] * float64(md.floor[m])
	}
	var val float64
	h := ls.heap[:0]
	for l, m := range md.leaves {
		s := ls.sorted[l]
		f := md.floor[m]
		if theta != nil {
			t := theta[l]
			for j := range t {
				t[j] = 0
			}
			for _, j := range ls.perm[l][:f] {
				t[j] = 1
			}
		}
		if kappa[l] <= 0 {
			for i, v := range s[f:] {
				val += v
				if theta != nil {
					theta[l][ls.perm[l][f+i]] = 1
				}
			}
			room -= kappa[l] * float64(len(s)-f)
			continue
		}
		if len(s) > f {
			ls.next[l] = int32(f)
			h = append(h, int32(l))
		}
	}
	if room < -1e-9*math.Max(1, math.Abs(md.cons[c].budget)) {
		return 0, false
	}
	room = max(room, 0)
	key := ls.key
	for _, l := range h {
		key[l] = ls.sorted[l][ls.next[l]] / kappa[l]
	}
	heapInit(h, key)
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
		} else {
			key[l] = ls.sorted[l][ls.next[l]] / kappa[l]
		}
		heapDown(h, 0, key)
	}
	ls.heap = h[:0]
	return val, true
}

// leafKmax writes the most channels each leaf can keep under every
// constraint, given the others keep their mandatory floor (and every
// channel that costs nothing); ok is false when the leaves cannot all
// keep their floors.
func (md *model) leafKmax(base []float64, kappa [][]float64, kmax []int) bool {
	for l, m := range md.leaves {
		kmax[l] = md.size[m]
	}
	for c := range md.cons {
		room := md.cons[c].budget - base[c]
		for l, m := range md.leaves {
			k := kappa[c][l]
			room -= k * float64(md.floor[m])
			if k < 0 {
				room -= k * float64(md.size[m]-md.floor[m])
			}
		}
		if room < -1e-9*math.Max(1, math.Abs(md.cons[c].budget)) {
			return false
		}
		room = max(room, 0)
		for l, m := range md.leaves {
			if k := kappa[c][l]; k > 0 {
				kmax[l] = min(kmax[l], md.floor[m]+int(math.Floor(room/k+1e-9)))
			}
		}
	}
	return true
}

// heapInit and heapDown keep h a max-heap of leaves by key (the value
// per unit of cost of each leaf's next channel).
func heapInit(h []int32, key []float64) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		heapDown(h, i, key)
	}
}

func heapDown(h []int32, i int, key []float64) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		if r := l + 1; r < len(h) && key[h[r]] > key[h[l]] {
			l = r
		}
		if key[h[l]] <= key[h[i]] {
			return
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
}
