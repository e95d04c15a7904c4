package qil

import (
	"context"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/train"
	"github.com/pare-ml/pare/internal/testassets"
)

func TestParseBits(t *testing.T) {
	for in, want := range map[string]Bits{"4/4": {4, 4}, "w3a8": {3, 8}, "2": {2, 2}, " W5A5 ": {5, 5}} {
		if got, err := ParseBits(in); err != nil || got != want {
			t.Errorf("ParseBits(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"1/4", "4/9", "0", "w4", "x", ""} {
		if _, err := ParseBits(in); err == nil {
			t.Errorf("ParseBits(%q) succeeded", in)
		}
	}
}

// TestBadRequests: each names the problem.
func TestBadRequests(t *testing.T) {
	m, data := smallMnist(t, 64)
	ctx := context.Background()
	for name, c := range map[string]struct {
		opt  Options
		data *train.Loader
		msg  string
	}{
		"bits out of range": {Options{Bits: Bits{9, 4}}, data, "2..8"},
		"unknown keep-fp":   {Options{Bits: Bits{4, 4}, KeepFP: []string{"Conv7"}}, data, "Convolution28, Convolution110, Times212"},
		"unknown layer":     {Options{Bits: Bits{4, 4}, LayerBits: map[string]Bits{"x": {3, 3}}}, data, "not a quantizable layer"},
		"layer bits":        {Options{Bits: Bits{4, 4}, LayerBits: map[string]Bits{"Convolution110": {1, 3}}}, data, "2..8"},
		"everything fp":     {Options{Bits: Bits{4, 4}, KeepFP: []string{"first", "last", "Convolution110"}}, data, "full precision"},
		"no data":           {Options{Bits: Bits{4, 4}}, nil, "no training data"},
	} {
		if _, err := NewRun(ctx, m, c.data, Config{Options: c.opt}); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, c.msg)
		}
	}
	if _, _, err := PTQ(ctx, m, nil, Options{Bits: Bits{4, 4}}, 0, StorageInt8); err == nil || !strings.Contains(err.Error(), "no calibration data") {
		t.Errorf("PTQ without data: %v", err)
	}
	if _, err := Export(m, StorageInt8, ""); err == nil || !strings.Contains(err.Error(), "no QIL quantizers") {
		t.Errorf("export of a float model: %v", err)
	}
	if _, err := NewRun(ctx, m, data, Config{Options: Options{Bits: Bits{4, 4}}, Schedule: "sometimes"}); err == nil || !strings.Contains(err.Error(), "schedule") {
		t.Errorf("unknown schedule: %v", err)
	}
}

func TestNothingToQuantize(t *testing.T) {
	m := &onnx.Model{IRVersion: 8, OpsetImport: []*onnx.OperatorSet{{Version: 13}}, Graph: &onnx.Graph{
		Node:   []*onnx.Node{{Name: "r", OpType: "Relu", Input: []string{"x"}, Output: []string{"y"}}},
		Input:  []*onnx.ValueInfo{{Name: "x"}},
		Output: []*onnx.ValueInfo{{Name: "y"}},
	}}
	if _, err := planLayers(m, Options{Bits: Bits{4, 4}}); err == nil || !strings.Contains(err.Error(), "nothing to quantize") {
		t.Fatalf("error %v", err)
	}
}

func TestClassesMustMatchTheLogits(t *testing.T) {
	if err := checkClasses(10, &dataset.Set{Labels: []int{1, 11}}); err == nil || !strings.Contains(err.Error(), "task loss") || !strings.Contains(err.Error(), "--quantizer-only") {
		t.Errorf("label 11 for 10 logits: %v", err)
	}
	if err := checkClasses(10, &dataset.Set{Labels: []int{0, 9}}); err != nil {
		t.Error(err)
	}
}

// TestProgressiveStages: the schedule runs 8 -> 5 -> 4 -> 3 down to the
// lowest target, never below a layer's own bits.
func TestProgressiveStages(t *testing.T) {
	layers := []*Layer{{Bits: Bits{}}, {Bits: Bits{3, 4}}, {Bits: Bits{8, 8}}}
	plan, err := stages(layers, "progressive")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]Bits{{{}, {8, 8}, {8, 8}}, {{}, {5, 5}, {8, 8}}, {{}, {4, 4}, {8, 8}}, {{}, {3, 4}, {8, 8}}}
	if len(plan) != len(want) {
		t.Fatalf("%d stages, want %d: %v", len(plan), len(want), plan)
	}
	for s := range want {
		for i := range want[s] {
			if plan[s][i] != want[s][i] {
				t.Fatalf("stage %d: %v, want %v", s, plan[s], want[s])
			}
		}
	}
	if d, _ := stages(layers, "direct"); len(d) != 1 || d[0][1] != (Bits{3, 4}) {
		t.Fatalf("direct: %v", d)
	}
	// A stage is named by its lowest widths, not by the first layer's.
	for s, want := range []Bits{{8, 8}, {5, 5}, {4, 4}, {3, 4}} {
		if got := stageBits(plan[s]); got != want {
			t.Errorf("stage %d is named %v, want %v", s, got, want)
		}
	}
}

// TestDistilledRun trains a few steps with the float model as teacher.
func TestDistilledRun(t *testing.T) {
	m, data := smallMnist(t, 128)
	run, err := NewRun(context.Background(), m, data, Config{Options: Options{Bits: Bits{4, 4}}, Schedule: "direct", CalibrationImages: 64, Distill: &train.DistillOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	for !run.Done() {
		p, err := run.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if l := p.Figures["loss"]; !(l >= 0) {
			t.Fatalf("distillation loss %v", l)
		}
	}
	if _, err := NewRun(context.Background(), m, data, Config{Options: Options{Bits: Bits{4, 4}}, Distill: &train.DistillOptions{Alpha: 2}}); err == nil {
		t.Fatal("a distillation weight of 2 was accepted")
	}
}

// TestClipFedLayersAreUnsigned: a layer behind a Clip with lower bound 0
// (fashion-dwnet's ReLU6, exported as Clip with Constant bounds) gets the
// unsigned activation quantizer, its graph-input layer (behind a Mul of
// the pixels) the signed one.
func TestClipFedLayersAreUnsigned(t *testing.T) {
	m := fashionDwnet(t)
	layers, err := planLayers(m, Options{Bits: Bits{4, 4}, KeepFP: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		afterClip := l.OpType == "Conv" && i > 0
		if afterClip && l.Signed {
			t.Errorf("%s (behind a ReLU6 Clip) is planned signed", l.Node)
		}
	}
	if !layers[0].Signed {
		t.Errorf("the first layer (behind a Mul of the input) is planned unsigned")
	}
}

// fashionDwnet reads the repository's depthwise Fashion-MNIST net, which
// has BatchNormalization and ReLU6 Clips.
func fashionDwnet(t *testing.T) *onnx.Model {
	t.Helper()
	return fashionNet(t, "fashion-dwnet")
}

// fashionResnet reads the repository's residual Fashion-MNIST net (no
// depthwise layer).
func fashionResnet(t *testing.T) *onnx.Model {
	t.Helper()
	return fashionNet(t, "fashion-resnet")
}

func fashionNet(t *testing.T, name string) *onnx.Model {
	t.Helper()
	path, err := testassets.RepoPath("core/train/testdata/" + name + ".onnx")
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.ReadModelFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
