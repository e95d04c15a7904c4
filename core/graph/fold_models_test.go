package graph_test

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

// TestFoldConstantsFixtures folds the PyTorch fixtures and checks that the
// executor computes the same outputs before and after, and that folding
// is idempotent.
func TestFoldConstantsFixtures(t *testing.T) {
	for _, name := range []string{"ops_mix", "mobilenetv2_035", "shufflenetv2_small", "dynamic_batch"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("../../testdata/models", name+".onnx")
			if _, err := os.Stat(path); err != nil {
				t.Skipf("fixture missing: %v", err)
			}
			orig := testmodels.ReadModel(t, path)
			folded := testmodels.ReadModel(t, path)
			before := len(folded.Graph.Node)
			n, err := graph.FoldConstants(folded, exec.EvalNode)
			if err != nil {
				t.Fatal(err)
			}
			if len(folded.Graph.Node) != before-n {
				t.Errorf("reported %d folded nodes, but the node count went %d -> %d", n, before, len(folded.Graph.Node))
			}
			t.Logf("%s: folded %d of %d nodes", name, n, before)
			if again, err := graph.FoldConstants(folded, exec.EvalNode); err != nil || again != 0 {
				t.Errorf("second fold: %d nodes, err %v; want 0, nil", again, err)
			}
			if name == "dynamic_batch" {
				s, err := graph.InferShapes(folded, map[string][]int{"input": {3, 3, 16, 16}}, exec.EvalNode)
				if err != nil || !slices.Equal(s.Dims("output"), []int{3, 10}) {
					t.Errorf("folding froze the batch: err %v", err)
				}
			}
			in := fixtureInput(t, filepath.Join("../../testdata/models", name+".input.npy"))
			want := runModel(t, orig, in)
			got := runModel(t, folded, in)
			for k, w := range want {
				g := got[k]
				if g == nil || !slices.Equal(g.Shape, w.Shape) {
					t.Fatalf("output %q: shape changed by folding", k)
				}
				for i := range w.F32 {
					if math.Abs(float64(w.F32[i]-g.F32[i])) > 1e-6 {
						t.Fatalf("output %q[%d]: %v before folding, %v after", k, i, w.F32[i], g.F32[i])
					}
				}
			}
		})
	}
}

func fixtureInput(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("fixture input missing: %v", err)
	}
	defer f.Close()
	x, err := tensor.ReadNpy(f)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func runModel(t *testing.T, m *onnx.Model, x *tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	s, err := exec.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(map[string]*tensor.Tensor{"input": x})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
