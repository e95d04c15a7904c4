package qcqp

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Baselines the exact solver is compared against (METHODS.md 1, "After
// selection"). Both rank channels by a frozen-neighbour score, which is
// what the QCQP avoids: they count weights whose partner channel is
// removed, so their objective is only what Problem.Objective says of the
// selection they return.

// filterScores is each free channel's L1 filter mass: the importance of
// the weights of the layers that write its map (its output filter), or,
// for a map no layer writes, of the layers that read it.
func filterScores(p *Problem) [][]float64 {
	sc := make([][]float64, len(p.Maps))
	written := make([]bool, len(p.Maps))
	for m, mp := range p.Maps {
		sc[m] = make([]float64, mp.Channels)
	}
	for k := range p.Layers {
		l := &p.Layers[k]
		written[l.Out] = true
		if l.Diagonal {
			for j, w := range l.Importance {
				sc[l.Out][j] += w
			}
			continue
		}
		nIn := p.InWidth(l)
		for j := range p.Maps[l.Out].Channels {
			for _, w := range l.Importance[j*nIn : (j+1)*nIn] {
				sc[l.Out][j] += w
			}
		}
	}
	for k := range p.Layers {
		l := &p.Layers[k]
		if l.Diagonal {
			continue
		}
		nIn := p.InWidth(l)
		off := 0
		for _, m := range l.In {
			if !written[m] {
				for j := range p.Maps[l.Out].Channels {
					for i := range p.Maps[m].Channels {
						sc[m][i] += l.Importance[j*nIn+off+i]
					}
				}
			}
			off += p.Maps[m].Channels
		}
	}
	return sc
}

// UniformL1 keeps the same fraction of every free map's channels, those
// of largest L1 filter mass, with the fraction as large as the budgets
// allow (the classic per-layer L1-norm filter pruning at a uniform
// ratio).
func UniformL1(p *Problem) (*Selection, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := p.CheckReachable(); err != nil {
		return nil, err
	}
	counts := func(ratio float64) []int {
		n := make([]int, len(p.Maps))
		for m, mp := range p.Maps {
			n[m] = mp.Channels
			if !mp.Fixed {
				n[m] = min(mp.Channels, max(mp.Floor(), int(math.Round(ratio*float64(mp.Channels)))))
			}
		}
		return n
	}
	fits := func(n []int) bool {
		for c := range p.Constraints {
			if p.Constraints[c].Cost(n) > p.Constraints[c].Budget {
				return false
			}
		}
		return true
	}
	// Costs grow with the ratio; bisect for the largest that fits.
	lo, hi := 0.0, 1.0
	if !fits(counts(lo)) {
		return nil, fmt.Errorf("%w: %s exceeds a budget", ErrInfeasible, p.floorWords())
	}
	if !fits(counts(hi)) {
		for range 60 {
			mid := (lo + hi) / 2
			if fits(counts(mid)) {
				lo = mid
			} else {
				hi = mid
			}
		}
		hi = lo
	}
	return topBy(p, filterScores(p), counts(hi)), nil
}

// topBy keeps, in every map, the n[m] channels of largest score.
func topBy(p *Problem, score [][]float64, n []int) *Selection {
	s := &Selection{Keep: make([][]bool, len(p.Maps))}
	for m, mp := range p.Maps {
		s.Keep[m] = make([]bool, mp.Channels)
		idx := make([]int, mp.Channels)
		for i := range idx {
			idx[i] = i
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score[m][b], score[m][a]) })
		for _, i := range idx[:n[m]] {
			s.Keep[m][i] = true
		}
	}
	return s
}

// GlobalKnapsack ranks every free channel of the network by its L1 filter
// mass per unit of cost, the cost taken with every other map at full
// width (the frozen-neighbour cost of global filter ranking), and removes
// channels from the bottom of the ranking until every budget is met.
func GlobalKnapsack(p *Problem) (*Selection, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := p.CheckReachable(); err != nil {
		return nil, err
	}
	score := filterScores(p)
	full := make([]int, len(p.Maps))
	for m, mp := range p.Maps {
		full[m] = mp.Channels
	}
	// Frozen cost of one channel of map m: what removing it from the full
	// network saves, relative to each budget.
	frozen := make([]float64, len(p.Maps))
	for m, mp := range p.Maps {
		if mp.Fixed {
			continue
		}
		for c := range p.Constraints {
			con := &p.Constraints[c]
			before := con.Cost(full)
			full[m]--
			after := con.Cost(full)
			full[m]++
			frozen[m] += (before - after) / math.Max(math.Abs(con.Budget), 1)
		}
	}
	type ch struct {
		m, i  int
		ratio float64
	}
	var all []ch
	for m, mp := range p.Maps {
		if mp.Fixed {
			continue
		}
		for i := range mp.Channels {
			r := math.Inf(1)
			if frozen[m] > 0 {
				r = score[m][i] / frozen[m]
			}
			all = append(all, ch{m, i, r})
		}
	}
	slices.SortStableFunc(all, func(a, b ch) int { return cmp.Compare(a.ratio, b.ratio) })
	s := allKeptSelection(p)
	n := slices.Clone(full)
	over := func() bool {
		for c := range p.Constraints {
			if p.Constraints[c].Cost(n) > p.Constraints[c].Budget {
				return true
			}
		}
		return false
	}
	for _, c := range all {
		if !over() {
			break
		}
		if n[c.m] <= p.Maps[c.m].Floor() {
			continue
		}
		s.Keep[c.m][c.i] = false
		n[c.m]--
	}
	if over() {
		return nil, fmt.Errorf("%w: the ranking removed every channel it could and a budget is still exceeded", ErrInfeasible)
	}
	return s, nil
}

func allKeptSelection(p *Problem) *Selection {
	k := make([][]bool, len(p.Maps))
	for m, mp := range p.Maps {
		k[m] = make([]bool, mp.Channels)
		for i := range k[m] {
			k[m][i] = true
		}
	}
	return &Selection{Keep: k}
}

// FrozenEstimate is what constraint c costs for the selection s as a
// frozen-neighbour pruner counts it: the full network's cost less, for
// every removed channel, what removing that channel alone from the full
// network saves. Every weight between two removed channels is saved twice
// in that sum, so the estimate is below the exact Cost of s by the
// inactive weights' cost: the error the QCQP's exact costs avoid.
func (p *Problem) FrozenEstimate(c int, s *Selection) float64 {
	con := &p.Constraints[c]
	full := make([]int, len(p.Maps))
	for m, mp := range p.Maps {
		full[m] = mp.Channels
	}
	whole := con.Cost(full)
	est := whole
	n := s.Counts()
	for m, mp := range p.Maps {
		if removed := mp.Channels - n[m]; removed > 0 {
			full[m]--
			est -= float64(removed) * (whole - con.Cost(full))
			full[m]++
		}
	}
	return est
}
