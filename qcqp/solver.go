package qcqp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pare-ml/pare/core/job"
)

// Solver is the exact channel-selection search as a job.Stepper: each
// Step runs for about Options.StepTime, and Result is valid after every
// Step (after the first, it holds a feasible selection).
//
// The search follows QCQP-SOLVER.md 5.4: the free maps are split into
// hubs and leaves (leaves solved exactly for any hub masks), the
// incumbent comes from Greedy, block-coordinate ascent and a hub
// large-neighbourhood search, and a best-first branch-and-bound over hub
// count ranges, count vectors and hub channels, bounded by a Lagrangian
// split bound, proves it optimal or bounds its gap.
type Solver struct {
	p    *Problem
	opts Options
	md   *model
	s    *search
	cr   *countRelax // nil when its bound does not apply
	// countStart is when the count-level bound started
	countStart time.Time
	start      time.Time
	res        Result
	done       bool
	// clk is the solve's time limit and the current Step's cancellation;
	// every phase that can run long reads it (clock.go)
	clk clock

	phase    int
	lnsAt    int        // next hub of the neighbourhood search
	hs       *hubSearch // the hub under way, nil between hubs
	lnsMoved bool       // whether the current pass improved the incumbent
	lnsPass  int
}

const (
	phaseStart = iota
	phaseCount
	phaseLNS
	phaseSearch
)

// maxLNSPasses bounds the neighbourhood search before the tree starts;
// the tree's own primals keep improving the incumbent after it.
const maxLNSPasses = 10

// lnsShare is the part of the time limit the neighbourhood search may
// take before the tree starts. On nets with dozens of hubs (GoogLeNet,
// DenseNet, MobileNetV2) one pass costs more than a 10 s limit, and the
// tree is what tightens the bound.
const lnsShare = 0.5

// countShare is the part of the time limit the count-level bound may take
// (it caps the root box's bound; the tree refines it from there).
const countShare = 0.25

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
	if opts.MaxOpen <= 0 {
		opts.MaxOpen = 200_000
	}
	if opts.GapLimit < 0 || opts.GapLimit >= 1 || math.IsNaN(opts.GapLimit) {
		return nil, fmt.Errorf("qcqp: gap limit %v must be in [0, 1)", opts.GapLimit)
	}
	return &Solver{p: p, opts: opts, clk: clock{now: time.Now}, res: Result{Bound: math.Inf(1), Gap: math.Inf(1), Status: StatusHeuristic}}, nil
}

