package graph

import (
	"slices"
	"testing"
)

func TestFoldConstantsChain(t *testing.T) {
	// shape = Concat(Unsqueeze(Constant 2), [-1]) feeds a Reshape of x:
	// the Constant, Unsqueeze and Concat fold; Reshape stays.
	b := newModel(11).input("x", 2, 3, 4).vec("minus1", -1)
	b.node("Constant", nil, []string{"two"}, aTensor("value", &onnxTensor{DataType: 7, Dims: []int64{}, Int64Data: []int64{2}}))
	b.node("Unsqueeze", []string{"two"}, []string{"two1"}, aInts("axes", 0))
	b.node("Concat", []string{"two1", "minus1"}, []string{"target"}, aInt("axis", 0))
	b.node("Reshape", []string{"x", "target"}, []string{"y"}).output("y")
	n, err := FoldConstants(b.m, miniEval)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("folded %d nodes, want 3", n)
	}
	g := b.m.Graph
	if len(g.Node) != 1 || g.Node[0].OpType != "Reshape" {
		t.Fatalf("nodes after folding: %v", g.Node)
	}
	if len(g.Initializer) != 1 || g.Initializer[0].Name != "target" {
		t.Fatalf("initializers after folding: want only target, got %d", len(g.Initializer))
	}
	s, err := InferShapes(b.m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Dims("y"), []int{2, 12}) {
		t.Errorf("y = %v, want [2 12]", s.Dims("y"))
	}
}

func TestFoldConstantsKeepsInputDependentAndOutputs(t *testing.T) {
	b := newModel(13).input("x", -1, 4).vec("one", 1).vec("two", 2)
	b.node("Shape", []string{"x"}, []string{"s"}) // depends on a graph input: kept
	b.node("Add", []string{"one", "two"}, []string{"three"})
	b.node("Mul", []string{"three", "two"}, []string{"y"}) // a graph output: kept
	b.output("y", "s")
	n, err := FoldConstants(b.m, miniEval)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("folded %d nodes, want 1 (the Add)", n)
	}
	if len(b.m.Graph.Node) != 2 {
		t.Errorf("%d nodes left, want Shape and Mul", len(b.m.Graph.Node))
	}
	names := map[string]bool{}
	for _, in := range b.m.Graph.Initializer {
		names[in.Name] = true
	}
	if !names["three"] || !names["two"] || names["one"] {
		t.Errorf("initializers %v: want three and two, not one (only the folded Add read it)", names)
	}
	if _, err := New(b.m.Graph); err != nil {
		t.Errorf("folded graph is invalid: %v", err)
	}
	if _, err := FoldConstants(b.m, nil); err == nil {
		t.Error("FoldConstants without an evaluator should fail")
	}
}
