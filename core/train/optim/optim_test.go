package optim

import (
	"math"
	"testing"
)

// quadratic runs three steps on L = sum(c*w^2 + d*w) and returns w; the
// expected values come from torch 1.13's optimizers on the same problem.
func quadratic(t *testing.T, mk func(g []*Group) Optimizer, decay float64) []float32 {
	t.Helper()
	v := &Var{Name: "w", Value: []float32{0.5, -1, 2}, Grad: make([]float32, 3)}
	groups := []*Group{{Vars: []*Var{v}, WeightDecay: decay}}
	opt := mk(groups)
	c := []float32{1, 2, 3}
	d := []float32{0.1, -0.2, 0.3}
	for s := 0; s < 3; s++ {
		for i, w := range v.Value {
			v.Grad[i] = 2*c[i]*w + d[i]
		}
		if err := opt.Step(0.05); err != nil {
			t.Fatal(err)
		}
	}
	return v.Value
}

func near(t *testing.T, got []float32, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 2e-6 {
			t.Fatalf("got %v, want %v (torch)", got, want)
		}
	}
}

func TestSGDMatchesTorch(t *testing.T) {
	got := quadratic(t, func(g []*Group) Optimizer { return &SGD{Momentum: 0.9, Nesterov: true, Groups: g} }, 0.01)
	near(t, got, []float64{0.12869110703468323, 0.16536583006381989, -0.7652334570884705})
	got = quadratic(t, func(g []*Group) Optimizer { return &SGD{Momentum: 0.9, Groups: g} }, 0)
	near(t, got, []float64{0.21729998290538788, -0.015100032091140747, -0.6198999881744385})
}

func TestAdamMatchesTorch(t *testing.T) {
	got := quadratic(t, func(g []*Group) Optimizer { return &Adam{Groups: g} }, 0.01)
	near(t, got, []float64{0.35069167613983154, -0.8502933382987976, 1.8501331806182861})
	got = quadratic(t, func(g []*Group) Optimizer { return &Adam{Decoupled: true, Groups: g} }, 0.1)
	near(t, got, []float64{0.344024658203125, -0.8361529111862183, 1.8210620880126953})
}

func TestGroupLRScale(t *testing.T) {
	a := &Var{Value: []float32{1}, Grad: []float32{1}}
	b := &Var{Value: []float32{1}, Grad: []float32{1}}
	opt := &SGD{Groups: []*Group{{Vars: []*Var{a}}, {Vars: []*Var{b}, LRScale: 0.01}}}
	if err := opt.Step(0.5); err != nil {
		t.Fatal(err)
	}
	if a.Value[0] != 0.5 || math.Abs(float64(b.Value[0])-0.995) > 1e-7 {
		t.Fatalf("a=%v b=%v, want 0.5 and 0.995", a.Value[0], b.Value[0])
	}
}

func TestMismatchedLengthsAreErrors(t *testing.T) {
	v := &Var{Name: "bad", Value: []float32{1, 2}, Grad: []float32{1}}
	for _, o := range []Optimizer{&SGD{Groups: []*Group{{Vars: []*Var{v}}}}, &Adam{Groups: []*Group{{Vars: []*Var{v}}}}} {
		if err := o.Step(0.1); err == nil {
			t.Fatalf("%T accepted a gradient of the wrong length", o)
		}
	}
}

func TestSchedules(t *testing.T) {
	c := Cosine(0.1, 100, 0.001)
	if c.LR(0) != 0.1 || math.Abs(c.LR(50)-0.0505) > 1e-12 || c.LR(100) != 0.001 || c.LR(500) != 0.001 {
		t.Fatalf("cosine: %v %v %v", c.LR(0), c.LR(50), c.LR(100))
	}
	s := StepDecay(1, 10, 0.1)
	if s.LR(9) != 1 || math.Abs(s.LR(10)-0.1) > 1e-15 || math.Abs(s.LR(25)-0.01) > 1e-15 {
		t.Fatalf("step: %v %v %v", s.LR(9), s.LR(10), s.LR(25))
	}
	w := Warmup(Constant(1), 4)
	for step, want := range []float64{0.2, 0.4, 0.6, 0.8, 1, 1} {
		if math.Abs(w.LR(step)-want) > 1e-12 {
			t.Fatalf("warmup step %d: %v, want %v", step, w.LR(step), want)
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	v := &Var{Value: make([]float32, 2), Grad: []float32{3, 4}}
	g := []*Group{{Vars: []*Var{v}}}
	if n := ClipGradNorm(g, 10); n != 5 || v.Grad[0] != 3 {
		t.Fatalf("a norm under the limit changed: %v %v", n, v.Grad)
	}
	if n := ClipGradNorm(g, 1); n != 5 || math.Abs(GradNorm(g)-1) > 1e-6 {
		t.Fatalf("clipped norm %v, want 1 (was %v)", GradNorm(g), n)
	}
}
