package compress

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/eval"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/qcqp"
	"github.com/pare-ml/pare/qil"
)

// loaders builds the training, validation and test loaders all stages
// share.
func (p *Pipeline) loaders() error {
	c := &p.cfg
	if len(c.Model.Graph.Input) == 0 {
		return fmt.Errorf("compress: the model has no input")
	}
	shapes, err := graph.DefaultInputShapes(c.Model, c.Batch)
	if err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	var in []int
	for _, v := range c.Model.Graph.Input {
		if s, ok := shapes[v.Name]; ok {
			if in != nil {
				return fmt.Errorf("compress: the model has several inputs; Pare compresses image classifiers with one")
			}
			in = slices.Clone(s)
		}
	}
	if len(in) > 0 {
		in[0] = c.Batch // a batch of 1 fixed by an exporter is no limit of the graph
	}
	pre := dataset.DefaultPreprocess(in)
	if c.Preprocess.Scale != 0 {
		pre.Scale = c.Preprocess.Scale
	}
	if c.Preprocess.Mean != nil || c.Preprocess.Std != nil {
		pre.Mean, pre.Std = c.Preprocess.Mean, c.Preprocess.Std
	}
	if c.Preprocess.ChannelOrder != "" {
		pre.ChannelOrder = c.Preprocess.ChannelOrder
	}
	trainIdx, valSet, valIdx := c.TrainIndices, c.Val, c.ValIndices
	if valSet == nil {
		all, held, err := c.Train.Split(1-c.ValFraction, c.Seed)
		if err != nil {
			return fmt.Errorf("compress: holding out validation images: %w", err)
		}
		valSet, valIdx = c.Train, held
		if trainIdx == nil {
			trainIdx = all
		} else {
			// Keep the hold-out out of the training images asked for.
			inVal := map[int]bool{}
			for _, i := range held {
				inVal[i] = true
			}
			var tr, va []int
			for _, i := range trainIdx {
				if inVal[i] {
					va = append(va, i)
				} else {
					tr = append(tr, i)
				}
			}
			trainIdx, valIdx = tr, va
		}
		p.rep.Notes = append(p.rep.Notes, fmt.Sprintf("validation: %d training images held out (%.0f %%, stratified, seed %d)", len(valIdx), 100*c.ValFraction, c.Seed))
	}
	p.train = &train.Loader{Set: c.Train, Indices: trainIdx, Preprocess: pre, BatchSize: c.Batch, Shuffle: true, Seed: c.Seed}
	p.train.DropLast = p.train.Len() > c.Batch
	if p.train.Steps() == 0 {
		return ErrNoData
	}
	p.val = &train.Loader{Set: valSet, Indices: valIdx, Preprocess: pre, BatchSize: c.Batch}
	if p.val.Len() == 0 {
		return fmt.Errorf("compress: no validation images (give a validation set, or more training images to hold some out)")
	}
	if c.Test != nil {
		p.test = &train.Loader{Set: c.Test, Indices: c.TestIndices, Preprocess: pre, BatchSize: c.Batch}
	}
	return nil
}

func (p *Pipeline) recipe() Recipe {
	c := &p.cfg
	r := Recipe{Importance: string(c.Importance), SolverLimit: c.SolverTime.Seconds(), Bits: c.Quantize.Bits.String(),
		Schedule: c.Quantize.Schedule, Storage: string(c.Storage), Batch: c.Batch, Seed: c.Seed, KeepFP: c.Quantize.KeepFP,
		QILEpochs: max(1, c.Quantize.Epochs), QuantizerOnly: c.Quantize.QuantizerOnly}
	if r.Schedule == "" {
		r.Schedule = "progressive"
	}
	if r.KeepFP == nil {
		r.KeepFP = []string{"first", "last"}
	}
	r.Prune = "qcqp"
	if c.QuantizeOnly() {
		r.Prune = "skipped"
	}
	for _, b := range c.Budgets {
		r.Budgets = append(r.Budgets, b.String())
	}
	if c.Latency != nil {
		r.Budgets = append(r.Budgets, c.Latency.String())
	}
	switch {
	case c.SkipFinetune || c.QuantizeOnly():
		r.Finetune = "skipped"
	case c.NoDistill:
		r.Finetune = "labels"
	default:
		r.Finetune = "distill"
	}
	return r
}

