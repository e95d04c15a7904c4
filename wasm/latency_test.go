package main

import (
	"context"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/qcqp"
)

// macsClock is a runtime whose time is linear in a model's MACs, which the
// latency model can represent exactly.
func macsClock() Clock {
	return Clock{Runtime: "synthetic", Time: func(m *onnx.Model) (float64, error) {
		f, err := qcqp.Measure(m)
		if err != nil {
			return 0, err
		}
		return 2e-6 + 1e-9*f.MACs, nil
	}}
}

// The page measures a latency model in the worker, keeps it, and prunes
// the open model to a share of its predicted time; what it measures of
// the pruned model is within the budget.
func TestLatencyBudgetOnTheDemo(t *testing.T) {
	s := openDemo(t)
	s.clock = macsClock()
	if _, err := s.Prune(context.Background(), PruneRequest{Resource: "latency", Fraction: 0.5}, nil); AsUserError(err).Code != "no-latency-model" {
		t.Fatalf("latency budget before calibrating: %v", err)
	}
	steps := 0
	reply, err := s.Latency(context.Background(), LatencyRequest{Grid: 3}, func(p job.Progress) { steps++ })
	if err != nil {
		t.Fatal(err)
	}
	res := reply.Value.(*LatencyResult)
	if res.MeanPercentError > 1e-6 || len(res.Networks) != 20 || res.Timings != steps || steps < 20 || math.Abs(res.PredictedFull-res.FullSeconds) > 1e-9*res.FullSeconds+1e-12 {
		t.Fatalf("latency model: error %g %%, %d networks, %d timings (%d progress), predicted %g s for a measured %g s",
			res.MeanPercentError, len(res.Networks), res.Timings, steps, res.PredictedFull, res.FullSeconds)
	}
	pr, err := s.Prune(context.Background(), PruneRequest{Resource: "latency", Fraction: 0.5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := pr.Value.(*PruneResult)
	if r.Latency == nil || r.Resource != "latency" || r.Latency.PredictedAfter > r.Budget || r.Latency.MeasuredAfter > r.Budget*(1+1e-9) ||
		math.Abs(r.Budget-0.5*res.PredictedFull) > 1e-12 {
		t.Fatalf("pruned to %+v under a budget of %g s (predicted full %g s)", r.Latency, r.Budget, res.PredictedFull)
	}
	if _, err := s.Prune(context.Background(), PruneRequest{Resource: "latency", Value: 1e-9}, nil); AsUserError(err).Code != "unreachable-budget" {
		t.Errorf("a latency budget of 1 ns: %v", err)
	}
	// Another model forgets the latency model.
	modelFiles, _ := demoFiles(t)
	if _, err := s.OpenModel("", modelFiles); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Prune(context.Background(), PruneRequest{Resource: "latency", Fraction: 0.5}, nil); AsUserError(err).Code != "no-latency-model" {
		t.Errorf("latency budget after opening another model: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	if _, err := s.Latency(ctx, LatencyRequest{}, func(job.Progress) { cancel() }); AsUserError(err).Code != "cancelled" {
		t.Errorf("cancelled calibration: %v", err)
	}
	if _, err := (&Service{}).Latency(context.Background(), LatencyRequest{}, nil); AsUserError(err).Code != "no-model" {
		t.Errorf("no model: %v", err)
	}
}

// The Compress tab takes a latency budget with the latency model the
// Prune tab calibrated (sent along with the budget, since the pipeline
// may run in another worker), and refuses one without it.
func TestCompressLatencyBudget(t *testing.T) {
	s := openDemo(t)
	s.clock = macsClock()
	latency := []PruneRequest{{Resource: "latency", Fraction: 0.5}}
	if _, err := s.Compress(context.Background(), CompressRequest{Budgets: latency, Until: "prune"}, nil, nil); AsUserError(err).Code != "no-latency-model" {
		t.Fatalf("a latency budget before calibrating: %v", err)
	}
	reply, err := s.Latency(context.Background(), LatencyRequest{Grid: 2, Validate: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	lm := reply.Value.(*LatencyResult).Model
	other := &Service{}
	*other = *s
	other.latency = nil // a worker that did not calibrate
	latency[0].LatencyModel = lm
	r, err := other.Compress(context.Background(), CompressRequest{Budgets: latency, Until: "prune"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := r.Value.(*CompressResult).Report.Latency
	if l == nil || l.Runtime != "synthetic" || l.PredictedAfterMS > l.BudgetMS || math.Abs(l.BudgetMS-0.5*l.PredictedBeforeMS) > 1e-12 {
		t.Fatalf("latency report %+v", l)
	}
	for _, tc := range []struct {
		budget PruneRequest
		code   string
	}{
		{PruneRequest{Resource: "latency", Value: 1e-9}, "unreachable-budget"},
		{PruneRequest{Resource: "latency", Fraction: 1.5}, "bad-budget"},
		{PruneRequest{Resource: "latency"}, "bad-budget"},
	} {
		if _, err := other.Compress(context.Background(), CompressRequest{Budgets: []PruneRequest{tc.budget}, Until: "prune"}, nil, nil); AsUserError(err).Code != tc.code {
			t.Errorf("%+v: %v, want %s", tc.budget, err, tc.code)
		}
	}
}
