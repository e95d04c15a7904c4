package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/qcqp"
)

// Clock times one run of a model on some runtime (in the page,
// onnxruntime-web inside the worker: clock_js.go) and names that runtime.
type Clock struct {
	Runtime string
	Time    func(*onnx.Model) (float64, error)
}

// LatencyRequest asks for a latency model of the open model measured on
// the service's clock, as `pare latency` measures one on Pare's executor:
// every prunable layer alone over a Grid x Grid grid of channel counts,
// the whole network at Grid widths, then Validate random pruned networks
// to report the fit's mean percentage error.
type LatencyRequest struct {
	Grid     int `json:"grid"`     // default 4
	Validate int `json:"validate"` // default 20
}

// LatencyResult is the measured model (the JSON `pare prune
// --latency-model` reads) and what it was checked on.
type LatencyResult struct {
	Model *qcqp.LatencyModel `json:"model"`
	// FullSeconds is the unpruned network's measured time; Predicted is
	// the model's prediction of it.
	FullSeconds      float64                `json:"fullSeconds"`
	PredictedFull    float64                `json:"predictedFull"`
	MeanPercentError float64                `json:"meanPercentError"`
	Networks         []qcqp.MeasuredNetwork `json:"networks"`
	Predicted        []float64              `json:"predicted"`
	Timings          int                    `json:"timings"`
	Seconds          float64                `json:"seconds"`
}

// Latency measures a latency model of the open model and keeps it, so
// that Prune takes a latency budget until another model opens.
func (s *Service) Latency(ctx context.Context, req LatencyRequest, progress Progress) (Reply, error) {
	if s.model == nil {
		return Reply{}, userErrorf("no-model", "Open a model first.")
	}
	if s.clock.Time == nil {
		return Reply{}, userErrorf("no-runtime", "No runtime to time the model on here.")
	}
	if req.Grid == 0 {
		req.Grid = 4
	}
	if req.Validate == 0 {
		req.Validate = 20
	}
	if req.Grid < 2 || req.Grid > 8 || req.Validate < 1 || req.Validate > 100 {
		return Reply{}, userErrorf("bad-request", "grid %d, %d validation networks: give a grid of 2 to 8 widths and 1 to 100 networks", req.Grid, req.Validate)
	}
	a, err := qcqp.Analyze(s.model)
	if err != nil {
		return Reply{}, userErrorf("cannot-prune", "This model cannot be pruned here: %s", strings.TrimPrefix(err.Error(), "qcqp: "))
	}
	if a.Free() == 0 {
		return Reply{}, userErrorf("nothing-prunable", "Nothing in this model can be pruned, so there is no latency to budget (%s).", a.FrozenSummary())
	}
	started := time.Now()
	timings := 0
	what := "starting"
	clock := func(m *onnx.Model) (float64, error) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		sec, err := s.clock.Time(m)
		timings++
		if progress != nil {
			progress(job.Progress{Stage: "latency", Done: int64(timings), Elapsed: time.Since(started), Message: what})
		}
		return sec, err
	}
	rep, err := qcqp.MeasureLatency(ctx, a, qcqp.MeasureOptions{Grid: req.Grid, Validate: req.Validate, Runtime: s.clock.Runtime,
		Time: clock, Progress: func(m string) { what = m }})
	if err != nil {
		if errors.Is(err, context.Canceled) || ctx.Err() != nil {
			return Reply{}, errCancelled
		}
		return Reply{}, userErrorf("latency-failed", "Timing the model failed: %s", strings.TrimPrefix(err.Error(), "qcqp: "))
	}
	full, err := s.predictFull(a, rep.Model)
	if err != nil {
		return Reply{}, err
	}
	s.latency = rep.Model
	res := &LatencyResult{Model: rep.Model, FullSeconds: rep.FullSeconds, PredictedFull: full, MeanPercentError: rep.Model.MeanPercentError,
		Networks: rep.Networks, Predicted: rep.Predicted, Timings: timings, Seconds: time.Since(started).Seconds()}
	return Reply{Value: res}, nil
}

// predictFull is the model's prediction for the unpruned network.
func (s *Service) predictFull(a *qcqp.Analysis, lm *qcqp.LatencyModel) (float64, error) {
	layers, err := a.Layers(qcqp.NormL1)
	if err != nil {
		return 0, err
	}
	p, err := a.Problem(layers, nil)
	if err != nil {
		return 0, err
	}
	full := make([]int, len(p.Maps))
	for i, mp := range p.Maps {
		full[i] = mp.Channels
	}
	return lm.Seconds(p, full)
}

// addLatencyBudget adds the kept latency model's constraint to p: limit
// is seconds, or fraction of the predicted unpruned time. It returns the
// limit in seconds.
func (s *Service) addLatencyBudget(p *qcqp.Problem, fraction, value float64) (float64, error) {
	if s.latency == nil {
		return 0, userErrorf("no-latency-model", "A latency budget needs this model's latency measured in this browser first: press Calibrate.")
	}
	b := qcqp.LatencyBudget{Seconds: value, Fraction: fraction}
	if fraction > 1 {
		// A share above 100 % is refused, not read as seconds.
		b.Seconds = 0
	}
	l, err := s.latency.AddBudget(p, b)
	var un *qcqp.UnreachableLatencyError
	var mis *qcqp.LatencyMismatchError
	switch {
	case err == nil:
		return l.Seconds, nil
	case errors.As(err, &mis):
		return 0, userErrorf("no-latency-model", "The latency model does not fit this model (%v): calibrate again.", mis.Err)
	case errors.Is(err, qcqp.ErrBadLatencyBudget):
		return 0, userErrorf("bad-budget", "Give a latency budget: a share above 0 and at most 100 %% of the model's, or a time above 0.")
	case errors.As(err, &un):
		return 0, userErrorf("unreachable-budget", "No pruning of this model meets a latency budget of %.4g ms: the least the latency model predicts is %.4g ms (%.1f %% of the unpruned %.4g ms), with one channel left in every prunable group. Raise the budget to at least that.",
			1e3*un.Limit.Seconds, 1e3*un.Limit.Least, 100*un.Limit.Least/un.Limit.Full, 1e3*un.Limit.Full)
	}
	return 0, err
}
