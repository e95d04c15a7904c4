package train

import (
	"fmt"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// testModel assembles small models for the gradient checks.
type testModel struct {
	m   *onnx.Model
	rng *rng
}

func newTestModel(opset int64, seed int64) *testModel {
	return &testModel{m: &onnx.Model{
		IRVersion:   8,
		OpsetImport: []*onnx.OperatorSet{{Version: opset}},
		Graph:       &onnx.Graph{Name: "test"},
	}, rng: newRNG(seed)}
}

func dims64(shape []int) []int64 {
	d := make([]int64, len(shape))
	for i, v := range shape {
		d[i] = int64(v)
	}
	return d
}

// param adds a float initializer with values from gen (uniform in [-1, 1]
// away from 0 by default).
func (b *testModel) param(name string, shape []int, gen func(r *rng) float32) *testModel {
	n := tensor.NumElements(shape)
	vals := make([]float32, n)
	for i := range vals {
		if gen != nil {
			vals[i] = gen(b.rng)
		} else {
			vals[i] = awayFromKinks(b.rng)
		}
	}
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, &onnx.Tensor{Name: name, DataType: onnx.Float, Dims: dims64(shape), FloatData: vals})
	return b
}

// awayFromKinks draws from [-1, 1] but not within 0.1 of 0 or +-0.5, where
// ReLU-like ops and the test's Clip bounds bend.
func awayFromKinks(r *rng) float32 {
	for {
		v := 2*r.float64() - 1
		if math.Abs(v) > 0.1 && math.Abs(math.Abs(v)-0.5) > 0.1 {
			return float32(v)
		}
	}
}

func (b *testModel) ints(name string, vals ...int64) *testModel {
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, &onnx.Tensor{Name: name, DataType: onnx.Int64, Dims: []int64{int64(len(vals))}, Int64Data: vals})
	return b
}

func (b *testModel) scalar(name string, v float32) *testModel {
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, &onnx.Tensor{Name: name, DataType: onnx.Float, FloatData: []float32{v}})
	return b
}

func (b *testModel) node(op string, in, out []string, attrs ...*onnx.Attribute) *testModel {
	b.m.Graph.Node = append(b.m.Graph.Node, &onnx.Node{Name: fmt.Sprintf("n%d_%s", len(b.m.Graph.Node), op), OpType: op, Input: in, Output: out, Attribute: attrs})
	return b
}

func (b *testModel) output(name string) *testModel {
	b.m.Graph.Output = append(b.m.Graph.Output, &onnx.ValueInfo{Name: name})
	return b
}

func aInt(name string, v int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInt, I: v}
}

func aInts(name string, v ...int64) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrInts, Ints: v}
}

func aFloat(name string, v float32) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrFloat, F: v}
}

func aString(name, v string) *onnx.Attribute {
	return &onnx.Attribute{Name: name, Type: onnx.AttrString, S: []byte(v)}
}

// mustNet builds the training net of b, failing t when it cannot.
func mustNet(t testing.TB, b *testModel, opt NetOptions) *Net {
	t.Helper()
	net, err := NewNet(b.m, opt)
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// gradCheck compares the analytic gradient of L = sum(r * y), y the model's
// output and r fixed random weights, with respect to every parameter
// against central finite differences (Richardson-extrapolated, so the
// truncation error is O(eps^4) and eps can stay large enough for the
// float32 forward's rounding to vanish in the difference). The loss is
// accumulated in float64. It reports the worst relative error,
// |analytic - numeric| / max(|analytic|, |numeric|, 0.1 * rms) over the
// sampled elements, where rms is the gradient's root mean square: an
// element whose gradient is tiny against its neighbours is held to the
// scale of the others. It returns the worst error over all parameters.
func gradCheck(t *testing.T, b *testModel, mode Mode, opt NetOptions) float64 {
	t.Helper()
	net := mustNet(t, b, opt)
	if len(net.Params) == 0 {
		t.Fatal("no parameters found")
	}
	run := func() *Pass {
		net.rng = newRNG(opt.Seed) // the same dropout mask every time
		p, err := net.Forward(nil, mode)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := run()
	y := p.Logits()
	r := make([]float32, y.Len())
	rr := newRNG(99)
	for i := range r {
		r[i] = float32(2*rr.float64() - 1)
	}
	if err := net.Backward(p, tensor.FromF32(y.Shape, append([]float32(nil), r...))); err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		y := run().Logits()
		var s float64
		for i, v := range y.F32 {
			s += float64(r[i]) * float64(v)
		}
		return s
	}
	const eps = 4e-2
	overall := 0.0
	for _, prm := range net.Params {
		grad := append([]float32(nil), prm.Grad.F32...)
		var rms float64
		for _, g := range grad {
			rms += float64(g) * float64(g)
		}
		rms = math.Sqrt(rms / float64(len(grad)))
		step := 1
		if len(grad) > 24 {
			step = len(grad) / 24
		}
		worst, worstAt := 0.0, -1
		var worstA, worstN float64
		for i := 0; i < len(grad); i += step {
			v := prm.Value.F32[i]
			diff := func(h float32) float64 {
				prm.Value.F32[i] = v + h
				lp := loss()
				prm.Value.F32[i] = v - h
				lm := loss()
				prm.Value.F32[i] = v
				return (lp - lm) / (2 * float64(h))
			}
			num := (4*diff(eps/2) - diff(eps)) / 3
			a := float64(grad[i])
			den := math.Max(math.Max(math.Abs(a), math.Abs(num)), 0.1*rms)
			if den == 0 {
				continue
			}
			if e := math.Abs(a-num) / den; e > worst {
				worst, worstAt, worstA, worstN = e, i, a, num
			}
		}
		if worst > 1e-3 {
			t.Errorf("parameter %s (%v): relative error %.2e at element %d: analytic %.6g, numeric %.6g", prm.Name, prm.Value.Shape, worst, worstAt, worstA, worstN)
		} else {
			t.Logf("parameter %s %v: worst relative error %.1e", prm.Name, prm.Value.Shape, worst)
		}
		overall = math.Max(overall, worst)
	}
	return overall
}

// paramDistinct adds a float initializer whose values are a shuffled
// ladder with steps of 0.1, so no finite-difference step changes which
// element of a pool window is largest.
func (b *testModel) paramDistinct(name string, shape []int) *testModel {
	n := tensor.NumElements(shape)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := b.rng.intn(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	k := 0
	return b.param(name, shape, func(*rng) float32 {
		v := float32(perm[k]-n/2) * 0.1
		k++
		return v
	})
}

// avoiding returns a generator of values uniform in [-scale, scale] that
// stay 0.1 away from every kink.
func avoiding(scale float64, kinks ...float64) func(r *rng) float32 {
	return func(r *rng) float32 {
	retry:
		for {
			v := scale * (2*r.float64() - 1)
			for _, k := range kinks {
				if math.Abs(v-k) < 0.1 {
					continue retry
				}
			}
			return float32(v)
		}
	}
}

// input declares a float graph input; a negative dim is symbolic.
func (b *testModel) input(name string, dims ...int64) *testModel {
	shape := &onnx.TensorShape{}
	for _, d := range dims {
		if d < 0 {
			shape.Dim = append(shape.Dim, &onnx.Dimension{Param: "N"})
		} else {
			shape.Dim = append(shape.Dim, &onnx.Dimension{Value: d, HasValue: true})
		}
	}
	b.m.Graph.Input = append(b.m.Graph.Input, &onnx.ValueInfo{Name: name, Type: &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: onnx.Float, Shape: shape}}})
	return b
}

