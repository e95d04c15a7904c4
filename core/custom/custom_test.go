package custom

import (
	"bytes"
	"math"
	"testing"

	"github.com/pare-ml/pare/core/cost"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/graph"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
	"github.com/pare-ml/pare/core/train"
)

// scaledTanh is the test operator: Y = A * tanh(X), A a scalar input.
// Its cost is one MAC per element, to see that the registered cost is
// the one counted.
var scaledTanh = Op{
	Domain: "pare.test", OpType: "ScaledTanh", MinOpset: 1,
	Kernel: func(c *exec.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		y := c.Alloc(tensor.Float32, in[0].Shape)
		a := in[1].F32[0]
		for i, v := range in[0].F32 {
			y.F32[i] = a * float32(math.Tanh(float64(v)))
		}
		return []*tensor.Tensor{y}, nil
	},
	Shape: SameAsInput(0),
	MACs: func(n *onnx.Node, in, out []*graph.Value) (int64, error) {
		return out[0].Elements(), nil
	},
	Train: &train.Op{
		Inputs: []int{0, 1},
		Backward: func(g *train.NodeGrad) ([]*tensor.Tensor, error) {
			x, a, dy := g.In[0], g.In[1].F32[0], g.DOut[0]
			dx := tensor.New(tensor.Float32, x.Shape)
			da := tensor.New(tensor.Float32, g.In[1].Shape)
			for i, v := range x.F32 {
				t := float32(math.Tanh(float64(v)))
				dx.F32[i] = a * (1 - t*t) * dy.F32[i]
				da.F32[0] += t * dy.F32[i]
			}
			return []*tensor.Tensor{dx, da}, nil
		},
	},
}

func init() {
	if err := Register(scaledTanh); err != nil {
		panic(err)
	}
}

func floatInfo(name string, dims ...int64) *onnx.ValueInfo {
	shape := &onnx.TensorShape{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnx.Dimension{Value: d, HasValue: true})
	}
	return &onnx.ValueInfo{Name: name, Type: &onnx.TypeProto{TensorType: &onnx.TensorType{ElemType: onnx.Float, Shape: shape}}}
}

