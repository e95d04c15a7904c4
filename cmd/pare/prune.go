package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/core/units"
	"github.com/pare-ml/pare/qcqp"
)

// pruneResult holds the --json keys of pare prune (docs/cli.md).
type pruneResult struct {
	Model        string                    `json:"model"`
	Output       string                    `json:"output"`
	Method       string                    `json:"method"`
	Importance   string                    `json:"importance"`
	Status       string                    `json:"status"`
	Objective    float64                   `json:"objective"`
	Bound        *float64                  `json:"bound"`
	Gap          *float64                  `json:"gap"`
	Nodes        int64                     `json:"nodes"`
	SolveSeconds float64                   `json:"solve_seconds"`
	Folded       bool                      `json:"folded"`
	Resources    map[string]resourceChange `json:"resources"`
	Maps         []keptMap                 `json:"maps"`
	Frozen       []frozenMap               `json:"frozen"`
	Latency      *latencyReport            `json:"latency,omitempty"`
	Granularity  string                    `json:"granularity"`
	Taps         *tapsReport               `json:"taps,omitempty"`
	// FrozenEstimate is each budgeted macs or params figure as a
	// frozen-neighbour pruner would count this selection
	// (qcqp.Problem.FrozenEstimate): below the file's by the inactive
	// weights a pruner that freezes the neighbours' widths double-counts.
	FrozenEstimate map[string]float64 `json:"frozen_estimate,omitempty"`
	// MinKeep is the floor share every prunable map kept (--min-keep, or
	// the default as fitted to the budget).
	MinKeep  float64         `json:"min_keep"`
	Finetune json.RawMessage `json:"finetune,omitempty"` // pare finetune's report, with --data
	Notes    []string        `json:"notes,omitempty"`
}

// tapsReport is the kernel-shape stage of --granularity shape.
type tapsReport struct {
	Removed     int               `json:"removed"`
	Of          int               `json:"of"`
	RemovedMACs float64           `json:"removed_macs"`
	DenseMACs   float64           `json:"dense_macs"` // what a runtime that does not skip zero taps runs
	Inflation   float64           `json:"inflation"`
	Trials      []qcqp.ShapeTrial `json:"trials"`
	Layers      []qcqp.TapLayer   `json:"layers"`
}

type resourceChange struct {
	Before float64  `json:"before"`
	After  float64  `json:"after"`
	Budget *float64 `json:"budget"`
}

type keptMap struct {
	Map      string `json:"map"`
	Channels int    `json:"channels"`
	Kept     int    `json:"kept"`
}

type frozenMap struct {
	Map      string   `json:"map"`
	Channels int      `json:"channels"`
	Reasons  []string `json:"reasons"`
}

