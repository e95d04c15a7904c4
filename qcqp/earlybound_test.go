package qcqp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// stoppedAtOnce is the result after a first Step that ends as soon as
// the greedy incumbent is in, before the neighbourhood search or the tree
// has run (a Cancel on the page right after it): the answer must still
// carry a proven bound and gap (issue 10: "the incumbent is returned with
// its proven gap, never a silent guess"). Without an incumbent the error
// wraps ErrInfeasible, as Solve's would.
func stoppedAtOnce(t *testing.T, p *Problem) (Result, error) {
	t.Helper()
	s, err := NewSolver(p, Options{StepTime: time.Nanosecond})
	if err != nil {
		return Result{}, err
	}
	if _, err := s.Step(context.Background()); err != nil {
		return Result{}, err
	}
	res := s.Result()
	if res.Selection == nil {
		return res, fmt.Errorf("%w: no incumbent after the first Step", ErrInfeasible)
	}
	return res, nil
}

// checkEarly asserts that an early result is feasible, bounded by an
// admissible bound (>= opt), and honestly labelled.
func checkEarly(t *testing.T, name string, p *Problem, res Result, opt float64) {
	t.Helper()
	if err := p.Feasible(res.Selection); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	tol := 1e-9 * math.Max(1, math.Abs(opt))
	if math.IsInf(res.Bound, 1) || math.IsNaN(res.Bound) || res.Bound < opt-tol {
		t.Fatalf("%s: bound %v, optimum %v", name, res.Bound, opt)
	}
	if g := relGap(res.Objective, res.Bound); math.Abs(res.Gap-g) > 1e-12 && res.Status != StatusOptimal {
		t.Fatalf("%s: gap %v, (bound-objective)/bound %v", name, res.Gap, g)
	}
	switch res.Status {
	case StatusOptimal:
		if math.Abs(res.Objective-opt) > tol {
			t.Fatalf("%s: optimal %v, true optimum %v", name, res.Objective, opt)
		}
	case StatusFeasible:
		if math.IsInf(res.Gap, 1) {
			t.Fatalf("%s: feasible with an infinite gap", name)
		}
	default:
		t.Fatalf("%s: status %q with bound %v", name, res.Status, res.Bound)
	}
}

// TestEarlyStopReportsAdmissibleBound: against brute force on small
// random networks.
func TestEarlyStopReportsAdmissibleBound(t *testing.T) {
	solve := func(p *Problem) (Result, error) { return stoppedAtOnce(t, p) }
	checked := 0
	bruteForceTrials(t, 41, 43, 60, solve, func(trial int, p *Problem, opt float64, res Result, err error) {
		if errors.Is(err, ErrInfeasible) {
			// The greedy may miss every feasible point within no time at
			// all; that is a clear error, not a guess.
			return
		}
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		checkEarly(t, fmt.Sprintf("trial %d", trial), p, res, opt)
		checked++
	})
	if checked < 30 {
		t.Fatalf("only %d instances checked", checked)
	}
}

// TestEarlyStopGapOnManyHubs: a ResNet-20-shaped instance stopped at
// once reports a finite gap that the full search's optimum respects, and
// a longer run never reports a larger bound.
func TestEarlyStopGapOnManyHubs(t *testing.T) {
	p := resnetCIFAR(rand.New(rand.NewPCG(5, 6)), 1, l1Importance, 0.5)
	early, err := stoppedAtOnce(t, p)
	if err != nil {
		t.Fatal(err)
	}
	full, err := Solve(context.Background(), p, Options{TimeLimit: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The full run's incumbent is a lower bound on the optimum.
	checkEarly(t, "resnet8 early", p, early, full.Objective)
	if full.Bound > early.Bound*(1+1e-12) {
		t.Fatalf("longer run's bound %v above the early one %v", full.Bound, early.Bound)
	}
	t.Logf("early: objective %.6g bound %.6g gap %.3g%%; 5 s: %s objective %.6g gap %.3g%%",
		early.Objective, early.Bound, 100*early.Gap, full.Status, full.Objective, 100*full.Gap)
}

// countBoundOf runs the count-level bound to the end.
func countBoundOf(p *Problem) float64 {
	cr := newCountRelax(compile(p))
	if cr == nil {
		return math.Inf(1)
	}
	return cr.bound(time.Time{})
}

// TestCountBoundAdmissible: the count-level Lagrangian bound is never
// below the optimum (brute force on small random networks, which have
// self-couplings, Concat inputs, depthwise terms and two constraints;
// the proven optimum of ResNet-8-shaped ones at two budgets), and it is
// far tighter than the root box's cheap bound there.
func TestCountBoundAdmissible(t *testing.T) {
	checked := 0
	bruteForceTrials(t, 51, 53, 80, nil, func(trial int, p *Problem, opt float64, _ Result, _ error) {
		if b := countBoundOf(p); b < opt-1e-9*math.Max(1, math.Abs(opt)) {
			t.Fatalf("trial %d: count bound %.12g below the optimum %.12g", trial, b, opt)
		}
		checked++
	})
	if checked < 40 {
		t.Fatalf("only %d instances checked", checked)
	}
	for _, frac := range []float64{0.5, 0.7} {
		p := resnetCIFAR(rand.New(rand.NewPCG(5, 6)), 1, l1Importance, frac)
		res, err := Solve(context.Background(), p, Options{TimeLimit: 5 * time.Second})
		if err != nil || !res.Optimal() {
			t.Fatalf("resnet8 %v: %+v %v", frac, res, err)
		}
		b := countBoundOf(p)
		md := compile(p)
		s := newSearch(md, 10, 0)
		s.root()
		cheap := s.open[0].bound
		if b < res.Objective*(1-1e-12) || b > cheap {
			t.Fatalf("resnet8 %v: optimum %.9g, count bound %.9g, cheap bound %.9g", frac, res.Objective, b, cheap)
		}
		t.Logf("resnet8 %v: optimum %.6g, count bound %.6g (gap %.2f %%), cheap %.6g (%.2f %%)", frac, res.Objective, b, 100*relGap(res.Objective, b), cheap, 100*relGap(res.Objective, cheap))
	}
}

// TestSolverUsesCountBound: a search stopped after its first node
// reports at most the count-level bound, and still at least the optimum.
func TestSolverUsesCountBound(t *testing.T) {
	for _, frac := range []float64{0.5, 0.7} {
		p := resnetCIFAR(rand.New(rand.NewPCG(5, 6)), 1, l1Importance, frac)
		opt, err := Solve(context.Background(), p, Options{TimeLimit: 5 * time.Second})
		if err != nil || !opt.Optimal() {
			t.Fatalf("resnet8 %v: %+v %v", frac, opt, err)
		}
		res, err := Solve(context.Background(), p, Options{NodeLimit: 1})
		if err != nil {
			t.Fatal(err)
		}
		cb := countBoundOf(p)
		if res.Bound > cb*(1+1e-12) || res.Bound < opt.Objective*(1-1e-12) {
			t.Fatalf("resnet8 %v: one node: bound %.9g; count bound %.9g, optimum %.9g", frac, res.Bound, cb, opt.Objective)
		}
		checkEarly(t, "resnet8 one node", p, res, opt.Objective)
	}
}
