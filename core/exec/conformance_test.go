package exec

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
)

// The ONNX backend conformance tests (node tests, old PyTorch exports and
// the "light" model-zoo topologies) run here against the executor. A case
// is skipped only when it needs an operator Pare does not implement or an
// element type Pare does not compute in (float16, strings, float8, ...);
// every other case must match the expected outputs within
// |got-want| <= atol + rtol*|want|.

const (
	confAtol = 1e-4
	confRtol = 1e-3
)

// onnxTestDataDir is the shared ONNX test data beside the repository.
func onnxTestDataDir(t *testing.T) string {
	t.Helper()
	return testassets.Dir(t, "conformance/onnx-node")
}

type confCase struct {
	name    string
	model   string   // model file
	inputs  []string // input_N.pb files (nil for light models)
	outputs []string // output_N.pb files
	light   bool
}

func listConformanceCases(t *testing.T, root string) []confCase {
	var cases []confCase
	for _, suite := range []string{"node", "pytorch-converted", "pytorch-operator"} {
		dirs, err := os.ReadDir(filepath.Join(root, suite))
		if err != nil {
			t.Fatalf("reading %s: %v", suite, err)
		}
		for _, d := range dirs {
			dir := filepath.Join(root, suite, d.Name())
			data := filepath.Join(dir, "test_data_set_0")
			c := confCase{name: suite + "/" + d.Name(), model: filepath.Join(dir, "model.onnx")}
			for i := 0; ; i++ {
				p := filepath.Join(data, fmt.Sprintf("input_%d.pb", i))
				if _, err := os.Stat(p); err != nil {
					break
				}
				c.inputs = append(c.inputs, p)
			}
			for i := 0; ; i++ {
				p := filepath.Join(data, fmt.Sprintf("output_%d.pb", i))
				if _, err := os.Stat(p); err != nil {
					break
				}
				c.outputs = append(c.outputs, p)
			}
			cases = append(cases, c)
		}
	}
	models, _ := filepath.Glob(filepath.Join(root, "light", "*.onnx"))
	for _, m := range models {
		base := strings.TrimSuffix(m, ".onnx")
		cases = append(cases, confCase{name: "light/" + filepath.Base(base), model: m, outputs: []string{base + "_output_0.pb"}, light: true})
	}
	return cases
}

// supportedDataTypes are the element types the executor computes in.
var supportedDataTypes = map[onnx.DataType]bool{
	onnx.Float: true, onnx.Uint8: true, onnx.Int8: true, onnx.Int32: true, onnx.Int64: true,
	onnx.Bool: true, onnx.Double: true, onnx.Uint4: true, onnx.Int4: true,
}

// unsupportedType returns the name of the first element type in m that
// the executor does not handle, or "".
func unsupportedType(m *onnx.Model) string {
	var found string
	check := func(dt onnx.DataType) {
		if found == "" && dt != onnx.Undefined && !supportedDataTypes[dt] {
			found = dt.Name()
		}
	}
	checkVI := func(vis []*onnx.ValueInfo) {
		for _, vi := range vis {
			if vi.Type == nil {
				found = "non-tensor type"
				return
			}
			if vi.Type.TensorType == nil {
				if found == "" {
					found = "non-tensor type (sequence, map or optional)"
				}
				continue
			}
			check(vi.Type.TensorType.ElemType)
		}
	}
	g := m.Graph
	checkVI(g.Input)
	checkVI(g.Output)
	for _, t := range g.Initializer {
		check(t.DataType)
	}
	for _, n := range g.Node {
		for _, a := range n.Attribute {
			if a.T != nil {
				check(a.T.DataType)
			}
			if (a.Name == "to" || a.Name == "output_dtype") && a.Type == onnx.AttrInt {
				check(onnx.DataType(a.I))
			}
		}
	}
	return found
}

// unsupportedFeature names an operator configuration the inference
// executor refuses by design, or "".
func unsupportedFeature(m *onnx.Model) string {
	for _, n := range m.Graph.Node {
		if n.OpType == "BatchNormalization" && n.AttrInt("training_mode", 0) != 0 {
			return "BatchNormalization training_mode=1 (batch statistics; inference only)"
		}
	}
	return ""
}

func readTensor(path string) (*tensor.Tensor, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	p, err := onnx.DecodeTensor(b)
	if err != nil {
		return nil, "", err
	}
	t, err := tensor.FromONNX(p)
	return t, p.Name, err
}

// compareTensors returns "" when got matches want within tolerance.
func compareTensors(got, want *tensor.Tensor) string {
	if got.DType != want.DType {
		return fmt.Sprintf("type %v, want %v", got.DType, want.DType)
	}
	if !slices.Equal(got.Shape, want.Shape) {
		return fmt.Sprintf("shape %v, want %v", got.Shape, want.Shape)
	}
	bad, worst, worstAt := 0, 0.0, -1
	for i := 0; i < want.Len(); i++ {
		g, w := asFloat64(got, i), asFloat64(want, i)
		var ok bool
		if isFloat(want.DType) {
			ok = math.Abs(g-w) <= confAtol+confRtol*math.Abs(w) || (math.IsNaN(g) && math.IsNaN(w)) || g == w
		} else {
			ok = g == w
		}
		if !ok {
			bad++
			if d := math.Abs(g - w); worstAt < 0 || d > worst || math.IsNaN(d) {
				worst, worstAt = d, i
			}
		}
	}
	if bad == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d values differ; worst at %d: got %v, want %v", bad, want.Len(), worstAt, asFloat64(got, worstAt), asFloat64(want, worstAt))
}