func runPrune(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("prune", "prune MODEL --budget macs=50%[,params=..,memory=..,latency=2ms] [--latency-model FILE] -o OUT [--importance l1|l2|taylor] [--granularity channel|shape] [--data TRAIN [--val VAL] [--finetune-epochs N]] [--time-limit 10s] [--min-keep 25%] [--emit-lp FILE] [--no-fold] [--json]", stderr)
	var budgets stringList
	fs.Var(&budgets, "budget", "resource caps: macs, params or memory = a percentage of the model's (50%), a fraction (0.5) or an absolute figure (1.2M, 300k, 2MB); latency = a time (2ms, 500us) or a percentage, with --latency-model; repeat or separate with commas")
	latencyFile := fs.String("latency-model", "", "latency model written by 'pare latency' (or the web app), read by a latency budget")
	out := fs.String("o", "", "output model file (required)")
	importance := fs.String("importance", "l1", "how weights are scored: l1 (the paper's), l2, or taylor (first-order Taylor from gradients on --data)")
	data := fs.String("data", "", "labelled images: the pruned model is fine-tuned on them (pare finetune's defaults, distilled from MODEL), and --importance taylor scores with them")
	var tune pruneTuneFlags
	tune.register(fs)
	batches := fs.Int("taylor-batches", 8, "mini-batches of 32 images for --importance taylor")
	split := fs.String("split", "train", "which split of a folder holding both train and test files --data reads")
	timeLimit := fs.Duration("time-limit", 10*time.Second, "stop the solver after this long and keep its best selection")
	method := fs.String("method", "qcqp", "channel selection: qcqp (the exact solver), greedy (its first incumbent), l1 (uniform per-layer L1 filter pruning) or knapsack (global filter ranking with frozen-neighbour costs)")
	minKeep := fs.String("min-keep", "auto", "the share of every prunable channel group that must stay (25% or 0.25): a floor that keeps the solver from narrowing a layer the objective values little but the network needs; auto: 25 %, lowered as far as the budget needs; 0: one channel (the paper's problem)")
	emitLP := fs.String("emit-lp", "", "also write the channel-selection problem as a 0/1 linear program in LP format, for an external MILP solver (CBC) to certify the optimum")
	noFold := fs.Bool("no-fold", false, "do not fold the constant output of removed channels into the next layer's bias")
	granularity := fs.String("granularity", "channel", "what is removed: channel, or shape (channels, then kernel taps of the kept filters, stored as zeros: they save MACs in a runtime that skips zero taps, not file size or dense-runtime time; needs a macs budget)")
	asJSON := fs.Bool("json", false, "print machine-readable JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usagef("give exactly one model file")
	case len(budgets) == 0:
		return usagef("--budget is required, e.g. --budget macs=50%%")
	case *out == "":
		return usagef("-o OUT is required")
	case *method != "qcqp" && *method != "greedy" && *method != "l1" && *method != "knapsack":
		return usagef("--method %q is not available (want qcqp, greedy, l1 or knapsack)", *method)
	case *importance != "l1" && *importance != "l2" && *importance != "taylor":
		return usagef("--importance %q: want l1, l2 or taylor", *importance)
	case *importance == "taylor" && *data == "":
		return usagef("--importance taylor needs labelled images: --data DIR")
	case *data == "" && tune.given(fs) != "":
		return usagef("--%s is for the fine-tune after pruning, which needs --data TRAIN", tune.given(fs))
	case tune.epochs < 0:
		return usagef("--finetune-epochs must be >= 0")
	case *timeLimit <= 0:
		return usagef("--time-limit must be positive")
	case *batches < 1:
		return usagef("--taylor-batches must be at least 1")
	case *granularity != "channel" && *granularity != "shape":
		return usagef("--granularity %q: want channel or shape", *granularity)
	case *granularity == "shape" && *method != "qcqp":
		return usagef("--granularity shape runs the qcqp solver's two stages; --method %s selects channels only", *method)
	case *emitLP != "" && *granularity == "shape":
		return usagef("--emit-lp writes the channel problem of --granularity channel; the shape stage is a knapsack over taps")
	case *granularity == "shape" && *importance != "l1":
		return usagef("--granularity shape scores kernel taps by their L1 mass (the paper's); use --importance l1")
	}
	bs, lat, err := parseBudgets(budgets)
	if err != nil {
		return usagef("%v", err)
	}
	keepShare, autoKeep, err := parseMinKeep(*minKeep)
	if err != nil {
		return usagef("--min-keep: %v", err)
	}
	if *granularity == "shape" {
		hasMACs := false
		for _, b := range bs {
			hasMACs = hasMACs || b.Resource == qcqp.MACs
		}
		switch {
		case !hasMACs:
			return usagef("--granularity shape saves MACs only (a removed tap is stored as zeros): give a macs budget, e.g. --budget macs=50%%")
		case lat != nil:
			return usagef("--granularity shape does not take a latency budget: a dense runtime does not run faster for zero taps")
		}
	}
	lm, err := latencyModelFor(lat, *latencyFile, pos[0])
	if err != nil {
		return err
	}
	m, err := readModel(pos[0], stderr)
	if err != nil {
		return err
	}
	a, err := qcqp.Analyze(m)
	if err != nil {
		return err
	}
	if a.Free() == 0 {
		return fmt.Errorf("nothing in %s can be pruned: every channel group is frozen (%s); run 'pare info --channels %s' for the reasons", pos[0], a.FrozenSummary(), pos[0])
	}
	if !autoKeep {
		a.MinKeep = keepShare
	}
	var layers []qcqp.Layer
	if *importance == "taylor" {
		layers, err = taylorLayers(a, *data, *split, *batches)
	} else {
		layers, err = a.Layers(qcqp.Norm(*importance))
	}
	if err != nil {
		return err
	}
	p, err := a.Problem(layers, bs)
	if err != nil {
		return err
	}
	var latLimit float64
	if lat != nil {
		if latLimit, err = addLatencyConstraint(p, lm, *lat, *latencyFile); err != nil {
			return err
		}
	}
	var keepNote string
	if autoKeep {
		if keepShare, err = p.FitMinKeep(qcqp.DefaultMinKeep); err != nil {
			return err
		}
		a.MinKeep = keepShare // the shape stage's problems
		if keepShare < qcqp.DefaultMinKeep {
			keepNote = fmt.Sprintf("the default floor of %g %% of every channel group was lowered to %g %%, the most this budget can pay for", 100*qcqp.DefaultMinKeep, 100*keepShare)
		}
	}
	if *emitLP != "" {
		if err := writeLP(p, *emitLP); err != nil {
			return err
		}
	}
	var res qcqp.Result
	var note string
	var shape qcqp.ShapeResult
	if *granularity == "shape" {
		ctx, cancel := context.WithTimeout(context.Background(), *timeLimit+*timeLimit/2+time.Second)
		shape, err = a.SolveShape(ctx, layers, bs, qcqp.Options{TimeLimit: *timeLimit})
		cancel()
		res = shape.Channels
	} else {
		line := newSolverLine(stderr, !*asJSON)
		res, note, err = selectChannels(p, *method, *timeLimit, line.Update)
		line.Done()
	}
	if err != nil {
		switch {
		case errors.Is(err, qcqp.ErrTimeLimit):
			return fmt.Errorf("%v: raise --time-limit (now %v)", err, *timeLimit)
		case errors.Is(err, qcqp.ErrInfeasible):
			return fmt.Errorf("%v (that is what the frozen groups and %s cost; see 'pare info --channels')", err, floorWords(keepShare))
		}
		return err
	}
	if res.Selection == nil {
		return fmt.Errorf("the solver found no selection within --time-limit %v; give it more time", *timeLimit)
	}
	recipe := map[string]any{"tool": "pare " + version, "method": *method, "importance": *importance, "granularity": *granularity, "min_keep": keepShare,
		"budgets": budgetStrings(bs, lat), "status": string(res.Status), "objective": res.Objective, "gap": finiteOrNil(res.Gap)}
	if shape.Taps != nil {
		recipe["taps"] = shape.Taps.Layers
		recipe["objective_after_taps"] = shape.Taps.Objective
	}
	pruned, err := a.Prune(res.Selection, qcqp.PruneOptions{NoFold: *noFold, Recipe: recipe})
	if err != nil {
		return err
	}
	if shape.Taps != nil {
		if err := qcqp.ApplyTaps(pruned, shape.Taps); err != nil {
			return err
		}
	}
	before, err := qcqp.Measure(m)
	if err != nil {
		return err
	}
	after, err := qcqp.Measure(pruned)
	if err != nil {
		return fmt.Errorf("the pruned model does not analyse (a bug in pare; please report it): %w", err)
	}
	r := &pruneResult{Model: pos[0], Output: *out, Method: *method, Importance: *importance, Status: string(res.Status),
		Objective: res.Objective, Bound: finiteOrNil(res.Bound), Gap: finiteOrNil(res.Gap), Nodes: res.Nodes,
		SolveSeconds: res.Elapsed.Seconds(), Folded: !*noFold, Resources: map[string]resourceChange{}, Granularity: *granularity}
	if shape.Taps != nil {
		// MACs are those of a runtime that skips zero taps, measured on
		// the file; the objective is the two stages' (no bound: the tap
		// stage is a knapsack heuristic).
		tr := &tapsReport{RemovedMACs: shape.Taps.RemovedMACs, DenseMACs: after.MACs, Inflation: shape.Trials[shape.Best].Inflation, Trials: shape.Trials, Layers: shape.Taps.Layers}
		for _, tl := range shape.Taps.Layers {
			tr.Removed += tl.Removed
			tr.Of += tl.Filters * tl.Taps
		}
		r.Taps = tr
		if before.MACs, err = qcqp.EffectiveMACs(m); err != nil {
			return err
		}
		if after.MACs, err = qcqp.EffectiveMACs(pruned); err != nil {
			return err
		}
		r.Objective, r.Bound, r.Gap = shape.Taps.Objective, nil, nil
		r.SolveSeconds = shape.Elapsed.Seconds()
		r.Notes = append(r.Notes, fmt.Sprintf("kernel shape: the channel stage ran at %.2fx the MACs budget (%s, gap %s), then %d of %d kernel taps were removed; they are stored as zeros, so a dense runtime still runs %s MACs",
			tr.Inflation, res.Status, gapText(finiteOrNil(res.Gap)), tr.Removed, tr.Of, units.Thousands(int64(tr.DenseMACs))))
	}
	if note != "" {
		r.Notes = append(r.Notes, note)
	}
	if keepNote != "" {
		r.Notes = append(r.Notes, keepNote)
	}
	r.MinKeep = keepShare
	for _, rs := range qcqp.Resources {
		r.Resources[string(rs)] = resourceChange{Before: before.Of(rs), After: after.Of(rs)}
	}
	for _, b := range bs {
		limit := b.Value
		if b.Fraction > 0 {
			limit = b.Fraction * before.Of(b.Resource)
		}
		rc := r.Resources[string(b.Resource)]
		rc.Budget = &limit
		r.Resources[string(b.Resource)] = rc
		if rc.After > limit {
			return fmt.Errorf("the pruned model's %s is %.6g, over its budget %.6g (a bug in pare; nothing written)", b.Resource, rc.After, limit)
		}
	}
	counts := res.Selection.Counts()
	if lat != nil {
		rc, rep, err := predictLatency(p, lm, counts, latLimit)
		if err != nil {
			return err
		}
		r.Resources["latency"] = rc
		r.Latency = rep
	}
	if shape.Taps == nil {
		for c, con := range p.Constraints {
			if con.Name == string(qcqp.MACs) || con.Name == string(qcqp.Params) {
				if r.FrozenEstimate == nil {
					r.FrozenEstimate = map[string]float64{}
				}
				r.FrozenEstimate[con.Name] = p.FrozenEstimate(c, res.Selection)
			}
		}
	}
	for k, mp := range a.Maps {
		if mp.Fixed {
			r.Frozen = append(r.Frozen, frozenMap{Map: mp.Name, Channels: mp.Channels, Reasons: a.Frozen[k]})
			continue
		}
		r.Maps = append(r.Maps, keptMap{Map: mp.Name, Channels: mp.Channels, Kept: counts[k]})
	}
	if err := writeModel(pruned, *out); err != nil {
		return err
	}
	if r.Latency != nil {
		if !*asJSON {
			fmt.Fprintln(stderr, "prune: timing the unpruned and the written model...")
		}
		if err := measureLatency(r.Latency, m, *out, stderr); err != nil {
			return err
		}
	}
	if !*asJSON {
		printPrune(stdout, r)
	}
	if *data != "" && tune.epochs > 0 {
		if err := tune.pre.check(); err != nil {
			return err
		}
		if r.Finetune, err = tune.finetunePruned(pos[0], *out, *data, *split, *asJSON, stdout, stderr); err != nil {
			return err
		}
		if err := remeasure(*out, r); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(stdout, r)
	}
	return nil
}

