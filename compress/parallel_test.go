package compress

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/paralleltest"
	"github.com/pare-ml/pare/internal/testmodels"
)

// runStage runs cfg's pipeline through stage s.
func runStage(t *testing.T, cfg Config, s Stage) *Pipeline {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for !p.Done() && p.Finished() != s {
		if _, err := p.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// The fine-tune stage run data-parallel by two in-process workers (a
// LocalGroup in place of the page's exchange) ends, on both, with the
// one-worker stage's model to float rounding and the same choices.
func TestFinetuneStageDataParallel(t *testing.T) {
	cfg := demoConfig(t)
	cfg.Finetune.Epochs = 1
	resume := resumeFromPruned(t, cfg, StagePrune)
	one := runStage(t, resume(), StageFinetune)

	const workers = 2
	got := runWorkers(t, workers, resume, StageFinetune)
	want, w0, w1 := one.Report().Finetune, got[0].Report().Finetune, got[1].Report().Finetune
	if w0.Kept != want.Kept || w1.Kept != want.Kept || math.Abs(w0.LR-want.LR) > 1e-9*want.LR || w0.Epochs != want.Epochs || want.Workers != 1 || w0.Workers != workers {
		t.Fatalf("one worker: %+v; two: %+v, %+v", want, w0, w1)
	}
	if d := paralleltest.WeightDiff(got[0].Model("finetuned"), got[1].Model("finetuned")); d != 0 {
		t.Fatalf("the two workers' models differ by %.3g", d)
	}
	d := paralleltest.WeightDiff(one.Model("finetuned"), got[0].Model("finetuned"))
	t.Logf("kept %s at lr %.3g; weights within %.2g of one worker's", w0.Kept, w0.LR, d)
	if d > 1e-5 {
		t.Fatalf("the weights differ from the one-worker model's by %.3g (relative to the largest)", d)
	}
	if a, b := *one.Report().Accuracy["finetuned"].Val, *got[0].Report().Accuracy["finetuned"].Val; math.Abs(a-b) > 2.0/float64(one.Report().ValImages) {
		t.Errorf("validation accuracy %v with one worker, %v with two", a, b)
	}

	bad := cfg
	bad.Parallel = &train.Parallel{Rank: 0, Workers: 2, Reduce: train.NewLocalGroup(2).Member(0)}
	if _, err := New(bad); err == nil {
		t.Error("a data-parallel pipeline that prunes in every worker was accepted")
	}
}

// The quantize stage run data-parallel by two in-process workers, resumed
// after the fine-tune, ends on both with the same exported file. A
// pipeline resumed after quantize has nothing to train and is refused.
//
// How close the file is to the one-worker run's depends on how QIL's
// training carries rounding. The two runs differ only in the summation
// order of the gradients (half batches summed, against one batch); Adam
// rounds such differences away for the weights and for intervals whose
// gradients are large, but not for a channel's c and d whose gradient,
// a sum over the channel's own weights, nearly cancels, and a few ulps of
// an interval then move weights at a quantizer boundary to the next
// level. With depthwise intervals (few channel intervals) the demo net's
// runs stay equal to float rounding and are held to it; with per-channel
// intervals (the default) they part, and are held to what any
// rounding-level change does: a one-worker run whose weights were nudged
// by one ulp drifts as far (about 5e-3 of the largest scale).
func TestQuantizeStageDataParallel(t *testing.T) {
	for _, intervals := range []string{"depthwise", "per-channel"} {
		t.Run("intervals="+intervals, func(t *testing.T) { quantizeStageDataParallel(t, intervals) })
	}
}

func quantizeStageDataParallel(t *testing.T, intervals string) {
	cfg := demoConfig(t)
	cfg.Quantize.Schedule = "progressive" // several QIL stages, each a Trainer of its own
	cfg.Quantize.Intervals = intervals
	// The pruned model stands for a fine-tuned one: the stage trains
	// whatever it is given.
	resume := resumeFromPruned(t, cfg, StageFinetune)
	one := runStage(t, resume(), StageEvaluate)

	const workers = 2
	got := runWorkers(t, workers, resume, StageEvaluate)
	want, q0 := one.Report().Quantize, got[0].Report().Quantize
	if want.Workers != 1 || q0.Workers != workers || got[1].Report().Quantize.Workers != workers || len(q0.Stages) != len(want.Stages) || len(want.Stages) < 2 {
		t.Fatalf("one worker: %+v; two: %+v", want, q0)
	}
	if !bytes.Equal(got[0].Output(), got[1].Output()) {
		t.Fatalf("the two workers exported different files (scales within %.3g)", paralleltest.WeightDiff(got[0].Model("quantized"), got[1].Model("quantized")))
	}
	if len(got[0].Output()) != len(one.Output()) {
		t.Errorf("two workers exported %d bytes, one worker %d", len(got[0].Output()), len(one.Output()))
	}
	d := paralleltest.WeightDiff(one.Model("quantized"), got[0].Model("quantized"))
	a, b := *one.Report().Accuracy["quantized"].Val, *got[0].Report().Accuracy["quantized"].Val
	t.Logf("exported scales within %.2g of one worker's; validation accuracy %.4f (one worker %.4f)", d, b, a)
	for i, s := range q0.Stages {
		w := want.Stages[i]
		t.Logf("stage %s: train accuracy %.4f, loss %.5f (one worker %.4f, %.5f)", s.Bits, s.Acc, s.Loss, w.Acc, w.Loss)
		if s.Bits != w.Bits {
			t.Errorf("stage %d: %+v, one worker %+v", i, s, w)
		}
	}
	images := float64(one.Report().ValImages)
	if intervals == "depthwise" {
		for i, s := range q0.Stages {
			w := want.Stages[i]
			if math.Abs(s.Acc-w.Acc) > 1.5/float64(cfg.Batch) || math.Abs(s.Loss-w.Loss) > 1e-4*w.Loss {
				t.Errorf("stage %d: %+v, one worker %+v", i, s, w)
			}
		}
		if d > 1e-4 {
			t.Fatalf("the exported scales differ from the one-worker file's by %.3g (relative to the largest)", d)
		}
		if math.Abs(a-b) > 2.0/images {
			t.Errorf("validation accuracy %v with one worker, %v with two", a, b)
		}
	} else {
		c := resume()
		c.Resume.Model = nudged(t, c.Resume.Model)
		ulp := runStage(t, c, StageEvaluate)
		du := paralleltest.WeightDiff(one.Model("quantized"), ulp.Model("quantized"))
		u := *ulp.Report().Accuracy["quantized"].Val
		t.Logf("one worker from weights nudged by one ulp: scales within %.2g, validation accuracy %.4f", du, u)
		if d > 3*max(du, 1e-3) {
			t.Errorf("the exported scales differ from the one-worker file's by %.3g, a one-ulp change of the weights by %.3g", d, du)
		}
		// The validation set is small (256 images): a few images either
		// way are the noise of any such change.
		if math.Abs(a-b) > max(2*math.Abs(a-u), 6/images) {
			t.Errorf("validation accuracy %v with one worker, %v with two (%v from weights one ulp away)", a, b, u)
		}
	}

	bad := cfg
	bad.Resume = &Resume{After: StageQuantize, Model: one.Model("quantized")}
	bad.Parallel = &train.Parallel{Rank: 0, Workers: 2, Reduce: train.NewLocalGroup(2).Member(0)}
	if _, err := New(bad); err == nil {
		t.Error("a data-parallel pipeline with nothing to train was accepted")
	}
}

// nudged is a copy of m with every seventh value of each float weight of
// 100 values or more moved to the next float32 up: a change at the level
// of rounding.
func nudged(t *testing.T, m *onnx.Model) *onnx.Model {
	t.Helper()
	out := testmodels.RoundTrip(t, m)
	for _, init := range out.Graph.Initializer {
		w, err := tensor.FromONNX(init)
		if err != nil || w.DType != tensor.Float32 || len(w.F32) < 100 {
			continue
		}
		for j := 0; j < len(w.F32); j += 7 {
			w.F32[j] = math.Nextafter32(w.F32[j], float32(math.Inf(1)))
		}
		t2, err := tensor.ToONNX(w, init.Name)
		if err != nil {
			t.Fatal(err)
		}
		*init = *t2
	}
	return out
}

// resumeFromPruned prunes once with cfg and returns configurations that
// resume from the pruned model as if stage after had just finished.
func resumeFromPruned(t *testing.T, cfg Config, after Stage) func() Config {
	t.Helper()
	pruned := runStage(t, cfg, StagePrune).Model("pruned")
	return func() Config {
		c := cfg
		c.Resume = &Resume{After: after, Model: pruned}
		return c
	}
}

// runWorkers runs the pipeline of config() as workers in-process
// data-parallel workers (goroutines sharing a LocalGroup, in place of the
// page's exchange) until each has finished stage until, and returns them.
func runWorkers(t *testing.T, workers int, config func() Config, until Stage) []*Pipeline {
	t.Helper()
	group := train.NewLocalGroup(workers)
	got := make([]*Pipeline, workers)
	paralleltest.Run(t, workers, group.Abort, func(k int) error {
		c := config()
		c.Parallel = &train.Parallel{Rank: k, Workers: workers, Reduce: group.Member(k)}
		p, err := New(c)
		for err == nil && !p.Done() && p.Finished() != until {
			_, err = p.Step(context.Background())
		}
		got[k] = p
		return err
	})
	return got
}
