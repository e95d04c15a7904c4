package train

import (
	"fmt"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
)

// Memory is the estimated memory of one training step at a batch size.
type Memory struct {
	// Activations is what a forward pass keeps for the backward pass:
	// every value the logits depend on (inputs and weights excluded).
	Activations int64
	// Gradients bounds the gradients alive at once during the backward
	// pass: every parameter's, plus the largest activation's twice (the
	// gradient arriving at a node and the one it sends on).
	Gradients int64
	// Weights is the float32 parameters and statistics.
	Weights int64
}

// Total is the sum of the parts.
func (m Memory) Total() int64 { return m.Activations + m.Gradients + m.Weights }

// EstimateMemory sizes a training step with the given input shapes by
// static shape inference, before allocating anything: a browser can refuse
// a batch size that would not fit.
func (n *Net) EstimateMemory(inputShapes map[string][]int) (Memory, error) {
	shapes, err := graph.InferShapes(n.model, inputShapes, exec.EvalNode)
	if err != nil {
		return Memory{}, fmt.Errorf("train: sizing memory: %w", err)
	}
	var m Memory
	var largest int64
	for _, nd := range n.order {
		if n.reluFused[nd] {
			continue // computed in place by the BatchNormalization before
		}
		for _, o := range nd.Output {
			v := shapes.Values[o]
			if o == "" || v == nil {
				continue
			}
			for _, d := range v.Dims {
				if d < 0 {
					return Memory{}, fmt.Errorf("train: sizing memory: value %q has an unknown dimension %v", o, v.Dims)
				}
			}
			b := tensorBytes(&tensor.Tensor{DType: v.DType, Shape: v.Dims})
			m.Activations += b
			largest = max(largest, b)
		}
	}
	for _, t := range n.consts {
		if t.DType == tensor.Float32 {
			m.Weights += 4 * int64(t.Len())
		}
	}
	for _, p := range n.Params {
		m.Gradients += 4 * int64(p.Value.Len())
	}
	m.Gradients += 2 * largest
	return m, nil
}
