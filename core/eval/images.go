package eval

import (
	"fmt"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/tensor"
)

// Images is a Source of a data set's images in order, preprocessed, in
// batches of Batch (the last one smaller).
type Images struct {
	Set        *dataset.Set
	Indices    []int // the images, in order (nil: all)
	Preprocess dataset.Preprocess
	BatchSize  int
}

// Len is the number of images.
func (im *Images) Len() int {
	if im.Indices != nil {
		return len(im.Indices)
	}
	return im.Set.N()
}

// Steps is the number of batches.
func (im *Images) Steps() int {
	if im.BatchSize < 1 {
		return 0
	}
	return (im.Len() + im.BatchSize - 1) / im.BatchSize
}

// Batch returns batch step (epoch is ignored: the order is fixed).
func (im *Images) Batch(_, step int) (*tensor.Tensor, []int, error) {
	if step < 0 || step >= im.Steps() {
		return nil, nil, fmt.Errorf("eval: batch %d of %d", step, im.Steps())
	}
	lo := step * im.BatchSize
	hi := min(lo+im.BatchSize, im.Len())
	pick := make([]int, hi-lo)
	for i := range pick {
		if im.Indices != nil {
			pick[i] = im.Indices[lo+i]
		} else {
			pick[i] = lo + i
		}
	}
	shape, err := im.Set.BatchShape(len(pick), im.Preprocess)
	if err != nil {
		return nil, nil, err
	}
	x, err := tensor.NewChecked(tensor.Float32, shape)
	if err != nil {
		return nil, nil, err
	}
	if err := im.Set.Batch(pick, im.Preprocess, x.F32); err != nil {
		return nil, nil, err
	}
	labels := make([]int, len(pick))
	for i, idx := range pick {
		labels[i] = im.Set.Labels[idx]
	}
	return x, labels, nil
}

// Range is images lo..hi-1 of set.
func Range(lo, hi int) []int {
	idx := make([]int, max(0, hi-lo))
	for i := range idx {
		idx[i] = lo + i
	}
	return idx
}
