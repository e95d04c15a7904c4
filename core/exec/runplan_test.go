package exec

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// TestMemoFollowsInputShapes runs one session on inputs whose batch and
// spatial size change from run to run and back, so every kernel that
// keeps a plan in its step's memo (Conv fused and unfused, MaxPool,
// AveragePool, broadcast Add, MatMul) must notice the new shapes; each
// result is compared with a fresh session's, for Run and RunAll.
func TestMemoFollowsInputShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	init := func(name string, shape ...int) *onnx.Tensor {
		x := tensor.New(tensor.Float32, shape)
		for i := range x.F32 {
			x.F32[i] = rng.Float32()*2 - 1
		}
		p, err := tensor.ToONNX(x, name)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pads := attrInts("pads", 1, 1, 1, 1)
	m := testModel(13,
		[]*onnx.ValueInfo{valueInfo("x", onnx.DataType(tensor.Float32), -1, 2, -1, -1)},
		[]string{"y", "z"},
		[]*onnx.Tensor{init("w1", 3, 2, 3, 3), init("w2", 3, 3, 3, 3), init("bias", 3, 1, 1), init("fc", 3, 4), init("fcb", 4)},
		// c1 has two readers, so its Conv runs unfused; c2 fuses with
		// the Relu after it.
		mkNode("Conv", "c1", []string{"x", "w1"}, []string{"c1"}, pads),
		mkNode("Add", "a1", []string{"c1", "bias"}, []string{"a1"}),
		mkNode("MaxPool", "p1", []string{"c1"}, []string{"p1"}, attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2)),
		mkNode("Conv", "c2", []string{"a1", "w2"}, []string{"c2"}, pads),
		mkNode("Relu", "r2", []string{"c2"}, []string{"r2"}),
		mkNode("AveragePool", "p2", []string{"r2"}, []string{"p2"}, attrInts("kernel_shape", 2, 2), attrInts("strides", 2, 2)),
		mkNode("Add", "a2", []string{"p1", "p2"}, []string{"a2"}),
		mkNode("GlobalAveragePool", "g", []string{"a2"}, []string{"g"}),
		mkNode("Flatten", "f", []string{"g"}, []string{"f"}),
		mkNode("MatMul", "mm", []string{"f", "fc"}, []string{"mm"}),
		mkNode("Add", "y", []string{"mm", "fcb"}, []string{"y"}),
		mkNode("Relu", "z", []string{"a2"}, []string{"z"}),
	)
	reused, err := NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	for run, shape := range [][]int{{1, 2, 8, 8}, {2, 2, 6, 10}, {1, 2, 8, 8}, {3, 2, 4, 4}, {1, 2, 8, 8}} {
		x := tensor.New(tensor.Float32, shape)
		for i := range x.F32 {
			x.F32[i] = rng.Float32()*2 - 1
		}
		feeds := map[string]*tensor.Tensor{"x": x}
		fresh, err := NewSession(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, all := range []bool{false, true} {
			got, err := reused.RunWith(t.Context(), feeds, RunOptions{KeepAll: all})
			if err != nil {
				t.Fatalf("run %d %v: %v", run, shape, err)
			}
			want, err := fresh.RunWith(t.Context(), feeds, RunOptions{KeepAll: all})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("run %d: %d values, a fresh session gives %d", run, len(got), len(want))
			}
			for name, w := range want {
				g := got[name]
				if g == nil || !slices.Equal(g.Shape, w.Shape) || !slices.Equal(g.F32, w.F32) {
					t.Fatalf("run %d %v (KeepAll %v): %q differs from a fresh session's", run, shape, all, name)
				}
			}
		}
	}
}

// TestRunAllWithoutSteps: a graph whose every node folds (and one that
// passes its input through) has no steps to plan; Run and RunAll still
// return its outputs.
func TestRunAllWithoutSteps(t *testing.T) {
	m := testModel(13,
		[]*onnx.ValueInfo{valueInfo("x", onnx.DataType(tensor.Float32), 2)},
		[]string{"x", "c"},
		nil,
		mkNode("Constant", "k", nil, []string{"c"}, &onnx.Attribute{Name: "value_float", F: 3, Type: onnx.AttrFloat}),
	)
	s, err := NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[string]*tensor.Tensor{"x": f32([]int{2}, 1, 2)}
	for _, all := range []bool{false, true} {
		out, err := s.RunWith(t.Context(), feeds, RunOptions{KeepAll: all})
		if err != nil {
			t.Fatalf("KeepAll %v: %v", all, err)
		}
		if x, c := out["x"], out["c"]; x == nil || !slices.Equal(x.F32, []float32{1, 2}) || x == feeds["x"] || c == nil || c.F32[0] != 3 {
			t.Fatalf("KeepAll %v: outputs %v", all, out)
		}
	}
}