// step is a task of one Step.
func step(s Stage, what string, f func(ctx context.Context) error) task {
	return task{stage: s, what: what, s: &once{f: f}}
}

// evaluate queues the accuracy of a model (through fwd) on the validation
// and test sets, recorded as Report.Accuracy[name].
// A batch above 0 overrides the loaders' (for a file whose input fixes
// its batch dimension).
func (p *Pipeline) evaluate(s Stage, name string, fwd eval.Forward, batch int) error {
	var ts []task
	for _, set := range []struct {
		what string
		l    *train.Loader
	}{{"validate", p.val}, {"test", p.test}} {
		if set.l == nil {
			continue
		}
		if batch > 0 && batch != set.l.BatchSize {
			l := *set.l
			l.BatchSize = batch
			set.l = &l
		}
		ev, err := eval.New(set.l, fwd, eval.Options{Stage: set.what, Classes: set.l.Set.Classes, CheckClasses: set.l.Set.CheckClasses})
		if err != nil {
			return err
		}
		what := set.what
		ts = append(ts, task{stage: s, what: what, s: ev, then: func() error {
			acc := ev.Result().Accuracy()
			a := p.rep.Accuracy[name]
			if what == "validate" {
				a.Val = &acc
			} else {
				a.Test = &acc
			}
			p.rep.Accuracy[name] = a
			return nil
		}})
	}
	p.then(ts...)
	return nil
}

// evaluateFloat evaluates a float (or QIL-form) model through a training
// net in evaluation mode.
func (p *Pipeline) evaluateFloat(s Stage, name string, m *onnx.Model) error {
	net, err := train.NewNet(m, train.NetOptions{})
	if err != nil {
		return fmt.Errorf("compress: the %s model: %w", name, err)
	}
	return p.evaluate(s, name, net.EvalForward(), 0)
}

// fixedBatch is the batch size the model's input fixes (mnist-8: 1), or 0
// when the dimension is symbolic: the executor checks input shapes, where
// a training net takes any batch.
func fixedBatch(m *onnx.Model, input string) int {
	for _, v := range m.Graph.Input {
		if v.Name != input || v.Type == nil || v.Type.TensorType == nil || v.Type.TensorType.Shape == nil {
			continue
		}
		if d := v.Type.TensorType.Shape.Dim; len(d) > 0 && d[0].HasValue && d[0].Value > 0 {
			return int(d[0].Value)
		}
	}
	return 0
}

func clone(m *onnx.Model) (*onnx.Model, []byte, error) {
	b, err := onnx.Encode(m)
	if err != nil {
		return nil, nil, err
	}
	c, err := onnx.Decode(b)
	return c, b, err
}

// limits are the budgets as absolute figures.
func (p *Pipeline) limits(before qcqp.Figures) map[qcqp.Resource]float64 {
	out := map[qcqp.Resource]float64{}
	for _, b := range p.cfg.Budgets {
		out[b.Resource] = b.Value
		if b.Fraction > 0 {
			out[b.Resource] = b.Fraction * before.Of(b.Resource)
		}
	}
	return out
}

// skip records a stage that does not run.
func (p *Pipeline) skip(s Stage) {
	if !slices.Contains(p.rep.Skipped, s) {
		p.rep.Skipped = append(p.rep.Skipped, s)
	}
}

