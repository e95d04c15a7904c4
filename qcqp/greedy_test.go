package qcqp

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
)

// chain is in(fixed) -> maps of the given widths -> out(fixed), one dense
// layer per edge with random importance and a MACs-like constraint.
func chain(r *rand.Rand, widths []int, frac float64) *Problem {
	p := &Problem{}
	all := append(append([]int{3}, widths...), 2)
	for i, c := range all {
		p.Maps = append(p.Maps, Map{Name: "m", Channels: c, Fixed: i == 0 || i == len(all)-1})
	}
	con := Constraint{Name: "macs"}
	var full float64
	for i := 0; i+1 < len(all); i++ {
		imp := make([]float64, all[i]*all[i+1])
		for k := range imp {
			imp[k] = r.Float64()
		}
		p.Layers = append(p.Layers, Layer{Name: "l", In: []int{i}, Out: i + 1, Importance: imp})
		coef := float64(1 + r.IntN(9))
		con.Terms = append(con.Terms, Term{A: i, B: i + 1, Coef: coef})
		full += coef * float64(all[i]*all[i+1])
	}
	con.Budget = frac * full
	p.Constraints = []Constraint{con}
	return p
}

func TestGreedyFeasibleAndCheap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 50; trial++ {
		p := chain(r, []int{1 + r.IntN(8), 1 + r.IntN(8), 1 + r.IntN(8)}, 0.2+0.6*r.Float64())
		s, err := Greedy(p)
		if errors.Is(err, ErrInfeasible) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Feasible(s); err != nil {
			t.Fatalf("trial %d: greedy selection infeasible: %v", trial, err)
		}
		// Fill-back leaves no map that could take one more channel.
		n := s.Counts()
		for m := range p.Maps {
			if n[m] == p.Maps[m].Channels {
				continue
			}
			n[m]++
			if p.Constraints[0].Cost(n) <= p.Constraints[0].Budget {
				t.Fatalf("trial %d: map %d could keep one more channel", trial, m)
			}
			n[m]--
		}
	}
}

func TestUnreachableBudgetNamesConstraint(t *testing.T) {
	p := twoLayer()
	p.Constraints[0].Budget = 1 // below in(2)*1*10 + 1*2
	_, err := Greedy(p)
	if !errors.Is(err, ErrInfeasible) {
		t.Fatalf("got %v, want ErrInfeasible", err)
	}
	if _, err := NewSolver(p, Options{}); !errors.Is(err, ErrInfeasible) {
		t.Fatalf("solver: got %v", err)
	}
}

func TestSolveReturnsFeasibleResult(t *testing.T) {
	p := twoLayer()
	res, err := Solve(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Feasible(res.Selection); err != nil {
		t.Fatal(err)
	}
	if res.Objective != p.Objective(res.Selection) || res.Bound < res.Objective {
		t.Fatalf("inconsistent result %+v", res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Solve(ctx, p, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled solve: %v", err)
	}
}
