package train

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/tensor"
)

// quadrantSet is n noisy 8x8 gray images whose class (0..3) is the quadrant
// holding a bright square: learnable in a few dozen steps.
func quadrantSet(t *testing.T, n int, seed int64) *dataset.Set {
	t.Helper()
	r := newRNG(seed)
	pix := make([]uint8, n*64)
	labels := make([]int, n)
	for i := range n {
		c := i % 4
		labels[i] = c
		img := pix[i*64 : (i+1)*64]
		for j := range img {
			img[j] = uint8(r.intn(60))
		}
		y0, x0 := 4*(c/2), 4*(c%2)
		for y := y0; y < y0+4; y++ {
			for x := x0; x < x0+4; x++ {
				img[y*8+x] = uint8(180 + r.intn(70))
			}
		}
	}
	set, err := dataset.New(dataset.Shape{C: 1, H: 8, W: 8}, pix, labels, []string{"tl", "tr", "bl", "br"})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func fitPlan(t *testing.T, set *dataset.Set, seed int64) *Plan {
	t.Helper()
	b := smallCNN(1, 8, 8, 4, seed)
	plan, err := Prepare(Setup{Model: b.m, Train: set, ValFraction: 0.25, Batch: 16, Seed: seed,
		Preprocess: dataset.Preprocess{Scale: 1.0 / 255}})
	if err != nil {
		t.Fatal(err)
	}
	plan.Net.Reinitialize(seed)
	return plan
}

func runFit(t *testing.T, f *Fit) []job.Progress {
	t.Helper()
	var seen []job.Progress
	if err := job.Run(context.Background(), f, func(p job.Progress) { seen = append(seen, p) }); err != nil {
		t.Fatal(err)
	}
	return seen
}

func TestFitChoosesTheRateAndLearns(t *testing.T) {
	plan := fitPlan(t, quadrantSet(t, 256, 1), 2)
	cfg := FinetuneDefaults()
	cfg.Epochs = 3
	f, err := NewFit(plan.Net, plan.Options(cfg))
	if err != nil {
		t.Fatal(err)
	}
	seen := runFit(t, f)
	res := f.Result()
	if res.LR <= 0 || res.LR > 1 || len(res.Probe) < 5 || res.LRSource == "given" {
		t.Fatalf("chosen rate %g from %d probe points (%s)", res.LR, len(res.Probe), res.LRSource)
	}
	// The model as given is validated first, then its BatchNormalization
	// statistics are re-estimated, then the rate is probed and it trains.
	var order []string
	for _, p := range seen {
		if len(order) == 0 || order[len(order)-1] != p.Stage {
			order = append(order, p.Stage)
		}
	}
	if len(order) < 5 || !slices.Equal(order[:5], []string{"validate", "recalibrate", "validate", "probe", "train"}) {
		t.Errorf("stages in order %q", order)
	}
	if res.Initial == nil || res.Best == nil || res.Best.Accuracy < 0.9 || res.Kept != KeptBest {
		t.Fatalf("from %+v to best %+v, kept %s; want >= 90 %% on the quadrants", res.Initial, res.Best, res.Kept)
	}
	if len(res.Epochs) != 3 || res.Epochs[2].Val == nil {
		t.Errorf("epochs %+v", res.Epochs)
	}
	t.Logf("lr %.3g (%s): validation %.1f %% -> %.1f %%", res.LR, res.LRSource, 100*res.Initial.Accuracy, 100*res.Best.Accuracy)
	// The kept weights are the net's and the model's.
	acc, _, err := Evaluate(context.Background(), plan.Net, plan.Val)
	if err != nil || acc != res.Best.Accuracy {
		t.Errorf("the net validates at %v (%v), the result says %v", acc, err, res.Best.Accuracy)
	}
}

func TestProbeRestoresTheWeights(t *testing.T) {
	plan := fitPlan(t, quadrantSet(t, 128, 3), 4)
	before := plan.Net.Snapshot()
	p, err := NewLRProbe(plan.Net, plan.Train, FinetuneDefaults(), ProbeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Run(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	for name, v := range before.values {
		if got := plan.Net.consts[name].F32; !slices.Equal(got, v) {
			t.Fatalf("%s changed by the probe", name)
		}
	}
	if lr, _ := p.LR(); lr <= 0 {
		t.Fatalf("rate %g", lr)
	}
}

func TestFitDivergenceKeepsTheOriginalWeights(t *testing.T) {
	plan := fitPlan(t, quadrantSet(t, 128, 5), 6)
	before := plan.Net.Snapshot()
	cfg := Config{Epochs: 1, Optimizer: "sgd", LR: 1e9}
	f, err := NewFit(plan.Net, plan.Options(cfg))
	if err != nil {
		t.Fatal(err)
	}
	runFit(t, f)
	res := f.Result()
	if !res.Diverged || res.Kept != KeptOriginal || res.Retries != 3 {
		t.Fatalf("diverged %v, kept %s after %d retries; want the guard to give up after 3", res.Diverged, res.Kept, res.Retries)
	}
	if math.Abs(res.LR-1e6) > 1 {
		t.Errorf("last rate %g, want 1e9 / 10^3", res.LR)
	}
	for name, v := range before.values {
		if !slices.Equal(plan.Net.consts[name].F32, v) {
			t.Fatalf("%s is not the original after divergence", name)
		}
	}
	last := res.Events[len(res.Events)-1]
	if !strings.Contains(last, "original weights") || !strings.Contains(last, "--lr") {
		t.Errorf("the last message does not say what happened and what to do: %q", last)
	}
}

func TestFitRecoversFromDivergenceAtALowerRate(t *testing.T) {
	plan := fitPlan(t, quadrantSet(t, 256, 7), 8)
	// SGD at 100 blows up; at 1 (two restarts later) it learns.
	f, err := NewFit(plan.Net, plan.Options(Config{Epochs: 3, Optimizer: "sgd", LR: 100}))
	if err != nil {
		t.Fatal(err)
	}
	runFit(t, f)
	res := f.Result()
	if res.Retries == 0 || res.Diverged || res.Best.Accuracy < 0.9 {
		t.Fatalf("retries %d, diverged %v, best %+v (events %q)", res.Retries, res.Diverged, res.Best, res.Events)
	}
}

func TestFitKeepsTheOriginalWhenTrainingMakesItWorse(t *testing.T) {
	good := quadrantSet(t, 256, 9)
	plan := fitPlan(t, good, 10)
	f, err := NewFit(plan.Net, plan.Options(Config{Epochs: 3, Optimizer: "adam", LR: 0.01}))
	if err != nil {
		t.Fatal(err)
	}
	runFit(t, f)
	trained := plan.Net.Snapshot()
	// Now train on labels that are all wrong (rotated by one class)
	// while validating on the true ones.
	wrong := quadrantSet(t, 256, 9)
	for i := range wrong.Labels {
		wrong.Labels[i] = (wrong.Labels[i] + 1) % 4
	}
	opts := plan.Options(Config{Epochs: 2, Optimizer: "adam", LR: 0.01})
	opts.Retries = -1 // the loss rises as it should: this is not divergence
	opts.Train = &Loader{Set: wrong, Preprocess: plan.Train.Preprocess, BatchSize: 16, Shuffle: true}
	f, err = NewFit(plan.Net, opts)
	if err != nil {
		t.Fatal(err)
	}
	runFit(t, f)
	res := f.Result()
	if res.Kept != KeptOriginal {
		t.Fatalf("kept %s; validation went %+v -> best %+v", res.Kept, res.Initial, res.Best)
	}
	for name, v := range trained.values {
		if !slices.Equal(plan.Net.consts[name].F32, v) {
			t.Fatalf("%s is not the model's own after a worse fine-tune", name)
		}
	}
	if !strings.Contains(res.Events[len(res.Events)-1], "--allow-worse") {
		t.Errorf("message %q", res.Events[len(res.Events)-1])
	}
	// With AllowWorse the trained (worse) weights stay.
	opts.AllowWorse = true
	f, _ = NewFit(plan.Net, opts)
	runFit(t, f)
	if f.Result().Kept != KeptLast {
		t.Errorf("AllowWorse kept %s", f.Result().Kept)
	}
}

// TestDistillGradient checks Distill's gradient with respect to the
// student's logits against central differences of its loss.
func TestDistillGradient(t *testing.T) {
	r := newRNG(11)
	n, k := 3, 5
	student := tensor.New(tensor.Float32, []int{n, k})
	teacherLogits := tensor.New(tensor.Float32, []int{n, k})
	for i := range student.F32 {
		student.F32[i] = float32(3 * (r.float64() - 0.5))
		teacherLogits.F32[i] = float32(6 * (r.float64() - 0.5))
	}
	labels := []int{0, 3, 4}
	teacher := func(context.Context, *tensor.Tensor) (*tensor.Tensor, error) { return teacherLogits, nil }
	loss, err := Distill(teacher, DistillOptions{Temperature: 2, Alpha: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, grad, _, err := loss(ctx, nil, labels, student)
	if err != nil {
		t.Fatal(err)
	}
	const eps = 1e-2
	for i := range student.F32 {
		orig := student.F32[i]
		student.F32[i] = orig + eps
		up, _, _, _ := loss(ctx, nil, labels, student)
		student.F32[i] = orig - eps
		down, _, _, _ := loss(ctx, nil, labels, student)
		student.F32[i] = orig
		num := (up - down) / (2 * eps)
		if math.Abs(num-float64(grad.F32[i])) > 2e-4 {
			t.Fatalf("element %d: analytic %v, numeric %v", i, grad.F32[i], num)
		}
	}
	// With the teacher equal to the student and Alpha 1 the loss is 0.
	same, _ := Distill(func(context.Context, *tensor.Tensor) (*tensor.Tensor, error) { return student, nil }, DistillOptions{Alpha: 1})
	if l, _, _, _ := same(ctx, nil, labels, student); math.Abs(l) > 1e-9 {
		t.Errorf("KL of a distribution with itself: %v", l)
	}
}

// TestDistillWithoutLabels: IgnoreLabels takes the teacher as the only
// target. Labels the logits cannot name (another task's) are accepted
// and do not change the loss or the gradient, which equal Alpha 1's on
// in-range labels; the correct count is agreement with the teacher's top
// class; a label weight other than 1 is refused.
func TestDistillWithoutLabels(t *testing.T) {
	student := tensor.FromF32([]int{3, 4}, []float32{1, 2, 0, 0, 3, 0, 0, 1, 0, 0, 2, 5})
	teacherLogits := tensor.FromF32([]int{3, 4}, []float32{0, 4, 1, 0, 0, 2, 0, 1, 1, 0, 3, 0})
	teacher := func(context.Context, *tensor.Tensor) (*tensor.Tensor, error) { return teacherLogits, nil }
	ctx := context.Background()
	free, err := Distill(teacher, DistillOptions{IgnoreLabels: true})
	if err != nil {
		t.Fatal(err)
	}
	soft, err := Distill(teacher, DistillOptions{Alpha: 1})
	if err != nil {
		t.Fatal(err)
	}
	l1, g1, agree, err := free(ctx, nil, []int{17, 40, 9}, student)
	if err != nil {
		t.Fatalf("labels of another task: %v", err)
	}
	l2, g2, _, err := soft(ctx, nil, []int{0, 1, 2}, student)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(l1-l2) > 1e-12 {
		t.Errorf("loss %v without labels, %v at Alpha 1", l1, l2)
	}
	for i := range g1.F32 {
		if math.Abs(float64(g1.F32[i]-g2.F32[i])) > 1e-7 {
			t.Fatalf("gradient %d: %v without labels, %v at Alpha 1", i, g1.F32[i], g2.F32[i])
		}
	}
	// top classes: student 1, 0, 3; teacher 1, 1, 2.
	if agree != 1 {
		t.Errorf("agreement with the teacher %d, want 1", agree)
	}
	if _, err := Distill(teacher, DistillOptions{IgnoreLabels: true, Alpha: 0.5}); err == nil {
		t.Error("a label weight of 0.5 without labels was accepted")
	}
}

func TestTrainerReportsAJobProgress(t *testing.T) {
	plan := fitPlan(t, quadrantSet(t, 64, 12), 13)
	tr, err := NewTrainer(plan.Net, plan.Train, Config{Epochs: 2, Optimizer: "adam", LR: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	p, err := tr.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Stage != "train" || p.Done != 1 || p.Total != int64(tr.Total()) || p.Figures["lr"] != 1e-3 || p.Figures["epoch"] != 1 {
		t.Fatalf("progress %+v", p)
	}
	if tr.Last().GlobalStep != 1 || tr.Last().Loss != p.Figures["batch_loss"] {
		t.Errorf("Last %+v", tr.Last())
	}
}

func TestParamsPointToTheirNodes(t *testing.T) {
	net := mustNet(t, smallCNN(1, 8, 8, 4, 14), NetOptions{})
	w1 := net.Param("w1")
	if len(w1.Users) != 1 || w1.Users[0].Node.OpType != "Conv" || w1.Users[0].Input != 1 {
		t.Fatalf("w1 users %v", w1.Users)
	}
	if !strings.Contains(w1.Users[0].String(), "(Conv) input 1") {
		t.Errorf("%q", w1.Users[0].String())
	}
}

// Stopping a fit mid-course keeps the best validated weights so far, and
// the original ones before any validation beat them.
func TestFitStopKeepsTheBestSoFar(t *testing.T) {
	plan := fitPlan(t, quadrantSet(t, 256, 31), 32)
	before := plan.Net.Snapshot()
	f, err := NewFit(plan.Net, plan.Options(Config{Epochs: 5, Optimizer: "adam", LR: 0.01}))
	if err != nil {
		t.Fatal(err)
	}
	// Stopped before training: the original weights, byte for byte.
	if _, err := f.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := f.Stop(); err != nil || !f.Done() || f.Result().Kept != KeptOriginal {
		t.Fatalf("stop before training: %v, done %v, kept %s", err, f.Done(), f.Result().Kept)
	}
	for name, v := range before.values {
		if !slices.Equal(plan.Net.consts[name].F32, v) {
			t.Fatalf("%s changed by a fit stopped before training", name)
		}
	}
	// Stopped in the third epoch: the best of the first two.
	f, err = NewFit(plan.Net, plan.Options(Config{Epochs: 5, Optimizer: "adam", LR: 0.01}))
	if err != nil {
		t.Fatal(err)
	}
	for len(f.Result().Epochs) < 2 || f.stage != stageTrain {
		if _, err := f.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 { // some unvalidated steps
		if _, err := f.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	best := *f.Result().Best
	if err := f.Stop(); err != nil || f.Result().Kept != KeptBest {
		t.Fatalf("stop in epoch 3: %v, kept %s (events %q)", err, f.Result().Kept, f.Result().Events)
	}
	acc, loss, err := Evaluate(context.Background(), plan.Net, plan.Val)
	if err != nil || acc != best.Accuracy || math.Abs(loss-best.Loss) > 1e-9 {
		t.Errorf("the kept weights validate at %v (loss %v), the best checkpoint at %+v", acc, loss, best)
	}
	if _, err := f.Step(context.Background()); err == nil {
		t.Error("a stopped fit takes another step")
	}
}

func TestKeepMargin(t *testing.T) {
	for _, c := range []struct {
		images int
		want   float64
	}{{64, 1.0 / 64}, {999, 1.0 / 999}, {1000, 0.001}, {6000, 0.001}, {0, 0}} {
		if got := keepMargin(c.images); got != c.want {
			t.Errorf("keepMargin(%d) = %v, want %v", c.images, got, c.want)
		}
	}
}

// A fine-tune that validates as well as the model given, with a lower
// loss, is not clearly better: the original weights are written.
func TestFitKeepsTheOriginalForAGainBelowTheMargin(t *testing.T) {
	plan := trainedQuadrantPlan(t)
	before := plan.Net.Snapshot()
	f, err := NewFit(plan.Net, plan.Options(Config{Epochs: 2, Optimizer: "adam", LR: 1e-3}))
	if err != nil {
		t.Fatal(err)
	}
	runFit(t, f)
	res := f.Result()
	if res.Initial == nil || res.Initial.Accuracy != 1 || res.Initial.Images != 64 {
		t.Fatalf("the trained net validates at %+v; the test wants 64 images at 100 %%", res.Initial)
	}
	if res.Kept != KeptOriginal {
		t.Fatalf("kept %s (best %+v, events %q)", res.Kept, res.Best, res.Events)
	}
	for name, v := range before.values {
		if !slices.Equal(plan.Net.consts[name].F32, v) {
			t.Fatalf("%s is not the model's own", name)
		}
	}
}
