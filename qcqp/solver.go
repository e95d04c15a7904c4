package qcqp

import (
	"context"
	"math"
	"time"

	"github.com/pare-ml/pare/core/job"
)

// Solver is the channel-selection search as a job.Stepper: each Step runs
// for at most Options.StepTime, and Result is valid after every Step.
//
// The search today is Greedy's incumbent with the trivial bound (every
// weight kept); the exact branch-and-bound of QCQP-SOLVER.md section 5.4
// replaces the body of Step and keeps this contract.
type Solver struct {
	p     *Problem
	opts  Options
	start time.Time
	res   Result
	done  bool
}

// NewSolver validates p and checks that its budgets can be met at all.
func NewSolver(p *Problem, opts Options) (*Solver, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := p.CheckReachable(); err != nil {
		return nil, err
	}
	if opts.StepTime <= 0 {
		opts.StepTime = 50 * time.Millisecond
	}
	return &Solver{p: p, opts: opts, res: Result{Bound: math.Inf(1), Gap: math.Inf(1)}}, nil
}

// Step advances the search.
func (s *Solver) Step(ctx context.Context) (job.Progress, error) {
	if err := ctx.Err(); err != nil {
		return progress(&s.res, "search"), err
	}
	if s.start.IsZero() {
		s.start = time.Now()
	}
	sel, err := Greedy(s.p)
	if err != nil {
		return progress(&s.res, "search"), err
	}
	s.res.Selection = sel
	s.res.Objective = s.p.Objective(sel)
	s.res.Bound = s.p.Objective(allKept(s.p))
	s.res.Gap = relGap(s.res.Objective, s.res.Bound)
	s.res.Status = StatusHeuristic
	if s.res.Gap == 0 {
		s.res.Status = StatusOptimal
	}
	s.res.Elapsed = time.Since(s.start)
	s.done = true
	return progress(&s.res, "search"), nil
}

// Done reports whether the search has ended.
func (s *Solver) Done() bool { return s.done }

// Result is the best selection so far.
func (s *Solver) Result() Result { return s.res }

func allKept(p *Problem) *Selection {
	k := make([][]bool, len(p.Maps))
	for m, mp := range p.Maps {
		k[m] = make([]bool, mp.Channels)
		for i := range k[m] {
			k[m][i] = true
		}
	}
	return &Selection{Keep: k}
}

// relGap is (bound-obj)/bound, clamped at 0, and +Inf for an infinite
// bound.
func relGap(obj, bound float64) float64 {
	if math.IsInf(bound, 1) {
		return math.Inf(1)
	}
	if bound <= 0 {
		return 0
	}
	return math.Max(0, (bound-obj)/bound)
}