// lightInput is the input the light models' outputs were computed for:
// arange(n).reshape(shape)/n.
func lightInput(shape []int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape)
	n := float64(len(t.F32))
	for i := range t.F32 {
		t.F32[i] = float32(float64(i) / n)
	}
	return t
}

type confOutcome struct {
	name   string
	status string // pass, fail, skip
	reason string
	dur    time.Duration
}

func runConfCase(c confCase) confOutcome {
	start := time.Now()
	out := confOutcome{name: c.name}
	fail := func(format string, a ...any) confOutcome {
		out.status, out.reason, out.dur = "fail", fmt.Sprintf(format, a...), time.Since(start)
		return out
	}
	skip := func(reason string) confOutcome {
		out.status, out.reason, out.dur = "skip", reason, time.Since(start)
		return out
	}
	b, err := os.ReadFile(c.model)
	if err != nil {
		return fail("%v", err)
	}
	m, err := onnx.Decode(b)
	if err != nil {
		return fail("decode: %v", err)
	}
	if dt := unsupportedType(m); dt != "" {
		return skip("element type " + dt)
	}
	if f := unsupportedFeature(m); f != "" {
		return skip(f)
	}
	s, err := NewSession(m)
	var unsup *UnsupportedError
	if errors.As(err, &unsup) {
		ops := map[string]bool{}
		var names []string
		for _, op := range unsup.Ops {
			key := op.OpType
			if op.Domain != "" {
				key = op.Domain + "." + op.OpType
			}
			if !ops[key] {
				ops[key] = true
				names = append(names, key)
			}
		}
		sort.Strings(names)
		return skip("operator " + strings.Join(names, ", "))
	}
	if err != nil {
		return fail("NewSession: %v", err)
	}
	inputs := map[string]*tensor.Tensor{}
	declared := s.Inputs()
	if c.light {
		for _, vi := range declared {
			var shape []int
			for _, d := range vi.Type.TensorType.Shape.Dim {
				shape = append(shape, int(d.Value))
			}
			inputs[vi.Name] = lightInput(shape)
		}
	} else {
		if len(c.inputs) != len(declared) {
			return fail("%d input files for %d model inputs", len(c.inputs), len(declared))
		}
		for i, p := range c.inputs {
			t, _, err := readTensor(p)
			if err != nil {
				return fail("reading %s: %v", filepath.Base(p), err)
			}
			inputs[declared[i].Name] = t
		}
	}
	got, err := s.Run(inputs)
	if err != nil {
		return fail("Run: %v", err)
	}
	names := s.OutputNames()
	if len(c.outputs) != len(names) {
		return fail("%d output files for %d model outputs", len(c.outputs), len(names))
	}
	var problems []string
	for i, p := range c.outputs {
		want, _, err := readTensor(p)
		if err != nil {
			return fail("reading %s: %v", filepath.Base(p), err)
		}
		if msg := compareTensors(got[names[i]], want); msg != "" {
			problems = append(problems, fmt.Sprintf("output %q: %s", names[i], msg))
		}
	}
	if len(problems) > 0 {
		return fail("%s", strings.Join(problems, "; "))
	}
	out.status, out.dur = "pass", time.Since(start)
	return out
}

func TestONNXConformance(t *testing.T) {
	root := onnxTestDataDir(t)
	cases := listConformanceCases(t, root)
	var outcomes []confOutcome
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := runConfCase(c)
			outcomes = append(outcomes, o)
			switch o.status {
			case "fail":
				t.Errorf("%s", o.reason)
			case "skip":
				t.Skipf("unsupported: %s", o.reason)
			}
		})
	}
	counts := map[string]int{}
	skipReasons := map[string][]string{}
	var total time.Duration
	var slow []confOutcome
	for _, o := range outcomes {
		counts[o.status]++
		total += o.dur
		if o.status == "skip" {
			skipReasons[o.reason] = append(skipReasons[o.reason], strings.TrimPrefix(o.name, "node/"))
		}
		if o.dur > time.Second {
			slow = append(slow, o)
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "ONNX conformance: passed %d, failed %d, skipped %d (of %d) in %v\n",
		counts["pass"], counts["fail"], counts["skip"], len(outcomes), total.Round(time.Millisecond))
	reasons := make([]string, 0, len(skipReasons))
	for r := range skipReasons {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(&sb, "  skipped %3d  %s: %s\n", len(skipReasons[r]), r, strings.Join(skipReasons[r], " "))
	}
	for _, o := range slow {
		fmt.Fprintf(&sb, "  slow: %s %v\n", o.name, o.dur.Round(time.Millisecond))
	}
	t.Log(sb.String())
}
