package qcqp

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
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

// TestGreedyDropIsTheCostDifference checks Greedy's shortcuts:
// what one channel fewer takes off a constraint, from the terms that read
// the map, equals the whole cost before minus after, for linear, bilinear
// and square terms; and the costs it tracks through set stay the whole
// Cost.
func TestGreedyDropIsTheCostDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		p := chain(r, []int{1 + r.IntN(6), 1 + r.IntN(6), 1 + r.IntN(6)}, 0.5)
		c := &p.Constraints[0]
		for k := 0; k < 6; k++ {
			a, b := r.IntN(len(p.Maps)), r.IntN(len(p.Maps)+1)-1
			if k == 0 {
				b = a // a square term
			}
			c.Terms = append(c.Terms, Term{A: a, B: b, Coef: r.Float64() * 10})
		}
		g := newGreedy(p)
		for m := range p.Maps {
			g.n[m] = 1 + r.IntN(p.Maps[m].Channels)
		}
		for m := range p.Maps {
			before := c.Cost(g.n)
			g.n[m]--
			after := c.Cost(g.n)
			g.n[m]++
			if d := g.cons[0].drop(g.n, m); math.Abs(d-(before-after)) > 1e-9*math.Max(1, before) {
				t.Fatalf("trial %d map %d: drop %v, cost %v -> %v", trial, m, d, before, after)
			}
		}
		// The cost set keeps up to date stays Cost(n) to rounding.
		g = newGreedy(p)
		for step := 0; step < 40; step++ {
			m := r.IntN(len(p.Maps))
			i := r.IntN(p.Maps[m].Channels)
			g.set(m, i, !g.keep[m][i])
			if want := c.Cost(g.n); math.Abs(g.cost[0]-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Fatalf("trial %d step %d: tracked cost %v, Cost %v", trial, step, g.cost[0], want)
			}
		}
	}
}

// TestGreedyHoldsTheClock: under the solver's clock Greedy adds channels
// back only until the time limit, and a limit that has passed before it
// starts still gets its first selection that meets every budget (the
// removals run to it whatever the clock says). The clock is a counter
// (one millisecond a look), so the test does not depend on the machine's
// speed.
func TestGreedyHoldsTheClock(t *testing.T) {
	p := memoryProblem(t, "mobilenetv2_035", 0.3)
	start := time.Unix(0, 0)
	counting := func(limit int) (*clock, *int) {
		looks := 0
		return &clock{now: func() time.Time {
			looks++
			return start.Add(time.Duration(looks) * time.Millisecond)
		}, limit: start.Add(time.Duration(limit) * time.Millisecond)}, &looks
	}
	// Without a limit that ends it: how many looks adding back takes.
	clk, looks := counting(1 << 40)
	full, err := greedyWithin(p, clk)
	if err != nil {
		t.Fatal(err)
	}
	total := *looks
	if total < 3 {
		t.Fatalf("greedy looked at its clock %d times while adding back", total)
	}
	for _, limit := range []int{0, total / 2, total - 1} {
		clk, looks = counting(limit)
		cut, err := greedyWithin(p, clk)
		if err != nil {
			t.Fatalf("limit at look %d: %v", limit, err)
		}
		if err := p.Feasible(cut); err != nil {
			t.Fatalf("limit at look %d: %v", limit, err)
		}
		if want := max(limit, 1); *looks != want {
			t.Errorf("a limit at look %d of %d: stopped after %d", limit, total, *looks)
		}
		if p.Objective(cut) > p.Objective(full)+1e-9 {
			t.Errorf("cut short at look %d, objective %v above the whole run's %v", limit, p.Objective(cut), p.Objective(full))
		}
	}
}