// selectChannels runs the method: the solver, or one of the baselines
// (which prove no bound).
func selectChannels(p *qcqp.Problem, method string, limit time.Duration, report func(job.Progress)) (qcqp.Result, string, error) {
	pick := map[string]func(*qcqp.Problem) (*qcqp.Selection, error){"greedy": qcqp.Greedy, "l1": qcqp.UniformL1, "knapsack": qcqp.GlobalKnapsack}[method]
	if pick == nil {
		return solveWithin(p, limit, report)
	}
	start := time.Now()
	sel, err := pick(p)
	if err != nil {
		return qcqp.Result{}, "", err
	}
	res := qcqp.Result{Selection: sel, Objective: p.Objective(sel), Status: qcqp.StatusHeuristic, Elapsed: time.Since(start)}
	withBound(p, &res, limit)
	return res, "", nil
}

// withBound gives a selection that no search proved its gap to the
// solver's bound computed without search (within a quarter of the time
// limit, as the solver allows itself): how far from optimal it can be.
func withBound(p *qcqp.Problem, res *qcqp.Result, limit time.Duration) {
	res.Bound, res.Gap = math.Inf(1), math.Inf(1)
	var deadline time.Time // none without a time limit
	if limit > 0 {
		deadline = time.Now().Add(limit / 4)
	}
	b := qcqp.UpperBound(p, deadline)
	if math.IsInf(b, 0) || math.IsNaN(b) {
		return
	}
	res.Bound = max(b, res.Objective)
	res.Gap = 0
	if res.Bound > 0 {
		res.Gap = (res.Bound - res.Objective) / res.Bound
	}
	res.Status = qcqp.StatusFeasible
	if res.Gap <= 1e-9 {
		res.Status, res.Gap = qcqp.StatusOptimal, 0
	}
}

