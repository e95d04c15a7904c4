package exec

import (
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// The two training_mode cases must fail with an error naming training mode
// (runConformanceCase checks that); the others must match.
func TestBatchNormConformance(t *testing.T) {
	runConformanceDirs(t, nodeTestsFor(t, "BatchNormalization"))
}

func TestBatchNormRefusesTrainingOutputs(t *testing.T) {
	x := tensor.New(tensor.Float32, []int{1, 2, 2, 2})
	p := tensor.FromF32([]int{2}, []float32{1, 1})
	in := []*tensor.Tensor{x, p, p, p, p}
	for _, tc := range []struct {
		opset int64
		node  *onnx.Node
	}{
		{15, &onnx.Node{OpType: "BatchNormalization", Output: []string{"y"}, Attribute: []*onnx.Attribute{{Name: "training_mode", I: 1}}}},
		{9, &onnx.Node{OpType: "BatchNormalization", Output: []string{"y", "mean"}}},
	} {
		k := Lookup("", "BatchNormalization", tc.opset)
		if _, err := k(&Context{Node: tc.node, Opset: tc.opset}, in); err == nil || !strings.Contains(err.Error(), "training") {
			t.Errorf("opset %d: error %v, want one about training mode", tc.opset, err)
		}
	}
	// Opset 6 with is_test=0 but only Y requested runs in inference mode.
	k := Lookup("", "BatchNormalization", 6)
	out, err := k(&Context{Node: &onnx.Node{OpType: "BatchNormalization", Output: []string{"y"}}, Opset: 6}, in)
	if err != nil || len(out) != 1 {
		t.Fatalf("opset 6 inference: %v", err)
	}
}