// Step advances the search.
func (s *Solver) Step(ctx context.Context) (job.Progress, error) {
	if err := ctx.Err(); err != nil {
		return progress(&s.res, s.stage()), err
	}
	now := s.clk.now
	if s.start.IsZero() {
		s.start = now()
		if s.opts.TimeLimit > 0 {
			s.clk.limit = s.start.Add(s.opts.TimeLimit)
		}
	}
	// A cancellation during the Step cuts the work under way short (a
	// leaf solve returns a feasible, inexact answer); the next Step sees
	// ctx's error.
	s.clk.done = ctx.Done()
	defer func() { s.clk.done = nil }()
	deadline := now().Add(s.opts.StepTime)
	if s.opts.TimeLimit > 0 {
		deadline = minTime(deadline, s.clk.limit)
	}
	if s.phase == phaseStart {
		if err := s.begin(); err != nil {
			return progress(&s.res, s.stage()), err
		}
	}
	for s.phase == phaseCount && now().Before(deadline) {
		s.countStep()
	}
	// The Step's deadline is at most the time limit's end: only a
	// cancellation needs checking besides.
	for s.phase == phaseLNS && now().Before(deadline) && !s.clk.cancelled() {
		s.lnsStep(deadline)
	}
	if s.phase == phaseSearch {
		s.s.deadline = deadline
		for now().Before(deadline) && !s.clk.cancelled() {
			if s.opts.NodeLimit > 0 && s.s.nodes >= s.opts.NodeLimit {
				break
			}
			if !s.s.step() {
				break
			}
			if s.opts.GapLimit > 0 && relGap(s.s.lb, s.s.bound()) <= s.opts.GapLimit {
				break
			}
		}
	}
	if err := s.report(); err != nil {
		return progress(&s.res, s.stage()), err
	}
	return progress(&s.res, s.stage()), nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// stage is the phase under way as Progress names it. phaseStart is only
// ever reported with the error that ended the first Step, so it shares
// the neighbourhood search's name: both are about the incumbent.
func (s *Solver) stage() string {
	switch s.phase {
	case phaseSearch:
		return StageSearch
	case phaseCount:
		return StageBound
	}
	return StageIncumbent
}

// begin compiles the problem and builds the first incumbent.
func (s *Solver) begin() error {
	s.md = compile(s.p)
	s.md.clk = &s.clk
	s.s = newSearch(s.md, s.opts.MaxOpen, s.opts.GapLimit)
	// The root box holds every count vector, so its bound is proven from
	// the start, whatever phase the time limit ends in: a result never
	// leaves without a bound on how far from optimal it can be.
	s.s.root()
	// A leaf solve may outlast a Step (the search needs it whole to prove
	// anything), but not the time limit: past it (s.clk), it returns a
	// feasible, inexact answer.
	if sel, err := greedyWithin(s.p, &s.clk); err == nil {
		keep := s.md.freeMasks(sel)
		if v, ok := s.s.pr.polish(keep); ok {
			s.s.offer(keep, v)
		}
	} else if !errors.Is(err, ErrInfeasible) {
		return err
	}
	s.phase = phaseLNS
	if len(s.md.hubs) == 0 || s.s.best == nil {
		s.phase = phaseSearch
	}
	if s.cr = newCountRelax(s.md); s.cr != nil && s.s.best != nil {
		s.phase = phaseCount
	}
	return nil
}

// countStep runs one evaluation of the count-level bound and caps the
// root box with it; past its share of the time limit, or when done, the
// neighbourhood search starts.
func (s *Solver) countStep() {
	if s.countStart.IsZero() {
		s.countStart = s.clk.now()
	}
	more := s.cr.step()
	s.s.capRoot(s.cr.run.best)
	// The share counts from the phase's own start: compiling a large net
	// and its first incumbent may take a good part of it already.
	late := s.opts.TimeLimit > 0 && !s.clk.now().Before(s.countStart.Add(time.Duration(countShare*float64(s.opts.TimeLimit))))
	if !more || late {
		if s.cr.freeze() {
			s.s.cnt = s.cr // bounds the boxes of the tree
		}
		s.cr = nil
		s.phase = phaseLNS
		if len(s.md.hubs) == 0 {
			s.phase = phaseSearch
		}
	}
}

// lnsDeadline is when the neighbourhood search must hand over to the
// tree (zero: no time limit).
func (s *Solver) lnsDeadline() time.Time {
	if s.opts.TimeLimit <= 0 {
		return time.Time{}
	}
	return s.start.Add(time.Duration(lnsShare * float64(s.opts.TimeLimit)))
}

// lnsStep runs the neighbourhood search on one hub, or on the part of it
// that fits before the Step's deadline (the next Step resumes it where it
// stopped, so Step boundaries do not change what it finds).
func (s *Solver) lnsStep(deadline time.Time) {
	pr := s.s.pr
	if s.hs == nil {
		s.hs = pr.newHubSearch(s.s.best, s.md.hubs[s.lnsAt], s.s.lb)
	}
	end := s.lnsDeadline()
	for s.hs.more(s.md) && s.clk.before(end) {
		pr.try(s.hs)
		if s.hs.more(s.md) && (!s.clk.before(deadline) || s.clk.cancelled()) {
			return
		}
	}
	if v, moved := pr.finish(s.hs, s.s.best); moved && v > s.s.lb {
		s.s.lb = v
		s.lnsMoved = true
	}
	s.hs = nil
	if !s.clk.before(end) {
		s.phase = phaseSearch
		return
	}
	s.lnsAt++
	if s.lnsAt < len(s.md.hubs) {
		return
	}
	s.lnsAt = 0
	s.lnsPass++
	if !s.lnsMoved || s.lnsPass >= maxLNSPasses {
		s.phase = phaseSearch
	}
	s.lnsMoved = false
}

// report refreshes Result from the search and decides whether it is over.
func (s *Solver) report() error {
	sr := s.s
	s.res.Elapsed = s.clk.now().Sub(s.start)
	s.res.Nodes = sr.nodes
	if sr.best != nil {
		sel := s.md.selection(sr.best)
		if err := s.p.Feasible(sel); err == nil {
			s.res.Selection = sel
			s.res.Objective = s.p.Objective(sel)
		} else if s.res.Selection == nil {
			return fmt.Errorf("qcqp: internal error: incumbent infeasible: %w", err)
		}
	}
	over := s.opts.TimeLimit > 0 && s.res.Elapsed >= s.opts.TimeLimit
	if s.phase == phaseSearch {
		over = over || sr.finished() || (s.opts.NodeLimit > 0 && sr.nodes >= s.opts.NodeLimit)
		if sr.finished() && sr.best == nil {
			return fmt.Errorf("%w: no selection meets every budget at once; raise the budgets", ErrInfeasible)
		}
	}
	// The open items bound the optimum in every phase: the root box is
	// open from the first Step (begin), so a limit that ends the
	// incumbent phase still reports a proven bound and gap.
	s.res.Bound = math.Max(sr.bound(), s.res.Objective)
	if sr.finished() {
		s.res.Bound = math.Max(s.res.Objective, sr.pruned)
	}
	s.res.Gap = relGap(s.res.Objective, s.res.Bound)
	switch {
	case s.res.Gap <= 1e-9:
		s.res.Status, s.res.Gap = StatusOptimal, 0
		over = true
	case !math.IsInf(s.res.Bound, 1):
		s.res.Status = StatusFeasible
	}
	if s.opts.GapLimit > 0 && s.res.Gap <= s.opts.GapLimit {
		over = true
	}
	if over && s.res.Selection == nil {
		return fmt.Errorf("%w: the search stopped at its limit after %v, before finding a selection that meets every budget", ErrTimeLimit, s.res.Elapsed.Round(time.Millisecond))
	}
	s.done = over
	return nil
}

// Done reports whether the search has ended.
func (s *Solver) Done() bool { return s.done }

// Result is the best selection so far.
func (s *Solver) Result() Result { return s.res }

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
