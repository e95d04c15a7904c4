package qcqp

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrInfeasible is wrapped by the error returned when no selection meets
// the budgets, not even the one that keeps each free map's floor (one
// channel, or Map.Min).
var ErrInfeasible = errors.New("qcqp: budget cannot be met")

// ErrTimeLimit is wrapped by the error returned when the time limit ended
// the solve before any selection met every budget (the budgets may well
// be reachable: a longer limit finds one).
var ErrTimeLimit = errors.New("qcqp: no selection within the time limit")

// CheckReachable reports, wrapping ErrInfeasible, the first constraint
// that the smallest selection (fixed maps whole, each other map at its
// floor)
// already exceeds. Constraint costs are non-decreasing in every count
// when their coefficients are non-negative, so that selection bounds
// every constraint from below; with negative coefficients the check is
// conservative (it can pass an instance that has no solution, which the
// solvers then report).
func (p *Problem) CheckReachable() error {
	n := p.minCounts()
	for i := range p.Constraints {
		c := &p.Constraints[i]
		if v := c.Cost(n); v > c.Budget {
			return fmt.Errorf("%w: %s is at least %.6g with %s, over its budget %.6g; raise the budget%s", ErrInfeasible, c.Name, v, p.floorWords(), c.Budget, p.floorAdvice())
		}
	}
	return nil
}

func (p *Problem) minCounts() []int {
	n := make([]int, len(p.Maps))
	for m := range p.Maps {
		n[m] = p.Maps[m].Floor()
	}
	return n
}

// hasFloors reports whether some prunable map must keep more than one
// channel.
func (p *Problem) hasFloors() bool {
	for m := range p.Maps {
		if !p.Maps[m].Fixed && p.Maps[m].Floor() > 1 {
			return true
		}
	}
	return false
}

func (p *Problem) floorWords() string {
	if p.hasFloors() {
		return "every prunable map at its floor"
	}
	return "one channel per prunable map"
}

func (p *Problem) floorAdvice() string {
	if p.hasFloors() {
		return " or lower the kept share each map must keep"
	}
	return ""
}

// Greedy removes channels one at a time until every constraint is met,
// each time the channel whose loss of objective per unit of relative
// budget recovered is least, then adds back, best gain first, channels
// that still fit. It is fast (no search) and gives the exact solver its
// first incumbent; it proves nothing about optimality.
func Greedy(p *Problem) (*Selection, error) {
	return greedyWithin(p, nil)
}

// greedyWithin is Greedy under the solver's clock (nil: none). The
// removals run to the first selection that meets every budget whatever
// the clock says: that selection is the solver's first incumbent, which
// every later phase and the bound's gap stand on, and removing is fast
// (about 30 ms on MobileNetV2 under a memory budget natively, 0.3 s on
// DenseNet-121 with its 191 memory constraints), less than compiling the
// problem, which no clock cuts either. Adding back, which only improves
// a feasible selection, stops at the time limit.
func greedyWithin(p *Problem, clk *clock) (*Selection, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := p.CheckReachable(); err != nil {
		return nil, err
	}
	g := newGreedy(p)
	g.clk = clk
	for {
		over := g.overBudget()
		if len(over) == 0 {
			break
		}
		m, i := g.bestRemoval(over)
		if m < 0 {
			return nil, fmt.Errorf("%w: no channel removal lowers %s", ErrInfeasible, p.Constraints[over[0]].Name)
		}
		g.set(m, i, false)
	}
	g.fillBack()
	return &Selection{Keep: g.keep}, nil
}

// greedy holds the state of one Greedy run: the masks, the counts and,
// per channel, the importance of the weights that tie it to kept
// partners (what removing it loses, or adding it gains).
type greedy struct {
	p     *Problem
	keep  [][]bool
	n     []int
	marg  [][]float64
	inOff [][]int // per layer, the offset of each input map in its rows
	// cons indexes each constraint's terms by map; cost is each
	// constraint's cost at n, kept up to date by set from the terms of
	// the map that changed (a whole Cost of every constraint after every
	// channel took most of Greedy's time on networks with a memory
	// constraint per node). It drifts from Cost(n) by rounding only, so
	// a decision within rounding of a budget is taken on Cost(n) (near).
	cons []indexedTerms
	cost []float64
	// relief is the budget-weighted sum of the over-budget constraints'
	// terms (reliefOver), merged by pair of maps: what a channel fewer of
	// each map recovers, in one pass over far fewer terms.
	relief     indexedTerms
	reliefOver []int
	pairOf     [][]int32 // per constraint and term, its term in relief
	clk        *clock    // nil: no time limit
}

// indexedTerms is a sum of terms with, per map, the terms that read its
// count.
type indexedTerms struct {
	terms []Term
	touch [][]int32
}

