package qcqp

import (
	"context"
	"math"
	"time"

	"github.com/pare-ml/pare/core/job"
)

// Options bound a solve. Zero values mean: no limit.
type Options struct {
	// TimeLimit stops the search; the best selection found so far is
	// returned with its gap to the proven bound.
	TimeLimit time.Duration
	// NodeLimit stops the search after this many branch-and-bound nodes.
	NodeLimit int64
	// StepTime is how long one Step may run before it returns to the
	// caller (a browser worker yields between steps). Zero: 50 ms. A
	// step ends after the unit of work under way when the time is up, so
	// it can run over by one bound evaluation (milliseconds).
	StepTime time.Duration
	// MaxOpen caps the open list of the best-first search; past it the
	// search goes depth-first, which needs memory only for the depth of
	// the tree. Zero: 200,000 items (tens of megabytes).
	MaxOpen int
	// GapLimit stops the search once the relative gap (Bound-Objective)/
	// Bound is at most this. Zero: prove optimality (to 1e-9).
	GapLimit float64
}

// Status says how a solve ended.
type Status string

const (
	// StatusOptimal: the selection is proven optimal (gap 0 within
	// tolerance).
	StatusOptimal Status = "optimal"
	// StatusFeasible: a limit stopped the search; the selection meets
	// every budget and Gap bounds how far from optimal it can be.
	StatusFeasible Status = "feasible"
	// StatusHeuristic: the selection meets every budget and no bound on
	// its distance from optimal was proven.
	StatusHeuristic Status = "heuristic"
)

// Result is a solver's answer: always a feasible selection once the
// first Step has returned without error.
type Result struct {
	Selection *Selection
	// Objective is Problem.Objective of Selection.
	Objective float64
	// Bound is an upper bound on the optimal objective (+Inf when none
	// was proven).
	Bound float64
	// Gap is (Bound-Objective)/Bound, 0 when optimal.
	Gap     float64
	Nodes   int64
	Status  Status
	Elapsed time.Duration
}

// Optimal reports whether the result is proven optimal.
func (r *Result) Optimal() bool { return r.Status == StatusOptimal }

// Solve runs a Solver to the end (or to a limit, or until ctx is done,
// in which case it returns the best result so far with ctx's error).
func Solve(ctx context.Context, p *Problem, opts Options) (Result, error) {
	s, err := NewSolver(p, opts)
	if err != nil {
		return Result{}, err
	}
	err = job.Run(ctx, s, nil)
	return s.Result(), err
}

// progress is the Progress of a solver at a moment.
func progress(r *Result, stage string) job.Progress {
	return job.Progress{
		Stage: stage, Done: r.Nodes, Total: job.Unknown, Elapsed: r.Elapsed,
		Figures: map[string]float64{"incumbent": r.Objective, "bound": r.Bound, "gap": r.Gap, "nodes": float64(r.Nodes)},
	}
}

// UpperBound is a proven upper bound on p's optimum computed without the
// search: the smaller of the root box's row-limited bound and the
// count-level Lagrangian bound (countbound.go), the latter run until
// deadline when it is not zero. It measures how far a baseline's
// selection can be from optimal. It is +Inf for a problem that does not
// validate.
func UpperBound(p *Problem, deadline time.Time) float64 {
	if p.Validate() != nil {
		return math.Inf(1)
	}
	md := compile(p)
	s := newSearch(md, 1, 0)
	s.root()
	b := math.Inf(-1) // no count vector fits
	if len(s.open) > 0 {
		b = s.open[0].bound
	}
	if cr := newCountRelax(md); cr != nil {
		b = min(b, cr.bound(deadline))
	}
	return b
}
