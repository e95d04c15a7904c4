package graph_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

// TestInferShapesWithTakesConsts: given the graph and the converted
// float32 initializers, InferShapesWith infers what InferShapes does on
// every shared model and fixture, and a small float32 initializer's value
// is the tensor given, not a conversion of its own.
func TestInferShapesWithTakesConsts(t *testing.T) {
	for _, path := range testmodels.All(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			m := testmodels.ReadModel(t, path)
			in, err := graph.DefaultInputShapes(m, 1)
			if err != nil {
				t.Skip(err)
			}
			want, err := graph.InferShapes(m, in, exec.EvalNode)
			if err != nil {
				t.Skip(err)
			}
			g, err := graph.New(m.Graph)
			if err != nil {
				t.Fatal(err)
			}
			consts := map[string]*tensor.Tensor{}
			for _, init := range m.Graph.Initializer {
				if c, err := tensor.FromONNX(init); err == nil && c.DType == tensor.Float32 {
					consts[init.Name] = c
				}
			}
			got, err := graph.InferShapesWith(m, g, in, exec.EvalNode, func(name string) *tensor.Tensor { return consts[name] })
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Values) != len(want.Values) {
				t.Fatalf("%d values inferred, InferShapes %d", len(got.Values), len(want.Values))
			}
			taken := 0
			for name, w := range want.Values {
				v := got.Values[name]
				if v == nil || v.DType != w.DType || !slices.Equal(v.Dims, w.Dims) || (v.Const == nil) != (w.Const == nil) {
					t.Fatalf("%s: %v, InferShapes %v", name, v, w)
				}
				if v.Const != nil && v.Const == consts[name] {
					taken++
				}
			}
			t.Logf("%d values, %d initializer values taken from consts", len(got.Values), taken)
		})
	}
}
