package main

import (
	"github.com/pare-ml/pare/core/cost"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
)

// nodeCost is what one node costs for one input.
type nodeCost struct{ MACs, Params, ActBytes int64 }

// modelCosts is core/cost's report arranged for the page: shapes of every
// value (for the edges) and costs by node.
type modelCosts struct {
	shapes                 map[string][]int
	perNode                map[*onnx.Node]nodeCost
	macs, params, actBytes int64
	// peakBytes is the most activation memory alive at once for one
	// input: what a batch needs per image while it runs.
	peakBytes int64
}

// analyzeCosts runs cost.Analyze (the same numbers `pare info` prints),
// folding shape arithmetic with the executor's own kernels.
func analyzeCosts(m *onnx.Model, inputs map[string][]int) (*modelCosts, error) {
	rep, err := cost.Analyze(m, inputs, exec.EvalNode)
	if err != nil {
		return nil, err
	}
	c := &modelCosts{shapes: map[string][]int{}, perNode: map[*onnx.Node]nodeCost{},
		macs: rep.MACs, params: rep.Params, actBytes: rep.ActivationBytes, peakBytes: rep.PeakActivationBytes}
	for name, dims := range rep.InputShapes {
		c.shapes[name] = dims
	}
	for _, l := range rep.Layers {
		c.perNode[l.Node] = nodeCost{MACs: l.MACs, Params: l.Params, ActBytes: l.ActivationBytes}
		for k, out := range l.Outputs {
			c.shapes[out] = l.OutputShapes[k]
		}
	}
	return c, nil
}
