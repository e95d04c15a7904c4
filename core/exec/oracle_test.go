//go:build !js

package exec_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testmodels"
)

// TestOracleAgreement runs every fixture in testdata/models and the shared
// pretrained models through Pare's executor and through onnxruntime-node
// (tools/oracle/run.mjs), and requires every output to agree within
// oracleTolerance of the output's range. The table of differences is
// logged (go test -v -run TestOracleAgreement ./core/exec/).
func TestOracleAgreement(t *testing.T) {
	node := requireOracle(t)
	cases := append(fixtureCases(t), sharedModelCases(t, t.TempDir())...)
	var rows []outputComparison
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			order, want := runOracle(t, node, c)
			got, err := runPare(t, c)
			if err != nil {
				rows = append(rows, outputComparison{label: c.label, output: "-", scale: 1, problem: err.Error()})
				t.Errorf("%s: %v", c.model, err)
				return
			}
			for _, name := range order {
				r := compareOutput(c.label, name, want[name], got[name])
				rows = append(rows, r)
				if !r.ok() {
					t.Errorf("%s output %q: max abs diff %.3g exceeds %.3g (= %g x max(1, range %.3g)) %s",
						c.model, name, r.maxAbs, oracleTolerance*r.scale, oracleTolerance, r.scale, r.problem)
				}
			}
		})
	}
	t.Logf("Pare vs onnxruntime-node (tolerance %g x max(1, output range)):\n%s", oracleTolerance, formatTable(rows))
}

// TestFixtureInventory checks what the oracle test relies on: every
// fixture model has an input file, stays under the 2 MB per-file limit, and
// the directory stays small enough to live in git.
func TestFixtureInventory(t *testing.T) {
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatalf("%v: regenerate fixtures with `make fixtures`", err)
	}
	const maxFile, maxTotal = 2 << 20, 8 << 20
	var total int64
	models := 0
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		total += info.Size()
		if info.Size() >= maxFile {
			t.Errorf("%s is %d bytes; committed fixtures must stay under %d", e.Name(), info.Size(), maxFile)
		}
		if name, ok := strings.CutSuffix(e.Name(), ".onnx"); ok {
			models++
			if _, err := os.Stat(filepath.Join(fixtureDir, name+".input.npy")); err != nil {
				t.Errorf("fixture %s has no %s.input.npy", e.Name(), name)
			}
		}
	}
	if models < 8 {
		t.Errorf("found %d fixture models, want at least 8", models)
	}
	if total > maxTotal {
		t.Errorf("testdata/models holds %d bytes, over the %d budget", total, maxTotal)
	}
}

// TestCompareOutput checks that the comparison catches what it must.
func TestCompareOutput(t *testing.T) {
	ref := tensor.FromF32([]int{2, 2}, []float32{0, 0.25, 0.5, 1})
	perturbed := func(i int, delta float32) *tensor.Tensor {
		v := append([]float32(nil), ref.F32...)
		v[i] += delta
		return tensor.FromF32([]int{2, 2}, v)
	}
	wide := tensor.FromF32([]int{2}, []float32{-50, 50})

	tests := []struct {
		name       string
		want, got  *tensor.Tensor
		ok         bool
		wantMaxAbs float64
	}{
		{"identical", ref, perturbed(0, 0), true, 0},
		{"within 1e-4 of unit scale", ref, perturbed(2, 5e-5), true, 5e-5},
		{"beyond 1e-4 of unit scale", ref, perturbed(3, 3e-4), false, 3e-4},
		{"scaled by a wide range", wide, tensor.FromF32([]int{2}, []float32{-50, 50 + 1.0/256}), true, 1.0 / 256},
		{"wide range still bounded", wide, tensor.FromF32([]int{2}, []float32{-50, 50 + 1.0/64}), false, 1.0 / 64},
		{"NaN where the oracle has a number", ref, perturbed(1, float32(math.NaN())), false, math.Inf(1)},
		{"shape differs", ref, tensor.FromF32([]int{4}, ref.F32), false, 0},
		{"dtype differs", tensor.FromI64([]int{2}, []int64{1, 2}), tensor.FromF32([]int{2}, []float32{1, 2}), false, 0},
		{"missing output", ref, nil, false, 0},
		{"int64 equal", tensor.FromI64([]int{2}, []int64{1, 2}), tensor.FromI64([]int{2}, []int64{1, 2}), true, 0},
	}
	for _, tc := range tests {
		r := compareOutput("m", "y", tc.want, tc.got)
		if r.ok() != tc.ok {
			t.Errorf("%s: ok() = %v, want %v (%+v)", tc.name, r.ok(), tc.ok, r)
		}
		if math.Abs(r.maxAbs-tc.wantMaxAbs) > 1e-6 && !(math.IsInf(r.maxAbs, 1) && math.IsInf(tc.wantMaxAbs, 1)) {
			t.Errorf("%s: maxAbs = %g, want %g", tc.name, r.maxAbs, tc.wantMaxAbs)
		}
	}
}

// TestOracleIntermediates compares every intermediate value of every
// oracle case, so that a disagreement names the first node (op type, name,
// opset) where Pare and onnxruntime part ways rather than only the model.
// PARE_ORACLE_TRACE=1 logs the difference of every value.
func TestOracleIntermediates(t *testing.T) {
	node := requireOracle(t)
	cases := append(fixtureCases(t), sharedModelCases(t, t.TempDir())...)
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			m := testmodels.ReadModel(t, c.model)
			expanded := withAllValuesAsOutputs(t, m, t.TempDir())
			_, want := runOracle(t, node, oracleCase{label: c.label, model: expanded, inputs: c.inputs})

			s, err := exec.NewSession(testmodels.ReadModel(t, c.model))
			if err != nil {
				t.Fatalf("exec.NewSession: %v", err)
			}
			feeds := map[string]*tensor.Tensor{}
			for name, path := range c.inputs {
				feeds[name] = readNpyFile(t, path)
			}
			got, err := s.RunAll(feeds)
			if err != nil {
				t.Fatalf("Session.RunAll: %v", err)
			}
			first, all := firstDivergence(m.Graph.Node, want, got)
			if len(all) == 0 {
				t.Fatal("no intermediate value was produced by both runtimes")
			}
			if first != nil {
				r := first.comparison
				t.Errorf("first divergence at node %q (%s, opset %d) output %q %v: max abs diff %.3g, %.3g of the output scale %.3g %s",
					first.node.Name, first.node.OpType, m.OpsetVersion(first.node.Domain), r.output, r.shape,
					r.maxAbs, r.relative(), r.scale, r.problem)
			}
			worst := worstComparison(all)
			t.Logf("%d values compared; largest diff/scale %.3g at %s, output %q", len(all), worst.relative(), worst.label, worst.output)
			if os.Getenv("PARE_ORACLE_TRACE") != "" {
				t.Logf("every value, in graph order:\n%s", formatTable(all))
			}
		})
	}
}
