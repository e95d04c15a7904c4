package exec

import (
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

func TestGemmMatMulConformance(t *testing.T) {
	runConformanceDirs(t, nodeTestsFor(t, "Gemm", "MatMul"))
}

func TestNNKernelsRejectBadInputs(t *testing.T) {
	f32 := func(shape ...int) *tensor.Tensor { return tensor.New(tensor.Float32, shape) }
	cases := []struct {
		op   string
		in   []*tensor.Tensor
		want string
	}{
		{"Conv", []*tensor.Tensor{tensor.New(tensor.Int64, []int{1, 1, 3, 3}), f32(1, 1, 1, 1)}, "float32"},
		{"Conv", []*tensor.Tensor{f32(1, 2, 3, 3), f32(1, 3, 1, 1)}, "Conv"},
		{"Conv", []*tensor.Tensor{f32(1, 2, 3, 3)}, "inputs"},
		{"ConvTranspose", []*tensor.Tensor{f32(1, 2, 3, 3), f32(3, 1, 1, 1)}, "ConvTranspose"},
		{"MaxPool", []*tensor.Tensor{f32(1, 2, 3, 3)}, "kernel_shape"},
		{"AveragePool", []*tensor.Tensor{f32(3, 3)}, "AveragePool"},
		{"GlobalAveragePool", []*tensor.Tensor{f32(3)}, "GlobalAveragePool"},
		{"Gemm", []*tensor.Tensor{f32(2, 3), f32(2, 3)}, "Gemm"},
		{"MatMul", []*tensor.Tensor{f32(2, 3), f32(2, 3)}, "MatMul"},
		{"BatchNormalization", []*tensor.Tensor{f32(1, 2, 2), f32(3), f32(3), f32(3), f32(3)}, "BatchNormalization"},
	}
	for _, tc := range cases {
		k := Lookup("", tc.op, 13)
		if k == nil {
			t.Fatalf("%s not registered at opset 13", tc.op)
		}
		_, err := k(&Context{Node: &onnx.Node{OpType: tc.op, Output: []string{"y"}}, Opset: 13}, tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.op, err, tc.want)
		}
	}
}

// TestNNOpsRegisteredForEveryOpset checks every opset 1..22 finds a kernel.
func TestNNOpsRegisteredForEveryOpset(t *testing.T) {
	for _, op := range nnOps {
		for v := int64(1); v <= 22; v++ {
			if Lookup("", op, v) == nil {
				t.Errorf("%s has no kernel at opset %d", op, v)
			}
		}
	}
}