func (p *Pipeline) startPrune() {
	const s = StagePrune
	if p.cfg.QuantizeOnly() {
		p.then(step(s, "skip", func(ctx context.Context) error {
			p.skip(s)
			return p.unpruned()
		}))
		return
	}
	p.then(step(s, "analyse", func(ctx context.Context) error {
		m := p.cfg.Model
		before, err := p.measureOriginal()
		if err != nil {
			return err
		}
		for _, r := range qcqp.Resources {
			p.rep.Resources[r] = ResourceChange{Before: before.Of(r)}
		}
		for r, v := range p.limits(before) {
			rc := p.rep.Resources[r]
			rc.Budget = &v
			p.rep.Resources[r] = rc
		}
		a, err := qcqp.Analyze(m)
		if err != nil {
			return err
		}
		if a.Free() == 0 {
			return fmt.Errorf("compress: nothing in the model can be pruned: every channel group is frozen (see 'pare info --channels')")
		}
		if p.cfg.MinKeep != nil {
			a.MinKeep = *p.cfg.MinKeep
		}
		layers, err := a.Layers(p.cfg.Importance)
		if err != nil {
			return err
		}
		if err := p.solve(a, layers, p.cfg.Budgets, before, 1); err != nil {
			return err
		}
		return p.evaluateFloat(s, "original", m)
	}))
}

// unpruned passes the original model on as the prune stage's result, with
// its figures and accuracy: the baseline the quantized file is set
// against.
func (p *Pipeline) unpruned() error {
	m := p.cfg.Model
	before, err := p.measureOriginal()
	if err != nil {
		return err
	}
	for _, r := range qcqp.Resources {
		p.rep.Resources[r] = ResourceChange{Before: before.Of(r), Pruned: before.Of(r)}
	}
	p.models["pruned"] = m
	return p.evaluateFloat(StagePrune, "original", m)
}

// measureOriginal records the original model's encoded size in the
// report and returns its resources, the figures every budget and every
// "before" column is set against.
func (p *Pipeline) measureOriginal() (qcqp.Figures, error) {
	_, enc, err := clone(p.cfg.Model)
	if err != nil {
		return qcqp.Figures{}, err
	}
	p.rep.Bytes["original"] = int64(len(enc))
	before, err := qcqp.Measure(p.cfg.Model)
	if err != nil {
		return qcqp.Figures{}, fmt.Errorf("compress: measuring the model: %w", err)
	}
	return before, nil
}

// maxSolves bounds the re-solves that make room for quantization.
const maxSolves = 4

// solve queues the channel selection under budgets (the asked ones, or
// tightened ones on a later attempt).
func (p *Pipeline) solve(a *qcqp.Analysis, layers []qcqp.Layer, budgets []qcqp.Budget, before qcqp.Figures, attempt int) error {
	prob, err := a.Problem(layers, budgets)
	if err != nil {
		return err
	}
	var latency qcqp.LatencyLimit
	if c := &p.cfg; c.Latency != nil {
		if latency, err = p.addLatency(prob); err != nil {
			return err
		}
	}
	share := a.MinKeep
	if p.cfg.MinKeep == nil {
		if share, err = prob.FitMinKeep(qcqp.DefaultMinKeep); err != nil {
			return err
		}
	}
	p.rep.Recipe.MinKeep = share
	solver, err := qcqp.NewSolver(prob, qcqp.Options{TimeLimit: p.cfg.SolverTime})
	if err != nil {
		if errors.Is(err, qcqp.ErrInfeasible) {
			return fmt.Errorf("compress: %w (that is what the frozen groups and %s cost; see 'pare info --channels')", err, floorText(share))
		}
		return err
	}
	p.watch.analysis, p.watch.solver = a, solver
	p.then(task{stage: StagePrune, what: "solve", s: solver, then: func() error {
		if p.cfg.Latency != nil && solver.Result().Selection != nil {
			if err := p.reportLatency(prob, latency, solver.Result().Selection.Counts()); err != nil {
				return err
			}
		}
		return p.afterSolve(a, layers, budgets, solver.Result(), before, attempt)
	}})
	return nil
}

// explicitKeep is the floor share asked for (zero when the default
// is fitted after every constraint is in place).
func (p *Pipeline) explicitKeep() float64 {
	if p.cfg.MinKeep != nil {
		return *p.cfg.MinKeep
	}
	return 0
}

