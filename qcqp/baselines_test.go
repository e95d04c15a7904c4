package qcqp

import (
	"context"
	"math/rand/v2"
	"testing"
)

func TestBaselinesFeasibleAndBelowOptimum(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	for trial := range 40 {
		p := randomSmall(r, 12)
		res, err := Solve(context.Background(), p, Options{})
		if err != nil {
			continue
		}
		for name, f := range map[string]func(*Problem) (*Selection, error){"uniform": UniformL1, "knapsack": GlobalKnapsack} {
			s, err := f(p)
			if err != nil {
				continue // a baseline may fail where the exact solver does not
			}
			if err := p.Feasible(s); err != nil {
				t.Fatalf("trial %d %s: %v", trial, name, err)
			}
			if v := p.Objective(s); v > res.Objective*(1+1e-9) {
				t.Fatalf("trial %d %s: %v above the proven optimum %v", trial, name, v, res.Objective)
			}
		}
	}
}

func TestUniformL1KeepsOneRatio(t *testing.T) {
	p := resnetCIFAR(rand.New(rand.NewPCG(1, 1)), 1, l1Importance, 0.5)
	s, err := UniformL1(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Feasible(s); err != nil {
		t.Fatal(err)
	}
	n := s.Counts()
	// Widths 16, 32, 64 at one ratio: every free map keeps about the same
	// fraction, and one more step of the ratio would break the budget.
	var fr []float64
	for m, mp := range p.Maps {
		if !mp.Fixed {
			fr = append(fr, float64(n[m])/float64(mp.Channels))
		}
	}
	for _, f := range fr {
		if f < fr[0]-1.0/16 || f > fr[0]+1.0/16 {
			t.Fatalf("fractions %v are not uniform", fr)
		}
	}
	if c := p.Constraints[0]; c.Cost(n) < 0.8*c.Budget {
		t.Fatalf("uniform pruning leaves %v of budget %v unused", c.Budget-c.Cost(n), c.Budget)
	}
}

// A frozen-neighbour estimate saves the weights between two removed
// channels twice: on one conv of coef*n_a*n_b MACs, removing ra of a and
// rb of b leaves it ra*rb*coef below the exact cost.
func TestFrozenEstimateCountsInactiveWeightsTwice(t *testing.T) {
	p := &Problem{
		Maps:        []Map{{Name: "a", Channels: 8}, {Name: "b", Channels: 16}},
		Constraints: []Constraint{{Name: "macs", Terms: []Term{{A: 0, B: 1, Coef: 9}}, Budget: 1e9}},
	}
	for _, c := range []struct{ ra, rb int }{{0, 0}, {1, 0}, {2, 3}, {5, 9}} {
		s := allKeptSelection(p)
		for i := range c.ra {
			s.Keep[0][i] = false
		}
		for i := range c.rb {
			s.Keep[1][i] = false
		}
		exact := p.Constraints[0].Cost(s.Counts())
		if got, want := p.FrozenEstimate(0, s), exact-float64(9*c.ra*c.rb); got != want {
			t.Errorf("removing %d and %d: estimate %v, want %v (exact %v)", c.ra, c.rb, got, want, exact)
		}
	}
}
