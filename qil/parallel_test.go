package qil

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/paralleltest"
)

// parallelQIL runs cfg on fashion-dwnet over data with workers
// data-parallel workers (goroutines and a LocalGroup; 1 is the plain
// path) and returns every worker's trained QIL-form model and its last
// progress figures.
func parallelQIL(t *testing.T, data *train.Loader, cfg Config, workers int) ([]*onnx.Model, []map[string]float64) {
	t.Helper()
	group := train.NewLocalGroup(workers)
	models := make([]*onnx.Model, workers)
	figures := make([]map[string]float64, workers)
	sources := make([]*onnx.Model, workers) // read here: fashionDwnet may end the test
	for k := range sources {
		sources[k] = fashionDwnet(t)
	}
	paralleltest.Run(t, workers, group.Abort, func(k int) error {
		c := cfg
		if workers > 1 {
			c.Parallel = &train.Parallel{Rank: k, Workers: workers, Reduce: group.Member(k)}
		}
		run, err := NewRun(context.Background(), sources[k], data, c)
		if err != nil {
			return err
		}
		for !run.Done() {
			p, err := run.Step(context.Background())
			if err != nil {
				return err
			}
			figures[k] = p.Figures
		}
		models[k], err = run.Model()
		return err
	})
	return models, figures
}

// intervalDiff is the largest difference between the QIL interval
// parameters (c, d, gamma) of two models, each relative to its own
// magnitude: they are scalars on very different scales, which a
// difference relative to the largest weight would not see.
func intervalDiff(t *testing.T, a, b *onnx.Model) float64 {
	t.Helper()
	d, n := 0.0, 0
	for i, ia := range a.Graph.Initializer {
		if !strings.Contains(ia.Name, "_qil_") {
			continue
		}
		ta, err1 := tensor.FromONNX(ia)
		tb, err2 := tensor.FromONNX(b.Graph.Initializer[i])
		if err1 != nil || err2 != nil {
			t.Fatalf("interval %s: %v %v", ia.Name, err1, err2)
		}
		x, y := ta.F32, tb.F32
		for j := range x {
			d = max(d, math.Abs(float64(x[j])-float64(y[j]))/max(math.Abs(float64(x[j])), 1e-12))
			n++
		}
	}
	if n == 0 {
		t.Fatal("the model has no QIL intervals")
	}
	return d
}

// TestRunDataParallel trains fashion-dwnet's quantizers on 1, 2 and 3
// workers (3: shares of 22, 21 and 21 images): jointly with its weights,
// through the progressive schedule (three stages, each a Trainer of its
// own, each ending with a BatchNormalization re-estimation summed over
// the workers), distilled from the float model; and quantizer-only
// (BatchNormalization frozen, no re-estimation). Every worker ends with
// the same bits, and those within float rounding of the one-worker
// run's, weights, running statistics and intervals alike.
func TestRunDataParallel(t *testing.T) {
	data := fashionImages(t, 256)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"joint", Config{Options: Options{Bits: Bits{4, 4}}, CalibrationImages: 128, Distill: &train.DistillOptions{}}},
		{"quantizer-only", Config{Options: Options{Bits: Bits{3, 3}}, Schedule: "direct", CalibrationImages: 128, QuantizerOnly: true, IntervalLR: 1e-2}},
	} {
		want, wantFig := parallelQIL(t, data, tc.cfg, 1)
		for _, workers := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/workers=%d", tc.name, workers), func(t *testing.T) {
				got, fig := parallelQIL(t, data, tc.cfg, workers)
				first, err := onnx.Encode(got[0])
				if err != nil {
					t.Fatal(err)
				}
				for k := 1; k < workers; k++ {
					b, err := onnx.Encode(got[k])
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(first, b) {
						t.Fatalf("worker %d's model differs from worker 0's (by %.3g): the workers drifted apart", k, paralleltest.WeightDiff(got[0], got[k]))
					}
				}
				w, iv := paralleltest.WeightDiff(want[0], got[0]), intervalDiff(t, want[0], got[0])
				moved := intervalDiff(t, want[0], fashionQILStart(t, data, tc.cfg))
				t.Logf("weights within %.2g of one worker's (relative to the largest), intervals within %.2g (each relative to itself; training moved them by up to %.2g); train accuracy %.4f (one worker %.4f)",
					w, iv, moved, fig[0]["accuracy"], wantFig[0]["accuracy"])
				if w > 1e-5 || iv > 1e-4 {
					t.Fatalf("the weights differ from the one-worker run's by %.3g, the intervals by %.3g: more than float rounding", w, iv)
				}
				if moved < 100*iv {
					t.Fatalf("training moved the intervals by %.3g only: the test cannot tell the runs apart", moved)
				}
				if math.Abs(fig[0]["accuracy"]-wantFig[0]["accuracy"]) > 1.5/float64(data.BatchSize) || math.Abs(fig[0]["loss"]-wantFig[0]["loss"]) > 1e-4*wantFig[0]["loss"] {
					t.Fatalf("last figures %v, one worker %v", fig[0], wantFig[0])
				}
			})
		}
	}
}

// fashionQILStart is the QIL form of fashion-dwnet as cfg calibrates it,
// before training.
func fashionQILStart(t *testing.T, data *train.Loader, cfg Config) *onnx.Model {
	t.Helper()
	run, err := NewRun(context.Background(), fashionDwnet(t), data, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, err := run.Model()
	if err != nil {
		t.Fatal(err)
	}
	return m
}
