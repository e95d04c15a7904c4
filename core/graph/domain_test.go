package graph

import (
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
)

// Nodes and opset imports that spell the default domain "ai.onnx" get the
// same shape rules and the same constant folding as those that leave it
// empty.
func TestDefaultDomainSpelledOut(t *testing.T) {
	for _, domain := range []string{"", onnx.DefaultDomainName} {
		b := newModel(11).input("x", 2, 3, 4).vec("minus1", -1).vec("two", 2)
		b.node("Concat", []string{"two", "minus1"}, []string{"target"}, aInt("axis", 0))
		b.node("Reshape", []string{"x", "target"}, []string{"y"}).output("y")
		for _, n := range b.m.Graph.Node {
			n.Domain = domain
		}
		b.m.OpsetImport[0].Domain = domain
		s, err := InferShapes(b.m, nil, miniEval)
		if err != nil {
			t.Fatalf("domain %q: %v", domain, err)
		}
		if !slices.Equal(s.Dims("y"), []int{2, 12}) {
			t.Errorf("domain %q: y = %v, want [2 12]", domain, s.Dims("y"))
		}
		n, err := FoldConstants(b.m, miniEval)
		if err != nil || n != 1 {
			t.Errorf("domain %q: folded %d nodes (%v), want the Concat", domain, n, err)
		}
	}
	// Another domain is not the default one: no shape rule applies.
	b := newModel(11).input("x", 2, 3)
	b.node("Relu", []string{"x"}, []string{"y"}).output("y")
	b.m.Graph.Node[0].Domain = "com.example"
	b.m.OpsetImport = append(b.m.OpsetImport, &onnx.OperatorSet{Domain: "com.example", Version: 1})
	if _, err := InferShapes(b.m, nil, nil); err == nil {
		t.Error("a Relu of domain com.example got the default domain's shape rule")
	}
}
