package main

import (
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
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
	for _, n := range m.Graph.Node {
		var nc nodeCost
		for _, out := range n.Output {
			if v := sh.Values[out]; v != nil && v.Const == nil {
				nc.ActBytes += v.Elements() * int64(dtypeBytes(v.DType))
			}
		}
		c.perNode[n] = nc
		c.actBytes += nc.ActBytes
	}
	return c, nil
}

func dtypeBytes(d tensor.DType) int {
	switch d {
	case tensor.Float64, tensor.Int64:
		return 8
	case tensor.Uint8, tensor.Int8, tensor.Bool, tensor.Uint4, tensor.Int4:
		return 1
	}
	return 4
}
