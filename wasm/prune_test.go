package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/qcqp"
)

func openDemoModel(t *testing.T) *Service {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "core", "train", "testdata", "demo-resnet-mnist.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{}
	if _, err := s.OpenModel("", []File{{Path: "demo.onnx", Bytes: b}}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPruneTheDemoToHalfItsMACs(t *testing.T) {
	s := openDemoModel(t)
	before, _ := onnx.Encode(s.model)
	var steps int
	var sawMasks bool
	reply, err := s.Prune(context.Background(), PruneRequest{Resource: "macs", Fraction: 0.5}, func(v any) {
		steps++
		if _, err := json.Marshal(v); err != nil {
			t.Errorf("progress %+v does not encode: %v", v, err)
		}
		p, ok := v.(PruneProgress)
		if ok && len(p.Maps) > 0 && p.Figures["incumbent"] > 0 {
			sawMasks = true
		}
		if ok && p.Doing != qcqp.StageText(p.Stage) {
			t.Errorf("stage %q is described as %q", p.Stage, p.Doing)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	r := reply.Value.(*PruneResult)
	if steps == 0 || !sawMasks {
		t.Errorf("%d progress messages, masks seen: %v", steps, sawMasks)
	}
	if r.After.MACs > r.Budget || r.Budget != 0.5*r.Before.MACs || r.After.MACs >= r.Before.MACs {
		t.Errorf("MACs %v -> %v, budget %v", r.Before.MACs, r.After.MACs, r.Budget)
	}
	pruned, err := onnx.Decode(reply.Blob)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := qcqp.Measure(pruned); err != nil || f != r.After {
		t.Errorf("the blob measures %+v (%v), the report says %+v", f, err, r.After)
	}
	if after, _ := onnx.Encode(s.model); string(after) != string(before) {
		t.Error("pruning changed the open model")
	}
	t.Logf("status %s, objective %v, bound %v, gap %v, %d nodes", r.Status, r.Objective, deref(r.Bound), deref(r.Gap), r.Nodes)
	if len(r.Maps) != 4 || r.Status == "" {
		t.Errorf("report %+v", r)
	}
}

func TestPruneRefusesAnUnreachableBudget(t *testing.T) {
	s := openDemoModel(t)
	_, err := s.Prune(context.Background(), PruneRequest{Resource: "macs", Value: 1000}, nil)
	ue := AsUserError(err)
	if ue.Code != "unreachable-budget" || !strings.Contains(ue.Message, "smallest it can reach is") {
		t.Fatalf("got %v", err)
	}
	for _, bad := range []PruneRequest{{Resource: "latency", Fraction: 0.5}, {Resource: "macs", Fraction: 1.5}, {Resource: "macs"}} {
		if _, err := s.Prune(context.Background(), bad, nil); AsUserError(err).Code == "internal" || err == nil {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := (&Service{}).Prune(context.Background(), PruneRequest{Resource: "macs", Fraction: 0.5}, nil); AsUserError(err).Code != "no-model" {
		t.Errorf("no model: %v", err)
	}
}

// The share each layer keeps reaches the solver: the result keeps it, a
// share the budget cannot pay for is refused naming the share, and a share
// out of range is refused before any work.
func TestPruneKeepsTheShareAsked(t *testing.T) {
	s := openDemoModel(t)
	reply, err := s.Prune(context.Background(), PruneRequest{Resource: "macs", Fraction: 0.3, MinKeep: share(0.4)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := reply.Value.(*PruneResult)
	for _, m := range r.Maps {
		if float64(m.Kept) < 0.4*float64(m.Channels) {
			t.Errorf("%s keeps %d of %d channels, below 40 %%", m.Name, m.Kept, m.Channels)
		}
	}
	if r.After.MACs > r.Budget {
		t.Errorf("MACs %v over the budget %v", r.After.MACs, r.Budget)
	}
	_, err = s.Prune(context.Background(), PruneRequest{Resource: "macs", Fraction: 0.3, MinKeep: share(0.9)}, nil)
	if ue := AsUserError(err); ue.Code != "unreachable-budget" || !strings.Contains(ue.Message, "90 % of every prunable group") {
		t.Errorf("a 90 %% share under 30 %% of the MACs: %v", err)
	}
	if _, err := s.Prune(context.Background(), PruneRequest{Resource: "macs", Fraction: 0.3, MinKeep: share(2)}, nil); AsUserError(err).Code != "bad-min-keep" {
		t.Errorf("a share of 200 %%: %v", err)
	}
	// Without one, the default floor, fitted to the budget, as pare prune.
	reply, err = s.Prune(context.Background(), PruneRequest{Resource: "macs", Fraction: 0.3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := reply.Value.(*PruneResult).MinKeep; got != qcqp.DefaultMinKeep {
		t.Errorf("default floor %v, want %v", got, qcqp.DefaultMinKeep)
	}
}

func share(v float64) *float64 { return &v }

func TestPruneStopsOnCancel(t *testing.T) {
	s := openDemoModel(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Prune(ctx, PruneRequest{Resource: "macs", Fraction: 0.5}, nil); AsUserError(err).Code != "cancelled" {
		t.Errorf("cancelled prune: %v", err)
	}
}

// TestPruneSaysWhenNothingIsPrunable: a lone Gemm reads the network input
// and writes its output, both frozen.
func TestPruneSaysWhenNothingIsPrunable(t *testing.T) {
	w, _ := tensor.ToONNX(tensor.New(tensor.Float32, []int{5, 7}), "w")
	vinfo := func(name string, dims ...int64) *onnx.ValueInfo {
		shape := &onnx.TensorShape{}
		for _, d := range dims {
			shape.Dim = append(shape.Dim, &onnx.Dimension{Value: d, HasValue: true})
		}
		return &onnx.ValueInfo{Name: name, Type: &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: onnx.Float, Shape: shape}}}
	}
	m := &onnx.Model{IRVersion: 8, OpsetImport: []*onnx.OperatorSet{{Version: 13}}, Graph: &onnx.Graph{
		Name: "lone", Input: []*onnx.ValueInfo{vinfo("x", 1, 7)}, Output: []*onnx.ValueInfo{vinfo("y", 1, 5)},
		Initializer: []*onnx.Tensor{w},
		Node: []*onnx.Node{{Name: "fc", OpType: "Gemm", Input: []string{"x", "w"}, Output: []string{"y"},
			Attribute: []*onnx.Attribute{{Name: "transB", I: 1, Type: onnx.AttrInt}}}},
	}}
	raw, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{}
	if _, err := s.OpenModel("", []File{{Path: "lone.onnx", Bytes: raw}}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Prune(context.Background(), PruneRequest{Resource: "macs", Fraction: 0.5}, nil)
	if ue := AsUserError(err); ue.Code != "nothing-prunable" || !strings.Contains(ue.Message, "network input") {
		t.Fatalf("got %v", err)
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}
