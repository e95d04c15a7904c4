package exec

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
	"github.com/pare-ml/pare/internal/testmodels"
)

// fusionTolerance is the largest difference allowed between the fused and
// the unfused run, relative to the output's largest magnitude.
const fusionTolerance = 1e-5

// compareFusedUnfused runs s fused (Run) and unfused (RunAll) and checks
// every graph output.
func compareFusedUnfused(t *testing.T, label string, s *Session, feeds map[string]*tensor.Tensor) {
	t.Helper()
	fused, err := s.Run(feeds)
	if err != nil {
		t.Fatalf("%s: Run: %v", label, err)
	}
	all, err := s.RunAll(feeds)
	if err != nil {
		t.Fatalf("%s: RunAll: %v", label, err)
	}
	for _, name := range s.OutputNames() {
		got, want := fused[name], all[name]
		if got == nil || want == nil || !slices.Equal(got.Shape, want.Shape) {
			t.Fatalf("%s: output %q missing or of another shape", label, name)
		}
		scale, diff := 0.0, 0.0
		for i, w := range want.F32 {
			scale = math.Max(scale, math.Abs(float64(w)))
			diff = math.Max(diff, math.Abs(float64(got.F32[i]-w)))
		}
		if diff > fusionTolerance*math.Max(scale, 1e-30) || math.IsNaN(diff) {
			t.Errorf("%s: output %q differs by %.3g (scale %.3g) between fused and unfused runs", label, name, diff, scale)
		}
	}
}

func TestFusionMatchesUnfusedOnModels(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "models")
	cases := []struct {
		file   string
		shared bool // in the shared assets rather than testdata/models
		// minFused is how many steps fusion must at least remove.
		minFused int
	}{
		{file: "resnet20_cifar.onnx", minFused: 21 + 19 + 9 - 2},
		{file: "mobilenetv2_035.onnx", minFused: 35 + 10},
		{file: "densenet_small.onnx"},
		{file: "efficientnet_small.onnx"},
		{file: "shufflenetv2_small.onnx", minFused: 15},
		{file: "squeezenet_small.onnx", minFused: 17},
		{file: "ops_mix.onnx"},
		{file: "resnet8-cifar10.onnx", shared: true, minFused: 7 + 7 + 3 - 2},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			if tc.shared {
				path = testassets.Dir(t, filepath.Join("models", tc.file))
			}
			m, err := onnx.ReadModelFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSession(m)
			if err != nil {
				t.Fatal(err)
			}
			if removed := len(s.steps) - len(s.fused); removed < tc.minFused {
				t.Errorf("fusion removed %d of %d steps, want at least %d", removed, len(s.steps), tc.minFused)
			}
			feeds := testmodels.RandomInputs(t, m, 4)
			compareFusedUnfused(t, tc.file, s, feeds)
		})
	}
}

// fusionModel is Conv -> BatchNormalization -> Add(shortcut) -> act, where
// the shortcut is a second Conv placed after the first in node order (so
// the fused step must run where the Add was) with output shape
// shortcutShape (a broadcast shape takes the unfused path).
func fusionModel(t *testing.T, act *onnx.Node, shortcutChannels int64, opset int64) (*onnx.Model, map[string]*tensor.Tensor) {
	rng := rand.New(rand.NewPCG(5, 5))
	random := func(name string, dims ...int) *onnx.Tensor {
		x := tensor.New(tensor.Float32, dims)
		for i := range x.F32 {
			x.F32[i] = float32(rng.NormFloat64())
		}
		if name == "var" {
			for i := range x.F32 {
				x.F32[i] = float32(math.Abs(float64(x.F32[i]))) + 0.1
			}
		}
		o, err := tensor.ToONNX(x, name)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	inits := []*onnx.Tensor{
		random("w", 4, 3, 3, 3), random("b", 4),
		random("scale", 4), random("shift", 4), random("mean", 4), random("var", 4),
		random("ws", int(shortcutChannels), 3, 1, 1),
	}
	nodes := []*onnx.Node{
		mkNode("Conv", "conv", []string{"x", "w", "b"}, []string{"c"}, attrInts("pads", 1, 1, 1, 1)),
		mkNode("BatchNormalization", "bn", []string{"c", "scale", "shift", "mean", "var"}, []string{"n"}, attrFloat("epsilon", 1e-3)),
		mkNode("Conv", "shortcut", []string{"x", "ws"}, []string{"s"}),
		mkNode("Add", "add", []string{"s", "n"}, []string{"a"}),
	}
	out := "a"
	if act != nil {
		act.Input[0] = "a"
		nodes = append(nodes, act)
		out = act.Output[0]
	}
	m := testModel(opset, []*onnx.ValueInfo{valueInfo("x", onnx.DataType(tensor.Float32), 1, 3, 6, 5)}, []string{out}, inits, nodes...)
	x := tensor.New(tensor.Float32, []int{1, 3, 6, 5})
	for i := range x.F32 {
		x.F32[i] = float32(rng.NormFloat64())
	}
	return m, map[string]*tensor.Tensor{"x": x}
}

func TestFusionChains(t *testing.T) {
	cases := []struct {
		name     string
		act      *onnx.Node
		channels int64
		opset    int64
		steps    int // fused step count
	}{
		{"conv-bn-add-relu", mkNode("Relu", "relu", []string{""}, []string{"y"}), 4, 13, 2},
		{"conv-bn-add", nil, 4, 13, 2},
		{"clip-attrs-opset6", mkNode("Clip", "clip", []string{""}, []string{"y"}, attrFloat("min", -0.5), attrFloat("max", 0.5)), 4, 6, 2},
		{"broadcast-residual", mkNode("Relu", "relu", []string{""}, []string{"y"}), 1, 13, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, feeds := fusionModel(t, tc.act, tc.channels, tc.opset)
			s, err := NewSession(m)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.fused) != tc.steps {
				t.Errorf("%d fused steps, want %d", len(s.fused), tc.steps)
			}
			compareFusedUnfused(t, tc.name, s, feeds)
			// A second run reuses recycled buffers holding stale values.
			compareFusedUnfused(t, tc.name+" (second run)", s, feeds)
		})
	}
}

func TestFusionKeepsSharedAndOutputValues(t *testing.T) {
	m, feeds := fusionModel(t, mkNode("Clip", "clip", []string{"", "", "hi"}, []string{"y"}), 4, 13)
	m.Graph.Initializer = append(m.Graph.Initializer, &onnx.Tensor{Name: "hi", DataType: onnx.DataType(tensor.Float32), FloatData: []float32{0.25}})
	// The BN output is also a graph output: the first Conv fuses only its
	// BN, and the value must still be returned; the shortcut Conv then
	// takes the Add (with the BN output as its residual) and the Clip.
	m.Graph.Output = append(m.Graph.Output, &onnx.ValueInfo{Name: "n"})
	s, err := NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.fused) != 2 {
		t.Errorf("%d fused steps, want 2 (conv+bn, shortcut+add+clip)", len(s.fused))
	}
	compareFusedUnfused(t, "bn output kept", s, feeds)
}
