package train

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/tensor"
)

// trainedQuadrantPlan is fitPlan's net trained to near 100 % on the
// quadrant images.
func trainedQuadrantPlan(t *testing.T) *Plan {
	t.Helper()
	plan := fitPlan(t, quadrantSet(t, 256, 21), 22)
	f, err := NewFit(plan.Net, plan.Options(Config{Epochs: 3, Optimizer: "adam", LR: 0.01}))
	if err != nil {
		t.Fatal(err)
	}
	runFit(t, f)
	return plan
}

func recalibrate(t *testing.T, net *Net, data *Loader) *BNRecalibration {
	t.Helper()
	r, err := NewBNRecalibration(net, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Run(context.Background(), r, nil); err != nil {
		t.Fatal(err)
	}
	return r
}

func evalLogits(t *testing.T, net *Net, data *Loader) []float32 {
	t.Helper()
	x, _, err := data.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	pass, err := net.ForwardContext(context.Background(), map[string]*tensor.Tensor{net.InputNames()[0]: x}, ModeEval)
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), pass.Logits().F32...)
}

func maxRelDiff(a, b []float32) float64 {
	var d, scale float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
		scale = math.Max(scale, math.Abs(float64(b[i])))
	}
	return d / math.Max(scale, 1e-12)
}

// A BatchNormalization after a conv makes the net blind to the conv's
// scale, once its statistics describe the scaled activations: rescaling
// the conv and recalibrating must give the outputs of recalibrating the
// unscaled net, while the stale statistics give something else.
func TestRecalibrationUndoesARescaledConv(t *testing.T) {
	plan := trainedQuadrantPlan(t)
	net := plan.Net
	r := recalibrate(t, net, plan.Train)
	if want := min(plan.Train.Len(), RecalibrateImages); r.Images() != want {
		t.Fatalf("averaged %d images, want %d", r.Images(), want)
	}
	want := evalLogits(t, net, plan.Val)
	for _, name := range []string{"w1", "b1"} {
		for i := range net.consts[name].F32 {
			net.consts[name].F32[i] *= 4
		}
	}
	stale := evalLogits(t, net, plan.Val)
	if d := maxRelDiff(stale, want); d < 0.1 {
		t.Fatalf("the rescaled conv with stale statistics is only %.3g from the reference; the test proves nothing", d)
	}
	recalibrate(t, net, plan.Train)
	got := evalLogits(t, net, plan.Val)
	// Not exact: epsilon is 16 times smaller against the scaled variance.
	if d := maxRelDiff(got, want); d > 1e-3 {
		t.Errorf("after recalibration the outputs are %.3g (relative) from the unscaled net's", d)
	}
}

// Fit re-estimates stale statistics before it probes the rate, keeps them
// because they validate better, and trains from there.
func TestFitRecalibratesStaleStatistics(t *testing.T) {
	plan := trainedQuadrantPlan(t)
	net := plan.Net
	// Statistics of activations that no longer exist: every channel's
	// mean three deviations too high, so the ReLU after it zeroes almost
	// everything.
	rm, rv := net.consts["rm"].F32, net.consts["rv"].F32
	for c := range rm {
		rm[c] += 3 * float32(math.Sqrt(float64(rv[c])))
	}
	f, err := NewFit(net, plan.Options(FinetuneDefaults()))
	if err != nil {
		t.Fatal(err)
	}
	runFit(t, f)
	res := f.Result()
	if res.Initial == nil || res.Recalibrated == nil || res.Best == nil {
		t.Fatalf("initial %+v, recalibrated %+v, best %+v", res.Initial, res.Recalibrated, res.Best)
	}
	if res.Recalibrated.Accuracy <= res.Initial.Accuracy || res.Recalibrated.Accuracy < 0.9 {
		t.Errorf("validation %.3f before, %.3f recalibrated; want a recovery to >= 0.9", res.Initial.Accuracy, res.Recalibrated.Accuracy)
	}
	if !res.Best.better(*res.Recalibrated) && *res.Best != *res.Recalibrated {
		t.Errorf("best %+v is worse than the recalibrated start %+v", res.Best, res.Recalibrated)
	}
	if res.Kept == KeptOriginal {
		t.Errorf("kept the damaged original (events %q)", res.Events)
	}
	found := false
	for _, e := range res.Events {
		found = found || strings.Contains(e, "BatchNormalization statistics re-estimated")
	}
	if !found {
		t.Errorf("no event says the statistics were re-estimated: %q", res.Events)
	}
}

// Statistics that are already right stay the model's own, byte for byte,
// when the new ones validate no better.
func TestFitKeepsGoodStatistics(t *testing.T) {
	plan := trainedQuadrantPlan(t)
	before := plan.Net.Snapshot()
	opts := plan.Options(Config{Epochs: 1, Optimizer: "adam", LR: 1e-12})
	f, err := NewFit(plan.Net, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Stop after the stages before training: validation, recalibration
	// and its validation.
	for f.stage != stageTrain {
		if _, err := f.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	res := f.Result()
	if res.Recalibrated == nil || res.Initial == nil {
		t.Fatalf("initial %+v, recalibrated %+v", res.Initial, res.Recalibrated)
	}
	if res.Recalibrated.Accuracy != res.Initial.Accuracy || res.Initial.Accuracy < 0.99 {
		t.Fatalf("validation %.3f before, %.3f recalibrated; the test wants a trained net whose statistics are right", res.Initial.Accuracy, res.Recalibrated.Accuracy)
	}
	for name := range plan.Net.stats {
		if got, want := plan.Net.consts[name].F32, before.values[name]; maxRelDiff(got, want) != 0 {
			t.Fatalf("%s changed though the re-estimated statistics were not better", name)
		}
	}
}
