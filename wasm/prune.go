package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/units"
	"github.com/pare-ml/pare/qcqp"
)

// pruneTimeLimit is how long the solver may search before its best
// selection is kept: the CLI's --time-limit default, so the page and
// `pare prune` choose the same channels on the same model.
const pruneTimeLimit = 10 * time.Second

// PruneRequest asks for `pare prune MODEL --budget RESOURCE=...` on the open
// model, with the CLI's defaults (L1 importance, the exact solver,
// folding removed channels into the next biases).
type PruneRequest struct {
	// Resource is "macs", "params", "memory" or "latency" (after a
	// latency request measured the open model: Fraction of its predicted
	// time, or Value seconds).
	Resource string `json:"resource"`
	// Fraction in (0, 1] caps the resource at that share of the open
	// model's figure; otherwise Value is the absolute cap.
	Fraction float64 `json:"fraction"`
	Value    float64 `json:"value"`
	// LatencyModel is the page's copy of the open model's measured
	// latency model (a worker that reopened the model has lost its own).
	LatencyModel *qcqp.LatencyModel `json:"latencyModel,omitempty"`
	// MinKeep is the share of every prunable channel group that must stay
	// (qcqp.Analysis.MinKeep; 0: one channel). Absent:
	// qcqp.DefaultMinKeep, lowered as far as the budget needs, as pare
	// prune does by default.
	MinKeep *float64 `json:"minKeep,omitempty"`
}

// PruneProgress is one solver step as the page sees it: the solver's
// job.Progress (incumbent, bound, gap and nodes in its figures), what its
// stage is doing in words (qcqp.StageText, which `pare prune` shows too)
// and the incumbent's masks of the prunable maps, for the kept-channel
// table and the live view.
type PruneProgress struct {
	job.Progress
	Doing string    `json:"doing"`
	Maps  []MapMask `json:"maps"`
}

// MapMask is one prunable map of a selection: Mask has a '1' per kept
// channel and a '0' per removed one.
type MapMask struct {
	Name     string `json:"name"`
	Channels int    `json:"channels"`
	Kept     int    `json:"kept"`
	Mask     string `json:"mask"`
}

// PruneResult is what the page shows of a prune; the pruned model goes
// along as the reply's blob.
type PruneResult struct {
	Status    string  `json:"status"`
	Objective float64 `json:"objective"`
	// Bound and Gap are nil when no bound was proven.
	Bound   *float64 `json:"bound"`
	Gap     *float64 `json:"gap"`
	Nodes   int64    `json:"nodes"`
	Seconds float64  `json:"seconds"`
	// Budget is the cap in the resource's own unit.
	Resource string  `json:"resource"`
	Budget   float64 `json:"budget"`
	// Before and After are re-measured on the models (qcqp.Measure, what
	// `pare info` reports).
	Before     qcqp.Figures `json:"before"`
	After      qcqp.Figures `json:"after"`
	Maps       []MapMask    `json:"maps"`
	Frozen     int          `json:"frozen"`
	ModelBytes int          `json:"modelBytes"`
	// MinKeep is the floor share every prunable group kept (asked, or the
	// default as fitted to the budget).
	MinKeep float64 `json:"minKeep"`
	// Latency is set for a latency budget (Budget is then in seconds).
	Latency *PruneLatency `json:"latency,omitempty"`
}

// PruneLatency is a latency-budgeted prune's times, in seconds: the
// model's predictions and the clock's measurements, before and after.
type PruneLatency struct {
	Runtime           string  `json:"runtime"`
	PredictedBefore   float64 `json:"predictedBefore"`
	PredictedAfter    float64 `json:"predictedAfter"`
	MeasuredBefore    float64 `json:"measuredBefore"`
	MeasuredAfter     float64 `json:"measuredAfter"`
	ModelErrorPercent float64 `json:"modelErrorPercent"`
}

// prunedLatency predicts and measures the pruned model's time.
func (s *Service) prunedLatency(p *qcqp.Problem, sel *qcqp.Selection, pruned *onnx.Model, limit float64) (*PruneLatency, error) {
	full := make([]int, len(p.Maps))
	for i, mp := range p.Maps {
		full[i] = mp.Channels
	}
	lat := &PruneLatency{Runtime: s.latency.Runtime, ModelErrorPercent: s.latency.MeanPercentError}
	var err error
	if lat.PredictedBefore, err = s.latency.Seconds(p, full); err != nil {
		return nil, err
	}
	if lat.PredictedAfter, err = s.latency.Seconds(p, sel.Counts()); err != nil {
		return nil, err
	}
	if lat.PredictedAfter > limit*(1+1e-9) {
		return nil, fmt.Errorf("the pruned model's predicted latency %.6g s is over its budget %.6g s (a bug in pare; please report it)", lat.PredictedAfter, limit)
	}
	if s.clock.Time != nil {
		if lat.MeasuredBefore, err = s.clock.Time(s.model); err != nil {
			return nil, userErrorf("latency-failed", "Timing the model failed: %v", err)
		}
		if lat.MeasuredAfter, err = s.clock.Time(pruned); err != nil {
			return nil, userErrorf("latency-failed", "Timing the pruned model failed: %v", err)
		}
	}
	return lat, nil
}

