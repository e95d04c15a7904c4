package qcqp

import (
	"errors"
	"fmt"
	"math"
)

// ErrInfeasible is wrapped by the error returned when no selection meets
// the budgets, not even the one that keeps each free map's floor (one
// channel, or Map.Min).
var ErrInfeasible = errors.New("qcqp: budget cannot be met")

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
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := p.CheckReachable(); err != nil {
		return nil, err
	}
	g := newGreedy(p)
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
	// scratch of bestRemoval: the over-budget constraints' costs
	before []float64
}

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
	return g
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
	} else {
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
		if g.p.Constraints[c].Cost(g.n) > g.p.Constraints[c].Budget {
			over = append(over, c)
		}
	}
	return over
}

// bestRemoval returns the kept channel whose removal costs the least
// objective per unit of relative budget recovered on the constraints in
// over, or -1, -1 when no removal recovers any.
func (g *greedy) bestRemoval(over []int) (int, int) {
	bestM, bestI, best := -1, -1, math.Inf(1)
	// The costs before any removal are the same for every map.
	g.before = g.before[:0]
	for _, c := range over {
		g.before = append(g.before, g.p.Constraints[c].Cost(g.n))
	}
	for m, mp := range g.p.Maps {
		if mp.Fixed || g.n[m] <= mp.Floor() {
			continue
		}
		var relief float64
		for k, c := range over {
			con := &g.p.Constraints[c]
			before := g.before[k]
			g.n[m]--
			after := con.Cost(g.n)
			g.n[m]++
			scale := math.Max(math.Abs(con.Budget), 1)
			relief += (before - after) / scale
		}
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
	for {
		bestM, bestI, best := -1, -1, 0.0
		for m := range g.p.Maps {
			if g.n[m] == g.p.Maps[m].Channels {
				continue
			}
			g.n[m]++
			fits := len(g.overBudget()) == 0
			g.n[m]--
			if !fits {
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
