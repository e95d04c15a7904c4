//go:build !js

package exec_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

// Paths relative to this package's directory (core/exec).
const (
	repoRoot        = "../.."
	fixtureDir      = repoRoot + "/testdata/models"
	sharedModelDir  = repoRoot + "/../shared/assets/models"
	oracleScript    = repoRoot + "/tools/oracle/run.mjs"
	onnxruntimeNode = repoRoot + "/node_modules/onnxruntime-node"
)

// oracleTolerance scales the allowed max abs difference: an output passes
// when max|pare-ort| <= oracleTolerance * max(1, range of the ort output).
// Float32 convolutions summed in a different order differ by about 1e-6 of
// the output scale; 1e-4 leaves room for that and catches any real error.
const oracleTolerance = 1e-4

// oracleCase is one model run with one set of inputs.
type oracleCase struct {
	label  string            // model name, plus the input file's suffix (".b3")
	model  string            // path to the .onnx file
	inputs map[string]string // graph input name -> .npy path
}

// outputComparison is one row of the result table.
type outputComparison struct {
	label, output string
	shape         []int
	maxAbs        float64 // max |pare - oracle|
	scale         float64 // max(1, range of the oracle output)
	problem       string  // non-empty when the outputs are not comparable
}

func (c outputComparison) relative() float64 { return c.maxAbs / c.scale }

func (c outputComparison) ok() bool {
	return c.problem == "" && c.maxAbs <= oracleTolerance*c.scale
}

// requireOracle returns the node executable, or skips the test when node or
// onnxruntime-node is missing (a fresh clone before `make deps`).
func requireOracle(t *testing.T) string {
	t.Helper()
	node, err := osexec.LookPath("node")
	if err != nil {
		t.Skip("oracle test skipped: node is not on PATH (install Node.js 20 and run `make deps`)")
	}
	if _, err := os.Stat(onnxruntimeNode); err != nil {
		t.Skipf("oracle test skipped: %s is missing (run `make deps` at the repository root)", onnxruntimeNode)
	}
	return node
}

// fixtureCases lists every testdata/models/NAME.onnx with each of its
// NAME.input*.npy files. A fixture model must have exactly one graph input.
func fixtureCases(t *testing.T) []oracleCase {
	t.Helper()
	models, err := filepath.Glob(filepath.Join(fixtureDir, "*.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(models) == 0 {
		t.Fatalf("no fixtures in %s: regenerate them with `make fixtures`", fixtureDir)
	}
	sort.Strings(models)
	var cases []oracleCase
	for _, path := range models {
		name := strings.TrimSuffix(filepath.Base(path), ".onnx")
		inputFiles, err := filepath.Glob(filepath.Join(fixtureDir, name+".input*.npy"))
		if err != nil {
			t.Fatal(err)
		}
		if len(inputFiles) == 0 {
			t.Fatalf("fixture %s has no %s.input.npy beside it: regenerate with `make fixtures`", path, name)
		}
		in := testmodels.GraphInputs(testmodels.ReadModel(t, path))
		if len(in) != 1 {
			t.Fatalf("fixture %s has %d graph inputs; the oracle test feeds exactly one", path, len(in))
		}
		// The batch-1 NAME.input.npy first, then NAME.input.b3.npy and such.
		sort.Slice(inputFiles, func(i, j int) bool {
			a, b := inputFiles[i], inputFiles[j]
			return len(a) < len(b) || len(a) == len(b) && a < b
		})
		for _, f := range inputFiles {
			suffix := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), name+".input"), ".npy")
			cases = append(cases, oracleCase{label: name + suffix, model: path, inputs: map[string]string{in[0].Name: f}})
		}
	}
	return cases
}

// sharedInput describes how to make a deterministic input for one of the
// shared pretrained models: each element is value(u) with u uniform in
// [0, 1) from a fixed-seed generator.
type sharedInput struct {
	file  string
	value func(u float64) float32
}

// rawPixel is an integer grey level 0..255, what mnist-8 and resnet8 take.
func rawPixel(u float64) float32 { return float32(math.Floor(u * 256)) }

// mnistNormalised is a pixel normalised as mnist-mlp expects.
func mnistNormalised(u float64) float32 {
	return float32((math.Floor(u*256)/255 - 0.1307) / 0.3081)
}

var sharedInputs = []sharedInput{
	{"mnist-8.onnx", rawPixel},
	{"resnet8-cifar10.onnx", rawPixel},
	{"mnist-mlp.onnx", mnistNormalised},
}

