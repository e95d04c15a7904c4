package train

import (
	"testing"

	"github.com/pare-ml/pare/core/onnx"
)

// "" and "ai.onnx" name the same domain. The training engine once keyed
// its rules by the raw string, so a MatMul whose node said "ai.onnx" got
// no backward rule, its weight was no parameter, and training silently
// changed nothing while exec ran the node.
func TestDefaultDomainSpelledOut(t *testing.T) {
	build := func(domain string) *testModel {
		b := newTestModel(13, 7)
		b.param("x", []int{2, 3}, nil).param("w", []int{3, 4}, nil).param("scale", []int{4}, nil)
		b.node("MatMul", []string{"x", "w"}, []string{"h"})
		b.node("Relu", []string{"h"}, []string{"r"})
		b.node("Mul", []string{"r", "scale"}, []string{"y"})
		for _, nd := range b.m.Graph.Node {
			nd.Domain = domain
		}
		b.m.OpsetImport[0].Domain = domain
		return b.output("y")
	}
	plain := mustNet(t, build(""), NetOptions{})
	spelled := mustNet(t, build(onnx.DefaultDomainName), NetOptions{})
	if len(spelled.Params) != len(plain.Params) || len(plain.Params) != 3 {
		t.Fatalf(`%d parameters with domain "ai.onnx", %d with ""; want 3 each (x, w, scale)`, len(spelled.Params), len(plain.Params))
	}
	if len(spelled.fusedRelu) != len(plain.fusedRelu) {
		t.Errorf("MatMul+Relu fused %d times with \"ai.onnx\", %d with \"\"", len(spelled.fusedRelu), len(plain.fusedRelu))
	}
	if worst := gradCheck(t, build(onnx.DefaultDomainName), ModeEval, NetOptions{}); worst > 1e-3 {
		t.Errorf("gradient error %g with domain \"ai.onnx\"", worst)
	}
}