// solveWithin runs the solver with its time limit and, should it not
// return within the limit plus a grace period (its leaf stage can
// overrun with many memory constraints), stops waiting and falls back to
// the greedy selection, saying so: pare must not hang. report (when not
// nil) gets the solver's progress after each of its steps, on the
// caller's goroutine and never after solveWithin returns.
func solveWithin(p *qcqp.Problem, limit time.Duration, report func(job.Progress)) (qcqp.Result, string, error) {
	type answer struct {
		res qcqp.Result
		err error
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit+limit/2+time.Second)
	defer cancel()
	done := make(chan answer, 1)
	// One step's progress waits here; while it does, later steps' are
	// dropped, so a slow terminal never holds the solver up.
	steps := make(chan job.Progress, 1)
	go func() {
		s, err := qcqp.NewSolver(p, qcqp.Options{TimeLimit: limit})
		if err != nil {
			done <- answer{err: err}
			return
		}
		err = job.Run(ctx, s, func(pr job.Progress) {
			select {
			case steps <- pr:
			default:
			}
		})
		done <- answer{s.Result(), err}
	}()
	grace := time.NewTimer(2*limit + 2*time.Second)
	defer grace.Stop()
wait:
	for {
		select {
		case pr := <-steps:
			if report != nil {
				report(pr)
			}
		case a := <-done:
			if a.err != nil && errors.Is(a.err, context.DeadlineExceeded) && a.res.Selection != nil {
				return a.res, "the solver overran --time-limit; its best selection so far is used", nil
			}
			return a.res, "", a.err
		case <-grace.C:
			break wait
		}
	}
	start := time.Now()
	sel, err := qcqp.Greedy(p)
	if err != nil {
		return qcqp.Result{}, "", err
	}
	res := qcqp.Result{Selection: sel, Objective: p.Objective(sel), Status: qcqp.StatusHeuristic, Elapsed: time.Since(start)}
	withBound(p, &res, limit)
	return res, fmt.Sprintf("the solver did not stop within twice --time-limit %v; the greedy selection is used, with the gap to the bound computed without search", limit), nil
}