// floorText says what the smallest selection keeps.
func floorText(share float64) string {
	if share > 0 {
		return fmt.Sprintf("%g %% of every prunable group (the kept share)", 100*share)
	}
	return "one channel per prunable group"
}

// addLatency adds the latency budget to prob.
func (p *Pipeline) addLatency(prob *qcqp.Problem) (qcqp.LatencyLimit, error) {
	lm := p.cfg.LatencyModel
	l, err := lm.AddBudget(prob, *p.cfg.Latency)
	var un *qcqp.UnreachableLatencyError
	var mis *qcqp.LatencyMismatchError
	switch {
	case errors.As(err, &un):
		return l, fmt.Errorf("compress: %w: %s is %.4g ms, below %.4g ms, the least the latency model (%s) predicts with %s (the unpruned model: %.4g ms); give at least that",
			qcqp.ErrInfeasible, *p.cfg.Latency, 1e3*l.Seconds, 1e3*l.Least, lm.Runtime, floorText(p.explicitKeep()), 1e3*l.Full)
	case errors.As(err, &mis):
		return l, fmt.Errorf("compress: the latency model (%s) was measured on another network: %w; measure this one", lm.Runtime, mis.Err)
	}
	return l, err
}

// reportLatency records the latency model's prediction for the selected
// counts and refuses one over the budget.
func (p *Pipeline) reportLatency(prob *qcqp.Problem, l qcqp.LatencyLimit, counts []int) error {
	lm := p.cfg.LatencyModel
	after, err := lm.Seconds(prob, counts)
	if err != nil {
		return err
	}
	if after > l.Seconds*(1+1e-12) {
		return fmt.Errorf("compress: the pruned model's predicted latency is %.6g ms, over its budget %.6g ms (a bug in pare; nothing written)", 1e3*after, 1e3*l.Seconds)
	}
	p.rep.Latency = &LatencyReport{Runtime: lm.Runtime, ModelError: lm.MeanPercentError, BudgetMS: 1e3 * l.Seconds,
		PredictedBeforeMS: 1e3 * l.Full, PredictedAfterMS: 1e3 * after}
	return nil
}

// quantizedFigures measures what the QDQ export of m costs, with
// quantizers calibrated on a few images: quantization adds no MACs, but
// it adds scales and zero points (params) and the activation transform's
// tensors (memory), and the final export has the same structure.
func (p *Pipeline) quantizedFigures(ctx context.Context, m *onnx.Model) (qcqp.Figures, error) {
	m, _, err := clone(m)
	if err != nil {
		return qcqp.Figures{}, err
	}
	q := p.cfg.Quantize
	q.CalibrationImages = min(64, p.train.Len())
	run, err := qil.NewRun(ctx, m, p.train, q)
	if err != nil {
		return qcqp.Figures{}, err
	}
	qm, err := run.Model()
	if err != nil {
		return qcqp.Figures{}, err
	}
	if qm, err = qil.Export(qm, p.cfg.Storage, ""); err != nil {
		return qcqp.Figures{}, err
	}
	return qcqp.Measure(qm)
}