func indexTerms(terms []Term, maps int) indexedTerms {
	x := indexedTerms{terms: terms, touch: make([][]int32, maps)}
	for ti, t := range terms {
		x.touch[t.A] = append(x.touch[t.A], int32(ti))
		if t.B >= 0 && t.B != t.A {
			x.touch[t.B] = append(x.touch[t.B], int32(ti))
		}
	}
	return x
}

// drop is how much the sum falls when map m keeps one channel fewer than
// n[m]: the terms that read m's count, each at counts n.
func (x *indexedTerms) drop(n []int, m int) float64 {
	var d float64
	for _, ti := range x.touch[m] {
		t := x.terms[ti]
		switch {
		case t.B < 0:
			d += t.Coef
		case t.A == m && t.B == m:
			d += t.Coef * float64(2*n[m]-1)
		case t.A == m:
			d += t.Coef * float64(n[t.B])
		default:
			d += t.Coef * float64(n[t.A])
		}
	}
	return d
}

func (g *greedy) timeUp() bool { return g.clk != nil && g.clk.over() }

func newGreedy(p *Problem) *greedy {
	g := &greedy{p: p, keep: make([][]bool, len(p.Maps)), n: make([]int, len(p.Maps)), marg: make([][]float64, len(p.Maps))}
	for m, mp := range p.Maps {
		g.keep[m] = make([]bool, mp.Channels)
		for i := range g.keep[m] {
			g.keep[m][i] = true
		}
		g.n[m] = mp.Channels
		g.marg[m] = make([]float64, mp.Channels)
	}
	g.inOff = make([][]int, len(p.Layers))
	for k := range p.Layers {
		l := &p.Layers[k]
		off, o := make([]int, len(l.In)), 0
		for a, m := range l.In {
			off[a] = o
			o += p.Maps[m].Channels
		}
		g.inOff[k] = off
		g.forEach(k, func(mo, j, mi, i int, w float64) {
			g.marg[mo][j] += w
			if mo != mi || j != i {
				g.marg[mi][i] += w
			}
		})
	}
	g.cons = make([]indexedTerms, len(p.Constraints))
	g.cost = make([]float64, len(p.Constraints))
	g.pairOf = make([][]int32, len(p.Constraints))
	type pair struct{ a, b int }
	at := map[pair]int32{}
	var pairs []Term
	for c := range p.Constraints {
		g.cons[c] = indexTerms(p.Constraints[c].Terms, len(p.Maps))
		g.cost[c] = p.Constraints[c].Cost(g.n)
		g.pairOf[c] = make([]int32, len(p.Constraints[c].Terms))
		for ti, t := range p.Constraints[c].Terms {
			k := pair{t.A, t.B}
			if t.B >= 0 && t.B < t.A {
				k = pair{t.B, t.A}
			}
			i, ok := at[k]
			if !ok {
				i = int32(len(pairs))
				at[k] = i
				pairs = append(pairs, Term{A: k.a, B: k.b})
			}
			g.pairOf[c][ti] = i
		}
	}
	g.relief = indexTerms(pairs, len(p.Maps))
	return g
}

// near reports whether a tracked cost v of constraint c is within
// rounding of its budget (the whole Cost must then decide).
func (g *greedy) near(c int, v float64) bool {
	b := g.p.Constraints[c].Budget
	return math.Abs(v-b) <= 1e-9*(math.Abs(v)+math.Abs(b)+1)
}

// isOver reports whether constraint c is over its budget at n, exactly as
// Cost(n) says.
func (g *greedy) isOver(c int) bool {
	con := &g.p.Constraints[c]
	if g.near(c, g.cost[c]) {
		g.cost[c] = con.Cost(g.n)
	}
	return g.cost[c] > con.Budget
}

// setRelief sets g.relief's coefficients to the sum of the terms of the
// constraints in over, each divided by its budget's size.
func (g *greedy) setRelief(over []int) {
	g.reliefOver = append(g.reliefOver[:0], over...)
	for i := range g.relief.terms {
		g.relief.terms[i].Coef = 0
	}
	for _, c := range over {
		con := &g.p.Constraints[c]
		scale := math.Max(math.Abs(con.Budget), 1)
		for ti, t := range con.Terms {
			g.relief.terms[g.pairOf[c][ti]].Coef += t.Coef / scale
		}
	}
}