// sharedModelCases makes a case for each shared pretrained model, writing
// its input (shape read from the model, symbolic dims set to 1) into dir.
// It returns nothing when ../shared is absent.
func sharedModelCases(t *testing.T, dir string) []oracleCase {
	t.Helper()
	if _, err := os.Stat(sharedModelDir); err != nil {
		t.Logf("shared models skipped: %s is absent (it exists beside the repository in CI)", sharedModelDir)
		return nil
	}
	var cases []oracleCase
	for i, s := range sharedInputs {
		path := filepath.Join(sharedModelDir, s.file)
		m := testmodels.ReadModel(t, path)
		in := testmodels.GraphInputs(m)
		if len(in) != 1 {
			t.Fatalf("%s has %d graph inputs, expected 1", path, len(in))
		}
		shape, err := concreteShape(in[0])
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rng := newSplitMix(uint64(i) + 1)
		x := tensor.New(tensor.Float32, shape)
		for j := range x.F32 {
			x.F32[j] = s.value(rng.float64())
		}
		npy := filepath.Join(dir, strings.TrimSuffix(s.file, ".onnx")+".input.npy")
		writeNpyFile(t, npy, x)
		cases = append(cases, oracleCase{
			label:  strings.TrimSuffix(s.file, ".onnx"),
			model:  path,
			inputs: map[string]string{in[0].Name: npy},
		})
	}
	return cases
}

// concreteShape reads a float input's declared shape, with symbolic or
// unknown dimensions (the batch) set to 1.
func concreteShape(v *onnx.ValueInfo) ([]int, error) {
	if v.Type == nil || v.Type.TensorType == nil || v.Type.TensorType.Shape == nil {
		return nil, fmt.Errorf("input %q has no tensor shape", v.Name)
	}
	if dt := v.Type.TensorType.ElemType; dt != onnx.DataType(tensor.Float32) {
		return nil, fmt.Errorf("input %q has element type %d, the test generates float32 only", v.Name, dt)
	}
	var shape []int
	for _, d := range v.Type.TensorType.Shape.Dim {
		if d.HasValue && d.Value > 0 {
			shape = append(shape, int(d.Value))
		} else {
			shape = append(shape, 1)
		}
	}
	return shape, nil
}

// splitMix is SplitMix64: a tiny generator whose sequence is fixed by its
// definition, so inputs stay the same across Go versions.
type splitMix struct{ state uint64 }

func newSplitMix(seed uint64) *splitMix { return &splitMix{seed} }

func (s *splitMix) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float64 returns a value uniform in [0, 1).
func (s *splitMix) float64() float64 { return float64(s.next()>>11) / (1 << 53) }

func readNpyFile(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x, err := tensor.ReadNpy(f)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return x
}

func writeNpyFile(t *testing.T, path string, x *tensor.Tensor) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := tensor.WriteNpy(f, x); err != nil {
		f.Close()
		t.Fatalf("writing %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// oracleOutput is one entry of the outputs.json that run.mjs writes.
type oracleOutput struct {
	Name  string `json:"name"`
	File  string `json:"file"`
	Type  string `json:"type"`
	Shape []int  `json:"shape"`
}

// runOracle runs onnxruntime-node on the case and returns its outputs in
// the model's output order.
func runOracle(t *testing.T, node string, c oracleCase) ([]string, map[string]*tensor.Tensor) {
	t.Helper()
	outDir := t.TempDir()
	args := []string{oracleScript, c.model, outDir}
	names := make([]string, 0, len(c.inputs))
	for name := range c.inputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, name+"="+c.inputs[name])
	}
	cmd := osexec.Command(node, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oracle failed on %s: %v\n%s", c.model, err, out)
	}
	data, err := os.ReadFile(filepath.Join(outDir, "outputs.json"))
	if err != nil {
		t.Fatalf("oracle wrote no outputs.json: %v", err)
	}
	var manifest []oracleOutput
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatalf("oracle outputs.json: %v", err)
	}
	order := make([]string, len(manifest))
	outs := make(map[string]*tensor.Tensor, len(manifest))
	for i, o := range manifest {
		order[i] = o.Name
		outs[o.Name] = readNpyFile(t, filepath.Join(outDir, o.File))
	}
	return order, outs
}

// runPare runs the case through Pare's executor. An error is a finding to
// report in the table, not a reason to stop the other models.
func runPare(t *testing.T, c oracleCase) (map[string]*tensor.Tensor, error) {
	t.Helper()
	s, err := exec.NewSession(testmodels.ReadModel(t, c.model))
	if err != nil {
		return nil, fmt.Errorf("exec.NewSession: %w", err)
	}
	feeds := make(map[string]*tensor.Tensor, len(c.inputs))
	for name, path := range c.inputs {
		feeds[name] = readNpyFile(t, path)
	}
	out, err := s.Run(feeds)
	if err != nil {
		return nil, fmt.Errorf("Session.Run: %w", err)
	}
	return out, nil
}