// roomForQuantization returns tighter budgets when the QDQ export of the
// pruned model would exceed a params or memory budget (nil: it fits).
func (p *Pipeline) roomForQuantization(pruned *onnx.Model, budgets []qcqp.Budget, pf, before qcqp.Figures) ([]qcqp.Budget, error) {
	limits := p.limits(before)
	_, params := limits[qcqp.Params]
	_, memory := limits[qcqp.Memory]
	if !params && !memory {
		return nil, nil
	}
	qf, err := p.quantizedFigures(context.Background(), pruned)
	if err != nil {
		return nil, fmt.Errorf("compress: a trial export of the pruned model: %w", err)
	}
	var out []qcqp.Budget
	over := false
	for _, b := range budgets {
		asked := limits[b.Resource]
		if b.Resource == qcqp.MACs || qf.Of(b.Resource) <= asked {
			out = append(out, b)
			continue
		}
		over = true
		// The export adds extra to the pruned model; aim below asked by
		// that much, and at least by the excess over the current limit.
		extra := qf.Of(b.Resource) - pf.Of(b.Resource)
		current := b.Value
		if b.Fraction > 0 {
			current = b.Fraction * before.Of(b.Resource)
		}
		limit := min(asked-extra, current-(qf.Of(b.Resource)-asked))
		if limit <= 0 {
			return nil, fmt.Errorf("%w: %s budget %.6g leaves nothing once quantization adds %.6g (scales, zero points and the activation transform); raise the budget", qcqp.ErrInfeasible, b.Resource, asked, extra)
		}
		out = append(out, qcqp.Budget{Resource: b.Resource, Value: math.Floor(limit)})
		p.rep.Notes = append(p.rep.Notes, fmt.Sprintf("%s: the QDQ export adds %.6g; pruning again to %.6g so that the file meets %.6g", b.Resource, extra, math.Floor(limit), asked))
	}
	if !over {
		return nil, nil
	}
	return out, nil
}

func (p *Pipeline) afterSolve(a *qcqp.Analysis, layers []qcqp.Layer, budgets []qcqp.Budget, res qcqp.Result, before qcqp.Figures, attempt int) error {
	if res.Selection == nil {
		return fmt.Errorf("compress: the solver found no selection within its time limit %v; give it more time", p.cfg.SolverTime)
	}
	rep := &SolverReport{Status: string(res.Status), Objective: res.Objective, Bound: finite(res.Bound), Gap: finite(res.Gap),
		Nodes: res.Nodes, Seconds: res.Elapsed.Seconds()}
	counts := res.Selection.Counts()
	for k, mp := range a.Maps {
		if mp.Fixed {
			rep.Frozen++
			continue
		}
		rep.Kept = append(rep.Kept, Kept{Map: mp.Name, Channels: mp.Channels, Kept: counts[k]})
	}
	p.rep.Solver = rep
	recipe := map[string]any{"tool": "pare compress", "method": "qcqp", "importance": string(p.cfg.Importance), "min_keep": p.rep.Recipe.MinKeep,
		"budgets": p.rep.Recipe.Budgets, "status": string(res.Status), "objective": res.Objective, "gap": finite(res.Gap)}
	pruned, err := a.Prune(res.Selection, qcqp.PruneOptions{Recipe: recipe})
	if err != nil {
		return err
	}
	pruned, enc, err := clone(pruned)
	if err != nil {
		return err
	}
	after, err := qcqp.Measure(pruned)
	if err != nil {
		return fmt.Errorf("compress: the pruned model does not analyse (a bug in pare; please report it): %w", err)
	}
	for _, r := range qcqp.Resources {
		rc := p.rep.Resources[r]
		rc.Pruned = after.Of(r)
		p.rep.Resources[r] = rc
	}
	if err := p.checkBudgets(after, before, "pruned model"); err != nil {
		return err
	}
	tighter, err := p.roomForQuantization(pruned, budgets, after, before)
	if err != nil {
		return err
	}
	if tighter != nil {
		if attempt == maxSolves {
			return fmt.Errorf("compress: after %d selections the quantized model is still over a budget (%v); lower the budget a little", attempt, p.rep.Notes[len(p.rep.Notes)-1])
		}
		return p.solve(a, layers, tighter, before, attempt+1)
	}
	p.rep.Bytes["pruned"] = int64(len(enc))
	p.models["pruned"] = pruned
	return p.evaluateFloat(StagePrune, "pruned", pruned)
}

// checkBudgets refuses figures over a budget.
func (p *Pipeline) checkBudgets(f, before qcqp.Figures, what string) error {
	for r, limit := range p.limits(before) {
		if v := f.Of(r); v > limit {
			return fmt.Errorf("compress: the %s's %s is %.6g, over its budget %.6g (a bug in pare; nothing written)", what, r, v, limit)
		}
	}
	return nil
}

