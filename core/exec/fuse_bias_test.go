package exec

import (
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
	"github.com/pare-ml/pare/internal/testmodels"
)

// TestFusionFoldsConstantBiasAdd checks Conv -> Add(constant) -> Relu for
// constants that are a per-channel bias (folded: one step) and ones that
// are not (a per-column constant, a constant that widens the output: left
// to the Add kernel), against the unfused run.
func TestFusionFoldsConstantBiasAdd(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		steps int
	}{
		{"channel-CHW", []int{4, 1, 1}, 1},
		{"channel-NCHW", []int{1, 4, 1, 1}, 1},
		{"scalar", []int{1}, 1},
		{"scalar-rank0", []int{}, 1},
		{"per-column", []int{1, 1, 1, 5}, 3},
		{"widens-rank", []int{2, 1, 4, 1, 1}, 3},
		{"per-row", []int{6, 1}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(31, 32))
			random := func(name string, dims ...int) *onnx.Tensor {
				x := tensor.New(tensor.Float32, dims)
				for i := range x.F32 {
					x.F32[i] = float32(rng.NormFloat64())
				}
				o, err := tensor.ToONNX(x, name)
				if err != nil {
					t.Fatal(err)
				}
				return o
			}
			inits := []*onnx.Tensor{random("w", 4, 3, 3, 3), random("k", tc.shape...)}
			nodes := []*onnx.Node{
				mkNode("Conv", "conv", []string{"x", "w"}, []string{"c"}, attrInts("pads", 1, 1, 1, 1)),
				mkNode("Add", "add", []string{"k", "c"}, []string{"a"}),
				mkNode("Relu", "relu", []string{"a"}, []string{"y"}),
			}
			m := testModel(8, []*onnx.ValueInfo{valueInfo("x", onnx.DataType(tensor.Float32), 1, 3, 6, 5)}, []string{"y"}, inits, nodes...)
			s, err := NewSession(m)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.fused) != tc.steps {
				t.Errorf("%d fused steps, want %d", len(s.fused), tc.steps)
			}
			x := tensor.New(tensor.Float32, []int{1, 3, 6, 5})
			for i := range x.F32 {
				x.F32[i] = float32(rng.NormFloat64())
			}
			feeds := map[string]*tensor.Tensor{"x": x}
			compareFusedUnfused(t, tc.name, s, feeds)
			compareFusedUnfused(t, tc.name+" (second run)", s, feeds)
		})
	}
}

// TestFusionOnMNIST8 checks the CNTK export's Conv + Add(bias) + Relu
// chains fuse and still compute what the unfused graph does.
func TestFusionOnMNIST8(t *testing.T) {
	m := testmodels.ReadModel(t, testassets.Dir(t, "models/mnist-8.onnx"))
	s, err := NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	if removed := len(s.steps) - len(s.fused); removed < 4 {
		t.Errorf("fusion removed %d of %d steps, want at least 4 (two Add biases, two Relus)", removed, len(s.steps))
	}
	rng := rand.New(rand.NewPCG(33, 34))
	x := tensor.New(tensor.Float32, []int{1, 1, 28, 28})
	for i := range x.F32 {
		x.F32[i] = rng.Float32() * 255
	}
	compareFusedUnfused(t, "mnist-8", s, map[string]*tensor.Tensor{s.InputNames()[0]: x})
}
