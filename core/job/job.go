package job

import (
	"context"
	"time"
)

// Stepper is long work done one bounded step at a time.
type Stepper interface {
	// Step does the next slice of work. It returns ctx.Err() when ctx is
	// done before the work is.
	Step(ctx context.Context) (Progress, error)
	// Done reports whether the work has finished (Step must not be
	// called again).
	Done() bool
}

// Unknown is Progress.Total when the amount of work is not known in
// advance (a branch-and-bound search).
const Unknown = -1

// Progress is what a Stepper reports after a Step. It marshals to JSON as
// it is, and the browser's worker protocol forwards it untouched.
type Progress struct {
	// Stage names the part of the work under way ("train", "validate",
	// "search", ...).
	Stage string `json:"stage"`
	// Done and Total count units of the stage (steps, images, nodes);
	// Total is Unknown when it cannot be known.
	Done  int64 `json:"done"`
	Total int64 `json:"total"`
	// Elapsed is the wall time since the work started.
	Elapsed time.Duration `json:"elapsedNs"`
	// Figures are named numbers of the moment: "loss", "accuracy", "lr",
	// "incumbent", "bound", "gap", "nodes".
	Figures map[string]float64 `json:"figures,omitempty"`
	// Message is a line for a person ("learning rate lowered to 3e-4 after
	// the loss diverged"), empty when there is nothing to say.
	Message string `json:"message,omitempty"`
}

// Fraction is Done/Total in [0, 1], or -1 when Total is Unknown or zero.
func (p Progress) Fraction() float64 {
	if p.Total <= 0 {
		return -1
	}
	f := float64(p.Done) / float64(p.Total)
	if f > 1 {
		return 1
	}
	if f < 0 {
		return 0
	}
	return f
}

// Run drives s until it is done, calling report (when not nil) after every
// step. It stops at the first error, including ctx's.
func Run(ctx context.Context, s Stepper, report func(Progress)) error {
	for !s.Done() {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := s.Step(ctx)
		if err != nil {
			return err
		}
		if report != nil {
			report(p)
		}
	}
	return nil
}
