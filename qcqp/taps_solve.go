package qcqp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// ShapeInflations are the channel-stage MACs budgets SolveShape tries, as
// multiples of the final budget: 1 is channel pruning alone (the tap stage
// then removes nothing); larger ones keep more channels and leave the tap
// stage more to remove.
var ShapeInflations = []float64{1, 1.15, 1.3, 1.5, 2}

// ShapeTrial is one channel-stage budget SolveShape tried.
type ShapeTrial struct {
	Inflation        float64 `json:"inflation"`
	ChannelMACs      float64 `json:"channel_macs"` // the channel stage's budget
	ChannelObjective float64 `json:"channel_objective"`
	ChannelStatus    Status  `json:"channel_status"`
	ChannelGap       float64 `json:"-"`
	Objective        float64 `json:"objective"` // after the tap stage (0 when Error)
	Error            string  `json:"error,omitempty"`
}

// ShapeResult is a kernel-shape selection: channels, then taps.
type ShapeResult struct {
	Channels Result // the channel stage of the best trial
	Taps     *TapSelection
	Best     int // index in Trials
	Trials   []ShapeTrial
	Elapsed  time.Duration // both stages of every trial
}

// SolveShape selects channels and kernel taps under budgets, one of which
// must be a MACs budget, the only resource taps save (the file keeps them
// as zeros: parameters and memory are those of the channel selection).
// It runs the authors' two stages: the channel QCQP at an inflated MACs
// budget, then SelectTaps down to the real one; it tries every
// ShapeInflations factor, each with an equal share of opts.TimeLimit, and
// keeps the one with the largest final objective (the channel objective
// less the removed taps' importance, one quantity throughout).
func (a *Analysis) SolveShape(ctx context.Context, layers []Layer, budgets []Budget, opts Options) (ShapeResult, error) {
	mi := -1
	for i, b := range budgets {
		if b.Resource == MACs {
			mi = i
		}
	}
	if mi < 0 {
		return ShapeResult{}, fmt.Errorf("qcqp: kernel-shape granularity saves MACs only; give a macs budget")
	}
	r, err := a.polynomials()
	if err != nil {
		return ShapeResult{}, err
	}
	full := r.macs.eval(a.fullCounts())
	limit := budgets[mi].Value
	if budgets[mi].Fraction > 0 {
		limit = budgets[mi].Fraction * full
	}
	var trials []float64
	for _, f := range ShapeInflations {
		trials = append(trials, f)
		if f*limit >= full {
			break
		}
	}
	share := opts
	if opts.TimeLimit > 0 {
		share.TimeLimit = max(opts.TimeLimit/time.Duration(len(trials)), 100*time.Millisecond)
	}
	start := time.Now()
	out := ShapeResult{Best: -1}
	bestObj := math.Inf(-1)
	for _, f := range trials {
		if err := ctx.Err(); err != nil && out.Best >= 0 {
			break
		}
		bs := append([]Budget(nil), budgets...)
		bs[mi] = Budget{Resource: MACs, Value: math.Min(full, f*limit)}
		tr := ShapeTrial{Inflation: f, ChannelMACs: bs[mi].Value}
		p, err := a.Problem(layers, bs)
		if err != nil {
			return ShapeResult{}, err
		}
		res, err := Solve(ctx, p, share)
		if res.Selection == nil {
			if err == nil {
				err = fmt.Errorf("no selection within the time limit")
			}
			if f == 1 && errors.Is(err, ErrInfeasible) {
				return ShapeResult{}, err
			}
			tr.Error = err.Error()
			out.Trials = append(out.Trials, tr)
			continue
		}
		tr.ChannelObjective, tr.ChannelStatus, tr.ChannelGap = res.Objective, res.Status, res.Gap
		ts, err := a.SelectTaps(res.Selection, res.Objective, limit)
		if err != nil {
			tr.Error = err.Error()
			out.Trials = append(out.Trials, tr)
			continue
		}
		tr.Objective = ts.Objective
		out.Trials = append(out.Trials, tr)
		if ts.Objective > bestObj {
			bestObj = ts.Objective
			out.Best, out.Channels, out.Taps = len(out.Trials)-1, res, ts
		}
	}
	out.Elapsed = time.Since(start)
	if out.Best < 0 {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		return out, fmt.Errorf("%w: no channel-stage budget led to a selection (%s)", ErrInfeasible, out.Trials[0].Error)
	}
	return out, nil
}
