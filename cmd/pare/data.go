package main

import (
	"cmp"
	"fmt"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// Data helpers of the commands that read labelled images and build their
// own loaders (pare quantize, pare prune); pare train and finetune go
// through train.Prepare.

// openData opens --data and --val (or splits --data).
func (f *trainFlags) openData() (trainSet, valSet *dataset.Set, trainIdx, valIdx []int, notes []string, err error) {
	trainSet, err = dataset.Options{Split: f.split}.OpenPath(f.data)
	if err != nil {
		// A folder holding one split only (MNIST's t10k files) is what
		// the user means when --split is not given, as for pare finetune.
		only, again := (dataset.Options{}).OpenPath(f.data)
		if f.splitGiven || again != nil {
			return nil, nil, nil, nil, nil, err
		}
		trainSet, err = only, nil
		notes = append(notes, fmt.Sprintf("%s holds no %s split; training on its %s images", f.data, f.split, cmp.Or(only.SplitName, "only")))
	}
	notes = append(notes, trainSet.Notes...)
	if f.val != "" {
		other := dataset.SplitTest
		if f.split == dataset.SplitTest {
			other = dataset.SplitTrain
		}
		if valSet, err = (dataset.Options{Split: other}).OpenPath(f.val); err != nil {
			return nil, nil, nil, nil, nil, err
		}
	} else if f.valSplit > 0 {
		if trainIdx, valIdx, err = trainSet.Split(1-f.valSplit, f.seed); err != nil {
			return nil, nil, nil, nil, nil, err
		}
		valSet = trainSet
	}
	if f.limit > 0 {
		if trainIdx == nil {
			trainIdx = make([]int, trainSet.N())
			for i := range trainIdx {
				trainIdx[i] = i
			}
		}
		if f.limit < len(trainIdx) {
			trainIdx = trainIdx[:f.limit]
		}
	}
	return trainSet, valSet, trainIdx, valIdx, notes, nil
}

// modelInputShape is the model's single input shape at batch size batch.
func modelInputShape(m *onnx.Model, batch int) ([]int, error) {
	in, err := singleInput(m)
	if err != nil {
		return nil, err
	}
	shapes, err := graph.DefaultInputShapes(m, batch)
	if err != nil {
		return nil, err
	}
	s := append([]int(nil), shapes[in.Name]...)
	if len(s) > 0 {
		// A fixed batch dimension of 1 (a common export default) is
		// usually not a limit of the graph; train with the batch asked.
		s[0] = batch
	}
	return s, nil
}
