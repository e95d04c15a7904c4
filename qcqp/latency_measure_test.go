package qcqp

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/internal/benchrun"
)

// Noise-free timings of the model's own form give back its coefficients.
func TestLatencyFitRecoversCoefficients(t *testing.T) {
	want := LayerLatency{Layer: "conv", A: 2e-5, B: 3e-7, C: -5e-8, D: 4e-8}
	var samples []LatencySample
	for _, in := range []int{3, 6, 12, 24} {
		for _, out := range []int{8, 16, 24, 32} {
			samples = append(samples, LatencySample{In: in, Out: out, Seconds: want.Seconds(in, out)})
		}
	}
	got, err := FitLayerLatency("conv", samples)
	if err != nil {
		t.Fatal(err)
	}
	near := func(g, w float64) bool { return math.Abs(g-w) <= 1e-9*math.Abs(w)+1e-18 }
	if !near(got.A, want.A) || !near(got.B, want.B) || !near(got.C, want.C) || !near(got.D, want.D) {
		t.Fatalf("fitted %+v, want %+v", got, want)
	}

	// A depthwise layer is timed at n_in = n_out = n: a + e*n + d*n^2.
	var diag []LatencySample
	for _, n := range []int{4, 8, 12, 16} {
		diag = append(diag, LatencySample{In: n, Out: n, Seconds: 1e-5 + 2e-7*float64(n) + 3e-9*float64(n*n)})
	}
	d, err := FitDiagonalLatency("dw", diag)
	if err != nil {
		t.Fatal(err)
	}
	if !near(d.A, 1e-5) || !near(d.B+d.C, 2e-7) || !near(d.D, 3e-9) {
		t.Fatalf("depthwise fit %+v", d)
	}
	if _, err := FitDiagonalLatency("dw", []LatencySample{{In: 4, Out: 8, Seconds: 1}}); err == nil {
		t.Fatal("accepted a depthwise sample with n_in != n_out")
	}

	// One varying axis: the other's count is absorbed in a.
	one, err := fitSamples("first", []LatencySample{{In: 1, Out: 4, Seconds: 5e-6}, {In: 1, Out: 8, Seconds: 9e-6}}, false)
	if err != nil || !near(one.A, 1e-6) || !near(one.C, 1e-6) || one.B != 0 || one.D != 0 {
		t.Fatalf("fixed-input fit %+v, %v", one, err)
	}
}

// syntheticClock times a model as 3 us plus 1 ns per multiply-accumulate:
// exactly what the latency model's form can represent, so the whole
// measurement (layer models of the right shapes, the overhead, the
// validation networks) must predict the pruned networks' times exactly.
func syntheticClock(t *testing.T) func(*onnx.Model) (float64, error) {
	return func(m *onnx.Model) (float64, error) {
		f, err := Measure(m)
		if err != nil {
			return 0, err
		}
		return 3e-6 + 1e-9*f.MACs, nil
	}
}

func TestMeasureLatencyOnASyntheticClock(t *testing.T) {
	for _, name := range []string{"shared:models/mnist-8.onnx", "resnet20_cifar", "mobilenetv2_035", "densenet_small"} {
		t.Run(name, func(t *testing.T) {
			a := analyze(t, loadPruneModel(t, name))
			rep, err := MeasureLatency(t.Context(), a, MeasureOptions{Grid: 3, Runtime: "synthetic", Seed: 3, Time: syntheticClock(t)})
			if err != nil {
				t.Fatal(err)
			}
			layers, err := a.Layers(NormL1)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Model.Layers) != len(layers) || len(rep.Networks) != 20 {
				t.Fatalf("%d fits for %d layers, %d validation networks", len(rep.Model.Layers), len(layers), len(rep.Networks))
			}
			if rep.Model.MeanPercentError > 1e-6 {
				for k, n := range rep.Networks {
					t.Logf("network %d: measured %g s, predicted %g s", k, n.Seconds, rep.Predicted[k])
				}
				t.Fatalf("mean percentage error %g %% on a clock the model can represent", rep.Model.MeanPercentError)
			}
			var buf bytes.Buffer
			if err := rep.Model.WriteJSON(&buf); err != nil {
				t.Fatal(err)
			}
			back, err := ReadLatencyModel(&buf)
			if err != nil {
				t.Fatal(err)
			}
			p, err := a.Problem(layers, nil)
			if err != nil {
				t.Fatal(err)
			}
			s1, _ := rep.Model.Seconds(p, rep.Networks[0].Counts)
			s2, err := back.Seconds(p, rep.Networks[0].Counts)
			if err != nil || s1 != s2 || back.Overhead != rep.Model.Overhead || back.Scale != rep.Model.Scale || math.Abs(rep.Model.Scale-1) > 1e-9 || back.Runtime != "synthetic" {
				t.Fatalf("JSON round trip: %g s before, %g s after (%v); overhead %g, %g", s1, s2, err, rep.Model.Overhead, back.Overhead)
			}
		})
	}
}

// The real clock: Pare's executor, with a short fixed warm-up.
func TestMeasureLatencyOnPare(t *testing.T) {
	a := analyze(t, loadPruneModel(t, "shared:models/mnist-8.onnx"))
	rep, err := MeasureLatency(t.Context(), a, MeasureOptions{Grid: 2, Validate: 3, Runtime: "pare",
		Bench: benchrun.Options{Warmup: 2, Runs: 5, MinTime: -1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Model.Layers) != 3 || rep.FullSeconds <= 0 || len(rep.Networks) != 3 {
		t.Fatalf("%+v", rep)
	}
	for _, n := range rep.Networks {
		if n.Seconds <= 0 {
			t.Fatalf("validation network timed at %g s", n.Seconds)
		}
	}
	if e := rep.Model.MeanPercentError; math.IsNaN(e) || e <= 0 || e > 200 {
		t.Fatalf("mean percentage error %g %%", e)
	}
	if _, err := MeasureLatency(t.Context(), a, MeasureOptions{Grid: 1}); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Fatalf("grid 1: %v", err)
	}
}