// parseBudgets reads "macs=50%", "params=0.4", "memory=2MB", "macs=1.2M"
// and "latency=2ms" (returned apart: it needs a latency model).
func parseBudgets(list []string) ([]qcqp.Budget, *latencyBudget, error) {
	var out []qcqp.Budget
	var lat *latencyBudget
	seen := map[qcqp.Resource]bool{}
	for _, item := range list {
		for _, part := range strings.Split(item, ",") {
			name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				return nil, nil, fmt.Errorf("--budget %q: want RESOURCE=VALUE, e.g. macs=50%%", part)
			}
			r := qcqp.Resource(strings.ToLower(strings.TrimSpace(name)))
			if r == "latency" {
				if lat != nil {
					return nil, nil, fmt.Errorf("--budget names latency twice")
				}
				l, err := parseLatencyBudget(strings.TrimSpace(val))
				if err != nil {
					return nil, nil, fmt.Errorf("--budget %q: %v", part, err)
				}
				lat = &l
				continue
			}
			if r != qcqp.MACs && r != qcqp.Params && r != qcqp.Memory {
				return nil, nil, fmt.Errorf("--budget %q: unknown resource %q (want macs, params or memory; pare prune also takes latency)", part, name)
			}
			if seen[r] {
				return nil, nil, fmt.Errorf("--budget names %s twice", r)
			}
			seen[r] = true
			b, err := parseBudgetValue(strings.TrimSpace(val))
			if err != nil {
				return nil, nil, fmt.Errorf("--budget %q: %v", part, err)
			}
			b.Resource = r
			out = append(out, b)
		}
	}
	return out, lat, nil
}

