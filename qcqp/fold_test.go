package qcqp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/internal/testassets"
	"github.com/pare-ml/pare/internal/testmodels"
)

// zeroedFilters is m with the filters that write a removed channel set to
// zero (biases kept): each removed channel then carries a constant, which
// the fold moves into the next layer's bias.
func zeroedFilters(t *testing.T, a *Analysis, sel *Selection) *onnx.Model {
	t.Helper()
	m := testmodels.RoundTrip(t, a.Model)
	inits := map[string]*onnx.Tensor{}
	for _, x := range m.Graph.Initializer {
		inits[x.Name] = x
	}
	for k := range a.layers {
		rec := &a.layers[k]
		keep := sel.Keep[a.mapOf(rec.out.segs[0])]
		if rec.diagonal {
			keep = nil
			for _, s := range rec.in.segs {
				keep = append(keep, sel.Keep[a.mapOf(s)]...)
			}
		}
		w, err := tensor.FromONNX(inits[rec.weight])
		if err != nil {
			t.Fatal(err)
		}
		for j := range rec.nOut {
			if keep[j] {
				continue
			}
			for col := range rec.nIn {
				if rec.outMajor {
					w.F32[j*rec.nIn+col] = 0
				} else {
					w.F32[col*rec.nOut+j] = 0
				}
			}
		}
		x, err := tensor.ToONNX(w, rec.weight)
		if err != nil {
			t.Fatal(err)
		}
		*inits[rec.weight] = *x
	}
	return m
}

// foldNet is conv 3x3 (no padding) -> BN -> Relu -> conv 1x1 -> Relu ->
// GlobalAveragePool -> Flatten -> Gemm: every consumer of a removed
// channel sees its constant at every tap, so the fold is exact.
func foldNet(r *rand.Rand) *onnx.Model {
	param := func(name string, dims ...int) *onnx.Tensor {
		x := tensor.New(tensor.Float32, dims)
		for i := range x.F32 {
			x.F32[i] = float32(r.NormFloat64())
		}
		if name == "bn.var" {
			for i := range x.F32 {
				x.F32[i] = 0.5 + float32(math.Abs(float64(x.F32[i])))
			}
		}
		t, _ := tensor.ToONNX(x, name)
		return t
	}
	node := func(op string, in []string, out string, attrs ...*onnx.Attribute) *onnx.Node {
		return &onnx.Node{Name: out, OpType: op, Input: in, Output: []string{out}, Attribute: attrs}
	}
	return &onnx.Model{
		IRVersion:   8,
		OpsetImport: []*onnx.OperatorSet{{Version: 13}},
		Graph: &onnx.Graph{
			Name:   "fold",
			Input:  []*onnx.ValueInfo{vinfo("x", 1, 3, 8, 8)},
			Output: []*onnx.ValueInfo{vinfo("y", 1, 5)},
			Initializer: []*onnx.Tensor{
				param("c1.w", 6, 3, 3, 3), param("c1.b", 6),
				param("bn.s", 6), param("bn.b", 6), param("bn.m", 6), param("bn.var", 6),
				param("c2.w", 7, 6, 1, 1), param("c2.b", 7),
				param("fc.w", 5, 7), param("fc.b", 5),
			},
			Node: []*onnx.Node{
				node("Conv", []string{"x", "c1.w", "c1.b"}, "c1"),
				node("BatchNormalization", []string{"c1", "bn.s", "bn.b", "bn.m", "bn.var"}, "bn"),
				node("Relu", []string{"bn"}, "r1"),
				node("Conv", []string{"r1", "c2.w", "c2.b"}, "c2"),
				node("Relu", []string{"c2"}, "r2"),
				node("GlobalAveragePool", []string{"r2"}, "gap"),
				node("Flatten", []string{"gap"}, "flat"),
				node("Gemm", []string{"flat", "fc.w", "fc.b"}, "y", &onnx.Attribute{Name: "transB", I: 1, Type: onnx.AttrInt}),
			},
		},
	}
}

func vinfo(name string, dims ...int64) *onnx.ValueInfo {
	shape := &onnx.TensorShape{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnx.Dimension{Value: d, HasValue: true})
	}
	return &onnx.ValueInfo{Name: name, Type: &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: onnx.Float, Shape: shape}}}
}

func TestFoldMatchesZeroedFilters(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	models := map[string]*onnx.Model{"foldnet": foldNet(r)}
	if p, present := testassets.Lookup("models/mnist-mlp.onnx"); present {
		models["mnist-mlp"] = testmodels.ReadModel(t, p)
	}
	for name, m := range models {
		t.Run(name, func(t *testing.T) {
			a := analyze(t, m)
			folded := 0
			for trial := range 3 {
				sel := randomSelection(a, r)
				folds, err := a.foldedBiases(sel)
				if err != nil {
					t.Fatal(err)
				}
				folded += len(folds)
				pm, err := a.Prune(sel, PruneOptions{})
				if err != nil {
					t.Fatal(err)
				}
				in := randomInputs(t, m, r)
				want := runModel(t, zeroedFilters(t, a, sel), in)
				closeOutputs(t, runModel(t, testmodels.RoundTrip(t, pm), in), want, 1e-5)
				// Without the fold the same model differs: the test
				// sees the fold.
				unfolded, err := a.Prune(sel, PruneOptions{NoFold: true})
				if err != nil {
					t.Fatal(err)
				}
				if len(folds) > 0 && maxDiff(runModel(t, unfolded, in), want) < 1e-4 {
					t.Errorf("trial %d: the unfolded model also matches; the fold is untested", trial)
				}
			}
			// mnist-mlp's first biases are mostly negative (zero after
			// Relu), so a trial may have nothing to fold; foldnet's
			// random ones always have.
			if folded == 0 && name == "foldnet" {
				t.Error("nothing was folded in any trial")
			}
		})
	}
}

// TestFoldNarrowsBorderedModels: with padded convs (mnist-8) the fold is
// exact away from the border only, so the pruned model is closer to the
// zeroed-filter one with the fold than without.
func TestFoldNarrowsBorderedModels(t *testing.T) {
	m := loadPruneModel(t, "shared:models/mnist-8.onnx")
	a := analyze(t, m)
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 3 {
		sel := randomSelection(a, r)
		in := randomInputs(t, m, r)
		want := runModel(t, zeroedFilters(t, a, sel), in)
		folded, err := a.Prune(sel, PruneOptions{})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := a.Prune(sel, PruneOptions{NoFold: true})
		if err != nil {
			t.Fatal(err)
		}
		df, dp := maxDiff(runModel(t, folded, in), want), maxDiff(runModel(t, plain, in), want)
		t.Logf("trial %d: max |output - zeroed-filter output| %.4g folded, %.4g unfolded", trial, df, dp)
		if df >= dp {
			t.Errorf("trial %d: folding did not bring the output closer (%.4g >= %.4g)", trial, df, dp)
		}
	}
}

func maxDiff(got, want map[string]*tensor.Tensor) float64 {
	d := 0.0
	for name, w := range want {
		for i := range w.F32 {
			d = math.Max(d, math.Abs(float64(got[name].F32[i]-w.F32[i])))
		}
	}
	return d
}
