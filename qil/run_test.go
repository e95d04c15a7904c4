package qil

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/testassets"
)

// TestStageEndsWithBatchNormReestimation: a stage of a net with
// BatchNormalization trains, then re-estimates the running statistics
// from its final weights before it reports stage_done, and the steps of
// both count in the Progress. The statistics at stage_done are those a
// fresh recalibration of the final net computes, not the momentum
// averages training left.
func TestStageEndsWithBatchNormReestimation(t *testing.T) {
	m := fashionDwnet(t)
	data := fashionImages(t, 256)
	run, err := NewRun(context.Background(), m, data, Config{Options: Options{Bits: Bits{4, 4}}, Schedule: "direct", CalibrationImages: 64})
	if err != nil {
		t.Fatal(err)
	}
	var stats []string
	for _, n := range run.Net().Model().Graph.Node {
		if n.OpType == "BatchNormalization" {
			stats = append(stats, n.Input[3], n.Input[4])
		}
	}
	if len(stats) == 0 {
		t.Fatal("fashion-dwnet has no BatchNormalization")
	}
	snapshot := func() [][]float32 {
		out := make([][]float32, len(stats))
		for i, s := range stats {
			out[i] = append([]float32(nil), run.Net().Stat(s).F32...)
		}
		return out
	}
	const trainSteps, recalSteps = 4, 4 // 256 images in batches of 64, all averaged
	var afterTraining [][]float32
	steps := 0
	for !run.Done() {
		p, err := run.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		steps++
		if p.Total != trainSteps+recalSteps || p.Done != int64(steps) {
			t.Fatalf("step %d: progress %d of %d, want %d of %d", steps, p.Done, p.Total, steps, trainSteps+recalSteps)
		}
		if done := p.Figures["stage_done"] == 1; done != (steps == trainSteps+recalSteps) {
			t.Fatalf("step %d: stage_done %v", steps, done)
		}
		if steps == trainSteps {
			afterTraining = snapshot()
		}
	}
	final := snapshot()
	rc, err := train.NewBNRecalibration(run.Net(), data)
	if err != nil {
		t.Fatal(err)
	}
	for !rc.Done() {
		if _, err := rc.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	moved := 0.0
	for i, want := range snapshot() {
		for j := range want {
			if d := math.Abs(float64(final[i][j] - want[j])); d > 1e-5*(1+math.Abs(float64(want[j]))) {
				t.Fatalf("%s[%d] = %v at stage_done, a recalibration of the final net gives %v", stats[i], j, final[i][j], want[j])
			}
			moved = max(moved, math.Abs(float64(afterTraining[i][j]-want[j])))
		}
	}
	if moved == 0 {
		t.Fatal("the statistics after training already equal the re-estimated ones: the test cannot tell")
	}
}

// TestQuantizerOnlyOnAnotherTask: quantizer-only training on images whose
// labels are not the model's classes (mnist-8 on a 20-class labelling)
// learns from the float model's outputs instead, says so in a note, and
// reports agreement with the float model as its accuracy; joint training
// on the same data is refused with a message naming --quantizer-only, and
// teacher targets without --quantizer-only are refused.
func TestQuantizerOnlyOnAnotherTask(t *testing.T) {
	m, data := smallMnist(t, 128)
	other := *data.Set
	other.Labels = make([]int, len(data.Set.Labels))
	other.Classes = make([]string, 20)
	for i, l := range data.Set.Labels {
		other.Labels[i] = l + 10
	}
	for i := range other.Classes {
		other.Classes[i] = string(rune('a' + i))
	}
	foreign := *data
	foreign.Set = &other
	ctx := context.Background()
	bits := Options{Bits: Bits{4, 4}}
	if _, err := NewRun(ctx, m, &foreign, Config{Options: bits, Schedule: "direct", CalibrationImages: 64}); err == nil || !strings.Contains(err.Error(), "--quantizer-only") {
		t.Fatalf("joint training on another task's labels: %v", err)
	}
	if _, err := NewRun(ctx, m, data, Config{Options: bits, Schedule: "direct", CalibrationImages: 64, TeacherTargets: true}); err == nil || !strings.Contains(err.Error(), "quantizer-only") {
		t.Fatalf("teacher targets with joint training: %v", err)
	}
	run, err := NewRun(ctx, m, &foreign, Config{Options: bits, Schedule: "direct", CalibrationImages: 64, QuantizerOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if notes := run.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "float model's outputs") || !run.TeacherTargets() {
		t.Fatalf("notes %q, teacher targets %v", notes, run.TeacherTargets())
	}
	var last job.Progress
	for !run.Done() {
		if last, err = run.Step(ctx); err != nil {
			t.Fatal(err)
		}
		if l := last.Figures["loss"]; !(l >= 0) || math.IsInf(l, 0) {
			t.Fatalf("loss %v", l)
		}
	}
	// A 4-bit copy of the float model mostly agrees with it; the labels
	// (all 10 or more) would give 0.
	if a := last.Figures["accuracy"]; a < 0.5 || a > 1 {
		t.Fatalf("agreement with the float model %v", a)
	}

	// Labels in range that the float model does not match (another task
	// numbered 0..9): quantizer-only learns from the float model, joint
	// training goes on with a note that asks.
	shifted := *data.Set
	shifted.Labels = make([]int, len(data.Set.Labels))
	for i, l := range data.Set.Labels {
		shifted.Labels[i] = (l + 1) % 10
	}
	permuted := *data
	permuted.Set = &shifted
	run, err = NewRun(ctx, m, &permuted, Config{Options: bits, Schedule: "direct", CalibrationImages: 64, QuantizerOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if notes := run.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "another task") {
		t.Fatalf("quantizer-only on permuted labels: notes %q", notes)
	}
	run, err = NewRun(ctx, m, &permuted, Config{Options: bits, Schedule: "direct", CalibrationImages: 64})
	if err != nil {
		t.Fatal(err)
	}
	if notes := run.Notes(); len(notes) != 1 || !strings.Contains(notes[0], "are they labelled for this model") || run.TeacherTargets() {
		t.Fatalf("joint training on permuted labels: notes %q, teacher targets %v", notes, run.TeacherTargets())
	}
	// The model's own labels: no note.
	if run, err = NewRun(ctx, m, data, Config{Options: bits, Schedule: "direct", CalibrationImages: 64, QuantizerOnly: true}); err != nil {
		t.Fatal(err)
	}
	if notes := run.Notes(); len(notes) != 0 {
		t.Fatalf("own labels: notes %q", notes)
	}
}

// fashionImages is a loader of the first n Fashion-MNIST t10k images in
// shuffled batches of 64 (the last partial batch dropped).
func fashionImages(t *testing.T, n int) *train.Loader {
	t.Helper()
	set, err := dataset.OpenPath(testassets.Dir(t, "data/fashion-mnist"))
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return &train.Loader{Set: set, Indices: idx, Preprocess: dataset.DefaultPreprocess([]int{64, 1, 28, 28}), BatchSize: 64, Shuffle: true, Seed: 1, DropLast: true}
}
