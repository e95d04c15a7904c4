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
