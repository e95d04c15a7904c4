package cost_test

import (
	"fmt"

	"github.com/pare-ml/pare/core/cost"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
)

// A solver asks what a model costs with fewer channels before it edits
// anything: the polynomials answer at any counts, exactly.
func ExampleAnalyzeChannels() {
	m, err := onnx.ReadModelFile("../../testdata/models/resnet20_cifar.onnx")
	if err != nil {
		fmt.Println(err)
		return
	}
	ch, rep, err := cost.AnalyzeChannels(m, nil, exec.EvalNode)
	if err != nil {
		fmt.Println(err)
		return
	}
	first := ch.Layers[0]
	fmt.Printf("%s: MACs %v, params %v\n", first.Name, first.MACs, first.Params)

	// Half of every free group's channels.
	n := ch.Counts()
	for i, g := range ch.Groups {
		if !g.Fixed {
			n[i] = max(1, g.Channels/2)
		}
	}
	half, _ := ch.Predict(n)
	fmt.Printf("MACs %d -> %d, params %d -> %d\n", rep.MACs, half.MACs, rep.Params, half.Params)
	// Output:
	// /conv/Conv: MACs 9216*n[0]*n[1], params 9*n[0]*n[1] + 4*n[1]
	// MACs 40813184 -> 10314048, params 274042 -> 69570
}

// Each layer of a report carries its node: no re-aligning by position.
func ExampleAnalyze() {
	m, err := onnx.ReadModelFile("../../testdata/models/resnet20_cifar.onnx")
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, _ := cost.Analyze(m, nil, exec.EvalNode)
	byNode := map[*onnx.Node]cost.Layer{}
	for _, l := range rep.Layers {
		byNode[l.Node] = l
	}
	first := m.Graph.Node[0]
	fmt.Println(first.OpType, byNode[first].MACs, byNode[first].OutputShapes)
	// Output: Conv 442368 [[1 16 32 32]]
}
