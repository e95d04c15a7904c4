package cost_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/cost"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/internal/testassets"
	"github.com/pare-ml/pare/internal/testmodels"
)

// TestResNet8MLPerfMACs: the MLPerf Tiny figure for the image
// classification ResNet-8 is 12,501,632 MACs, Conv and Dense layers only.
func TestResNet8MLPerfMACs(t *testing.T) {
	m := testmodels.ReadModel(t, testassets.Dir(t, "models/resnet8-cifar10.onnx"))
	rep, err := cost.Analyze(m, nil, exec.EvalNode)
	if err != nil {
		t.Fatal(err)
	}
	if rep.MACs != 12501632 {
		t.Errorf("MACs = %d, want 12,501,632", rep.MACs)
	}
	// 78,666 float initializer elements: conv and dense weights and
	// biases plus the four vectors of each batch norm.
	if rep.Params != 78666 {
		t.Errorf("Params = %d, want 78,666", rep.Params)
	}
	// First layer by hand: 3x3 conv, 3 -> 16 channels, 32x32 output.
	var first *cost.Layer
	for i := range rep.Layers {
		if rep.Layers[i].OpType == "Conv" {
			first = &rep.Layers[i]
			break
		}
	}
	if first == nil || first.MACs != 3*3*3*16*32*32 {
		t.Errorf("first conv: %+v, want %d MACs", first, 3*3*3*16*32*32)
	}
	if first != nil && first.ActivationBytes != 16*32*32*4 {
		t.Errorf("first conv activation bytes %d, want %d", first.ActivationBytes, 16*32*32*4)
	}
	for _, l := range rep.Layers {
		if l.OpType != "Conv" && l.OpType != "Gemm" && l.MACs != 0 {
			t.Errorf("layer %s (%s) has %d MACs; only Conv and Gemm count", l.Name, l.OpType, l.MACs)
		}
	}
}

// TestMNIST8ByHand checks mnist-8 (CNTK export, opset 8) against figures
// worked out by hand from its layers:
//
//	Conv 5x5, 1 -> 8, same padding, 28x28:   8*28*28 * 1*25  = 156,800
//	MaxPool 2x2 -> 14x14
//	Conv 5x5, 8 -> 16, same padding, 14x14: 16*14*14 * 8*25 = 627,200
//	MaxPool 3x3 stride 3 -> 4x4; Reshape to 256
//	MatMul 256 x 10:                          10 * 256        =   2,560
//	total                                                      786,560
//
// Params: 8*25 + 8 + 16*8*25 + 16 + 256*10 + 10 = 5,994 (the two Reshape
// shape initializers are int64 and not parameters).
func TestMNIST8ByHand(t *testing.T) {
	m := testmodels.ReadModel(t, testassets.Dir(t, "models/mnist-8.onnx"))
	rep, err := cost.Analyze(m, nil, exec.EvalNode)
	if err != nil {
		t.Fatal(err)
	}
	if rep.MACs != 786560 {
		t.Errorf("MACs = %d, want 786,560", rep.MACs)
	}
	if rep.Params != 5994 {
		t.Errorf("Params = %d, want 5,994", rep.Params)
	}
	var convs []int64
	for _, l := range rep.Layers {
		if l.OpType == "Conv" {
			convs = append(convs, l.MACs)
		}
	}
	for _, l := range rep.Layers {
		if l.OpType == "MatMul" && l.Params != 2560 {
			t.Errorf("MatMul %s has %d params, want its 2,560 weights", l.Name, l.Params)
		}
		if l.OpType == "Reshape" && l.Params != 0 {
			t.Errorf("Reshape %s has %d params, want 0 (it only shapes the MatMul's weights)", l.Name, l.Params)
		}
	}
	if len(convs) != 2 || convs[0] != 156800 || convs[1] != 627200 {
		t.Errorf("conv MACs %v, want [156800 627200]", convs)
	}
	// Peak: while the first Conv runs, the input (3,136 B) and its output
	// 8x28x28 floats (25,088 B) are alive; then the bias Add reads that
	// output and writes another 25,088 B: 50,176 B, the largest step.
	if rep.PeakActivationBytes != 50176 {
		t.Errorf("PeakActivationBytes = %d, want 50,176", rep.PeakActivationBytes)
	}
}

