package qcqp

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// TestTimeLimitHoldsWithManyConstraints: a memory budget is one
// constraint per graph node, which once made a single leaf solve of the
// incumbent search run for minutes past a 2 s limit. The limit must hold
// (within a generous margin, in the process's CPU time) and the answer be
// feasible.
func TestTimeLimitHoldsWithManyConstraints(t *testing.T) {
	m := loadPruneModel(t, "resnet20_cifar")
	a := analyze(t, m)
	layers, err := a.Layers(NormL1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Problem(layers, []Budget{{Resource: Memory, Fraction: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Constraints) < 10 {
		t.Fatalf("memory budget gave %d constraints; the test wants many", len(p.Constraints))
	}
	res, took := solveOnCPU(t, p, Options{TimeLimit: time.Second})
	if err := p.Feasible(res.Selection); err != nil {
		t.Fatal(err)
	}
	if took > 15*time.Second {
		t.Fatalf("a 1 s limit took %v of CPU time", took)
	}
	t.Logf("%d constraints: %v of CPU time, status %s, gap %.3g", len(p.Constraints), took, res.Status, res.Gap)
}

// memoryProblem is the problem pare prune builds for a fixture under a
// memory budget (one constraint per node).
func memoryProblem(t *testing.T, name string, frac float64) *Problem {
	t.Helper()
	a := analyze(t, loadPruneModel(t, name))
	layers, err := a.Layers(NormL1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Problem(layers, []Budget{{Resource: Memory, Fraction: frac}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkHonest fails unless res holds a feasible selection with a finite
// bound at least its objective and gap (bound-objective)/bound.
func checkHonest(t *testing.T, p *Problem, res Result) {
	t.Helper()
	if err := p.Feasible(res.Selection); err != nil {
		t.Fatal(err)
	}
	if got := p.Objective(res.Selection); math.Abs(got-res.Objective) > 1e-9*math.Max(1, got) {
		t.Fatalf("objective %v, the selection's is %v", res.Objective, got)
	}
	if math.IsInf(res.Bound, 0) || res.Bound < res.Objective {
		t.Fatalf("bound %v with objective %v", res.Bound, res.Objective)
	}
	if want := (res.Bound - res.Objective) / res.Bound; res.Status != StatusOptimal && math.Abs(res.Gap-want) > 1e-12 {
		t.Fatalf("gap %v, want %v", res.Gap, want)
	}
}

// TestCancelHoldsInNeighbourhoodSearch: ResNet-20's memory budget at 30 %
// (25 constraints) makes one leaf solve take about 0.1 s and one hub of
// the neighbourhood search 1.5-8 s, which was once a single Step: a
// Step cancelled 100 ms into the neighbourhood search came back a second
// or more later. The phases now read the Step's context between units
// of work (a block of DP states), so it returns soon after, and the
// result is still a feasible selection with an honest gap.
func TestCancelHoldsInNeighbourhoodSearch(t *testing.T) {
	if runtime.GOOS == "js" {
		// One thread and no preemption: the context's timer cannot fire
		// during a Step, and the page's Cancel arrives between Steps,
		// which TestStepsStayShortUnderMemoryBudget keeps short.
		t.Skip("a context cannot be cancelled during a Step under js/wasm")
	}
	p := memoryProblem(t, "resnet20_cifar", 0.3)
	s, err := NewSolver(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for s.phase != phaseLNS {
		if s.Done() || s.phase == phaseSearch {
			t.Fatal("the neighbourhood search never started")
		}
		if _, err := s.Step(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	// A Step with no time of its own to end it: only the cancellation
	// does.
	s.opts.StepTime = time.Hour
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start, _ := cpuClock()
	s.Step(ctx)
	end, _ := cpuClock()
	took := end - start
	if _, err := s.Step(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the next Step returned %v, want the context's deadline", err)
	}
	res := s.Result()
	checkHonest(t, p, res)
	if took > time.Second {
		t.Fatalf("cancelled after 100 ms, the Step returned after %v of CPU time", took)
	}
	t.Logf("the Step returned after %v of CPU time: %s, objective %.4f, gap %.3g", took, res.Status, res.Objective, res.Gap)
}

// TestStepsStayShortUnderMemoryBudget: without a time limit every Step
// of the same solve, through the count-level bound and the neighbourhood
// search and into the tree, returns within a few leaf solves (the
// browser's worker takes Cancel only between Steps); and a short time
// limit holds there and on MobileNetV2's 49 constraints.
func TestStepsStayShortUnderMemoryBudget(t *testing.T) {
	p := memoryProblem(t, "resnet20_cifar", 0.3)
	s, err := NewSolver(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.clk.now = cpuNow
	leaf := leafSolveTime(t, p)
	start, _ := cpuClock()
	var longest time.Duration
	for now := start; !s.Done() && now-start < 3*time.Second; {
		if _, err := s.Step(t.Context()); err != nil {
			t.Fatal(err)
		}
		next, _ := cpuClock()
		longest, now = max(longest, next-now), next
	}
	// A few leaf solves, measured on this machine in this process: an
	// absolute bound (1.5 s) held at 0.7 s on a quiet machine and failed
	// at 1.6 s on a slower one running other packages' tests beside it.
	if bound := 3*leaf + 100*time.Millisecond; longest > bound {
		t.Errorf("a Step of 50 ms took %v of CPU time, more than three leaf solves (%v each) allow", longest, leaf)
	}
	t.Logf("longest Step %v of CPU time (a leaf solve: %v)", longest, leaf)
	for _, name := range []string{"resnet20_cifar", "mobilenetv2_035"} {
		p := memoryProblem(t, name, 0.3)
		res, took := solveOnCPU(t, p, Options{TimeLimit: 200 * time.Millisecond})
		checkHonest(t, p, res)
		if took > 3*time.Second {
			t.Errorf("%s: a 200 ms limit took %v of CPU time", name, took)
		}
		t.Logf("%s: 200 ms limit, returned after %v of CPU time: %s, gap %.3g", name, took, res.Status, res.Gap)
	}
}

// leafSolveTime is the CPU time of the first Step's leaf solve on p (the
// greedy incumbent polished over the whole net), the longest piece of
// work a Step may not interrupt: the unit a Step's length is bounded in.
func leafSolveTime(t *testing.T, p *Problem) time.Duration {
	t.Helper()
	solver, err := NewSolver(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	solver.clk.now = cpuNow
	md := compile(p)
	md.clk = &solver.clk
	s := newSearch(md, solver.opts.MaxOpen, solver.opts.GapLimit)
	s.root()
	sel, err := Greedy(p)
	if err != nil {
		t.Fatal(err)
	}
	keep := md.freeMasks(sel)
	start, _ := cpuClock()
	s.pr.polish(keep)
	end, _ := cpuClock()
	return end - start
}

// solveOnCPU is Solve with the solver's clock and the caller's measure
// both the process's CPU time (cpuClock), and the CPU time it took: the
// time-limit tests check how much work the solver does between looks at
// its clock, which wall time on a loaded machine (CI beside other jobs)
// stretches by the load.
func solveOnCPU(t *testing.T, p *Problem, opts Options) (Result, time.Duration) {
	t.Helper()
	s, err := NewSolver(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	s.clk.now = cpuNow
	start, _ := cpuClock()
	for !s.Done() {
		if _, err := s.Step(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	end, _ := cpuClock()
	return s.Result(), end - start
}

// TestLimitTooShortStillGivesTheGreedyIncumbent: a limit that has passed
// before the solve starts still returns the greedy selection, with a
// proven bound and gap (the removals run to it whatever the clock says).
func TestLimitTooShortStillGivesTheGreedyIncumbent(t *testing.T) {
	p := memoryProblem(t, "mobilenetv2_035", 0.3)
	res, err := Solve(t.Context(), p, Options{TimeLimit: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	checkHonest(t, p, res)
}

// TestLimitTooShortForAnyIncumbent: where the greedy finds nothing (a
// constraint that grows as channels are removed from the whole model, as
// a fitted latency model's negative coefficients can make it) and the
// limit ends the search before it finds a selection, the error is
// ErrTimeLimit, which asks for more time, not ErrInfeasible, which says
// the budget cannot be met: without the limit the search finds one.
func TestLimitTooShortForAnyIncumbent(t *testing.T) {
	p := chain(rand.New(rand.NewPCG(1, 1)), []int{4}, 0.5)
	m := 1 // the free map
	// -2 n^2 + 13 n - 11: 0 at one channel, 7, 10, then 9 at four.
	p.Constraints = []Constraint{{Name: "latency", Const: -11, Budget: 5,
		Terms: []Term{{A: m, B: m, Coef: -2}, {A: m, B: -1, Coef: 13}}}}
	if _, err := Greedy(p); !errors.Is(err, ErrInfeasible) {
		t.Fatalf("greedy on a cost that rises as channels go: %v", err)
	}
	_, err := Solve(t.Context(), p, Options{TimeLimit: time.Nanosecond})
	if !errors.Is(err, ErrTimeLimit) || errors.Is(err, ErrInfeasible) {
		t.Fatalf("a 1 ns limit: %v", err)
	}
	res, err := Solve(t.Context(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Selection.Counts()[m]; n != 1 || !res.Optimal() {
		t.Fatalf("without a limit: %d channels kept, %s", n, res.Status)
	}
}