// writeLP writes the problem's linearised 0/1 program to path (whole or
// not at all).
func writeLP(p *qcqp.Problem, path string) error {
	if err := checkOutputFile("--emit-lp", path); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := qcqp.EmitLP(&buf, p); err != nil {
		return fmt.Errorf("--emit-lp: %w", err)
	}
	return writeFileAtomic(path, buf.Bytes())
}

// parseMinKeep reads --min-keep: auto, or a share.
func parseMinKeep(s string) (share float64, auto bool, err error) {
	if s == "auto" {
		return 0, true, nil
	}
	share, err = parseShare(s)
	return share, false, err
}

// parseShare reads a share of channels: a percentage (25%) or a fraction
// in [0, 1].
func parseShare(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if strings.HasSuffix(s, "%") {
		v /= 100
	}
	if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
		return 0, fmt.Errorf("%q is not a share: give a percentage (25%%) or a fraction between 0 and 1", s)
	}
	return v, nil
}

// floorWords says what the smallest selection keeps.
func floorWords(share float64) string {
	if share > 0 {
		return fmt.Sprintf("%g %% of every prunable group (--min-keep)", 100*share)
	}
	return "one channel per prunable group"
}

func parseBudgetValue(s string) (qcqp.Budget, error) {
	bad := fmt.Errorf("%q is not a budget: give a percentage (50%%), a fraction in (0, 1] or a figure such as 1.2M or 2MB", s)
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(pct, 64)
		if err != nil || v <= 0 || v > 100 {
			return qcqp.Budget{}, bad
		}
		return qcqp.Budget{Fraction: v / 100}, nil
	}
	mult := 1.0
	upper := strings.TrimSuffix(strings.ToUpper(s), "B")
	for suffix, f := range map[string]float64{"K": 1e3, "M": 1e6, "G": 1e9, "KI": 1 << 10, "MI": 1 << 20, "GI": 1 << 30} {
		if v, ok := strings.CutSuffix(upper, suffix); ok && len(v) > 0 && (v[len(v)-1] >= '0' && v[len(v)-1] <= '9' || v[len(v)-1] == '.') {
			upper, mult = v, f
		}
	}
	v, err := strconv.ParseFloat(upper, 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return qcqp.Budget{}, bad
	}
	if mult == 1 && v <= 1 {
		return qcqp.Budget{Fraction: v}, nil
	}
	return qcqp.Budget{Value: v * mult}, nil
}