// TestConformanceLayerMACs compares per-layer MACs of ONNX conformance
// models against the formulas worked out by hand.
func TestConformanceLayerMACs(t *testing.T) {
	dir := testassets.Dir(t, "conformance/onnx-node")
	cases := []struct {
		test         string
		macs, params int64
	}{
		// out 1x1x4x3, 1 channel, 3x3 kernel: 12 * 9.
		{"node/test_conv_with_strides_padding", 108, 9},
		// A [4,3] transposed: M=3, K=4; B^T gives N=5: 3*5*4; B and C.
		{"node/test_gemm_all_attributes", 60, 20 + 5},
		// 9 input pixels, each into 2 channels x 3x3 taps.
		{"node/test_convtranspose", 162, 18},
		// 2 groups: 18 input pixels, each into 1 channel x 3x3.
		{"node/test_convtranspose_group_2", 162, 18},
		// batch 2, [3,4] x [4,3]: 2*3*3*4.
		{"node/test_matmul_3d", 72, 24},
		// depthwise 3x3 stride 2: out 2x4x2x2 = 32, 1*9 each.
		{"pytorch-converted/test_Conv2d_depthwise_strided", 288, 36 + 4},
		// group 2, 4 -> 6 channels, kernel 3x2: out 2x6x4x4 = 192, 2*3*2 each.
		{"pytorch-converted/test_Conv2d_groups", 2304, 72 + 6},
		// Linear 10 -> 8 at batch 4: 4*8*10.
		{"pytorch-converted/test_Linear", 320, 80 + 8},
	}
	for _, c := range cases {
		t.Run(c.test, func(t *testing.T) {
			m, shapes := loadNodeTest(t, filepath.Join(dir, c.test))
			rep, err := cost.Analyze(m, shapes, exec.EvalNode)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Layers) != 1 {
				t.Fatalf("%d layers, want 1", len(rep.Layers))
			}
			if l := rep.Layers[0]; l.MACs != c.macs || l.Params != c.params {
				t.Errorf("%s: MACs %d params %d, want %d and %d", l.OpType, l.MACs, l.Params, c.macs, c.params)
			}
		})
	}
}

// loadNodeTest reads a conformance test; inputs after the first become
// float initializers (weights), as in a real model.
func loadNodeTest(t *testing.T, dir string) (*onnx.Model, map[string][]int) {
	t.Helper()
	m := testmodels.ReadModel(t, filepath.Join(dir, "model.onnx"))
	shapes := map[string][]int{}
	var keep []*onnx.ValueInfo
	inits := map[string]bool{}
	for _, x := range m.Graph.Initializer {
		inits[x.Name] = true
	}
	for i, vi := range m.Graph.Input {
		if inits[vi.Name] {
			keep = append(keep, vi)
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, "test_data_set_0", "input_"+strconv.Itoa(i)+".pb"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		x, err := onnx.DecodeTensor(data)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			dims := make([]int, len(x.Dims))
			for j, d := range x.Dims {
				dims[j] = int(d)
			}
			shapes[vi.Name] = dims
			keep = append(keep, vi)
			continue
		}
		x.Name = vi.Name
		m.Graph.Initializer = append(m.Graph.Initializer, x)
	}
	m.Graph.Input = keep
	return m, shapes
}

func TestPeakActivationByHand(t *testing.T) {
	// x -> Relu a -> Relu b; Add(a, b) -> y, 4 floats (16 B) each. Before
	// the Add runs a and b are both alive, and the Add's output joins them.
	m := &onnx.Model{
		OpsetImport: []*onnx.OperatorSet{{Version: 13}},
		Graph: &onnx.Graph{
			Input:  []*onnx.ValueInfo{vi("x", 1, 4)},
			Output: []*onnx.ValueInfo{{Name: "y"}},
			Node: []*onnx.Node{
				{Name: "r1", OpType: "Relu", Input: []string{"x"}, Output: []string{"a"}},
				{Name: "r2", OpType: "Relu", Input: []string{"a"}, Output: []string{"b"}},
				{Name: "add", OpType: "Add", Input: []string{"a", "b"}, Output: []string{"y"}},
			},
		},
	}
	rep, err := cost.Analyze(m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.PeakActivationBytes != 48 {
		t.Errorf("peak %d, want 48 (a, b and y)", rep.PeakActivationBytes)
	}
	if rep.ActivationBytes != 48 || rep.MACs != 0 || rep.Params != 0 {
		t.Errorf("totals %+v, want 48 activation bytes, no MACs or params", rep.Totals)
	}
}

func vi(name string, dims ...int64) *onnx.ValueInfo {
	shape := &onnx.TensorShape{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnx.Dimension{Value: d, HasValue: true})
	}
	return &onnx.ValueInfo{Name: name, Type: &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: onnx.Float, Shape: shape}}}
}

