package compress

import (
	"context"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/eval"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/testassets"
	"github.com/pare-ml/pare/qcqp"
	"github.com/pare-ml/pare/qil"
)

const demoModel = "../core/train/testdata/demo-resnet-mnist.onnx"

// demoConfig is the demo ResNet with the first 512 t10k images to train
// on, the next 256 to validate and 256 more to test.
func demoConfig(t *testing.T) Config {
	t.Helper()
	m, err := onnx.ReadModelFile(demoModel)
	if err != nil {
		t.Fatal(err)
	}
	set, err := dataset.OpenPath(testassets.Dir(t, "data/mnist"))
	if err != nil {
		t.Fatal(err)
	}
	// Four epochs (32 steps) keep the test fast; the default fine-tune
	// takes MinFinetuneSteps.
	ft := train.FinetuneDefaults()
	ft.Epochs = 4
	return Config{Model: m, Finetune: ft, Budgets: []qcqp.Budget{{Resource: qcqp.MACs, Fraction: 0.5}, {Resource: qcqp.Memory, Fraction: 0.7}}, Train: set,
		TrainIndices: span(0, 512), Val: set, ValIndices: span(512, 768), Test: set, TestIndices: span(768, 1024),
		Seed: 1, SolverTime: time.Second}
}

func span(lo, hi int) []int {
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	return idx
}