func budgetStrings(bs []qcqp.Budget, lat *latencyBudget) []string {
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = b.String()
	}
	if lat != nil {
		s = append(s, lat.String())
	}
	return s
}

func gapText(gap *float64) string {
	if gap == nil {
		return "unproven"
	}
	return fmt.Sprintf("%.3g %%", 100**gap)
}

func finiteOrNil(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

// taylorLayers scores the layers from gradients on the first batches of
// the labelled images at path.
func taylorLayers(a *qcqp.Analysis, path, split string, batches int) ([]qcqp.Layer, error) {
	set, err := dataset.Options{Split: split}.OpenPath(path)
	if err != nil {
		return nil, fmt.Errorf("%w (--split chooses between train and test files)", err)
	}
	const batch = 32
	inShape, err := modelInputShape(a.Model, batch)
	if err != nil {
		return nil, err
	}
	loader := &train.Loader{Set: set, Preprocess: dataset.DefaultPreprocess(inShape), BatchSize: batch, Shuffle: true, Seed: 1}
	return a.TaylorLayers(context.Background(), loader, batches)
}

func printPrune(w io.Writer, r *pruneResult) {
	fmt.Fprintf(w, "pruned %s -> %s (%s, %s importance)\n", r.Model, r.Output, r.Method, r.Importance)
	gap := gapText(r.Gap)
	bound := "none"
	if r.Bound != nil {
		bound = fmt.Sprintf("%.6g", *r.Bound)
	}
	if t := r.Taps; t != nil {
		fmt.Fprintf(w, "solver    channels %s at %.2fx the MACs budget, then %d of %d kernel taps removed (knapsack, no bound): objective %.6g, %.3f s\n",
			r.Status, t.Inflation, t.Removed, t.Of, r.Objective, r.SolveSeconds)
	} else {
		fmt.Fprintf(w, "solver    %s: objective %.6g, bound %s, gap %s, %d nodes, %.3f s\n", r.Status, r.Objective, bound, gap, r.Nodes, r.SolveSeconds)
	}
	fmt.Fprintf(w, "\n%-8s %16s %16s %16s %8s\n", "resource", "before", "after", "budget", "after %")
	for _, rs := range qcqp.Resources {
		rc := r.Resources[string(rs)]
		budget := "-"
		if rc.Budget != nil {
			budget = units.Thousands(int64(*rc.Budget))
		}
		fmt.Fprintf(w, "%-8s %16s %16s %16s %7.1f%%\n", rs, units.Thousands(int64(rc.Before)), units.Thousands(int64(rc.After)), budget, 100*rc.After/rc.Before)
	}
	if l := r.Latency; l != nil {
		fmt.Fprintf(w, "%-8s %13.4f ms %13.4f ms %13.4f ms %7.1f%%  (predicted by the %s model)\n", "latency", l.PredictedBeforeMS, l.PredictedAfterMS, l.BudgetMS, 100*l.PredictedAfterMS/l.PredictedBeforeMS, l.Model)
		fmt.Fprintf(w, "%-8s %13.4f ms %13.4f ms %16s %7.1f%%  (measured on %s)\n", "", l.MeasuredBeforeMS, l.MeasuredAfterMS, "", 100*l.MeasuredAfterMS/l.MeasuredBeforeMS, l.MeasuredOn)
	}
	fmt.Fprintln(w, "\nkept channels:")
	for _, m := range r.Maps {
		fmt.Fprintf(w, "  %-48s %5d of %d\n", clip(m.Map, 48), m.Kept, m.Channels)
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	if len(r.Frozen) > 0 {
		fmt.Fprintf(w, "frozen: %d groups (the network's input and output, and what 'pare info --channels' lists)\n", len(r.Frozen))
	}
}