// forEach calls f for every importance entry of layer k: output channel j
// of map mo, input channel i of map mi, weight w.
func (g *greedy) forEach(k int, f func(mo, j, mi, i int, w float64)) {
	l := &g.p.Layers[k]
	if l.Diagonal {
		for j, w := range l.Importance {
			f(l.Out, j, l.Out, j, w)
		}
		return
	}
	nIn := g.p.InWidth(l)
	for j := 0; j < g.p.Maps[l.Out].Channels; j++ {
		row := l.Importance[j*nIn : (j+1)*nIn]
		for a, mi := range l.In {
			off := g.inOff[k][a]
			for i := 0; i < g.p.Maps[mi].Channels; i++ {
				f(l.Out, j, mi, i, row[off+i])
			}
		}
	}
}

// set keeps or drops channel i of map m and updates the partners'
// marginal values.
func (g *greedy) set(m, i int, on bool) {
	if g.keep[m][i] == on {
		return
	}
	g.keep[m][i] = on
	if on {
		g.n[m]++
		for c := range g.cons {
			g.cost[c] += g.cons[c].drop(g.n, m)
		}
	} else {
		for c := range g.cons {
			g.cost[c] -= g.cons[c].drop(g.n, m)
		}
		g.n[m]--
	}
	sign := 1.0
	if !on {
		sign = -1
	}
	for k := range g.p.Layers {
		g.shift(k, m, i, sign)
	}
}

// shift adds sign times the weights of layer k that tie channel i of map
// m to its partners to the partners' marginal values. It visits only row
// i and column i of the layer (a whole pass over every entry of every
// layer per channel made Greedy take most of a second on MobileNetV2),
// in the order a full pass would, so the sums are the same to the bit.
func (g *greedy) shift(k, m, i int, sign float64) {
	l := &g.p.Layers[k]
	isIn := contains(l.In, m)
	if l.Diagonal || (l.Out != m && !isIn) {
		// A diagonal entry has no partner but itself.
		return
	}
	nIn := g.p.InWidth(l)
	for j := 0; j < g.p.Maps[l.Out].Channels; j++ {
		row := l.Importance[j*nIn : (j+1)*nIn]
		if l.Out == m && j == i {
			for a, mi := range l.In {
				off := g.inOff[k][a]
				for ii := 0; ii < g.p.Maps[mi].Channels; ii++ {
					if mi == m && ii == i {
						continue
					}
					g.marg[mi][ii] += sign * row[off+ii]
				}
			}
			continue
		}
		if !isIn {
			continue
		}
		for a, mi := range l.In {
			if mi == m {
				g.marg[l.Out][j] += sign * row[g.inOff[k][a]+i]
			}
		}
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (g *greedy) overBudget() []int {
	var over []int
	for c := range g.p.Constraints {
		if g.isOver(c) {
			over = append(over, c)
		}
	}
	return over
}

// bestRemoval returns the kept channel whose removal costs the least
// objective per unit of relative budget recovered on the constraints in
// over, or -1, -1 when no removal recovers any.
func (g *greedy) bestRemoval(over []int) (int, int) {
	if !slices.Equal(over, g.reliefOver) {
		g.setRelief(over)
	}
	bestM, bestI, best := -1, -1, math.Inf(1)
	for m, mp := range g.p.Maps {
		if mp.Fixed || g.n[m] <= mp.Floor() {
			continue
		}
		relief := g.relief.drop(g.n, m)
		if relief <= 0 {
			continue
		}
		i := g.cheapest(m)
		if r := g.marg[m][i] / relief; r < best {
			bestM, bestI, best = m, i, r
		}
	}
	return bestM, bestI
}

func (g *greedy) cheapest(m int) int {
	best, bi := math.Inf(1), -1
	for i, on := range g.keep[m] {
		if on && g.marg[m][i] < best {
			best, bi = g.marg[m][i], i
		}
	}
	return bi
}

// fillBack adds dropped channels back, the largest gain first, while
// every constraint stays met.
func (g *greedy) fillBack() {
	for !g.timeUp() {
		bestM, bestI, best := -1, -1, 0.0
		for m := range g.p.Maps {
			if g.n[m] == g.p.Maps[m].Channels || !g.fits(m) {
				continue
			}
			for i, on := range g.keep[m] {
				if !on && g.marg[m][i] > best {
					bestM, bestI, best = m, i, g.marg[m][i]
				}
			}
		}
		if bestM < 0 {
			return
		}
		g.set(bestM, bestI, true)
	}
}

// fits reports whether map m can keep one channel more with every
// constraint met, as the whole Cost at the higher count would say.
func (g *greedy) fits(m int) bool {
	g.n[m]++
	defer func() { g.n[m]-- }()
	for c := range g.p.Constraints {
		con := &g.p.Constraints[c]
		v := g.cost[c] + g.cons[c].drop(g.n, m)
		if g.near(c, v) {
			v = con.Cost(g.n)
		}
		if v > con.Budget {
			return false
		}
	}
	return true
}
