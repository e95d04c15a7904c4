package qcqp

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// bruteForce enumerates every mask of the free maps.
func bruteForce(p *Problem) (float64, bool) {
	var free [][2]int
	for m, mp := range p.Maps {
		if !mp.Fixed {
			for i := range mp.Channels {
				free = append(free, [2]int{m, i})
			}
		}
	}
	s := allKeptSelection(p)
	best, found := math.Inf(-1), false
	for bits := 0; bits < 1<<len(free); bits++ {
		for k, f := range free {
			s.Keep[f[0]][f[1]] = bits>>k&1 == 1
		}
		if p.Feasible(s) != nil {
			continue
		}
		if v := p.Objective(s); v > best {
			best, found = v, true
		}
	}
	return best, found
}

// bruteForceTrials draws trials small random networks (randomSmall with
// at most 12 free channels, from one PCG seed pair) and calls check on
// each that has a feasible selection, with its brute-force optimum and,
// when solve is not nil, solve's answer. solve runs on every draw: on one
// with no feasible selection it must say ErrInfeasible.
func bruteForceTrials(t *testing.T, seed1, seed2 uint64, trials int, solve func(*Problem) (Result, error), check func(trial int, p *Problem, opt float64, res Result, err error)) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed1, seed2))
	for trial := range trials {
		p := randomSmall(r, 12)
		opt, ok := bruteForce(p)
		var res Result
		var err error
		if solve != nil {
			res, err = solve(p)
		}
		if !ok {
			if solve != nil && !errors.Is(err, ErrInfeasible) {
				t.Fatalf("trial %d: no feasible selection exists, solver said %v", trial, err)
			}
			continue
		}
		check(trial, p, opt, res, err)
	}
}

func TestSolverMatchesBruteForce(t *testing.T) {
	solve := func(p *Problem) (Result, error) { return Solve(context.Background(), p, Options{}) }
	solved := 0
	bruteForceTrials(t, 7, 11, 150, solve, func(trial int, p *Problem, want float64, res Result, err error) {
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if err := p.Feasible(res.Selection); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if !res.Optimal() || math.Abs(res.Objective-want) > 1e-9*math.Max(1, want) {
			t.Fatalf("trial %d: solver %v (%s, bound %v), brute force %v", trial, res.Objective, res.Status, res.Bound, want)
		}
		solved++
	})
	if solved < 100 {
		t.Fatalf("only %d feasible instances", solved)
	}
}

// The depth-first fallback past MaxOpen finds the same optima.
func TestMaxOpenKeepsOptimum(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for trial := range 30 {
		p := randomSmall(r, 16)
		a, errA := Solve(context.Background(), p, Options{})
		b, errB := Solve(context.Background(), p, Options{MaxOpen: 1})
		if (errA == nil) != (errB == nil) {
			t.Fatalf("trial %d: %v vs %v", trial, errA, errB)
		}
		if errA != nil {
			continue
		}
		if !b.Optimal() || math.Abs(a.Objective-b.Objective) > 1e-9*math.Max(1, a.Objective) {
			t.Fatalf("trial %d: best-first %v, depth-first %v (%s)", trial, a.Objective, b.Objective, b.Status)
		}
	}
	for _, frac := range []float64{0.3, 0.5, 0.7} {
		p := mnist8Shaped(rand.New(rand.NewPCG(8, 8)), frac)
		a, _ := Solve(context.Background(), p, Options{})
		b, _ := Solve(context.Background(), p, Options{MaxOpen: 1})
		if !a.Optimal() || !b.Optimal() || math.Abs(a.Objective-b.Objective) > 1e-9*a.Objective {
			t.Fatalf("mnist8 %v: %+v vs %+v", frac, a, b)
		}
	}
}

// Every Step leaves a valid result, limits stop the search with an
// honest status, and cancellation returns the incumbent.
func TestStepperContract(t *testing.T) {
	p := resnetCIFAR(rand.New(rand.NewPCG(8, 1)), 1, uniformImportance, 0.3)
	s, err := NewSolver(p, Options{StepTime: 2 * time.Millisecond, NodeLimit: 200})
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	lastBound := math.Inf(1)
	for !s.Done() {
		prog, err := s.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		steps++
		res := s.Result()
		if err := p.Feasible(res.Selection); err != nil {
			t.Fatalf("step %d: %v", steps, err)
		}
		if res.Objective != p.Objective(res.Selection) || res.Bound < res.Objective || res.Bound > lastBound*(1+1e-12) {
			t.Fatalf("step %d: objective %v bound %v (previous bound %v)", steps, res.Objective, res.Bound, lastBound)
		}
		lastBound = res.Bound
		if prog.Figures["incumbent"] != res.Objective || prog.Figures["bound"] != res.Bound {
			t.Fatalf("progress %+v disagrees with result %+v", prog, res)
		}
	}
	res := s.Result()
	if res.Nodes < 200 && !res.Optimal() {
		t.Fatalf("stopped after %d nodes without a proof", res.Nodes)
	}
	if !res.Optimal() && (res.Status != StatusFeasible || res.Gap <= 0 || math.IsInf(res.Gap, 1)) {
		t.Fatalf("limited run: %+v", res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s2, _ := NewSolver(p, Options{StepTime: time.Millisecond})
	if _, err := s2.Step(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s2.Step(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled step: %v", err)
	}
	if p.Feasible(s2.Result().Selection) != nil {
		t.Fatal("no incumbent after cancel")
	}
	g, err := Solve(context.Background(), p, Options{GapLimit: 0.05})
	if err != nil || g.Gap > 0.05 {
		t.Fatalf("gap limit: %+v %v", g, err)
	}
}
