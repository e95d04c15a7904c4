package exec

import (
	"math"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// Builders for small models and nodes used across the tests.

func testModel(opset int64, inputs []*onnx.ValueInfo, outputs []string, inits []*onnx.Tensor, nodes ...*onnx.Node) *onnx.Model {
	g := &onnx.Graph{Name: "test", Node: nodes, Input: inputs, Initializer: inits}
	for _, o := range outputs {
		g.Output = append(g.Output, &onnx.ValueInfo{Name: o})
	}
	return &onnx.Model{IRVersion: 8, OpsetImport: []*onnx.OperatorSet{{Version: opset}}, Graph: g}
}

// valueInfo declares a tensor input; a negative dim is symbolic ("N").
func valueInfo(name string, dt onnx.DataType, dims ...int64) *onnx.ValueInfo {
	sh := &onnx.TensorShape{}
	for _, d := range dims {
		if d < 0 {
			sh.Dim = append(sh.Dim, &onnx.Dimension{Param: "N"})
		} else {
			sh.Dim = append(sh.Dim, &onnx.Dimension{Value: d, HasValue: true})
		}
	}
	return &onnx.ValueInfo{Name: name, Type: &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: dt, Shape: sh}}}
}

func mkNode(op, name string, in, out []string, attrs ...*onnx.Attribute) *onnx.Node {
	return &onnx.Node{OpType: op, Name: name, Input: in, Output: out, Attribute: attrs}
}

func attrInt(name string, v int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, I: v, Type: onnx.AttrInt}
}

func attrInts(name string, v ...int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Ints: v, Type: onnx.AttrInts}
}

func attrFloat(name string, v float32) *onnx.Attribute {
	return &onnx.Attribute{Name: name, F: v, Type: onnx.AttrFloat}
}

func attrString(name, v string) *onnx.Attribute {
	return &onnx.Attribute{Name: name, S: []byte(v), Type: onnx.AttrString}
}

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.FromF32(shape, v) }
func i64(shape []int, v ...int64) *tensor.Tensor   { return tensor.FromI64(shape, v) }

// eval runs one node through EvalNode and fails the test on error.
func eval(t *testing.T, n *onnx.Node, opset int64, in ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	out, err := EvalNode(n, opset, in)
	if err != nil {
		t.Fatalf("%s: %v", n.OpType, err)
	}
	return out
}

func wantShape(t *testing.T, got *tensor.Tensor, shape ...int) {
	t.Helper()
	if !slices.Equal(got.Shape, shape) {
		t.Fatalf("shape %v, want %v", got.Shape, shape)
	}
}

func wantValues(t *testing.T, got *tensor.Tensor, want ...float64) {
	t.Helper()
	if got.Len() != len(want) {
		t.Fatalf("got %d values (shape %v), want %d", got.Len(), got.Shape, len(want))
	}
	for i, w := range want {
		g := asFloat64(got, i)
		// NaN must match NaN exactly: a plain tolerance check is false
		// for any comparison with NaN and would let it pass for anything.
		bad := math.IsNaN(g) != math.IsNaN(w) || math.Abs(g-w) > 1e-5+1e-5*math.Abs(w)
		if bad {
			t.Fatalf("value %d = %v, want %v (all: %v)", i, g, w, values(got))
		}
	}
}

func values(t *tensor.Tensor) []float64 {
	v := make([]float64, t.Len())
	for i := range v {
		v[i] = asFloat64(t, i)
	}
	return v
}