func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

func (p *Pipeline) startFinetune() {
	const s = StageFinetune
	if p.cfg.SkipFinetune || p.cfg.QuantizeOnly() {
		p.then(step(s, "skip", func(context.Context) error {
			p.skip(s)
			p.models["finetuned"] = p.models["pruned"]
			return nil
		}))
		return
	}
	p.then(step(s, "prepare", func(ctx context.Context) error {
		m, _, err := clone(p.models["pruned"]) // Fit writes its weights back into the model it trains
		if err != nil {
			return err
		}
		c := &p.cfg
		setup := train.Setup{Model: m, Train: c.Train, TrainIndices: p.train.Indices, Preprocess: p.train.Preprocess,
			Val: p.val.Set, ValIndices: p.val.Indices,
			Batch: c.Batch, Seed: c.Seed, Net: train.NetOptions{Seed: c.Seed, FreezeBatchNorm: c.Batch < train.SmallBatch},
			KeepZeroTaps: qcqp.ShapePruned(m), Parallel: c.Parallel}
		if setup.TrainIndices == nil {
			setup.TrainIndices = allIndices(c.Train.N())
		}
		if !c.NoDistill {
			setup.Distill, setup.Teacher = &train.DistillOptions{}, c.Model
		}
		plan, err := train.Prepare(setup)
		if err != nil {
			return fmt.Errorf("compress: fine-tuning: %w", err)
		}
		ft := c.Finetune
		if p.defaultEpochs {
			ft.Epochs = min(20, max(1, (MinFinetuneSteps+plan.Train.Steps()-1)/plan.Train.Steps()))
		}
		fit, err := train.NewFit(plan.Net, plan.Options(ft))
		if err != nil {
			return fmt.Errorf("compress: fine-tuning: %w", err)
		}
		p.then(task{stage: s, what: "train", s: fit, batch: finetuneBatch, then: func() error {
			r := fit.Result()
			p.rep.Finetune = &FinetuneReport{LR: r.LR, LRSource: r.LRSource, Epochs: len(r.Epochs), Kept: r.Kept, Retries: r.Retries, Events: r.Events, Workers: 1}
			if c.Parallel != nil {
				p.rep.Finetune.Workers = c.Parallel.Workers
			}
			_, enc, err := clone(m)
			if err != nil {
				return err
			}
			p.rep.Bytes["finetuned"] = int64(len(enc))
			p.models["finetuned"] = m
			return p.evaluateFloat(s, "finetuned", m)
		}})
		return nil
	}))
}

