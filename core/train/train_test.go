package train

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/pare-ml/pare/core/dataset"
	"github.com/pare-ml/pare/core/exec"
	"github.com/pare-ml/pare/core/onnx"
	"github.com/pare-ml/pare/core/tensor"
)

// randomSet is n random gray images with random labels: only memorising
// them gives 100 %.
func randomSet(t *testing.T, n, h, w, classes int, seed int64) *dataset.Set {
	t.Helper()
	r := newRNG(seed)
	pix := make([]uint8, n*h*w)
	for i := range pix {
		pix[i] = uint8(r.intn(256))
	}
	labels := make([]int, n)
	names := make([]string, classes)
	for i := range labels {
		labels[i] = r.intn(classes)
	}
	for i := range names {
		names[i] = string(rune('a' + i))
	}
	set, err := dataset.New(dataset.Shape{C: 1, H: h, W: w}, pix, labels, names)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestOverfitsOneBatch(t *testing.T) {
	set := randomSet(t, 64, 8, 8, 10, 1)
	b := smallCNN(1, 8, 8, 10, 2)
	net := mustNet(t, b, NetOptions{Seed: 3})
	if net.LogitsName() != "logits" {
		t.Fatalf("the loss attaches to %q, want the Softmax's input", net.LogitsName())
	}
	net.Reinitialize(4)
	data := &Loader{Set: set, BatchSize: 64, Preprocess: dataset.Preprocess{Scale: 1.0 / 255}, Shuffle: true, Seed: 5}
	tr, err := NewTrainer(net, data, Config{Epochs: 150, Optimizer: "adam", LR: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	for !tr.Done() {
		if _, err = tr.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	p := tr.Last()
	if p.Accuracy != 1 {
		t.Fatalf("after %d steps the training batch is at %.1f %% (loss %.4f), want 100 %%", p.GlobalStep, 100*p.Accuracy, p.Loss)
	}
	acc, loss, err := Evaluate(context.Background(), net, data)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train-mode accuracy %.0f %%, loss %.4f; eval-mode accuracy %.1f %%, loss %.4f", 100*p.Accuracy, p.Loss, 100*acc, loss)
	if acc < 0.95 {
		t.Errorf("eval mode (running BN statistics) reaches only %.1f %%", 100*acc)
	}
}

// TestWriteBackMatchesExecutor trains a few steps, writes the weights into
// the model, re-encodes it and checks that the inference executor computes
// what the training engine computes in ModeEval.
func TestWriteBackMatchesExecutor(t *testing.T) {
	set := randomSet(t, 32, 8, 8, 4, 7)
	b := smallCNN(1, 8, 8, 4, 8)
	// Store one initializer as raw_data to check both encodings survive.
	raw := b.m.Graph.Initializer[0]
	rawT, _ := tensor.FromONNX(raw)
	enc, err := tensor.ToONNX(rawT, raw.Name)
	if err != nil {
		t.Fatal(err)
	}
	b.m.Graph.Initializer[0] = enc
	net := mustNet(t, b, NetOptions{})
	data := &Loader{Set: set, BatchSize: 16, Preprocess: dataset.Preprocess{Scale: 1.0 / 255}}
	tr, err := NewTrainer(net, data, Config{Epochs: 2, LR: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	for !tr.Done() {
		if _, err := tr.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := net.WriteBack(); err != nil {
		t.Fatal(err)
	}
	if len(b.m.Graph.Initializer[0].RawData) == 0 || len(b.m.Graph.Initializer[1].FloatData) == 0 {
		t.Fatalf("write-back changed how initializers are stored")
	}
	bytesOut, err := onnx.Encode(b.m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := onnx.Decode(bytesOut)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := exec.NewSession(m2)
	if err != nil {
		t.Fatal(err)
	}
	x, _, err := data.Batch(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Run(map[string]*tensor.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	p, err := net.Forward(map[string]*tensor.Tensor{"x": x}, ModeEval)
	if err != nil {
		t.Fatal(err)
	}
	logits := p.Logits()
	probs := out["prob"]
	// Compare softmax(logits) from training with the executor's output.
	k := 4
	for i := 0; i < x.Shape[0]; i++ {
		row := logits.F32[i*k : (i+1)*k]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v - mx))
		}
		for j, v := range row {
			want := math.Exp(float64(v-mx)) / s
			if d := math.Abs(want - float64(probs.F32[i*k+j])); d > 1e-5 {
				t.Fatalf("image %d class %d: executor %v, training engine %v", i, j, probs.F32[i*k+j], want)
			}
		}
	}
	// Running statistics moved away from their initial values.
	if rm := net.Stat("rm"); rm == nil || bytes.Equal(f32bytes(rm.F32), f32bytes(rawF32(t, b.m, "rm"))) == false {
		// rawF32 reads the written model: they must be equal.
		t.Fatalf("running mean not written back")
	}
}

func f32bytes(v []float32) []byte {
	out := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b := math.Float32bits(x)
		out = append(out, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
	}
	return out
}

func rawF32(t *testing.T, m *onnx.Model, name string) []float32 {
	for _, init := range m.Graph.Initializer {
		if init.Name == name {
			v, err := tensor.FromONNX(init)
			if err != nil {
				t.Fatal(err)
			}
			return v.F32
		}
	}
	t.Fatalf("no initializer %q", name)
	return nil
}

func TestTrainingIsDeterministic(t *testing.T) {
	run := func() []float32 {
		set := randomSet(t, 40, 6, 6, 3, 11)
		b := smallCNN(1, 6, 6, 3, 12)
		net := mustNet(t, b, NetOptions{Seed: 1})
		net.Reinitialize(9)
		data := &Loader{Set: set, BatchSize: 8, Preprocess: dataset.Preprocess{Scale: 1.0 / 255}, Shuffle: true, Seed: 3, Augment: Augment{PadCrop: 1, HFlip: true}}
		tr, err := NewTrainer(net, data, Config{Epochs: 2, LR: 0.05, Nesterov: true, WeightDecay: 1e-4, Schedule: "cosine", WarmupSteps: 3, ClipNorm: 5})
		if err != nil {
			t.Fatal(err)
		}
		for !tr.Done() {
			if _, err := tr.Step(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		return append([]float32(nil), net.Param("w2").Value.F32...)
	}
	a, b := run(), run()
	if !bytes.Equal(f32bytes(a), f32bytes(b)) {
		t.Fatal("two runs with the same seeds trained different weights")
	}
}

func TestFrozenParamsDoNotMove(t *testing.T) {
	set := randomSet(t, 16, 6, 6, 3, 1)
	b := smallCNN(1, 6, 6, 3, 2)
	net := mustNet(t, b, NetOptions{})
	net.Param("w1").Frozen = true
	before := append([]float32(nil), net.Param("w1").Value.F32...)
	data := &Loader{Set: set, BatchSize: 8, Preprocess: dataset.Preprocess{Scale: 1.0 / 255}}
	tr, err := NewTrainer(net, data, Config{Epochs: 1, LR: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	for !tr.Done() {
		if _, err := tr.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(f32bytes(before), f32bytes(net.Param("w1").Value.F32)) {
		t.Fatal("a frozen parameter changed")
	}
	if bytes.Equal(f32bytes(rawF32(t, b.m, "w2")), f32bytes(net.Param("w2").Value.F32)) {
		t.Fatal("an unfrozen parameter did not change")
	}
}

func TestSoftmaxCrossEntropyIsStable(t *testing.T) {
	logits := tensor.FromF32([]int{2, 3}, []float32{1000, 0, -1000, -50, 50, 49})
	loss, d, correct, err := SoftmaxCrossEntropy(logits, []int{2, 1})
	if err != nil {
		t.Fatal(err)
	}
	// Row 0: -log softmax = 2000; row 1: log(1+e^-1) (+ e^-100, negligible).
	want := (2000 + math.Log1p(math.Exp(-1))) / 2
	if math.Abs(loss-want) > 1e-9*want || correct != 1 {
		t.Fatalf("loss %v correct %d, want %v and 1", loss, correct, want)
	}
	if d.F32[0] != 0.5 || d.F32[2] != -0.5 {
		t.Fatalf("gradient of a saturated row: %v", d.F32[:3])
	}
	if _, _, _, err := SoftmaxCrossEntropy(logits, []int{3, 0}); err == nil {
		t.Fatal("a label outside the classes was accepted")
	}
	nan := tensor.FromF32([]int{1, 2}, []float32{float32(math.NaN()), 0})
	if _, _, _, err := SoftmaxCrossEntropy(nan, []int{0}); err == nil {
		t.Fatal("NaN logits gave no error")
	}
}

func TestSoftmaxCrossEntropyGradient(t *testing.T) {
	r := newRNG(3)
	x := make([]float32, 4*5)
	for i := range x {
		x[i] = float32(3 * (2*r.float64() - 1))
	}
	labels := []int{0, 4, 2, 2}
	_, d, _, err := SoftmaxCrossEntropy(tensor.FromF32([]int{4, 5}, x), labels)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		// Float64 finite differences of the float64 loss of float32
		// logits: the step is exact in float32 at this scale.
		const h = 1.0 / 256
		v := x[i]
		x[i] = v + h
		lp, _, _, _ := SoftmaxCrossEntropy(tensor.FromF32([]int{4, 5}, x), labels)
		x[i] = v - h
		lm, _, _, _ := SoftmaxCrossEntropy(tensor.FromF32([]int{4, 5}, x), labels)
		x[i] = v
		num := (lp - lm) / (2 * h)
		if math.Abs(num-float64(d.F32[i])) > 1e-3*math.Max(math.Abs(num), 1e-2) {
			t.Fatalf("logit %d: analytic %v, numeric %v", i, d.F32[i], num)
		}
	}
}

func TestMemoryEstimateMatchesPass(t *testing.T) {
	b := smallCNN(1, 8, 8, 10, 2)
	net := mustNet(t, b, NetOptions{})
	m, err := net.EstimateMemory(map[string][]int{"x": {16, 1, 8, 8}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := net.Forward(map[string]*tensor.Tensor{"x": tensor.New(tensor.Float32, []int{16, 1, 8, 8})}, ModeTrain)
	if err != nil {
		t.Fatal(err)
	}
	// The pass also holds the input.
	if got := p.Bytes() - 16*64*4; got != m.Activations {
		t.Fatalf("pass keeps %d bytes, estimate %d", got, m.Activations)
	}
}

func TestNoGradientRuleIsReported(t *testing.T) {
	b := newTestModel(13, 1)
	b.param("x", []int{2, 3}, nil)
	b.node("Relu", []string{"x"}, []string{"r"})
	b.node("Exp", []string{"r"}, []string{"y"}).output("y")
	net := mustNet(t, b, NetOptions{})
	p, err := net.Forward(nil, ModeTrain)
	if err != nil {
		t.Fatal(err)
	}
	err = net.Backward(p, tensor.New(tensor.Float32, []int{2, 3}))
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("Exp")) {
		t.Fatalf("got %v, want an error naming Exp", err)
	}
}

// TestFusedReluMatchesUnfused checks the ReLU fusions (Conv-BN-ReLU, a
// residual Add-ReLU) and the in-place backward rules: the same outputs
// and gradients, bit for bit, as evaluating every node apart with fresh
// buffers. (Finite differences cannot check these chains: the ReLU's kink
// lies within any useful step of some BN output.)
func TestFusedReluMatchesUnfused(t *testing.T) {
	models := map[string]func() *testModel{
		"cnn":      func() *testModel { return smallCNN(2, 6, 6, 3, 31) },
		"residual": func() *testModel { return residualNet(2, 6, 3, 32) },
		"conv-relu": func() *testModel {
			b := newTestModel(13, 33)
			b.input("x", -1, 2, 6, 6).param("w", []int{4, 2, 3, 3}, nil).param("b", []int{4}, nil)
			b.node("Conv", []string{"x", "w", "b"}, []string{"c"}, aInts("pads", 1, 1, 1, 1))
			b.node("Relu", []string{"c"}, []string{"r"})
			b.node("GlobalAveragePool", []string{"r"}, []string{"gap"})
			b.node("Flatten", []string{"gap"}, []string{"f"})
			b.param("fc", []int{3, 4}, nil).node("Gemm", []string{"f", "fc"}, []string{"logits"}, aInt("transB", 1))
			return b.output("logits")
		},
	}
	for name, build := range models {
		run := func(fast bool) ([]float32, [][]float32) {
			net, err := NewNet(build().m, NetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(net.fusedRelu) == 0 {
				t.Fatalf("%s: no fusion found", name)
			}
			if !fast {
				net.fusedRelu, net.reluFused = map[*onnx.Node]*onnx.Node{}, map[*onnx.Node]bool{}
				net.noInPlace = true
			}
			x := tensor.New(tensor.Float32, []int{4, 2, 6, 6})
			r := newRNG(5)
			for i := range x.F32 {
				x.F32[i] = float32(r.normal())
			}
			p, err := net.Forward(map[string]*tensor.Tensor{"x": x}, ModeTrain)
			if err != nil {
				t.Fatal(err)
			}
			_, d, _, err := SoftmaxCrossEntropy(p.Logits(), []int{0, 1, 2, 1})
			if err != nil {
				t.Fatal(err)
			}
			if err := net.Backward(p, d); err != nil {
				t.Fatal(err)
			}
			var grads [][]float32
			for _, prm := range net.Params {
				grads = append(grads, append([]float32(nil), prm.Grad.F32...))
			}
			return append([]float32(nil), p.Logits().F32...), grads
		}
		l1, g1 := run(true)
		l2, g2 := run(false)
		if !bytes.Equal(f32bytes(l1), f32bytes(l2)) {
			t.Fatalf("%s: fused and unfused logits differ", name)
		}
		for i := range g1 {
			if !bytes.Equal(f32bytes(g1[i]), f32bytes(g2[i])) {
				t.Fatalf("%s: parameter %d: fused and unfused gradients differ", name, i)
			}
		}
	}
}

// TestRegisterOp trains through an operator of a custom domain: a
// fake-quantizer rounding to a step of 1/4 with a straight-through
// gradient, as QIL registers its own.
func TestRegisterOp(t *testing.T) {
	roundQuarter := Op{
		Forward: func(f *NodeForward) ([]*tensor.Tensor, any, error) {
			y := tensor.New(tensor.Float32, f.In[0].Shape)
			for i, v := range f.In[0].F32 {
				y.F32[i] = float32(math.Round(float64(v)*4) / 4)
			}
			return []*tensor.Tensor{y}, nil, nil
		},
		Backward: func(g *NodeGrad) ([]*tensor.Tensor, error) {
			return []*tensor.Tensor{g.DOut[0]}, nil // straight through
		},
	}
	if err := RegisterOp("test.pare", "RoundQuarter", 1, 0, roundQuarter); err != nil {
		t.Fatal(err)
	}
	b := newTestModel(13, 1)
	b.m.OpsetImport = append(b.m.OpsetImport, &onnx.OperatorSet{Domain: "test.pare", Version: 1})
	b.param("w", []int{2, 3}, nil)
	b.m.Graph.Node = append(b.m.Graph.Node, &onnx.Node{Name: "q", OpType: "RoundQuarter", Domain: "test.pare", Input: []string{"w"}, Output: []string{"wq"}})
	b.param("k", []int{2, 3}, nil)
	b.node("Mul", []string{"wq", "k"}, []string{"y"}).output("y")
	net := mustNet(t, b, NetOptions{})
	p, err := net.Forward(nil, ModeTrain)
	if err != nil {
		t.Fatal(err)
	}
	if v := p.Value("wq").F32[0]; v*4 != float32(math.Round(float64(v)*4)) {
		t.Fatalf("custom forward not used: %v", v)
	}
	ones := tensor.New(tensor.Float32, []int{2, 3})
	for i := range ones.F32 {
		ones.F32[i] = 1
	}
	if err := net.Backward(p, ones); err != nil {
		t.Fatal(err)
	}
	k := net.Param("k").Value.F32
	for i, g := range net.Param("w").Grad.F32 {
		if g != k[i] {
			t.Fatalf("straight-through gradient %v, want %v", g, k[i])
		}
	}
}

// TestNodeGradBufferIsRecycled trains through a custom op whose
// Backward takes its result from NodeGrad.Buffer: with buffer reuse the
// buffer of one step comes back in a later one, contents undefined
// (zero=false) or cleared (zero=true), and the gradients are those
// without reuse, to the bit.
func TestNodeGradBufferIsRecycled(t *testing.T) {
	var seen []*float32
	recycled := false
	scaleBy := func(zero bool) Op {
		return Op{
			Forward: func(f *NodeForward) ([]*tensor.Tensor, any, error) {
				y := tensor.New(tensor.Float32, f.In[0].Shape)
				for i, v := range f.In[0].F32 {
					y.F32[i] = 3 * v
				}
				return []*tensor.Tensor{y}, nil, nil
			},
			Backward: func(g *NodeGrad) ([]*tensor.Tensor, error) {
				dx := g.Buffer(g.In[0].Shape, zero)
				if slices.Contains(seen, &dx.F32[0]) {
					recycled = true
				}
				seen = append(seen, &dx.F32[0])
				for i, d := range g.DOut[0].F32 {
					if zero && i%2 == 1 {
						if dx.F32[i] != 0 {
							return nil, fmt.Errorf("Buffer(zero) element %d is %v", i, dx.F32[i])
						}
						continue // left at the cleared 0
					}
					dx.F32[i] = 3 * d
				}
				return []*tensor.Tensor{dx}, nil
			},
		}
	}
	for _, zero := range []bool{false, true} {
		domain := fmt.Sprintf("test.buffer%v", zero)
		if err := RegisterOp(domain, "Triple", 1, 0, scaleBy(zero)); err != nil {
			t.Fatal(err)
		}
		run := func(reuse bool) [][]float32 {
			seen, recycled = nil, false
			grads := tripleNetGrads(t, domain, reuse)
			if reuse && !recycled {
				t.Errorf("zero %v: with buffer reuse no step got an earlier step's buffer back", zero)
			}
			return grads
		}
		a, b := run(true), run(false)
		for i := range a {
			if !bytes.Equal(f32bytes(a[i]), f32bytes(b[i])) {
				t.Fatalf("zero %v: gradient %d differs with buffer reuse", zero, i)
			}
		}
	}
}

// TestCustomKernelOutputsComeFromThePool trains through a custom op
// that has a kernel and no Forward: with buffer reuse the kernel's
// Context.Alloc hands back an earlier step's output buffer, zeroed as
// Alloc promises, and the gradients are those without reuse, to the bit.
func TestCustomKernelOutputsComeFromThePool(t *testing.T) {
	var seen []*float32
	recycled := false
	kernel := func(c *exec.Context, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		y := c.Alloc(tensor.Float32, in[0].Shape)
		if slices.Contains(seen, &y.F32[0]) {
			recycled = true
		}
		seen = append(seen, &y.F32[0])
		for i, v := range in[0].F32 {
			if y.F32[i] != 0 {
				return nil, fmt.Errorf("Alloc element %d is %v", i, y.F32[i])
			}
			if i%3 != 0 {
				y.F32[i] = 3 * v // every third element left at Alloc's 0
			}
		}
		return []*tensor.Tensor{y}, nil
	}
	const domain = "test.kernelpool"
	if err := exec.RegisterDomainOp(domain, "Triple", 1, 0, kernel); err != nil {
		t.Fatal(err)
	}
	backward := func(g *NodeGrad) ([]*tensor.Tensor, error) {
		dx := tensor.New(tensor.Float32, g.In[0].Shape)
		for i, d := range g.DOut[0].F32 {
			if i%3 != 0 {
				dx.F32[i] = 3 * d
			}
		}
		return []*tensor.Tensor{dx}, nil
	}
	if err := RegisterOp(domain, "Triple", 1, 0, Op{Backward: backward}); err != nil {
		t.Fatal(err)
	}
	run := func(reuse bool) [][]float32 {
		seen, recycled = nil, false
		grads := tripleNetGrads(t, domain, reuse)
		if reuse && !recycled {
			t.Errorf("with buffer reuse no step's kernel got an earlier step's buffer back")
		}
		return grads
	}
	a, b := run(true), run(false)
	for i := range a {
		if !bytes.Equal(f32bytes(a[i]), f32bytes(b[i])) {
			t.Fatalf("gradient %d differs with buffer reuse", i)
		}
	}
}

// TestNodeForwardReusesTheLastPass trains through a custom op whose
// Forward writes its output into NodeForward.Buffer and its saved state
// into what Previous offers: with buffer reuse Previous is, from the
// second step on, exactly what the step before saved, and an output
// buffer comes back; without reuse Previous is always nil; Backward
// sees its own pass's state; the gradients are the same to the bit
// either way.
func TestNodeForwardReusesTheLastPass(t *testing.T) {
	type state struct{ x []float32 }
	var seen []*float32
	var lastSaved *state
	reuseNow, recycled, offered, wrong := false, false, 0, 0
	op := Op{
		Forward: func(f *NodeForward) ([]*tensor.Tensor, any, error) {
			y := f.Buffer(f.In[0].Shape, false)
			if slices.Contains(seen, &y.F32[0]) {
				recycled = true
			}
			seen = append(seen, &y.F32[0])
			s, _ := f.Previous().(*state)
			want := lastSaved
			if !reuseNow {
				want = nil
			}
			if s != want {
				wrong++
			}
			if s != nil {
				offered++
			} else {
				s = &state{x: make([]float32, len(f.In[0].F32))}
			}
			lastSaved = s
			copy(s.x, f.In[0].F32)
			for i, v := range f.In[0].F32 {
				y.F32[i] = 3 * v
			}
			return []*tensor.Tensor{y}, s, nil
		},
		Backward: func(g *NodeGrad) ([]*tensor.Tensor, error) {
			if s := g.Saved.(*state); !slices.Equal(s.x, g.In[0].F32) {
				return nil, fmt.Errorf("Backward's saved state is not its pass's input")
			}
			dx := tensor.New(tensor.Float32, g.In[0].Shape)
			for i, d := range g.DOut[0].F32 {
				dx.F32[i] = 3 * d
			}
			return []*tensor.Tensor{dx}, nil
		},
	}
	const domain = "test.forwardreuse"
	if err := RegisterOp(domain, "Triple", 1, 0, op); err != nil {
		t.Fatal(err)
	}
	run := func(reuse bool) [][]float32 {
		seen, lastSaved, reuseNow, recycled, offered, wrong = nil, nil, reuse, false, 0, 0
		grads := tripleNetGrads(t, domain, reuse)
		if reuse && (!recycled || offered != 2) {
			t.Errorf("with buffer reuse: an output buffer recycled %v, Previous offered in %d of 3 steps (want 2)", recycled, offered)
		}
		if wrong != 0 {
			t.Errorf("reuse %v: Previous was not the last step's saved state (nil without reuse) in %d steps", reuse, wrong)
		}
		return grads
	}
	a, b := run(true), run(false)
	for i := range a {
		if !bytes.Equal(f32bytes(a[i]), f32bytes(b[i])) {
			t.Fatalf("gradient %d differs with buffer reuse", i)
		}
	}
}

// tripleNetGrads trains w -> Triple (the custom op of domain) -> Mul by k
// for three steps, with or without buffer reuse, and returns every
// parameter's gradient of every step.
func tripleNetGrads(t *testing.T, domain string, reuse bool) [][]float32 {
	t.Helper()
	b := newTestModel(13, 1)
	b.m.OpsetImport = append(b.m.OpsetImport, &onnx.OperatorSet{Domain: domain, Version: 1})
	b.param("w", []int{4, 5}, nil)
	b.m.Graph.Node = append(b.m.Graph.Node, &onnx.Node{Name: "q", OpType: "Triple", Domain: domain, Input: []string{"w"}, Output: []string{"wq"}})
	b.param("k", []int{4, 5}, nil)
	b.node("Mul", []string{"wq", "k"}, []string{"y"}).output("y")
	net := mustNet(t, b, NetOptions{})
	net.ReuseBuffers(reuse)
	var grads [][]float32
	for step := range 3 {
		p, err := net.Forward(nil, ModeTrain)
		if err != nil {
			t.Fatal(err)
		}
		d := tensor.New(tensor.Float32, []int{4, 5})
		for i := range d.F32 {
			d.F32[i] = float32(i*(step+1)) - 7
		}
		if err := net.Backward(p, d); err != nil {
			t.Fatal(err)
		}
		for _, prm := range net.Params {
			grads = append(grads, append([]float32(nil), prm.Grad.F32...))
			for i, g := range prm.Grad.F32 {
				prm.Value.F32[i] -= 0.01 * g
			}
		}
	}
	return grads
}

// TestReusedBuffersChangeNothing runs three training steps with and
// without buffer reuse: a recycled buffer that is not fully overwritten
// would show up as different gradients.
func TestReusedBuffersChangeNothing(t *testing.T) {
	run := func(reuse bool) [][]float32 {
		net, err := NewNet(residualNet(2, 6, 3, 41).m, NetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		net.ReuseBuffers(reuse)
		var grads [][]float32
		for step := 0; step < 3; step++ {
			x := tensor.New(tensor.Float32, []int{4, 2, 6, 6})
			r := newRNG(int64(step))
			for i := range x.F32 {
				x.F32[i] = float32(r.normal())
			}
			p, err := net.Forward(map[string]*tensor.Tensor{"x": x}, ModeTrain)
			if err != nil {
				t.Fatal(err)
			}
			_, d, _, err := SoftmaxCrossEntropy(p.Logits(), []int{0, 1, 2, step})
			if err != nil {
				t.Fatal(err)
			}
			if err := net.Backward(p, d); err != nil {
				t.Fatal(err)
			}
			for _, prm := range net.Params {
				grads = append(grads, append([]float32(nil), prm.Grad.F32...))
				for i, g := range prm.Grad.F32 {
					prm.Value.F32[i] -= 0.1 * g
				}
			}
		}
		return grads
	}
	a, b := run(true), run(false)
	for i := range a {
		if !bytes.Equal(f32bytes(a[i]), f32bytes(b[i])) {
			t.Fatalf("gradient %d differs with buffer reuse", i)
		}
	}
}

// TestRegisterOpRefusesShadowing pins that a registration never silently
// replaces another: an overlapping opset range and the default domain are
// errors, a disjoint range is not.
func TestRegisterOpRefusesShadowing(t *testing.T) {
	pass := Op{Backward: func(g *NodeGrad) ([]*tensor.Tensor, error) { return []*tensor.Tensor{g.DOut[0]}, nil }}
	if err := RegisterOp("test.shadow", "Q", 1, 3, pass); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		domain   string
		min, max int64
	}{{"test.shadow", 3, 5}, {"test.shadow", 1, 0}, {"test.shadow", 2, 2}, {"", 1, 0}, {"ai.onnx", 1, 0}, {"test.shadow", 5, 4}} {
		if err := RegisterOp(c.domain, "Q", c.min, c.max, pass); err == nil {
			t.Errorf("RegisterOp(%q, Q, %d, %d) succeeded; want an error", c.domain, c.min, c.max)
		}
	}
	if err := RegisterOp("test.shadow", "Q", 4, 0, pass); err != nil {
		t.Fatalf("a disjoint range was refused: %v", err)
	}
	if !HasOp("test.shadow", "Q", 2) || !HasOp("test.shadow", "Q", 9) || HasOp("test.shadow", "Q", 0) {
		t.Fatal("HasOp does not follow the registered ranges")
	}
	if err := RegisterOp("test.shadow", "NoBackward", 1, 0, Op{}); err == nil {
		t.Fatal("an op without Backward was accepted")
	}
}

// TestNetOptionsOpsOverrideOneNet replaces Mul's gradient for one net
// and checks that a second net built alongside keeps the built-in rule.
func TestNetOptionsOpsOverrideOneNet(t *testing.T) {
	build := func() *testModel {
		b := newTestModel(13, 1)
		b.param("w", []int{2, 3}, nil)
		b.param("k", []int{2, 3}, nil)
		b.node("Mul", []string{"w", "k"}, []string{"y"}).output("y")
		return b
	}
	doubled := Op{Backward: func(g *NodeGrad) ([]*tensor.Tensor, error) {
		out := make([]*tensor.Tensor, 2)
		for i := range out {
			if g.Need[i] {
				out[i] = tensor.New(tensor.Float32, g.In[i].Shape)
				for j := range out[i].F32 {
					out[i].F32[j] = 2 * g.DOut[0].F32[j] * g.In[1-i].F32[j]
				}
			}
		}
		return out, nil
	}}
	grads := func(opt NetOptions) []float32 {
		net := mustNet(t, build(), opt)
		p, err := net.Forward(nil, ModeTrain)
		if err != nil {
			t.Fatal(err)
		}
		ones := tensor.New(tensor.Float32, []int{2, 3})
		for i := range ones.F32 {
			ones.F32[i] = 1
		}
		if err := net.Backward(p, ones); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), net.Param("w").Grad.F32...)
	}
	over := grads(NetOptions{Ops: map[OpKey]Op{{Domain: "", OpType: "Mul"}: doubled}})
	plain := grads(NetOptions{})
	for i := range plain {
		if over[i] != 2*plain[i] || plain[i] == 0 {
			t.Fatalf("gradient %d: override %v, built-in %v; want twice the built-in", i, over[i], plain[i])
		}
	}
	if _, err := NewNet(build().m, NetOptions{Ops: map[OpKey]Op{{OpType: "Mul"}: {}}}); err == nil {
		t.Fatal("an override without Backward was accepted")
	}
}
