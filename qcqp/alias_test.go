package qcqp

import (
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/internal/testmodels"
)

// PyTorch exports a freshly initialised net's equal BatchNorm weights and
// biases as one initializer read through Identity nodes. Those parameters
// must prune like initializers of their own: the analysis of a model whose
// every BatchNorm parameter goes through an Identity finds the same groups
// as the plain model's, and its pruned copy equals its masked original.
func TestIdentityAliasedParametersPrune(t *testing.T) {
	plain := loadPruneModel(t, "resnet20_cifar")
	m := testmodels.RoundTrip(t, plain)
	var aliases []*onnx.Node
	for _, n := range m.Graph.Node {
		if n.OpType != "BatchNormalization" {
			continue
		}
		for i := 1; i < len(n.Input); i++ {
			alias := n.Input[i] + "_alias"
			aliases = append(aliases, &onnx.Node{Name: alias, OpType: "Identity", Input: []string{n.Input[i]}, Output: []string{alias}})
			n.Input[i] = alias
		}
	}
	m.Graph.Node = append(aliases, m.Graph.Node...)
	want := analyze(t, plain)
	a := analyze(t, m)
	if a.Free() != want.Free() || a.Free() == 0 {
		t.Fatalf("%d prunable groups through Identity aliases, %d without", a.Free(), want.Free())
	}
	if len(m.Graph.Node) != len(plain.Graph.Node)+len(aliases) {
		t.Fatal("Analyze changed the model it was given")
	}
	r := rand.New(rand.NewPCG(11, 11))
	sel := randomSelection(a, r)
	pm, err := a.Prune(sel, PruneOptions{NoFold: true})
	if err != nil {
		t.Fatal(err)
	}
	in := randomInputs(t, m, r)
	closeOutputs(t, runModel(t, testmodels.RoundTrip(t, pm), in), runModel(t, maskedOriginal(t, a, sel), in), 1e-4)
	closeOutputs(t, runModel(t, a.Model, in), runModel(t, m, in), 0)
}