func TestReportJSON(t *testing.T) {
	m := testmodels.ReadModel(t, testassets.Dir(t, "models/mnist-8.onnx"))
	rep, err := cost.Analyze(m, map[string][]int{"Input3": {1, 1, 28, 28}}, exec.EvalNode)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"macs", "params", "activation_bytes", "peak_activation_bytes", "layers"} {
		if _, ok := top[k]; !ok {
			t.Errorf("JSON has no top-level %q: %s", k, b[:min(len(b), 200)])
		}
	}
	if !strings.Contains(string(top["layers"]), `"op_type":"Conv"`) || !strings.Contains(string(top["layers"]), `"output_shapes":[[1,8,28,28]]`) {
		t.Errorf("layers JSON lacks op_type/output_shapes: %.300s", top["layers"])
	}
}

func TestAnalyzeErrors(t *testing.T) {
	m := &onnx.Model{OpsetImport: []*onnx.OperatorSet{{Version: 13}}, Graph: &onnx.Graph{
		Input: []*onnx.ValueInfo{vi("x", 1, 4)},
		Node:  []*onnx.Node{{OpType: "Mystery", Input: []string{"x"}, Output: []string{"y"}}},
	}}
	if _, err := cost.Analyze(m, nil, nil); err == nil || !strings.Contains(err.Error(), "Mystery") {
		t.Errorf("unknown op: err = %v", err)
	}
	if _, err := cost.Analyze(&onnx.Model{}, nil, nil); err == nil {
		t.Error("empty model: no error")
	}
}

// Activation bytes follow each type's stored width. The package once kept
// its own table of widths, which knew nothing of FLOAT8E8M0, INT2 and
// UINT2 and counted them as 4-byte floats.
func TestActivationBytesOfNarrowTypes(t *testing.T) {
	for _, tc := range []struct {
		dt   onnx.DataType
		want int64 // bytes of 16 elements
	}{
		{onnx.Float, 64}, {onnx.Float16, 32}, {onnx.Float8E8M0, 16}, {onnx.Float8E4M3FN, 16},
		{onnx.Int4, 8}, {onnx.Uint2, 4}, {onnx.Int2, 4}, {onnx.Complex128, 256},
	} {
		x := vi("x", 1, 16)
		x.Type.TensorType.ElemType = tc.dt
		m := &onnx.Model{
			OpsetImport: []*onnx.OperatorSet{{Version: 13}},
			Graph: &onnx.Graph{
				Input:  []*onnx.ValueInfo{x},
				Output: []*onnx.ValueInfo{{Name: "y"}},
				Node:   []*onnx.Node{{Name: "id", OpType: "Identity", Input: []string{"x"}, Output: []string{"y"}}},
			},
		}
		rep, err := cost.Analyze(m, nil, nil)
		if err != nil {
			t.Fatalf("%v: %v", tc.dt, err)
		}
		if rep.ActivationBytes != tc.want {
			t.Errorf("%v: 16 elements take %d activation bytes, want %d", tc.dt, rep.ActivationBytes, tc.want)
		}
	}
}

// A hostile model whose every value is within shape inference's bounds can
// still ask for more than 2^63 MACs in one Conv: 2^24 outputs of 2^40 MACs
// each once wrapped to a report of 0 MACs.
func TestMACsOverflowIsAnError(t *testing.T) {
	x := vi("x", 1<<23, 1<<17, 1)
	w := vi("w", 1, 1<<17, 1<<23)
	m := &onnx.Model{
		OpsetImport: []*onnx.OperatorSet{{Version: 13}},
		Graph: &onnx.Graph{
			Input:  []*onnx.ValueInfo{x, w},
			Output: []*onnx.ValueInfo{{Name: "y"}},
			Node: []*onnx.Node{{Name: "conv", OpType: "Conv", Input: []string{"x", "w"}, Output: []string{"y"},
				Attribute: []*onnx.Attribute{{Name: "pads", Type: onnx.AttrInts, Ints: []int64{1 << 22, 1 << 22}}}}},
		},
	}
	rep, err := cost.Analyze(m, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "do not fit int64") {
		t.Fatalf("Analyze = %+v, %v; want an overflow error", rep, err)
	}
}