func TestPipelineDemo(t *testing.T) {
	cfg := demoConfig(t)
	var stages, finished []string
	var p *Pipeline
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var watch watchChecker
	err = job.Run(context.Background(), p, func(pr job.Progress) {
		watch.see(t, p, pr)
		if len(stages) == 0 || stages[len(stages)-1] != pr.Stage {
			stages = append(stages, pr.Stage)
		}
		if pr.Figures["stage_done"] == 1 {
			finished = append(finished, string(p.Finished()))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"prune", "finetune", "quantize", "evaluate"}; !slices.Equal(stages, want) {
		t.Errorf("stages %v, want %v", stages, want)
	}
	watch.check(t)
	if want := []string{"prune", "finetune", "quantize", "evaluate"}; !slices.Equal(finished, want) {
		t.Errorf("stages finished %v, want %v", finished, want)
	}
	rep := p.Report()
	out := p.Output()
	if int64(len(out)) != rep.Bytes["quantized"] {
		t.Errorf("report says %d bytes, output has %d", rep.Bytes["quantized"], len(out))
	}
	// Re-measure the written bytes independently of the report.
	m, err := onnx.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	before, err := qcqp.Measure(cfg.Model)
	if err != nil {
		t.Fatal(err)
	}
	after, err := qcqp.Measure(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range cfg.Budgets {
		r := b.Resource
		if got := after.Of(r); got > b.Fraction*before.Of(r) || got != rep.Resources[r].After {
			t.Errorf("%s %v of %v (report %+v): want <= %v and as reported", r, got, before.Of(r), rep.Resources[r], b)
		}
	}
	quantized := 0
	for _, n := range m.Graph.Node {
		if n.OpType == "DequantizeLinear" {
			quantized++
		}
		if n.Domain == qil.Domain {
			t.Fatalf("the output keeps training-time node %s (%s)", n.Name, n.OpType)
		}
	}
	if quantized == 0 {
		t.Error("the output has no DequantizeLinear: not QDQ")
	}
	// Pare's executor on the output gives the accuracy the report states.
	sess, err := exec.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	pre := dataset.DefaultPreprocess([]int{64, 1, 28, 28})
	res, err := eval.Run(context.Background(), &train.Loader{Set: cfg.Test, Indices: cfg.TestIndices, Preprocess: pre, BatchSize: 100},
		eval.SessionForward(sess, sess.InputNames()[0]), eval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkOnnxruntime(t, out, &train.Loader{Set: cfg.Test, Indices: cfg.TestIndices, Preprocess: pre, BatchSize: 64})
	got := rep.Accuracy["quantized"].Test
	if got == nil || *got != res.Accuracy() {
		t.Errorf("reported test accuracy %v, evaluated %v", got, res.Accuracy())
	}
	for _, name := range []string{"original", "pruned", "finetuned", "quantized"} {
		a := rep.Accuracy[name]
		if a.Val == nil || a.Test == nil {
			t.Fatalf("%s: accuracy missing: %+v", name, a)
		}
		t.Logf("%-9s val %.2f %% test %.2f %%", name, 100**a.Val, 100**a.Test)
	}
	// The demo net is 98 % accurate; half its MACs and 4 bits, trained on
	// 512 images, must stay well above chance.
	if *rep.Accuracy["quantized"].Test < 0.8 {
		t.Errorf("quantized test accuracy %.3f", *rep.Accuracy["quantized"].Test)
	}
	t.Logf("seconds %v; solver %+v; notes %q", rep.Seconds, rep.Solver, rep.Notes)
	if rep.Solver == nil || rep.Solver.Status == "" || rep.Finetune == nil || len(rep.Quantize.Stages) != 3 {
		t.Errorf("report incomplete: solver %+v finetune %+v quantize %+v", rep.Solver, rep.Finetune, rep.Quantize)
	}
	for _, s := range Stages {
		if rep.Seconds[s] <= 0 {
			t.Errorf("no time for stage %s", s)
		}
	}

	// Resuming after quantize runs the evaluation alone and agrees.
	var sum float64
	for _, sec := range rep.Seconds {
		sum += sec
	}
	if math.Abs(rep.TotalSeconds-sum) > 1e-9 {
		t.Errorf("total_seconds %v, want the stages' sum %v", rep.TotalSeconds, sum)
	}
	evalSec := rep.Seconds[StageEvaluate]
	prior := *rep
	prior.Seconds = maps.Clone(rep.Seconds)
	cfg.Resume = &Resume{After: StageQuantize, Model: p.Model("quantized"), Report: &prior}
	stages = stages[:0]
	again, err := Run(context.Background(), cfg, func(pr job.Progress) {
		if len(stages) == 0 || stages[len(stages)-1] != pr.Stage {
			stages = append(stages, pr.Stage)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stages, []string{"evaluate"}) || *again.Report().Accuracy["quantized"].Test != *got {
		t.Errorf("resumed: stages %v, accuracy %v, want [evaluate] and %v", stages, again.Report().Accuracy["quantized"], *got)
	}
	// The resumed report counts the earlier requests' stages too.
	if r := again.Report(); r.TotalSeconds <= sum-evalSec || r.Seconds[StagePrune] != rep.Seconds[StagePrune] {
		t.Errorf("resumed total_seconds %v (prune %v), want over %v with prune %v", r.TotalSeconds, r.Seconds[StagePrune], sum-evalSec, rep.Seconds[StagePrune])
	}
}

func TestPipelineRefuses(t *testing.T) {
	cfg := demoConfig(t)
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no data", func(c *Config) { c.Train = nil }, "no training images"},
		{"bits", func(c *Config) { c.Quantize.Bits = qil.Bits{W: 9, A: 4} }, "out of range"},
		{"one bit", func(c *Config) { c.Quantize.Bits = qil.Bits{W: 1, A: 1} }, "2..8"},
		{"unknown resource", func(c *Config) { c.Budgets = []qcqp.Budget{{Resource: "flops", Fraction: 0.5}} }, `"flops"`},
		{"kept share", func(c *Config) { k := 1.5; c.MinKeep = &k }, "kept share"},
	} {
		c := cfg
		tc.edit(&c)
		_, err := New(c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if tc.name == "no data" && !errors.Is(err, ErrNoData) {
			t.Errorf("no data: %v is not ErrNoData", err)
		}
	}
	// A budget below what one channel per group costs names the resource.
	c := cfg
	c.Budgets = []qcqp.Budget{{Resource: qcqp.Params, Value: 10}}
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	err = job.Run(context.Background(), p, nil)
	if err == nil || !strings.Contains(err.Error(), "params") || !errors.Is(err, qcqp.ErrInfeasible) {
		t.Errorf("unreachable budget: %v, want qcqp.ErrInfeasible naming params", err)
	}
}

// The kept share reaches the solver: a floor that half the MACs cannot
// pay for stops the prune stage, and the error names the floor.
func TestPipelineMinKeep(t *testing.T) {
	c := demoConfig(t)
	k := 0.9
	c.MinKeep = &k
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	err = job.Run(context.Background(), p, nil)
	if !errors.Is(err, qcqp.ErrInfeasible) || !strings.Contains(err.Error(), "90 % of every prunable group") {
		t.Errorf("a 90 %% floor under a 50 %% MACs budget: %v", err)
	}
	if got := p.Report().Recipe.MinKeep; got != 0.9 {
		t.Errorf("recipe min_keep %v, want 0.9", got)
	}
	// By default the floor is fitted to the budget: 25 % fits half the
	// demo's MACs.
	d, err := New(demoConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for !d.Done() && d.Report().Recipe.MinKeep == 0 {
		if _, err := d.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.Report().Recipe.MinKeep; got != qcqp.DefaultMinKeep {
		t.Errorf("default recipe min_keep %v, want %v", got, qcqp.DefaultMinKeep)
	}
}

// mnist-8 fixes its batch at 1, which Pare's executor enforces; the demo
// net's batch is symbolic.
func TestFixedBatch(t *testing.T) {
	m8, err := onnx.ReadModelFile(testassets.Dir(t, "models/mnist-8.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	demo, err := onnx.ReadModelFile(demoModel)
	if err != nil {
		t.Fatal(err)
	}
	if got := fixedBatch(m8, m8.Graph.Input[0].Name); got != 1 {
		t.Errorf("mnist-8: fixed batch %d, want 1", got)
	}
	if got := fixedBatch(demo, demo.Graph.Input[0].Name); got != 0 {
		t.Errorf("demo: fixed batch %d, want 0 (symbolic)", got)
	}
}
