package compress

import (
	"bytes"
	"context"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/paralleltest"
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
// after the fine-tune, ends on both with the same exported file, and with
// the one-worker stage's intervals (the exported scales) to float
// rounding and the same validation accuracy once evaluated. A pipeline
// resumed after quantize has nothing to train and is refused.
//
// The comparison with one worker uses depthwise-only per-channel weight
// intervals (the default). With per-channel intervals on every layer the
// two workers still export one file, but on this pruned net it drifts
// from the one-worker file by about 5e-3 of the largest scale: a channel's
// c and d gradients are sums over its own weights, some nearly cancel,
// and Adam's step, independent of a gradient's size, turns their float
// rounding (half batches summed, against one batch) into interval
// differences of a few ulps that move weights at quantizer boundaries to
// the neighbouring level (qil's own data-parallel test, fashion-dwnet
// with per-channel intervals, stays within rounding).
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
	d := paralleltest.WeightDiff(one.Model("quantized"), got[0].Model("quantized"))
	a, b := *one.Report().Accuracy["quantized"].Val, *got[0].Report().Accuracy["quantized"].Val
	t.Logf("exported scales within %.2g of one worker's; validation accuracy %.4f (one worker %.4f)", d, b, a)
	if intervals != "depthwise" {
		return // see above: the workers agree, the drift from one worker is logged
	}
	for i, s := range q0.Stages {
		w := want.Stages[i]
		t.Logf("stage %s: train accuracy %.4f, loss %.5f (one worker %.4f, %.5f)", s.Bits, s.Acc, s.Loss, w.Acc, w.Loss)
		if s.Bits != w.Bits || math.Abs(s.Acc-w.Acc) > 1.5/float64(cfg.Batch) || math.Abs(s.Loss-w.Loss) > 1e-4*w.Loss {
			t.Errorf("stage %d: %+v, one worker %+v", i, s, w)
		}
	}
	if d > 1e-4 {
		t.Fatalf("the exported scales differ from the one-worker file's by %.3g (relative to the largest)", d)
	}
	if math.Abs(a-b) > 2.0/float64(one.Report().ValImages) {
		t.Errorf("validation accuracy %v with one worker, %v with two", a, b)
	}

	bad := cfg
	bad.Resume = &Resume{After: StageQuantize, Model: one.Model("quantized")}
	bad.Parallel = &train.Parallel{Rank: 0, Workers: 2, Reduce: train.NewLocalGroup(2).Member(0)}
	if _, err := New(bad); err == nil {
		t.Error("a data-parallel pipeline with nothing to train was accepted")
	}
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
