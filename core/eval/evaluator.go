package eval

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/tensor"
)

// Source yields batches of preprocessed images and their labels, in a fixed
// order for epoch 0 (Images and core/train's Loader are Sources).
type Source interface {
	Len() int // images
	Steps() int
	Batch(epoch, step int) (*tensor.Tensor, []int, error)
}

// Forward computes a batch's class scores: N x K, or N x K x 1 x 1 as a
// 1x1-convolution head leaves them.
type Forward func(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error)

// Options tunes an Evaluator.
type Options struct {
	// Classes names the classes (the data set's); the confusion matrix
	// grows past them when the model predicts a class the data never
	// names.
	Classes []string
	// Stage is Progress.Stage (default "evaluate"; training says
	// "validate").
	Stage string
	// CheckClasses, when set, is given the number of class scores of the
	// first batch and may refuse them (dataset.Set.CheckClasses: labels
	// beyond the model's classes); its error ends the evaluation.
	CheckClasses func(classes int) error
}

// Evaluator runs a Forward over a Source one batch per Step. Its Progress
// counts images (Done of Total) and carries the figures "accuracy" and
// "loss" of the images so far.
type Evaluator struct {
	src   Source
	fwd   Forward
	opt   Options
	step  int
	start time.Time
	res   Result
}

// New prepares an evaluation of src's batches with fwd.
func New(src Source, fwd Forward, opt Options) (*Evaluator, error) {
	if src == nil || fwd == nil {
		return nil, fmt.Errorf("eval: a source and a forward function are required")
	}
	if src.Steps() == 0 {
		return nil, fmt.Errorf("eval: no images to evaluate")
	}
	if opt.Stage == "" {
		opt.Stage = "evaluate"
	}
	e := &Evaluator{src: src, fwd: fwd, opt: opt}
	e.res.Classes = append([]string(nil), opt.Classes...)
	e.res.grow(len(e.res.Classes))
	return e, nil
}

// Done reports whether every batch has been evaluated.
func (e *Evaluator) Done() bool { return e.step >= e.src.Steps() }

// Step evaluates the next batch. Its errors are *BatchError, which say
// whether reading the images, running the model or reading its output
// failed, or ctx.Err().
func (e *Evaluator) Step(ctx context.Context) (job.Progress, error) {
	if e.Done() {
		return e.progress(), fmt.Errorf("eval: the evaluation is finished")
	}
	if err := ctx.Err(); err != nil {
		return e.progress(), err
	}
	if e.step == 0 {
		e.start = time.Now()
	}
	x, labels, err := e.src.Batch(0, e.step)
	if err != nil {
		return e.progress(), &BatchError{Step: e.step, Seen: e.res.Count, Kind: ReadFailed, Err: err}
	}
	y, err := e.fwd(ctx, x)
	if err != nil {
		if ctx.Err() != nil {
			return e.progress(), ctx.Err()
		}
		return e.progress(), &BatchError{Step: e.step, Seen: e.res.Count, Kind: RunFailed, Err: err, Shape: x.Shape}
	}
	if e.step == 0 && e.opt.CheckClasses != nil && y != nil && len(labels) > 0 && y.Len()%len(labels) == 0 {
		if err := e.opt.CheckClasses(y.Len() / len(labels)); err != nil {
			return e.progress(), err
		}
	}
	if err := e.res.add(y, labels); err != nil {
		return e.progress(), &BatchError{Step: e.step, Seen: e.res.Count, Kind: BadOutput, Err: err, Shape: x.Shape}
	}
	e.step++
	return e.progress(), nil
}

func (e *Evaluator) progress() job.Progress {
	p := job.Progress{Stage: e.opt.Stage, Done: int64(e.res.Count), Total: int64(e.src.Len())}
	if !e.start.IsZero() {
		p.Elapsed = time.Since(e.start)
	}
	if e.res.Count > 0 {
		p.Figures = map[string]float64{"accuracy": e.res.Accuracy(), "loss": e.res.Loss()}
	}
	return p
}

// Result is what has been measured so far (the images of the batches
// done); it stays valid after a cancelled run.
func (e *Evaluator) Result() *Result { return &e.res }

// Run evaluates every batch of src and returns the result.
func Run(ctx context.Context, src Source, fwd Forward, opt Options) (*Result, error) {
	e, err := New(src, fwd, opt)
	if err != nil {
		return nil, err
	}
	if err := job.Run(ctx, e, nil); err != nil {
		return nil, err
	}
	return e.Result(), nil
}

// Result holds the predictions and their summary.
type Result struct {
	Count, Correct int
	Classes        []string
	// Confusion[true][predicted] counts images.
	Confusion [][]int
	// Pred and Labels are the prediction and label of each image, in
	// evaluation order.
	Pred, Labels []int
	lossSum      float64
}

// Accuracy is the fraction of images classified correctly (0 before any).
func (r *Result) Accuracy() float64 {
	if r.Count == 0 {
		return 0
	}
	return float64(r.Correct) / float64(r.Count)
}

// Loss is the mean cross-entropy of the scores taken as logits (for a
// model whose output is already a probability, a number to compare
// between runs, not a true log-likelihood).
func (r *Result) Loss() float64 {
	if r.Count == 0 {
		return 0
	}
	return r.lossSum / float64(r.Count)
}

// PerClass is the accuracy of each true class (0 for a class with no
// image).
func (r *Result) PerClass() []float64 {
	out := make([]float64, len(r.Classes))
	for c := range r.Classes {
		total := 0
		for _, v := range r.Confusion[c] {
			total += v
		}
		if total > 0 {
			out[c] = float64(r.Confusion[c][c]) / float64(total)
		}
	}
	return out
}

// grow makes room for classes 0..k-1, naming new ones by their index.
func (r *Result) grow(k int) {
	for len(r.Classes) < k {
		r.Classes = append(r.Classes, fmt.Sprint(len(r.Classes)))
	}
	for len(r.Confusion) < len(r.Classes) {
		r.Confusion = append(r.Confusion, nil)
	}
	for i := range r.Confusion {
		for len(r.Confusion[i]) < len(r.Classes) {
			r.Confusion[i] = append(r.Confusion[i], 0)
		}
	}
}

// add scores one batch of outputs y (one row per label).
func (r *Result) add(y *tensor.Tensor, labels []int) error {
	n := len(labels)
	if y == nil || y.DType != tensor.Float32 {
		return fmt.Errorf("the model's output is not a float32 tensor of class scores, so top-1 accuracy cannot be measured")
	}
	if n == 0 || len(y.Shape) == 0 || y.Shape[0] != n || y.Len()%n != 0 || y.Len() == 0 {
		return fmt.Errorf("the model's output has shape %v, not one row of class scores per image (%d images)", y.Shape, n)
	}
	k := y.Len() / n
	r.grow(k)
	for i, label := range labels {
		row := y.F32[i*k : (i+1)*k]
		best := tensor.Argmax(row)
		mx := float64(row[best])
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v) - mx)
		}
		if label >= 0 && label < k {
			r.lossSum += mx + math.Log(sum) - float64(row[label])
		}
		r.grow(max(label, best) + 1)
		r.Confusion[label][best]++
		if best == label {
			r.Correct++
		}
		r.Count++
		r.Pred = append(r.Pred, best)
		r.Labels = append(r.Labels, label)
	}
	return nil
}
