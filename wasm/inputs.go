package main

import (
	"strings"

	"github.com/pare-ml/pare/core/eval"
)

// maxInputsBytes bounds one Inputs reply: the page asks in chunks.
const maxInputsBytes = 64 << 20

// InputBatch is a range of the open images as the model's input tensor,
// for another runtime to run (the page's onnxruntime-web check). The
// float32 values, little-endian and row-major, go as the reply's blob.
type InputBatch struct {
	Name   string `json:"name"`
	Shape  []int  `json:"shape"`
	Labels []int  `json:"labels"`
	// FixedBatch is the batch size the model fixes (0: any), so that the
	// other runtime feeds it that many images per run.
	FixedBatch int `json:"fixedBatch,omitempty"`
}

// Inputs preprocesses images start..end-1 exactly as Evaluate feeds them
// to Pare's executor.
func (s *Service) Inputs(start, end int) (Reply, error) {
	if s.model == nil {
		return Reply{}, userErrorf("no-model", "Open a model first.")
	}
	if s.data == nil {
		return Reply{}, userErrorf("no-data", "Open labelled images first.")
	}
	if start < 0 || end > s.data.N() || start >= end {
		return Reply{}, userErrorf("bad-request", "image range %d..%d is outside the data set of %d images", start, end, s.data.N())
	}
	one, err := s.data.BatchShape(1, s.preprocess)
	if err != nil {
		return Reply{}, userErrorf("bad-preprocess", "The preprocessing does not fit these images: %s", strings.TrimPrefix(err.Error(), "dataset: "))
	}
	per := int64(4)
	for _, d := range one[1:] {
		per *= int64(d)
	}
	if per*int64(end-start) > maxInputsBytes {
		return Reply{}, userErrorf("bad-request", "images %d..%d take %d bytes as input, more than one reply carries (%d): ask for fewer", start, end, per*int64(end-start), maxInputsBytes)
	}
	images := &eval.Images{Set: s.data, Indices: eval.Range(start, end), Preprocess: s.preprocess, BatchSize: end - start}
	x, labels, err := images.Batch(0, 0)
	if err != nil {
		return Reply{}, userErrorf("bad-data", "Cannot read images %d..%d: %s", start, end-1, strings.TrimPrefix(err.Error(), "dataset: "))
	}
	blob := make([]byte, 4*len(x.F32))
	for i, v := range x.F32 {
		putFloat32(blob[4*i:], v)
	}
	b := &InputBatch{Name: s.inputName, Shape: x.Shape, Labels: labels}
	if len(s.fixedDims) > 0 && s.fixedDims[0] && len(s.inputShape) > 0 {
		b.FixedBatch = s.inputShape[0]
	}
	return Reply{Value: b, Blob: blob}, nil
}