// Prune selects the channels to keep under the budget by driving
// qcqp.NewSolver one step at a time (each step about 50 ms; the bridge
// yields to the worker between them, so Cancel gets in), then removes the
// others from a copy of the open model. The open model is not changed.
func (s *Service) Prune(ctx context.Context, req PruneRequest, send func(any)) (Reply, error) {
	if s.model == nil {
		return Reply{}, userErrorf("no-model", "Open a model first.")
	}
	latency := req.Resource == "latency"
	if latency && req.LatencyModel != nil {
		s.latency = req.LatencyModel
	}
	var budget qcqp.Budget
	if !latency {
		var err error
		if budget, err = req.budget(); err != nil {
			return Reply{}, err
		}
	} else if s.latency == nil {
		return Reply{}, userErrorf("no-latency-model", "A latency budget needs this model's latency measured in this browser first: press Calibrate.")
	}
	if k := req.MinKeep; k != nil && (math.IsNaN(*k) || *k < 0 || *k > 1) {
		return Reply{}, userErrorf("bad-min-keep", "The share each layer keeps must be between 0 and 100 %%.")
	}
	a, err := qcqp.Analyze(s.model)
	if err != nil {
		return Reply{}, userErrorf("cannot-prune", "This model cannot be pruned here: %s", strings.TrimPrefix(err.Error(), "qcqp: "))
	}
	if req.MinKeep != nil {
		a.MinKeep = *req.MinKeep
	}
	if a.Free() == 0 {
		return Reply{}, userErrorf("nothing-prunable", "Nothing in this model can be pruned: every channel group is frozen (%s). Pare prunes the channels between conv, Gemm and MatMul layers; the network's input and output keep theirs.", a.FrozenSummary())
	}
	before, err := qcqp.Measure(s.model)
	if err != nil {
		return Reply{}, userErrorf("cannot-prune", "This model's costs cannot be measured: %v", err)
	}
	limit := budget.Value
	if budget.Fraction > 0 {
		limit = budget.Fraction * before.Of(budget.Resource)
	}
	layers, err := a.Layers(qcqp.NormL1)
	if err != nil {
		return Reply{}, userErrorf("cannot-prune", "%s", strings.TrimPrefix(err.Error(), "qcqp: "))
	}
	var budgets []qcqp.Budget
	if !latency {
		budgets = []qcqp.Budget{budget}
	}
	p, err := a.Problem(layers, budgets)
	if err != nil {
		return Reply{}, userErrorf("cannot-prune", "%s", strings.TrimPrefix(err.Error(), "qcqp: "))
	}
	if latency {
		if limit, err = s.addLatencyBudget(p, req.Fraction, req.Value); err != nil {
			return Reply{}, err
		}
	}
	share := a.MinKeep
	if req.MinKeep == nil {
		if share, err = p.FitMinKeep(qcqp.DefaultMinKeep); err != nil {
			return Reply{}, err
		}
	}
	solver, err := qcqp.NewSolver(p, qcqp.Options{TimeLimit: pruneTimeLimit})
	if err != nil {
		if errors.Is(err, qcqp.ErrInfeasible) && !latency {
			return Reply{}, unreachable(a, p, budget.Resource, limit, before)
		}
		return Reply{}, err
	}
	progress := func(pr job.Progress) {
		if send == nil {
			return
		}
		var maps []MapMask
		if sel := solver.Result().Selection; sel != nil {
			maps = masksOf(a, sel)
		}
		pr.Figures = finiteFigures(pr.Figures)
		send(PruneProgress{Progress: pr, Doing: qcqp.StageText(pr.Stage), Maps: maps})
	}
	if err := job.Run(ctx, solver, progress); err != nil {
		switch {
		case errors.Is(err, context.Canceled):
			return Reply{}, errCancelled
		case errors.Is(err, qcqp.ErrInfeasible) && !latency:
			return Reply{}, unreachable(a, p, budget.Resource, limit, before)
		case errors.Is(err, qcqp.ErrTimeLimit):
			return Reply{}, userErrorf("solver-time-limit", "The solver found no selection that meets the budget within its %v: raise the budget, or prune on the command line with a longer --time-limit.", pruneTimeLimit)
		}
		return Reply{}, userErrorf("solver-failed", "The solver stopped: %s", strings.TrimPrefix(err.Error(), "qcqp: "))
	}
	res := solver.Result()
	budgetText := budget.String()
	if latency {
		budgetText = fmt.Sprintf("latency=%.6gms (%s)", 1e3*limit, s.latency.Runtime)
	}
	recipe := map[string]any{"tool": "pare page", "method": "qcqp", "importance": "l1",
		"budgets": []string{budgetText}, "status": string(res.Status), "objective": res.Objective, "gap": finite(res.Gap)}
	pruned, err := a.Prune(res.Selection, qcqp.PruneOptions{Recipe: recipe})
	if err != nil {
		return Reply{}, err
	}
	after, err := qcqp.Measure(pruned)
	if err != nil {
		return Reply{}, fmt.Errorf("the pruned model does not analyse (a bug in pare; please report it): %w", err)
	}
	var lat *PruneLatency
	if latency {
		if lat, err = s.prunedLatency(p, res.Selection, pruned, limit); err != nil {
			return Reply{}, err
		}
	} else if got := after.Of(budget.Resource); got > limit {
		return Reply{}, fmt.Errorf("the pruned model's %s is %.6g, over its budget %.6g (a bug in pare; please report it)", budget.Resource, got, limit)
	}
	out, err := onnx.Encode(pruned)
	if err != nil {
		return Reply{}, err
	}
	r := &PruneResult{Status: string(res.Status), Objective: res.Objective, Bound: finite(res.Bound), Gap: finite(res.Gap),
		Nodes: res.Nodes, Seconds: res.Elapsed.Seconds(), Resource: req.Resource, Budget: limit, Latency: lat,
		Before: before, After: after, Maps: masksOf(a, res.Selection), ModelBytes: len(out), MinKeep: share}
	for _, mp := range a.Maps {
		if mp.Fixed {
			r.Frozen++
		}
	}
	return Reply{Value: r, Blob: out}, nil
}

