package exec

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// The ONNX backend conformance cases of the nn-backed ops (Conv,
// ConvTranspose, pools, BatchNormalization, Gemm, MatMul), run node by node
// through Lookup, independently of the session executor.

// Tolerances of the ONNX backend tests (onnxruntime passes them too).
const conformanceAtol, conformanceRtol = 1e-4, 1e-3

// nnOps are the op types whose kernels live in core/nn.
var nnOps = []string{"Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization", "Gemm", "MatMul"}

// nnTrainingOnly are cases that request training-mode BatchNormalization,
// which the inference executor must refuse with an error.
var nnTrainingOnly = map[string]bool{
	"test_batchnorm_epsilon_training_mode": true,
	"test_batchnorm_example_training_mode": true,
}

// nodeTestsFor lists the selected node tests of the given op types.
func nodeTestsFor(t *testing.T, ops ...string) []string {
	t.Helper()
	root := onnxTestDataDir(t)
	data, err := os.ReadFile(filepath.Join(root, "SELECTED-node-tests.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, op := range ops {
		want[op] = true
	}
	var dirs []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && want[f[0]] {
			dirs = append(dirs, filepath.Join(root, "node", f[1]))
		}
	}
	return dirs
}

// pytorchTestsFor lists the PyTorch-exported cases whose graphs use any of
// the given ops.
func pytorchTestsFor(t *testing.T, ops ...string) []string {
	t.Helper()
	root := onnxTestDataDir(t)
	var dirs []string
	for _, sub := range []string{"pytorch-converted", "pytorch-operator"} {
		entries, err := os.ReadDir(filepath.Join(root, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			dir := filepath.Join(root, sub, e.Name())
			m, err := readConformanceModel(dir)
			if err != nil {
				t.Fatalf("%s: %v", dir, err)
			}
			if graphUses(m.Graph, ops) {
				dirs = append(dirs, dir)
			}
		}
	}
	sort.Strings(dirs)
	return dirs
}

func graphUses(g *onnx.Graph, ops []string) bool {
	for _, n := range g.Node {
		for _, op := range ops {
			if n.OpType == op {
				return true
			}
		}
	}
	return false
}

func readConformanceModel(dir string) (*onnx.Model, error) {
	data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return nil, err
	}
	return onnx.Decode(data)
}

func readConformanceTensor(path string) (*tensor.Tensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pt, err := onnx.DecodeTensor(data)
	if err != nil {
		return nil, err
	}
	return tensor.FromONNX(pt)
}

// runConformanceCase evaluates the model's nodes in order through Lookup
// and compares every graph output with test_data_set_0.
func runConformanceCase(t *testing.T, dir string) {
	t.Helper()
	m, err := readConformanceModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	opset := m.OpsetVersion("")
	values := map[string]*tensor.Tensor{}
	for _, init := range m.Graph.Initializer {
		v, err := tensor.FromONNX(init)
		if err != nil {
			t.Fatalf("initializer %s: %v", init.Name, err)
		}
		values[init.Name] = v
	}
	data := filepath.Join(dir, "test_data_set_0")
	i := 0
	for _, vi := range m.Graph.Input {
		if _, isInit := values[vi.Name]; isInit {
			continue
		}
		v, err := readConformanceTensor(filepath.Join(data, fmt.Sprintf("input_%d.pb", i)))
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
		values[vi.Name] = v
		i++
	}
	for _, n := range m.Graph.Node {
		k := Lookup(n.Domain, n.OpType, opset)
		if k == nil {
			t.Skipf("no kernel for %s at opset %d (owned elsewhere)", n.OpType, opset)
		}
		in := make([]*tensor.Tensor, len(n.Input))
		for j, name := range n.Input {
			if name != "" {
				in[j] = values[name]
			}
		}
		out, err := k(&Context{Node: n, Opset: opset}, in)
		if nnTrainingOnly[filepath.Base(dir)] {
			if err == nil || !strings.Contains(err.Error(), "training") {
				t.Fatalf("training-mode case: error %v, want one about training mode", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", n.OpType, err)
		}
		for j, name := range n.Output {
			if name != "" && j < len(out) {
				values[name] = out[j]
			}
		}
	}
	for j, vo := range m.Graph.Output {
		want, err := readConformanceTensor(filepath.Join(data, fmt.Sprintf("output_%d.pb", j)))
		if err != nil {
			t.Fatalf("output %d: %v", j, err)
		}
		got := values[vo.Name]
		if got == nil {
			t.Fatalf("output %s not computed", vo.Name)
		}
		compareConformance(t, vo.Name, got, want)
	}
}

func compareConformance(t *testing.T, name string, got, want *tensor.Tensor) {
	t.Helper()
	if got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) {
		t.Fatalf("%s: got %v %v, want %v %v", name, got.DType, got.Shape, want.DType, want.Shape)
	}
	for i := 0; i < want.Len(); i++ {
		g, w := asFloat64(got, i), asFloat64(want, i)
		if math.IsNaN(w) && math.IsNaN(g) {
			continue
		}
		if !(math.Abs(g-w) <= conformanceAtol+conformanceRtol*math.Abs(w)) {
			t.Fatalf("%s: element %d = %v, want %v (shape %v)", name, i, g, w, want.Shape)
		}
	}
}

func runConformanceDirs(t *testing.T, dirs []string) {
	t.Helper()
	if len(dirs) == 0 {
		t.Fatal("no conformance cases found")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) { runConformanceCase(t, dir) })
	}
}

func TestConvConformance(t *testing.T) {
	runConformanceDirs(t, nodeTestsFor(t, "Conv", "ConvTranspose"))
}

func TestNNPyTorchConformance(t *testing.T) {
	runConformanceDirs(t, pytorchTestsFor(t, nnOps...))
}
