package graph

import (
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
)

func node(name, op string, in, out []string, attrs ...*onnx.Attribute) *onnx.Node {
	return &onnx.Node{Name: name, OpType: op, Input: in, Output: out, Attribute: attrs}
}

func vinfo(name string) *onnx.ValueInfo { return &onnx.ValueInfo{Name: name} }

func names(ns []*onnx.Node) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.Name)
	}
	return strings.Join(s, ",")
}

func TestOrderKeepsTopologicalFileOrder(t *testing.T) {
	g := &onnx.Graph{
		Input:  []*onnx.ValueInfo{vinfo("x")},
		Output: []*onnx.ValueInfo{vinfo("z")},
		Node: []*onnx.Node{
			node("b", "Relu", []string{"x"}, []string{"b"}),
			node("a", "Relu", []string{"x"}, []string{"a"}),
			node("c", "Add", []string{"a", "b"}, []string{"z"}),
		},
	}
	x, err := New(g)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(x.Order()); got != "b,a,c" {
		t.Errorf("order %s, want file order b,a,c", got)
	}
}

func TestOrderSortsUnorderedNodes(t *testing.T) {
	g := &onnx.Graph{
		Input:  []*onnx.ValueInfo{vinfo("x")},
		Output: []*onnx.ValueInfo{vinfo("z")},
		Node: []*onnx.Node{
			node("c", "Add", []string{"a", "b"}, []string{"z"}),
			node("b", "Relu", []string{"a"}, []string{"b"}),
			node("a", "Relu", []string{"x"}, []string{"a"}),
		},
	}
	x, err := New(g)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(x.Order()); got != "a,b,c" {
		t.Errorf("order %s, want a,b,c", got)
	}
	if p := x.Producer("b"); p == nil || p.Name != "b" {
		t.Errorf("Producer(b) = %v", p)
	}
	if c := x.Consumers("a"); names(c) != "c,b" {
		t.Errorf("Consumers(a) = %s, want c,b (file order)", names(c))
	}
}

func TestInputsExcludeInitializers(t *testing.T) {
	g := &onnx.Graph{
		Input:       []*onnx.ValueInfo{vinfo("x"), vinfo("w")},
		Initializer: []*onnx.Tensor{{Name: "w", DataType: onnx.Float, Dims: []int64{1}, FloatData: []float32{2}}},
		Output:      []*onnx.ValueInfo{vinfo("y")},
		Node:        []*onnx.Node{node("m", "Mul", []string{"x", "w"}, []string{"y"})},
	}
	x, err := New(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Inputs()) != 1 || x.Inputs()[0].Name != "x" {
		t.Errorf("Inputs = %v, want only x", x.Inputs())
	}
	if x.Initializer("w") == nil || x.Initializer("x") != nil {
		t.Errorf("Initializer lookup wrong")
	}
	if len(x.Outputs()) != 1 {
		t.Errorf("Outputs = %v", x.Outputs())
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		g    *onnx.Graph
		want []string
	}{
		{"produced twice", &onnx.Graph{
			Input: []*onnx.ValueInfo{vinfo("x")},
			Node: []*onnx.Node{
				node("n1", "Relu", []string{"x"}, []string{"y"}),
				node("n2", "Relu", []string{"x"}, []string{"y"}),
			}}, []string{`"y"`, "n1", "n2", "produced by both"}},
		{"overwrites input", &onnx.Graph{
			Input: []*onnx.ValueInfo{vinfo("x")},
			Node:  []*onnx.Node{node("n1", "Relu", []string{"x"}, []string{"x"})},
		}, []string{`"x"`, "n1", "already a graph input"}},
		{"cycle", &onnx.Graph{
			Input: []*onnx.ValueInfo{vinfo("x")},
			Node: []*onnx.Node{
				node("n1", "Add", []string{"x", "b"}, []string{"a"}),
				node("n2", "Relu", []string{"a"}, []string{"b"}),
			}}, []string{"cycle", "n1", "n2"}},
		{"self loop", &onnx.Graph{
			Node: []*onnx.Node{node("n1", "Relu", []string{"a"}, []string{"a"})},
		}, []string{"cycle", "n1"}},
		{"dangling input", &onnx.Graph{
			Input: []*onnx.ValueInfo{vinfo("x")},
			Node:  []*onnx.Node{node("n1", "Add", []string{"x", "ghost"}, []string{"y"})},
		}, []string{`"ghost"`, "n1", "no node produces"}},
		{"dangling output", &onnx.Graph{
			Input:  []*onnx.ValueInfo{vinfo("x")},
			Output: []*onnx.ValueInfo{vinfo("nowhere")},
		}, []string{`"nowhere"`}},
		{"nil graph", nil, []string{"no graph"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.g)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %s", err, w)
				}
			}
		})
	}
}

func TestSubgraphCapturesOrderAndNesting(t *testing.T) {
	then := &onnx.Graph{
		Output: []*onnx.ValueInfo{vinfo("t")},
		Node:   []*onnx.Node{node("inner", "Relu", []string{"a"}, []string{"t"})},
	}
	els := &onnx.Graph{
		Output: []*onnx.ValueInfo{vinfo("e")},
		Node:   []*onnx.Node{node("inner2", "Identity", []string{"x"}, []string{"e"})},
	}
	g := &onnx.Graph{
		Input:  []*onnx.ValueInfo{vinfo("x"), vinfo("cond")},
		Output: []*onnx.ValueInfo{vinfo("y")},
		Node: []*onnx.Node{
			node("if", "If", []string{"cond"}, []string{"y"},
				&onnx.Attribute{Name: "then_branch", Type: onnx.AttrGraph, G: then},
				&onnx.Attribute{Name: "else_branch", Type: onnx.AttrGraph, G: els}),
			node("a", "Relu", []string{"x"}, []string{"a"}),
		},
	}
	x, err := New(g)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(x.Order()); got != "a,if" {
		t.Errorf("order %s: the If captures a, so it must run after a", got)
	}
	if names(x.Consumers("a")) != "if" {
		t.Errorf("Consumers(a) = %s, want if", names(x.Consumers("a")))
	}
	// The subgraph alone references outer names: an error for New, fine
	// for NewNested when the enclosing scope provides them.
	if _, err := New(then); err == nil {
		t.Error("New(subgraph) accepted a reference to an outer value")
	}
	sub, err := NewNested(then, func(n string) bool { return n == "a" })
	if err != nil {
		t.Fatal(err)
	}
	if o := sub.OuterNames(); len(o) != 1 || o[0] != "a" {
		t.Errorf("OuterNames = %v", o)
	}
	// A subgraph reading a name that no scope defines is still an error.
	bad := &onnx.Graph{Node: []*onnx.Node{node("if", "If", []string{}, []string{"y"},
		&onnx.Attribute{Name: "then_branch", Type: onnx.AttrGraph, G: then})}}
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("missing outer value: err = %v", err)
	}
}