func initializer(t *testing.T, name string, shape []int, data []float32) *onnx.Tensor {
	t.Helper()
	o, err := tensor.ToONNX(tensor.FromF32(shape, data), name)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// model is x[2,3] -> Gemm(W[3,4], B[4]) -> ScaledTanh(A) -> y[2,4].
func model(t *testing.T) *onnx.Model {
	w := make([]float32, 12)
	for i := range w {
		w[i] = float32(i%5)*0.3 - 0.6
	}
	return &onnx.Model{
		IRVersion:   8,
		OpsetImport: []*onnx.OperatorSet{{Domain: "", Version: 13}, {Domain: "pare.test", Version: 1}},
		Graph: &onnx.Graph{
			Name: "custom",
			Node: []*onnx.Node{
				{Name: "fc", OpType: "Gemm", Input: []string{"x", "W", "B"}, Output: []string{"h"}},
				{Name: "act", OpType: "ScaledTanh", Domain: "pare.test", Input: []string{"h", "A"}, Output: []string{"y"}},
			},
			Initializer: []*onnx.Tensor{
				initializer(t, "W", []int{3, 4}, w),
				initializer(t, "B", []int{4}, []float32{0.1, -0.2, 0.3, 0}),
				initializer(t, "A", []int{1}, []float32{1.5}),
			},
			Input:  []*onnx.ValueInfo{floatInfo("x", 2, 3)},
			Output: []*onnx.ValueInfo{floatInfo("y", 2, 4)},
		},
	}
}

var input = tensor.FromF32([]int{2, 3}, []float32{0.5, -1, 2, 1, 0.25, -0.5})

// reference computes y by hand.
func reference(m *onnx.Model) []float32 {
	w, _ := tensor.FromONNX(m.Graph.Initializer[0])
	b, _ := tensor.FromONNX(m.Graph.Initializer[1])
	a, _ := tensor.FromONNX(m.Graph.Initializer[2])
	y := make([]float32, 8)
	for r := range 2 {
		for j := range 4 {
			h := b.F32[j]
			for k := range 3 {
				h += input.F32[r*3+k] * w.F32[k*4+j]
			}
			y[r*4+j] = a.F32[0] * float32(math.Tanh(float64(h)))
		}
	}
	return y
}

func TestCustomOpRunsInSession(t *testing.T) {
	m := model(t)
	s, err := exec.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(map[string]*tensor.Tensor{"x": input})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range reference(m) {
		if d := math.Abs(float64(out["y"].F32[i] - want)); d > 1e-6 {
			t.Fatalf("y[%d] = %v, want %v", i, out["y"].F32[i], want)
		}
	}
}

func TestCustomOpShapesAndCost(t *testing.T) {
	m := model(t)
	s, err := graph.InferShapes(m, nil, exec.EvalNode)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Dims("y"); len(d) != 2 || d[0] != 2 || d[1] != 4 {
		t.Fatalf("y has dims %v, want [2 4]", d)
	}
	rep, err := cost.Analyze(m, nil, exec.EvalNode)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(2*3*4 + 2*4); rep.MACs != want {
		t.Fatalf("MACs %d, want %d (Gemm 24 + the registered 8)", rep.MACs, want)
	}
	// An op of the domain at an opset outside the registered range has
	// no shape rule: InferShapes names it.
	m.OpsetImport[1].Version = 0
	m.OpsetImport = m.OpsetImport[:1]
	if _, err := graph.InferShapes(m, nil, exec.EvalNode); err == nil {
		t.Fatal("a model that imports no opset of pare.test got shapes")
	}
}

// TestCustomOpTrains checks the registered gradients against central
// finite differences of L = sum(y * r), through the Gemm before it.
func TestCustomOpTrains(t *testing.T) {
	m := model(t)
	net, err := train.NewNet(m, train.NetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if net.Param("A") == nil || net.Param("W") == nil {
		t.Fatalf("the custom op's scale A or the Gemm's W is not a parameter")
	}
	r := []float32{1, -2, 0.5, 3, -1, 0.25, 2, -0.5}
	loss := func() float64 {
		p, err := net.Forward(map[string]*tensor.Tensor{"x": input}, train.ModeEval)
		if err != nil {
			t.Fatal(err)
		}
		l := 0.0
		for i, v := range p.Logits().F32 {
			l += float64(v * r[i])
		}
		return l
	}
	p, err := net.Forward(map[string]*tensor.Tensor{"x": input}, train.ModeTrain)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.Backward(p, tensor.FromF32([]int{2, 4}, r)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"A", "W", "B"} {
		prm := net.Param(name)
		for i := range prm.Value.F32 {
			const eps = 1e-2
			v := prm.Value.F32[i]
			prm.Value.F32[i] = v + eps
			up := loss()
			prm.Value.F32[i] = v - eps
			down := loss()
			prm.Value.F32[i] = v
			num := (up - down) / (2 * eps)
			if got := float64(prm.Grad.F32[i]); math.Abs(got-num) > 2e-3*max(1, math.Abs(num)) {
				t.Errorf("d/d%s[%d] = %v, finite differences %v", name, i, got, num)
			}
		}
	}
}

func TestModelWithCustomOpRoundTrips(t *testing.T) {
	first, err := onnx.Encode(model(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := onnx.Decode(first)
	if err != nil {
		t.Fatal(err)
	}
	if n := m.Graph.Node[1]; n.Domain != "pare.test" || n.OpType != "ScaledTanh" {
		t.Fatalf("decoded node is %s.%s", n.Domain, n.OpType)
	}
	second, err := onnx.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Fatal("re-encoding the decoded model changed its bytes")
	}
	s, err := exec.NewSession(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Run(map[string]*tensor.Tensor{"x": input})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range reference(m) {
		if math.Abs(float64(out["y"].F32[i]-want)) > 1e-6 {
			t.Fatalf("decoded model: y[%d] = %v, want %v", i, out["y"].F32[i], want)
		}
	}
}

func TestRegisterRefusesShadowingAndIncompleteOps(t *testing.T) {
	again := scaledTanh
	cases := map[string]Op{
		"duplicate":       again,
		"overlap":         func() Op { o := scaledTanh; o.MinOpset, o.MaxOpset = 3, 4; return o }(),
		"default domain":  func() Op { o := scaledTanh; o.Domain = ""; o.OpType = "Relu"; return o }(),
		"ai.onnx":         func() Op { o := scaledTanh; o.Domain = "ai.onnx"; return o }(),
		"no kernel":       func() Op { o := scaledTanh; o.OpType = "NoKernel"; o.Kernel = nil; return o }(),
		"no shape":        func() Op { o := scaledTanh; o.OpType = "NoShape"; o.Shape = nil; return o }(),
		"no backward":     func() Op { o := scaledTanh; o.OpType = "NoBackward"; o.Train = &train.Op{}; return o }(),
		"empty range":     func() Op { o := scaledTanh; o.OpType = "Empty"; o.MinOpset, o.MaxOpset = 5, 2; return o }(),
		"missing op_type": func() Op { o := scaledTanh; o.OpType = ""; return o }(),
	}
	for name, op := range cases {
		if err := Register(op); err == nil {
			t.Errorf("%s: Register succeeded; want an error", name)
		}
	}
	// Nothing of the refused ops reached any layer.
	for _, op := range []string{"NoKernel", "NoShape", "NoBackward", "Empty"} {
		if exec.Lookup("pare.test", op, 1) != nil || graph.HasShapeRule("pare.test", op, 1) || train.HasOp("pare.test", op, 1) {
			t.Errorf("refused op %s was partly registered", op)
		}
	}
	// A second version starting at a later opset still overlaps the
	// registered open-ended range 1+.
	v2 := scaledTanh
	v2.MinOpset, v2.MaxOpset = 2, 0
	v2.MACs = nil
	if err := Register(v2); err == nil {
		t.Fatal("opsets 2+ overlap the registered 1+; want an error")
	}
}
