package main

import (
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
)

// nodeCost is what one node costs for one input.
type nodeCost struct{ MACs, Params, ActBytes int64 }

// modelCosts gathers the shapes of every value and the per-node costs the
// page shows.
type modelCosts struct {
	shapes                 map[string][]int
	perNode                map[*onnx.Node]nodeCost
	macs, params, actBytes int64
}

// analyzeCosts infers shapes (folding constants with the executor's own
// kernels) and reads the costs of every node.
func analyzeCosts(m *onnx.Model, inputs map[string][]int) (*modelCosts, error) {
	sh, err := graph.InferShapes(m, inputs, exec.EvalNode)
	if err != nil {
		return nil, err
	}
	c := &modelCosts{shapes: map[string][]int{}, perNode: map[*onnx.Node]nodeCost{}}
	for name, v := range sh.Values {
		if v != nil {
			c.shapes[name] = v.Dims
		}
	}
	return c, nil
}
