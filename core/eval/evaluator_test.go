package eval

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/tensor"
)

// fixed is a Source of batches whose single feature is the label itself,
// read by identity (a perfect classifier) or by shifted (wrong by one).
type fixed struct {
	labels [][]int
	fail   int // step whose Batch fails (-1: none)
}

func (f *fixed) Steps() int { return len(f.labels) }

func (f *fixed) Len() int {
	n := 0
	for _, ls := range f.labels {
		n += len(ls)
	}
	return n
}

func (f *fixed) Batch(_, step int) (*tensor.Tensor, []int, error) {
	if step == f.fail {
		return nil, nil, errors.New("unreadable image")
	}
	ls := f.labels[step]
	x := tensor.New(tensor.Float32, []int{len(ls), 1})
	for i, l := range ls {
		x.F32[i] = float32(l)
	}
	return x, ls, nil
}

// oneHot scores class round(x)+shift highest of k.
func oneHot(k, shift int) Forward {
	return func(_ context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
		y := tensor.New(tensor.Float32, []int{x.Shape[0], k})
		for i, v := range x.F32 {
			y.F32[i*k+(int(v)+shift)%k] = 10
		}
		return y, nil
	}
}

func TestEvaluatorCountsAndConfusion(t *testing.T) {
	src := &fixed{labels: [][]int{{0, 1, 2}, {2, 2}}, fail: -1}
	ev, err := New(src, oneHot(3, 0), Options{Classes: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	var seen []job.Progress
	if err := job.Run(context.Background(), ev, func(p job.Progress) { seen = append(seen, p) }); err != nil {
		t.Fatal(err)
	}
	r := ev.Result()
	if r.Count != 5 || r.Correct != 5 || r.Accuracy() != 1 {
		t.Fatalf("count %d correct %d", r.Count, r.Correct)
	}
	if len(r.Classes) != 3 || r.Classes[2] != "2" {
		t.Errorf("classes %v: the third, unnamed class should be named by its index", r.Classes)
	}
	if r.Confusion[2][2] != 3 {
		t.Errorf("confusion %v", r.Confusion)
	}
	// Each row is 10 at the label, 0 elsewhere: loss = log(e^10+2) - 10.
	if want := math.Log(math.Exp(10)+2) - 10; math.Abs(r.Loss()-want) > 1e-9 {
		t.Errorf("loss %v, want %v", r.Loss(), want)
	}
	if len(seen) != 2 || seen[0].Done != 3 || seen[1].Done != 5 || seen[1].Total != 5 || seen[1].Stage != "evaluate" || seen[1].Figures["accuracy"] != 1 {
		t.Errorf("progress %+v", seen)
	}
}

func TestEvaluatorWrongAndPerClass(t *testing.T) {
	src := &fixed{labels: [][]int{{0, 0, 1, 1}}, fail: -1}
	r, err := Run(context.Background(), src, oneHot(2, 1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Correct != 0 || r.Pred[0] != 1 || r.PerClass()[1] != 0 || r.Confusion[0][1] != 2 {
		t.Fatalf("%+v", r)
	}
}

func TestEvaluatorErrorsSayWhatFailed(t *testing.T) {
	src := &fixed{labels: [][]int{{0}, {1}}, fail: 1}
	ev, _ := New(src, oneHot(2, 0), Options{})
	err := job.Run(context.Background(), ev, nil)
	var be *BatchError
	if !errors.As(err, &be) || be.Kind != ReadFailed || be.Step != 1 || be.Seen != 1 {
		t.Fatalf("err %v, want a ReadFailed BatchError at step 1", err)
	}
	if ev.Result().Count != 1 {
		t.Errorf("the first batch's result is lost: %+v", ev.Result())
	}
	bad := func(_ context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
		return tensor.New(tensor.Int64, []int{x.Shape[0], 2}), nil
	}
	_, err = Run(context.Background(), &fixed{labels: [][]int{{0}}, fail: -1}, bad, Options{})
	if !errors.As(err, &be) || be.Kind != BadOutput {
		t.Fatalf("err %v, want BadOutput", err)
	}
}

func TestEvaluatorStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ev, _ := New(&fixed{labels: [][]int{{0}}, fail: -1}, oneHot(2, 0), Options{})
	if _, err := ev.Step(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want Canceled", err)
	}
}
