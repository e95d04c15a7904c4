package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pare-ml/pare/core/eval"
	"github.com/pare-ml/pare/core/job"
	"github.com/pare-ml/pare/core/units"
)

// maxEvalMemory is what one batch's activations may take in a worker: well
// under the 4 GiB a wasm instance can address, leaving room for the model,
// the data and Go's garbage collector.
const maxEvalMemory = 1536 << 20

// Predictions are a model's top-1 answers for a range of images.
type Predictions struct {
	Start  int   `json:"start"`
	Pred   []int `json:"pred"`
	Labels []int `json:"labels"`
	// Batch is the batch size used (smaller than asked when memory is short).
	Batch int `json:"batch"`
}

// Evaluate runs the model on images start..end-1 of the open data set in
// batches of batch images (core/eval's Evaluator), reporting its Progress
// after each batch (images done of end-start). It stops with ctx.
func (s *Service) Evaluate(ctx context.Context, start, end, batch int, progress Progress) (*Predictions, error) {
	if s.model == nil {
		return nil, userErrorf("no-model", "Open a model first.")
	}
	if s.session == nil {
		if s.unsupported != nil {
			return nil, s.unsupported
		}
		return nil, userErrorf("cannot-run", "This model cannot be run here.")
	}
	if s.data == nil {
		return nil, userErrorf("no-data", "Open labelled images first.")
	}
	if start < 0 || end > s.data.N() || start >= end {
		return nil, userErrorf("bad-request", "image range %d..%d is outside the data set of %d images", start, end, s.data.N())
	}
	perImage := s.activationBytes
	if perImage > maxEvalMemory {
		return nil, &UserError{Code: "out-of-memory", Message: fmt.Sprintf("Evaluating this model needs about %s of memory for a single image, more than a browser page can use (about %s per worker). Use the pare CLI (pare eval), or a smaller input size.", units.Bytes(perImage), units.Bytes(maxEvalMemory))}
	}
	if batch < 1 {
		batch = 32
	}
	if perImage > 0 {
		batch = max(1, min(batch, int(maxEvalMemory/perImage)))
	}
	if len(s.fixedDims) > 0 && s.fixedDims[0] && len(s.inputShape) > 0 {
		// The model fixes its batch size (mnist-8 takes exactly one image).
		batch = s.inputShape[0]
	}
	shape, err := s.data.BatchShape(1, s.preprocess)
	if err != nil {
		return nil, userErrorf("bad-preprocess", "The preprocessing does not fit these images: %s", strings.TrimPrefix(err.Error(), "dataset: "))
	}
	if err := s.checkInputShape(shape); err != nil {
		return nil, err
	}
	// The session predicted its arena for a batch of one; a first run of
	// this batch would record its trace from free lists instead, which in
	// a worker's fixed memory is the peak (core/exec/ahead.go).
	if full, err := s.data.BatchShape(min(batch, end-start), s.preprocess); err == nil {
		s.session.PlanAhead(s.model, map[string][]int{s.inputName: full})
	}
	images := &eval.Images{Set: s.data, Indices: eval.Range(start, end), Preprocess: s.preprocess, BatchSize: batch}
	ev, err := eval.New(images, eval.SessionForward(s.session, s.inputName), eval.Options{Classes: s.data.Classes, CheckClasses: func(k int) error {
		// Labels beyond the model's classes mean the data set was made
		// for another model (the check every format shares).
		if err := s.data.CheckClasses(k); err != nil {
			return userErrorf("labels-out-of-range", "%s", strings.TrimPrefix(err.Error(), "dataset: "))
		}
		return nil
	}})
	if err != nil {
		return nil, err
	}
	if err := job.Run(ctx, ev, progress); err != nil {
		return nil, s.evalError(err, start, batch)
	}
	r := ev.Result()
	return &Predictions{Start: start, Batch: batch, Pred: r.Pred, Labels: r.Labels}, nil
}

// evalError says what failed in the words of the page.
func (s *Service) evalError(err error, start, batch int) error {
	var be *eval.BatchError
	if !errors.As(err, &be) {
		if errors.Is(err, context.Canceled) {
			return errCancelled
		}
		return err
	}
	lo := start + be.Seen
	switch be.Kind {
	case eval.ReadFailed:
		return userErrorf("bad-data", "Cannot read image %d..%d: %s", lo, lo+batch-1, strings.TrimPrefix(be.Err.Error(), "dataset: "))
	case eval.RunFailed:
		return &UserError{Code: "run-failed", Message: fmt.Sprintf("The model could not run on these images: %v. It takes %s %v; the preprocessing gives %v. Check the preprocessing settings.", be.Err, s.inputName, s.inputShape, be.Shape)}
	}
	return userErrorf("bad-output", "The model's first output %q: %s.", s.model.Graph.Output[0].Name, strings.TrimPrefix(be.Err.Error(), "the model's output "))
}

// checkInputShape compares the batch the preprocessing makes with the
// model's fixed input dimensions (the batch axis aside).
func (s *Service) checkInputShape(shape []int) error {
	want := s.inputShape
	if len(want) == 0 {
		return nil
	}
	mismatch := len(want) != len(shape)
	for i := 1; !mismatch && i < len(want); i++ {
		fixed := i < len(s.fixedDims) && s.fixedDims[i]
		mismatch = fixed && want[i] != shape[i]
	}
	if mismatch {
		return &UserError{Code: "data-mismatch", Message: fmt.Sprintf("The images, as preprocessed, are %v but the model's input %s is %v. Set the preprocessing size and channels to the model's (the defaults do this).", shape[1:], s.inputName, valueShapeText(s.inputDims))}
	}
	return nil
}

func valueShapeText(dims []string) string {
	return "[" + strings.Join(dims, " ") + "]"
}
