package compress

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/internal/latencytest"
	"github.com/pare-ml/pare/qcqp"
)

// syntheticLatency is a latency model of m whose every layer costs what
// a convolution's multiply-adds would (a + d*n_in*n_out): a stand-in for
// a measured one, so the test does not time anything.
func syntheticLatency(t *testing.T, m *onnx.Model) *qcqp.LatencyModel {
	return latencytest.Synthetic(t, m)
}

// runPrune runs the pipeline's prune stage.
func runPrune(t *testing.T, cfg Config) (*Pipeline, error) {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		return nil, err
	}
	for !p.Done() && p.Finished() != StagePrune {
		if _, err := p.Step(context.Background()); err != nil {
			return p, err
		}
	}
	return p, nil
}

// A latency budget prunes to the latency model's prediction, alone or
// beside a resource budget, and is refused without a model, below the
// least the model predicts, or with a model of another network.
func TestPipelineLatencyBudget(t *testing.T) {
	cfg := demoConfig(t)
	lm := syntheticLatency(t, cfg.Model)
	cfg.Budgets, cfg.Latency, cfg.LatencyModel = nil, &qcqp.LatencyBudget{Fraction: 0.5}, lm
	p, err := runPrune(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Report()
	l := r.Latency
	if l == nil || l.Runtime != "synthetic" || l.PredictedAfterMS > l.BudgetMS || l.BudgetMS != 0.5*l.PredictedBeforeMS || l.PredictedAfterMS < 0.3*l.PredictedBeforeMS {
		t.Fatalf("latency report %+v", l)
	}
	if got := r.Resources[qcqp.MACs]; !(got.Pruned < got.Before) || got.Budget != nil {
		t.Errorf("MACs %+v: pruning to half the predicted time should cut them, with no MACs budget", got)
	}
	if got := r.Recipe.Budgets; len(got) != 1 || got[0] != "latency=50%" {
		t.Errorf("recipe budgets %v", got)
	}

	both := cfg
	both.Budgets = []qcqp.Budget{{Resource: qcqp.MACs, Fraction: 0.3}}
	if p, err = runPrune(t, both); err != nil {
		t.Fatal(err)
	}
	if mc := p.Report().Resources[qcqp.MACs]; mc.Pruned > *mc.Budget || p.Report().Latency.PredictedAfterMS > p.Report().Latency.BudgetMS {
		t.Errorf("MACs %+v, latency %+v: over a budget", mc, p.Report().Latency)
	}

	none := cfg
	none.LatencyModel = nil
	if _, err := New(none); !errors.Is(err, ErrNoLatencyModel) {
		t.Errorf("no latency model: %v", err)
	}
	bad := cfg
	bad.Latency = &qcqp.LatencyBudget{Fraction: 2}
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "latency=200%") {
		t.Errorf("a share of 200 %%: %v", err)
	}
	low := cfg
	low.Latency = &qcqp.LatencyBudget{Seconds: 1e-6}
	if _, err := runPrune(t, low); !errors.Is(err, qcqp.ErrInfeasible) || !strings.Contains(err.Error(), "the least the latency model (synthetic) predicts") {
		t.Errorf("1 us: %v", err)
	}
	other := cfg
	other.LatencyModel = &qcqp.LatencyModel{Runtime: "synthetic", Layers: lm.Layers[1:]}
	if _, err := runPrune(t, other); err == nil || !strings.Contains(err.Error(), "another network") {
		t.Errorf("a model of another network: %v", err)
	}
}