// compareOutput measures how far got is from the oracle's want.
func compareOutput(label, name string, want, got *tensor.Tensor) outputComparison {
	r := outputComparison{label: label, output: name, shape: want.Shape, scale: 1}
	switch {
	case got == nil:
		r.problem = "Pare returned no such output"
		return r
	case got.DType != want.DType:
		r.problem = fmt.Sprintf("dtype %v, oracle %v", got.DType, want.DType)
		return r
	case !slices.Equal(got.Shape, want.Shape):
		r.problem = fmt.Sprintf("shape %v, oracle %v", got.Shape, want.Shape)
		return r
	}
	wv, err := asFloat64(want)
	if err != nil {
		r.problem = err.Error()
		return r
	}
	gv, _ := asFloat64(got)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, w := range wv {
		g := gv[i]
		var d float64
		switch {
		case math.IsNaN(w) && math.IsNaN(g), w == g: // equal infinities too
		case math.IsNaN(w) || math.IsNaN(g):
			d = math.Inf(1)
			if r.problem == "" {
				r.problem = fmt.Sprintf("element %d: Pare %v, oracle %v", i, g, w)
			}
		default:
			d = math.Abs(g - w)
		}
		r.maxAbs = math.Max(r.maxAbs, d)
		if !math.IsInf(w, 0) && !math.IsNaN(w) {
			lo, hi = math.Min(lo, w), math.Max(hi, w)
		}
	}
	if hi-lo > 1 {
		r.scale = hi - lo
	}
	return r
}

// asFloat64 widens any numeric tensor for comparison.
func asFloat64(x *tensor.Tensor) ([]float64, error) {
	v := make([]float64, x.Len())
	switch x.DType {
	case tensor.Float32:
		for i, e := range x.F32 {
			v[i] = float64(e)
		}
	case tensor.Float64:
		copy(v, x.F64)
	case tensor.Int64:
		for i, e := range x.I64 {
			v[i] = float64(e)
		}
	case tensor.Int32:
		for i, e := range x.I32 {
			v[i] = float64(e)
		}
	case tensor.Int8, tensor.Int4:
		for i, e := range x.I8 {
			v[i] = float64(e)
		}
	case tensor.Uint8, tensor.Uint4:
		for i, e := range x.U8 {
			v[i] = float64(e)
		}
	case tensor.Bool:
		for i, e := range x.Bool {
			if e {
				v[i] = 1
			}
		}
	default:
		return nil, fmt.Errorf("cannot compare dtype %v", x.DType)
	}
	return v, nil
}

// formatTable renders the comparison rows as an aligned text table.
func formatTable(rows []outputComparison) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "model\toutput\tshape\tmax abs diff\tdiff/scale\tresult")
	for _, r := range rows {
		status := "ok"
		if !r.ok() {
			status = "FAIL"
			if r.problem != "" {
				status += ": " + r.problem
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%v\t%.3g\t%.3g\t%s\n", r.label, r.output, r.shape, r.maxAbs, r.relative(), status)
	}
	w.Flush()
	return b.String()
}

// withAllValuesAsOutputs writes a copy of the model to dir in which every
// node output is also a graph output, so onnxruntime returns the
// intermediate values too. Outputs get no type: onnxruntime infers them.
func withAllValuesAsOutputs(t *testing.T, m *onnx.Model, dir string) string {
	t.Helper()
	have := map[string]bool{}
	for _, o := range m.Graph.Output {
		have[o.Name] = true
	}
	for _, n := range m.Graph.Node {
		for _, o := range n.Output {
			if o != "" && !have[o] {
				have[o] = true
				m.Graph.Output = append(m.Graph.Output, &onnx.ValueInfo{Name: o})
			}
		}
	}
	data, err := onnx.Encode(m)
	if err != nil {
		t.Fatalf("encoding the model with every value as output: %v", err)
	}
	path := filepath.Join(dir, "all-values.onnx")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// nodeDivergence is the first node, in graph order, whose output Pare
// computes differently from onnxruntime.
type nodeDivergence struct {
	node       *onnx.Node
	comparison outputComparison
}

// firstDivergence compares every node output both runtimes produced, in
// graph order, and returns the first that fails the tolerance (nil if none)
// and every comparison made, in graph order.
func firstDivergence(nodes []*onnx.Node, want, got map[string]*tensor.Tensor) (*nodeDivergence, []outputComparison) {
	var all []outputComparison
	var first *nodeDivergence
	for _, n := range nodes {
		for _, name := range n.Output {
			w, g := want[name], got[name]
			if w == nil || g == nil {
				continue // optional output, or a constant Pare folded away
			}
			r := compareOutput(n.OpType+" "+n.Name, name, w, g)
			all = append(all, r)
			if !r.ok() && first == nil {
				first = &nodeDivergence{node: n, comparison: r}
			}
		}
	}
	return first, all
}

// worstComparison returns the comparison with the largest diff/scale.
func worstComparison(all []outputComparison) outputComparison {
	var worst outputComparison
	for i, r := range all {
		if i == 0 || r.relative() > worst.relative() {
			worst = r
		}
	}
	return worst
}
