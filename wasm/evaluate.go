package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/pare-ml/pare/core/tensor"
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
// batches of batch images, reporting progress after each batch.
func (s *Service) Evaluate(start, end, batch int, progress Progress) (*Predictions, error) {
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
	out := &Predictions{Start: start, Batch: batch}
	shape, err := s.data.BatchShape(1, s.preprocess)
	if err != nil {
		return nil, userErrorf("bad-preprocess", "The preprocessing does not fit these images: %s", strings.TrimPrefix(err.Error(), "dataset: "))
	}
	if err := s.checkInputShape(shape); err != nil {
		return nil, err
	}
	for lo := start; lo < end; lo += batch {
		hi := min(lo+batch, end)
		indices := make([]int, hi-lo)
		for i := range indices {
			indices[i] = lo + i
		}
		shape[0] = len(indices)
		x := tensor.New(tensor.Float32, shape)
		if err := s.data.Batch(indices, s.preprocess, x.F32); err != nil {
			return nil, userErrorf("bad-data", "Cannot read image %d..%d: %s", lo, hi-1, strings.TrimPrefix(err.Error(), "dataset: "))
		}
		outputs, err := s.session.Run(map[string]*tensor.Tensor{s.inputName: x})
		if err != nil {
			return nil, &UserError{Code: "run-failed", Message: fmt.Sprintf("The model could not run on these images: %v. It takes %s %v; the preprocessing gives %v. Check the preprocessing settings.", err, s.inputName, s.inputShape, shape)}
		}
		pred, classes, err := s.top1(outputs, len(indices))
		if err != nil {
			return nil, err
		}
		if lo == start {
			// Labels beyond the model's classes mean the data set was
			// made for another model (the check every format shares).
			if err := s.data.CheckClasses(classes); err != nil {
				return nil, userErrorf("labels-out-of-range", "%s", strings.TrimPrefix(err.Error(), "dataset: "))
			}
		}
		out.Pred = append(out.Pred, pred...)
		out.Labels = append(out.Labels, s.data.Labels[lo:hi]...)
		if progress != nil {
			progress(hi-start, end-start)
		}
	}
	return out, nil
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

// top1 returns the index of the largest score in each row of the first
// output, which must be [n, K] (or [n, K, 1, 1]).
func (s *Service) top1(outputs map[string]*tensor.Tensor, n int) ([]int, int, error) {
	name := s.model.Graph.Output[0].Name
	y := outputs[name]
	if y == nil || y.DType != tensor.Float32 {
		return nil, 0, userErrorf("bad-output", "The model's first output %q is not a float tensor of class scores, so top-1 accuracy cannot be measured.", name)
	}
	if len(y.Shape) == 0 || y.Shape[0] != n || y.Len()%n != 0 {
		return nil, 0, userErrorf("bad-output", "The model's output %q has shape %v, not one row of class scores per image (%d images).", name, y.Shape, n)
	}
	k := y.Len() / n
	pred := make([]int, n)
	for i := range pred {
		row := y.F32[i*k : (i+1)*k]
		best, bestV := 0, float32(math.Inf(-1))
		for j, v := range row {
			if v > bestV {
				best, bestV = j, v
			}
		}
		pred[i] = best
	}
	return pred, k, nil
}
