package qcqp

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

func TestAnalyzeGroups(t *testing.T) {
	a := analyze(t, testmodels.RoundTrip(t, zooNet(rand.New(rand.NewPCG(9, 9)))))
	got := map[string]string{}
	for k, m := range a.Maps {
		state := "free"
		if m.Fixed {
			state = "fixed"
		}
		got[strings.Join(a.Members[k], "+")] = state
	}
	want := map[string]string{"x": "fixed", "c1+c4": "free", "c2": "free", "c3": "free", "fc": "free", "mm": "fixed"}
	if len(got) != len(want) {
		t.Fatalf("groups %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("group %s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	layers, err := a.Layers(NormL1)
	if err != nil {
		t.Fatal(err)
	}
	// conv1, conv4, conv2, conv3, the depthwise conv as one diagonal layer
	// per map of the Concat, Gemm and MatMul.
	diag := 0
	for _, l := range layers {
		if l.Diagonal {
			diag++
		}
	}
	if len(layers) != 8 || diag != 2 {
		t.Errorf("%d layers (%d diagonal), want 8 (2)", len(layers), diag)
	}
}

// TestAnalyzeFreezesWhatItCannotFollow: an Add of a Concat's output and a
// single map cannot tie one mask to two, so it freezes all three and says
// why; a Softmax over channels freezes its input.
func TestAnalyzeFreezesWhatItCannotFollow(t *testing.T) {
	m := testmodels.RoundTrip(t, zooNet(rand.New(rand.NewPCG(9, 9))))
	w5, err := tensor.ToONNX(tensor.New(tensor.Float32, []int{9, 6, 1, 1}), "w5")
	if err != nil {
		t.Fatal(err)
	}
	m.Graph.Initializer = append(m.Graph.Initializer, w5)
	var nodes []*onnx.Node
	for _, n := range m.Graph.Node {
		if n.Output[0] == "sub" {
			// sub = dw + conv5(res): one map of 9 against the Concat's
			// 5 + 4.
			nodes = append(nodes, &onnx.Node{Name: "c5", OpType: "Conv", Input: []string{"res", "w5"}, Output: []string{"c5"}})
			n.OpType, n.Input = "Add", []string{"dw", "c5"}
		}
		nodes = append(nodes, n)
	}
	m.Graph.Node = nodes
	m.Graph.Node = append(m.Graph.Node, &onnx.Node{Name: "soft", OpType: "Softmax", Input: []string{"y"}, Output: []string{"p"}, Attribute: []*onnx.Attribute{{Name: "axis", I: 1, Type: onnx.AttrInt}}})
	m.Graph.Output[0].Name = "p"
	a := analyze(t, m)
	for k, mp := range a.Maps {
		if mp.Name == "mm" && !strings.Contains(strings.Join(a.Frozen[k], ";"), "Softmax") {
			t.Errorf("the logits are frozen for %v, want the Softmax named", a.Frozen[k])
		}
		if (mp.Name == "c2" || mp.Name == "c5") && (!mp.Fixed || !strings.Contains(strings.Join(a.Frozen[k], ";"), `Add "sub"`)) {
			t.Errorf("%s: fixed %v for %v, want frozen by the Add", mp.Name, mp.Fixed, a.Frozen[k])
		}
	}
}

func TestFrozenSummaryNamesTheFirstThree(t *testing.T) {
	a := &Analysis{
		Maps: []Map{
			{Name: "input", Fixed: true}, {Name: "c1"}, {Name: "c2", Fixed: true},
			{Name: "logits", Fixed: true}, {Name: "c4"},
		},
		Frozen: [][]string{{"the network's input"}, nil, {"read by Reshape", "mixes channels"}, {"the network's output"}, nil},
	}
	want := "input: the network's input, c2: read by Reshape; mixes channels, logits: the network's output"
	if got := a.FrozenSummary(); got != want {
		t.Errorf("FrozenSummary() = %q, want %q", got, want)
	}
	a.Maps = append(a.Maps, Map{Name: "c5", Fixed: true})
	a.Frozen = append(a.Frozen, []string{"unknown op"})
	if got := a.FrozenSummary(); got != want+", …" {
		t.Errorf("with a fourth frozen map: %q, want %q", got, want+", …")
	}
}
