package paralleltest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// recorder is a testing.TB that keeps what Fatalf was told.
type recorder struct {
	testing.TB
	fatal string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

// A worker that fails releases the others (they wait for it, as for its
// gradients), and Run names it.
func TestRunStopsTheOthersAndNamesTheWorker(t *testing.T) {
	released := make(chan struct{})
	var stopped error
	var rec recorder
	Run(&rec, 3, func(err error) { stopped = err; close(released) }, func(rank int) error {
		if rank == 1 {
			return errors.New("no gradients")
		}
		<-released
		return nil
	})
	if stopped == nil || rec.fatal != "worker 1: no gradients" {
		t.Fatalf("stop got %v, Fatalf %q", stopped, rec.fatal)
	}
	rec.fatal = ""
	Run(&rec, 2, func(error) { t.Error("stop called without an error") }, func(int) error { return nil })
	if rec.fatal != "" {
		t.Fatalf("workers that all succeeded failed the test: %q", rec.fatal)
	}
}

func model(t *testing.T, w []float32) *onnx.Model {
	t.Helper()
	init, err := tensor.ToONNX(tensor.FromF32([]int{len(w)}, w), "w")
	if err != nil {
		t.Fatal(err)
	}
	return &onnx.Model{Graph: &onnx.Graph{Initializer: []*onnx.Tensor{init}}}
}

func TestWeightDiffIsRelativeToTheLargestWeight(t *testing.T) {
	a, b := model(t, []float32{4, -2, 1}), model(t, []float32{4, -1, 1})
	if d := WeightDiff(a, b); d != 0.25 {
		t.Fatalf("WeightDiff %v, want 1/4", d)
	}
	if d := WeightDiff(a, a); d != 0 {
		t.Fatalf("a model against itself: %v", d)
	}
}

// Two exports whose graphs differ by a node (one lacks a Sub constant, or
// holds it as another type): the initializers they share by name are
// compared, and the rest left out, not read out of range.
func TestWeightDiffMatchesInitializersByName(t *testing.T) {
	named := func(name string, w ...float32) *onnx.Tensor {
		init, err := tensor.ToONNX(tensor.FromF32([]int{len(w)}, w), name)
		if err != nil {
			t.Fatal(err)
		}
		return init
	}
	q, err := tensor.ToONNX(&tensor.Tensor{DType: tensor.Int8, Shape: []int{2}, I8: []int8{1, 2}}, "offset")
	if err != nil {
		t.Fatal(err)
	}
	a := &onnx.Model{Graph: &onnx.Graph{Initializer: []*onnx.Tensor{named("offset", 9, 9), named("scale", 2, 4)}}}
	b := &onnx.Model{Graph: &onnx.Graph{Initializer: []*onnx.Tensor{named("scale", 2, 3)}}}
	if d := WeightDiff(a, b); d != 0.25 {
		t.Fatalf("b without the offset: WeightDiff %v, want 1/4", d)
	}
	b.Graph.Initializer = append(b.Graph.Initializer, q)
	if d := WeightDiff(a, b); d != 0.25 {
		t.Fatalf("b with an int8 offset: WeightDiff %v, want 1/4", d)
	}
}