func allIndices(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// qilStepper records each stage of QIL's schedule in the report.
type qilStepper struct {
	run   *qil.Run
	rep   *QuantizeReport
	begun time.Time
}

func (q *qilStepper) Done() bool { return q.run.Done() }

func (q *qilStepper) Step(ctx context.Context) (job.Progress, error) {
	if q.begun.IsZero() {
		q.begun = time.Now()
	}
	stage := q.run.Stage()
	pr, err := q.run.Step(ctx)
	if err != nil {
		return pr, err
	}
	pr.Message = ""
	if pr.Figures["stage_done"] == 1 {
		q.rep.Stages = append(q.rep.Stages, QuantStage{Bits: strings.Split(stage, ",")[0], Loss: pr.Figures["loss"],
			Acc: pr.Figures["accuracy"], Seconds: time.Since(q.begun).Seconds()})
		q.begun = time.Now()
		pr.Message = fmt.Sprintf("QIL %s: train accuracy %.2f %%", stage, 100*pr.Figures["accuracy"])
	}
	return pr, nil
}

func (p *Pipeline) startQuantize() {
	const s = StageQuantize
	p.then(step(s, "calibrate", func(ctx context.Context) error {
		m, _, err := clone(p.models["finetuned"])
		if err != nil {
			return err
		}
		q := p.cfg.Quantize
		q.KeepZeroTaps = qcqp.ShapePruned(m)
		q.Parallel = p.cfg.Parallel
		run, err := qil.NewRun(ctx, m, p.train, q)
		if err != nil {
			return err
		}
		qr := &QuantizeReport{Workers: 1}
		if q.Parallel != nil {
			qr.Workers = q.Parallel.Workers
		}
		p.rep.Quantize = qr
		p.watch.qil = run
		p.then(task{stage: s, what: "train", s: &qilStepper{run: run, rep: qr}, batch: qilBatch, then: func() error {
			qm, err := run.Model()
			if err != nil {
				return err
			}
			q := p.cfg.Quantize
			intervals := cmp.Or(q.Intervals, qil.DefaultIntervals)
			recipe := fmt.Sprintf("method=QIL (%s, %d epoch(s) per stage, weight intervals %s, activation intervals %s%s); storage=%s; tool=pare compress", p.rep.Recipe.Schedule, max(1, q.Epochs), intervals, cmp.Or(q.ActInit, qil.DefaultActInit), map[bool]string{true: ", quantizer only"}[q.QuantizerOnly], p.cfg.Storage)
			if p.cfg.QuantizeOnly() {
				// A pruned file says so in its own "pare.prune" entry.
				recipe += "; pruning=none (no budget)"
			}
			for _, l := range run.Layers() {
				recipe += fmt.Sprintf("; %s=%s", l.Node, l.Bits)
				bits := "32/32"
				if l.Quantized() {
					bits = l.Bits.String()
				}
				qr.Layers = append(qr.Layers, QuantLayer{Node: l.Node, Op: l.OpType, Bits: bits, PerChannelWeights: l.PerChannel && l.Quantized()})
			}
			qr.Recipe = recipe
			out, err := qil.Export(qm, p.cfg.Storage, recipe)
			if err != nil {
				return err
			}
			if p.output, err = onnx.Encode(out); err != nil {
				return err
			}
			p.rep.Bytes["quantized"] = int64(len(p.output))
			p.models["quantized"] = out
			return nil
		}})
		return nil
	}))
}

// startEvaluate re-reads the exported bytes as a file reader would,
// re-measures them against the budgets and evaluates them in Pare's
// executor.
func (p *Pipeline) startEvaluate() {
	const s = StageEvaluate
	p.then(step(s, "measure", func(ctx context.Context) error {
		if p.output == nil {
			q := p.models["quantized"]
			if q == nil {
				return fmt.Errorf("compress: nothing to evaluate: the quantize stage has not run")
			}
			var err error
			if p.output, err = onnx.Encode(q); err != nil {
				return err
			}
			p.rep.Bytes["quantized"] = int64(len(p.output))
		}
		m, err := onnx.Decode(p.output)
		if err != nil {
			return fmt.Errorf("compress: the exported model does not decode (a bug in pare): %w", err)
		}
		before, err := qcqp.Measure(p.cfg.Model)
		if err != nil {
			return err
		}
		after, err := qcqp.Measure(m)
		if err != nil {
			return fmt.Errorf("compress: measuring the exported model: %w", err)
		}
		for _, r := range qcqp.Resources {
			rc := p.rep.Resources[r]
			rc.Before, rc.After = before.Of(r), after.Of(r)
			if l, ok := p.limits(before)[r]; ok {
				rc.Budget = &l
			}
			p.rep.Resources[r] = rc
		}
		if err := p.checkBudgets(after, before, "exported model"); err != nil {
			return err
		}
		sess, err := exec.NewSessionWith(m, exec.SessionOptions{RunOnly: true})
		if err != nil {
			return fmt.Errorf("compress: the exported model does not load in Pare's executor (a bug in pare): %w", err)
		}
		in := sess.InputNames()
		if len(in) != 1 {
			return fmt.Errorf("compress: the exported model has %d inputs, want 1", len(in))
		}
		return p.evaluate(s, "quantized", eval.SessionForward(sess, in[0]), fixedBatch(m, in[0]))
	}))
}