// smallCNN is Conv-BN-ReLU-MaxPool-Flatten-Gemm-Softmax on c x h x w
// images with k classes.
func smallCNN(c, h, w, k int, seed int64) *testModel {
	b := newTestModel(13, seed)
	b.input("x", -1, int64(c), int64(h), int64(w))
	b.param("w1", []int{8, c, 3, 3}, nil).param("b1", []int{8}, nil)
	b.param("g", []int{8}, nil).param("beta", []int{8}, nil).param("rm", []int{8}, nil).param("rv", []int{8}, nil)
	b.node("Conv", []string{"x", "w1", "b1"}, []string{"c1"}, aInts("pads", 1, 1, 1, 1))
	b.node("BatchNormalization", []string{"c1", "g", "beta", "rm", "rv"}, []string{"n1"})
	b.node("Relu", []string{"n1"}, []string{"r1"})
	b.node("MaxPool", []string{"r1"}, []string{"p1"}, aInts("kernel_shape", 2, 2), aInts("strides", 2, 2))
	b.node("Flatten", []string{"p1"}, []string{"f"})
	b.param("w2", []int{k, 8 * (h / 2) * (w / 2)}, nil).param("b2", []int{k}, nil)
	b.node("Gemm", []string{"f", "w2", "b2"}, []string{"logits"}, aInt("transB", 1))
	b.node("Softmax", []string{"logits"}, []string{"prob"}, aInt("axis", 1))
	b.output("prob")
	return b
}

// residualNet is Conv-BN-ReLU-Conv-BN, added to its input, ReLU, global
// average pool and Gemm: a ResNet basic block with a classifier.
func residualNet(c, hw, k int, seed int64) *testModel {
	b := newTestModel(13, seed)
	b.input("x", -1, int64(c), int64(hw), int64(hw))
	for _, name := range []string{"1", "2"} {
		b.param("w"+name, []int{c, c, 3, 3}, nil)
		b.param("g"+name, []int{c}, nil).param("b"+name, []int{c}, nil).param("m"+name, []int{c}, nil)
		b.param("v"+name, []int{c}, func(r *rng) float32 { return 0.5 + float32(r.float64()) })
	}
	b.node("Conv", []string{"x", "w1"}, []string{"c1"}, aInts("pads", 1, 1, 1, 1))
	b.node("BatchNormalization", []string{"c1", "g1", "b1", "m1", "v1"}, []string{"n1"})
	b.node("Relu", []string{"n1"}, []string{"r1"})
	b.node("Conv", []string{"r1", "w2"}, []string{"c2"}, aInts("pads", 1, 1, 1, 1))
	b.node("BatchNormalization", []string{"c2", "g2", "b2", "m2", "v2"}, []string{"n2"})
	b.node("Add", []string{"n2", "x"}, []string{"s"})
	b.node("Relu", []string{"s"}, []string{"r2"})
	b.node("GlobalAveragePool", []string{"r2"}, []string{"gap"})
	b.node("Flatten", []string{"gap"}, []string{"f"})
	b.param("fc", []int{k, c}, nil).param("fcb", []int{k}, nil)
	b.node("Gemm", []string{"f", "fc", "fcb"}, []string{"logits"}, aInt("transB", 1))
	b.output("logits")
	return b
}
