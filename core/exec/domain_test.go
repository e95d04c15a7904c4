package exec

import (
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// A model may spell the default domain "ai.onnx" on its nodes and its
// opset import; the session must find the same kernels, fuse the same
// Conv chains and compute the same values as with "".
func TestDefaultDomainSpelledOut(t *testing.T) {
	build := func(domain string) *onnx.Model {
		w := &onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{2, 1, 1, 1}, FloatData: []float32{1, -2}}
		m := testModel(13, []*onnx.ValueInfo{valueInfo("x", onnx.Float, 1, 1, 2, 2)}, []string{"y"}, []*onnx.Tensor{w},
			mkNode("Conv", "conv", []string{"x", "w"}, []string{"c"}),
			mkNode("Relu", "relu", []string{"c"}, []string{"y"}))
		for _, n := range m.Graph.Node {
			n.Domain = domain
		}
		m.OpsetImport[0].Domain = domain
		return m
	}
	x := map[string]*tensor.Tensor{"x": f32([]int{1, 1, 2, 2}, 1, -1, 2, -3)}
	var outs [][]float32
	var steps []int
	for _, domain := range []string{"", onnx.DefaultDomainName} {
		s, err := NewSession(build(domain))
		if err != nil {
			t.Fatalf("domain %q: %v", domain, err)
		}
		y, err := s.Run(x)
		if err != nil {
			t.Fatalf("domain %q: %v", domain, err)
		}
		outs = append(outs, y["y"].F32)
		steps = append(steps, len(s.fused))
		if !s.steps[0].overwrites {
			t.Errorf("domain %q: the Conv step is not known to overwrite its output", domain)
		}
	}
	if !slices.Equal(outs[0], outs[1]) {
		t.Errorf(`outputs differ: %v with "", %v with "ai.onnx"`, outs[0], outs[1])
	}
	if steps[0] != 1 || steps[1] != 1 {
		t.Errorf(`Conv+Relu fused into %d step(s) with "", %d with "ai.onnx"; want 1 each`, steps[0], steps[1])
	}
}