// budget checks the request and turns it into the solver's budget.
func (req PruneRequest) budget() (qcqp.Budget, error) {
	r := qcqp.Resource(req.Resource)
	if r != qcqp.MACs && r != qcqp.Params && r != qcqp.Memory {
		return qcqp.Budget{}, userErrorf("bad-request", "resource %q: choose macs, params or memory", req.Resource)
	}
	switch {
	case req.Fraction > 0 && req.Fraction <= 1:
		return qcqp.Budget{Resource: r, Fraction: req.Fraction}, nil
	case req.Fraction != 0 || math.IsNaN(req.Fraction):
		return qcqp.Budget{}, userErrorf("bad-budget", "A budget of %g %% cannot be met by pruning: give a share above 0 and at most 100 %%.", 100*req.Fraction)
	case req.Value > 0 && !math.IsInf(req.Value, 0):
		return qcqp.Budget{Resource: r, Value: req.Value}, nil
	}
	return qcqp.Budget{}, userErrorf("bad-budget", "Give a budget: a share of the model's %s, or a figure above 0.", r)
}

// unreachable is the error for a budget below what the smallest selection
// (one channel per prunable group, the frozen groups whole) costs, naming
// that figure so the user knows what to ask for.
func unreachable(a *qcqp.Analysis, p *qcqp.Problem, r qcqp.Resource, limit float64, before qcqp.Figures) error {
	counts := make([]int, len(p.Maps))
	for m := range p.Maps {
		counts[m] = p.Maps[m].Floor()
	}
	floors, advice := "with one channel left in every prunable group", ""
	if a.MinKeep > 0 {
		floors = fmt.Sprintf("with %g %% of every prunable group kept (the share you asked each layer to keep)", 100*a.MinKeep)
		advice = ", or lower the share each layer keeps"
	}
	least, err := a.Predict(counts)
	if err != nil {
		return userErrorf("unreachable-budget", "No pruning of this model meets a %s budget of %s.", r, figure(r, limit))
	}
	min := least.Of(r)
	return &UserError{Code: "unreachable-budget", Message: fmt.Sprintf(
		"No pruning of this model meets a %s budget of %s: the smallest it can reach is %s (%.1f %% of its %s), %s and the frozen groups whole. Raise the budget to at least that%s.",
		r, figure(r, limit), figure(r, min), 100*min/before.Of(r), figure(r, before.Of(r)), floors, advice)}
}

// figure writes a resource's amount with its unit, to the unit as
// `pare info` counts it.
func figure(r qcqp.Resource, v float64) string {
	n := int64(math.Round(v))
	switch r {
	case qcqp.MACs:
		return units.Thousands(n) + " MACs"
	case qcqp.Params:
		return units.Thousands(n) + " parameters"
	}
	return units.Thousands(n) + " bytes"
}

// masksOf lists the prunable maps of sel with their masks.
func masksOf(a *qcqp.Analysis, sel *qcqp.Selection) []MapMask {
	var out []MapMask
	for m, mp := range a.Maps {
		if mp.Fixed || m >= len(sel.Keep) {
			continue
		}
		var b strings.Builder
		kept := 0
		for _, on := range sel.Keep[m] {
			if on {
				kept++
				b.WriteByte('1')
			} else {
				b.WriteByte('0')
			}
		}
		out = append(out, MapMask{Name: mp.Name, Channels: mp.Channels, Kept: kept, Mask: b.String()})
	}
	return out
}

// finiteFigures drops the figures JSON cannot carry: a bound or gap not
// proven yet is infinite, and the page shows it as missing.
func finiteFigures(f map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(f))
	for k, v := range f {
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			out[k] = v
		}
	}
	return out
}

func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}
