package main

import (
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// modelClasses is the number of class scores m's first output holds per
// image for an input of shape inShape (batch first), from shape inference;
// false when the shapes cannot be known before a run.
func modelClasses(m *onnx.Model, input string, inShape []int, output string) (int, bool) {
	s, err := graph.InferShapes(m, map[string][]int{input: inShape}, exec.EvalNode)
	if err != nil || len(inShape) == 0 || inShape[0] < 1 {
		return 0, false
	}
	dims := s.Dims(output)
	if len(dims) == 0 || dims[0] != inShape[0] {
		return 0, false
	}
	return tensor.NumElements(dims[1:]), true
}
