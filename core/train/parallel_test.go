package train

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/internal/paralleltest"
)

const demoData = "../../../shared/assets/data/mnist"

// parallelRun fine-tunes the demo model with workers data-parallel
// workers (goroutines and a LocalGroup; 1 is the plain single-worker
// path) and returns worker 0's result and every worker's weights.
func parallelRun(t *testing.T, set *dataset.Set, workers int, freezeBN bool, augment Augment) (*FitResult, [][]float32) {
	t.Helper()
	group := NewLocalGroup(workers)
	results := make([]*FitResult, workers)
	weights := make([][]float32, workers)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := func(err error) {
		group.Abort(err)
		cancel()
	}
	paralleltest.Run(t, workers, stop, func(k int) error {
		m, err := onnx.ReadModelFile(demoModel)
		if err != nil {
			return err
		}
		s := Setup{Model: m, Train: set, ValFraction: 0.02, Limit: 192, Batch: 32, Seed: 1, Augment: augment}
		s.Net.FreezeBatchNorm = freezeBN
		if workers > 1 {
			s.Parallel = &Parallel{Rank: k, Workers: workers, Reduce: group.Member(k)}
		}
		plan, err := Prepare(s)
		if err != nil {
			return err
		}
		opt := plan.Options(FinetuneDefaults())
		opt.AllowWorse = true // the trained weights, not the original ones, are compared
		fit, err := NewFit(plan.Net, opt)
		if err != nil {
			return err
		}
		for !fit.Done() {
			if _, err := fit.Step(ctx); err != nil {
				return err
			}
		}
		results[k] = fit.Result()
		for _, p := range plan.Net.Params {
			weights[k] = append(weights[k], p.Value.F32...)
		}
		for _, name := range sortedStats(plan.Net) {
			weights[k] = append(weights[k], plan.Net.consts[name].F32...)
		}
		return nil
	})
	return results[0], weights
}

func sortedStats(n *Net) []string {
	var out []string
	for _, init := range n.model.Graph.Initializer {
		if n.stats[init.Name] {
			out = append(out, init.Name)
		}
	}
	return out
}

// relDiff is the largest difference between a and b relative to the
// largest magnitude in a.
func relDiff(a, b []float32) float64 {
	var d, mx float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
		mx = math.Max(mx, math.Abs(float64(a[i])))
	}
	return d / mx
}

// TestParallelMatchesOneWorker fine-tunes the demo with Fit's defaults
// (the learning-rate probe, validation, keep-best) on 1, 2 and 3 workers
// (3: shares of 11 and 10 images), with BatchNormalization trained
// (sync-BN) and frozen, and checks that every worker ends with the same
// bits, and those within float rounding of the one-worker run's, with the
// same rate chosen and the same weights kept.
func TestParallelMatchesOneWorker(t *testing.T) {
	for _, p := range []string{demoModel, demoData} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is absent (shared test assets): %v", p, err)
		}
	}
	set, err := dataset.OpenPath(demoData)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		freeze  bool
		augment Augment
	}{{false, Augment{PadCrop: 2}}, {true, Augment{}}} {
		one, want := parallelRun(t, set, 1, tc.freeze, tc.augment)
		for _, workers := range []int{2, 3} {
			t.Run(fmt.Sprintf("freezeBN=%v/workers=%d", tc.freeze, workers), func(t *testing.T) {
				res, got := parallelRun(t, set, workers, tc.freeze, tc.augment)
				for k := 1; k < workers; k++ {
					if d := relDiff(got[0], got[k]); d != 0 {
						t.Fatalf("worker %d's weights differ from worker 0's by %.3g: the workers drifted apart", k, d)
					}
				}
				d := relDiff(want[0], got[0])
				t.Logf("lr %.3g (one worker %.3g), kept %s, val %.4f (one worker %.4f); weights within %.2g of one worker's (relative to the largest)",
					res.LR, one.LR, res.Kept, lastVal(*res).Accuracy, lastVal(*one).Accuracy, d)
				if math.Abs(res.LR-one.LR) > 1e-9*one.LR || res.Kept != one.Kept || len(res.Checkpoints) == 0 {
					t.Fatalf("rate %g kept %s, one worker: rate %g kept %s", res.LR, res.Kept, one.LR, one.Kept)
				}
				if d > 1e-5 {
					t.Fatalf("weights differ from the one-worker run's by %.3g (relative to the largest weight), more than float rounding", d)
				}
			})
		}
	}
}