// A Conv whose node spells the default domain "ai.onnx" is counted like
// one that leaves it empty.
func TestDefaultDomainSpelledOut(t *testing.T) {
	var macs []int64
	for _, domain := range []string{"", onnx.DefaultDomainName} {
		w := &onnx.Tensor{Name: "w", DataType: onnx.Float, Dims: []int64{4, 2, 3, 3}, FloatData: make([]float32, 72)}
		m := &onnx.Model{
			OpsetImport: []*onnx.OperatorSet{{Domain: domain, Version: 13}},
			Graph: &onnx.Graph{
				Input:       []*onnx.ValueInfo{vi("x", 1, 2, 5, 5)},
				Output:      []*onnx.ValueInfo{{Name: "y"}},
				Initializer: []*onnx.Tensor{w},
				Node:        []*onnx.Node{{Name: "conv", OpType: "Conv", Domain: domain, Input: []string{"x", "w"}, Output: []string{"y"}}},
			},
		}
		rep, err := cost.Analyze(m, nil, nil)
		if err != nil {
			t.Fatalf("domain %q: %v", domain, err)
		}
		if rep.Params != 72 {
			t.Errorf("domain %q: %d params, want 72", domain, rep.Params)
		}
		macs = append(macs, rep.MACs)
	}
	// 4 outputs x 3x3 positions, 2*3*3 MACs each.
	if macs[0] != 4*9*18 || macs[1] != macs[0] {
		t.Errorf(`MACs %d with "", %d with "ai.onnx"; want %d`, macs[0], macs[1], 4*9*18)
	}
}

// Every layer names its node, so callers need not re-align the layers
// with the graph; the live bytes of the layers peak at the report's peak.
func TestLayersCarryTheirNodes(t *testing.T) {
	for _, path := range testmodels.All(t) {
		m := testmodels.ReadModel(t, path)
		rep, err := cost.Analyze(m, nil, exec.EvalNode)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(rep.Layers) != len(m.Graph.Node) {
			t.Fatalf("%s: %d layers for %d nodes", path, len(rep.Layers), len(m.Graph.Node))
		}
		seen := map[int]bool{}
		peak := int64(0)
		for _, l := range rep.Layers {
			if l.Node == nil || m.Graph.Node[l.Index] != l.Node || seen[l.Index] || l.OpType != l.Node.OpType {
				t.Fatalf("%s: layer %s points at node %d (%v)", path, l.Name, l.Index, l.Node)
			}
			seen[l.Index] = true
			if len(l.Outputs) != len(l.OutputShapes) {
				t.Fatalf("%s: layer %s names %d outputs for %d shapes", path, l.Name, len(l.Outputs), len(l.OutputShapes))
			}
			for _, o := range l.Outputs {
				if !slices.Contains(l.Node.Output, o) {
					t.Errorf("%s: layer %s lists output %q its node does not write", path, l.Name, o)
				}
			}
			peak = max(peak, l.LiveBytes)
		}
		// The graph inputs are alive at the first step, so the steps hold
		// the peak.
		if peak != rep.PeakActivationBytes {
			t.Errorf("%s: layers' live bytes peak at %d, report %d", path, peak, rep.PeakActivationBytes)
		}
	}
}

// Weights reach a MatMul through a Reshape in mnist-8 (its 16x4x4x10
// fully connected weights become 256x10). They were once counted on the
// Reshape, which multiplies nothing, and the MatMul showed 0 parameters.
func TestParamsCountAtTheLayerThatMultiplies(t *testing.T) {
	w := make([]float32, 16*10)
	m := &onnx.Model{
		OpsetImport: []*onnx.OperatorSet{{Version: 13}},
		Graph: &onnx.Graph{
			Input:  []*onnx.ValueInfo{vi("x", 1, 16)},
			Output: []*onnx.ValueInfo{{Name: "y"}, {Name: "wt"}},
			Initializer: []*onnx.Tensor{
				{Name: "w", DataType: onnx.Float, Dims: []int64{4, 4, 10}, FloatData: w},
				{Name: "shape", DataType: onnx.Int64, Dims: []int64{2}, Int64Data: []int64{16, 10}},
				{Name: "lonely", DataType: onnx.Float, Dims: []int64{3}, FloatData: []float32{1, 2, 3}},
			},
			Node: []*onnx.Node{
				{Name: "reshape", OpType: "Reshape", Input: []string{"w", "shape"}, Output: []string{"w2"}},
				{Name: "id", OpType: "Identity", Input: []string{"w2"}, Output: []string{"w3"}},
				{Name: "matmul", OpType: "MatMul", Input: []string{"x", "w3"}, Output: []string{"y"}},
				// A reshaped initializer that nothing multiplies still counts, at its carrier.
				{Name: "transpose", OpType: "Transpose", Input: []string{"lonely"}, Output: []string{"wt"}},
			},
		},
	}
	rep, err := cost.Analyze(m, nil, exec.EvalNode)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, l := range rep.Layers {
		got[l.Name] = l.Params
	}
	want := map[string]int64{"reshape": 0, "id": 0, "matmul": 160, "transpose": 3}
	for name, p := range want {
		if got[name] != p {
			t.Errorf("layer %s has %d params, want %d (all: %v)", name, got[name], p, got)
		}
	}
	if rep.Params != 163 {
		t.Errorf("total params %d, want 163", rep.Params)
	}
}
