package qcqp

import (
	"errors"
	"fmt"
	"math"
)

// LatencyBudget is a latency limit: Seconds, or, when Fraction is set, a
// share in (0, 1] of the unpruned network's predicted time.
type LatencyBudget struct {
	Seconds  float64
	Fraction float64
}

// Check refuses a budget that is neither a share in (0, 1] nor a finite
// time above 0, with ErrBadLatencyBudget.
func (b LatencyBudget) Check() error {
	if (b.Fraction > 0 && b.Fraction <= 1) || (b.Fraction == 0 && b.Seconds > 0 && !math.IsInf(b.Seconds, 0)) {
		return nil
	}
	return ErrBadLatencyBudget
}

// String is the budget as `pare compress --budget` takes it.
func (b LatencyBudget) String() string {
	if b.Fraction > 0 {
		return fmt.Sprintf("latency=%g%%", 100*b.Fraction)
	}
	return fmt.Sprintf("latency=%gms", 1e3*b.Seconds)
}

// LatencyLimit is what AddBudget added: the limit in seconds and the
// model's predictions it was set against.
type LatencyLimit struct {
	Seconds float64
	// Full is the predicted time of the unpruned network; Least is the
	// least the model predicts for any pruning (one channel left in every
	// prunable group, the frozen layers and the overhead in full).
	Full, Least float64
}

// LatencyMismatchError is returned when the latency model has no fit for
// a layer of the problem: it was measured on another network. Err says
// which layer.
type LatencyMismatchError struct{ Err error }

func (e *LatencyMismatchError) Error() string { return e.Err.Error() }
func (e *LatencyMismatchError) Unwrap() error { return e.Err }

// ErrBadLatencyBudget is returned when a LatencyBudget is neither a share
// in (0, 1] nor a finite time above 0.
var ErrBadLatencyBudget = errors.New("qcqp: a latency budget is a share above 0 and at most 1 of the model's predicted time, or a time above 0")

// UnreachableLatencyError is a latency budget below the least the model
// predicts for any pruning of the network.
type UnreachableLatencyError struct{ Limit LatencyLimit }

func (e *UnreachableLatencyError) Error() string {
	return fmt.Sprintf("qcqp: a latency budget of %.4g ms is below %.4g ms, the least the latency model predicts (every prunable group at its floor: one channel unless a kept share is set; the unpruned network is predicted at %.4g ms)",
		1e3*e.Limit.Seconds, 1e3*e.Limit.Least, 1e3*e.Limit.Full)
}

// AddBudget appends the latency budget b to p's constraints and returns
// its limit. A budget no pruning can meet is refused with an
// *UnreachableLatencyError carrying the figures, rather than left to the
// solver to report as infeasible without them.
func (lm *LatencyModel) AddBudget(p *Problem, b LatencyBudget) (LatencyLimit, error) {
	full, narrow := make([]int, len(p.Maps)), make([]int, len(p.Maps))
	for i, mp := range p.Maps {
		full[i], narrow[i] = mp.Channels, mp.Channels
		if !mp.Fixed {
			narrow[i] = mp.Floor()
		}
	}
	var l LatencyLimit
	var err error
	if l.Full, err = lm.Seconds(p, full); err != nil {
		return LatencyLimit{}, &LatencyMismatchError{Err: err}
	}
	if err := b.Check(); err != nil {
		return LatencyLimit{}, err
	}
	l.Seconds = b.Seconds
	if b.Fraction > 0 {
		l.Seconds = b.Fraction * l.Full
	}
	if l.Least, err = lm.Seconds(p, narrow); err != nil {
		return LatencyLimit{}, err
	}
	if l.Seconds < l.Least {
		return l, &UnreachableLatencyError{Limit: l}
	}
	c, err := lm.Constraint(p, l.Seconds)
	if err != nil {
		return LatencyLimit{}, err
	}
	p.Constraints = append(p.Constraints, c)
	return l, nil
}
